/* Views and in-place ops through C: strides and offsets as PyTorch reports them, writes through
 * views, the version counter, PyTorch's rules and messages (tools/check_inplace_messages.py),
 * the rebased history, and bad arguments returning a status (never a crash, no leaked handle). */
#include "harness.h"
#include <string.h>

static snn_tensor *ramp(int64_t rows, int64_t cols, float start) {
    float d[64];
    for (int64_t i = 0; i < rows * cols && i < 64; i++) d[i] = start + (float)i;
    snn_tensor *t = NULL;
    CHECK_OK(snn_tensor_from_data(&t, d, (size_t)(rows * cols), (int64_t[]){rows, cols}, 2));
    return t;
}

static void expect_values(snn_tensor *t, const float *want, size_t n, const char *what) {
    float v[64] = {0};
    CHECK_OK(snn_tensor_copy_data(v, 64, t));
    for (size_t i = 0; i < n; i++) CHECK(v[i] == want[i], "%s: element %zu is %g, expected %g", what, i, v[i], want[i]);
}

/* A failing call: expected status and a message containing `text`. */
#define FAILS(STATUS, CALL, TEXT) do { \
    snn_status st_ = (CALL); \
    CHECK(st_ == (STATUS), "%s -> %s, expected %s (%s)", #CALL, snn_status_string(st_), snn_status_string(STATUS), snn_last_error()); \
    CHECK(strstr(snn_last_error(), (TEXT)) != NULL, "%s: '%s' not in message '%s'", #CALL, (TEXT), snn_last_error()); \
} while (0)

static void views(void) {
    snn_tensor *x = ramp(3, 4, 0), *t = NULL, *col = NULL, *c = NULL, *v = NULL;
    int64_t st[2] = {0}, off = -1, version = -1;
    bool contiguous = true, shares = false;
    CHECK_OK(snn_tensor_transpose(&t, x, 0, 1));
    CHECK_OK(snn_tensor_stride(st, 2, t));
    CHECK(st[0] == 1 && st[1] == 4, "transpose strides (%lld, %lld), expected (1, 4)", (long long)st[0], (long long)st[1]);
    CHECK_OK(snn_tensor_is_contiguous(&contiguous, t));
    CHECK(!contiguous, "a transpose is not contiguous");
    CHECK_OK(snn_tensor_shares_storage(&shares, t, x));
    CHECK(shares, "a transpose shares its input's storage");
    CHECK_OK(snn_tensor_select(&col, x, 1, 2));
    CHECK_OK(snn_tensor_storage_offset(&off, col));
    CHECK(off == 2, "x[:, 2] starts at element %lld, expected 2", (long long)off);
    /* writes through the transposed view reach x and every other view */
    snn_tensor *row = NULL;
    CHECK_OK(snn_tensor_select(&row, t, 0, 2));
    CHECK_OK(snn_tensor_mul_scalar_(row, 10));
    expect_values(col, (float[]){20, 60, 100}, 3, "x[:, 2] after x.t()[2] *= 10");
    CHECK_OK(snn_tensor_version(&version, x));
    CHECK(version == 1, "version %lld after one in-place op, expected 1", (long long)version);
    CHECK_OK(snn_tensor_contiguous(&c, t));
    expect_values(c, (float[]){0, 4, 8, 1, 5, 9, 20, 60, 100, 3, 7, 11}, 12, "x.t().contiguous()");
    FAILS(SNN_ERR_SHAPE, snn_tensor_view(&v, t, (int64_t[]){12}, 1), "view size is not compatible");
    CHECK(v == NULL, "a failed view leaves no handle");
    CHECK_OK(snn_tensor_view(&v, t, (int64_t[]){2, 2, 3}, 3));
    snn_tensor_free(x); snn_tensor_free(t); snn_tensor_free(col); snn_tensor_free(c);
    snn_tensor_free(v); snn_tensor_free(row);
}

static void rules(void) {
    snn_tensor *w = ramp(4, 5, -10), *one = NULL, *x = NULL, *y = NULL, *s = NULL, *big = ramp(2, 3, 0), *small = NULL;
    CHECK_OK(snn_tensor_set_requires_grad(w, true));
    FAILS(SNN_ERR_AUTOGRAD, snn_tensor_add_scalar_(w, 1, 1), "a leaf Variable that requires grad is being used in an in-place operation.");
    CHECK_OK(snn_no_grad_begin());
    CHECK_OK(snn_tensor_sub_scalar_(w, 1, 1));  /* an optimizer step under no_grad */
    CHECK_OK(snn_no_grad_end());
    CHECK_OK(snn_tensor_full(&small, (int64_t[]){3}, 1, 0));
    FAILS(SNN_ERR_SHAPE, snn_tensor_add_(small, big, 1), "output with shape [3] doesn't match the broadcast shape [2, 3]");
    /* the saved output of relu, modified in place: backward refuses with PyTorch's message */
    CHECK_OK(snn_tensor_full(&one, NULL, 0, 1));
    CHECK_OK(snn_tensor_mul(&x, w, one));
    CHECK_OK(snn_tensor_relu(&y, x));
    CHECK_OK(snn_tensor_add_scalar_(y, 1, 1));
    CHECK_OK(snn_tensor_sum(&s, y, NULL, 0, false));
    FAILS(SNN_ERR_AUTOGRAD, snn_tensor_backward(s, NULL, false),
          "one of the variables needed for gradient computation has been modified by an inplace operation: "
          "[swiftnn.FloatTensor [4, 5]], which is output 0 of Relu, is at version 1; expected version 0 instead.");
    snn_tensor_free(w); snn_tensor_free(one); snn_tensor_free(x); snn_tensor_free(y); snn_tensor_free(s);
    snn_tensor_free(big); snn_tensor_free(small);
}

static void rebased(void) {
    /* x = a * 2; x.add_(1); sum(x).backward() gives a.grad == 2 */
    snn_tensor *a = ramp(2, 3, 0), *two = NULL, *x = NULL, *s = NULL, *g = NULL;
    CHECK_OK(snn_tensor_set_requires_grad(a, true));
    CHECK_OK(snn_tensor_full(&two, NULL, 0, 2));
    CHECK_OK(snn_tensor_mul(&x, a, two));
    CHECK_OK(snn_tensor_add_scalar_(x, 1, 1));
    CHECK_OK(snn_tensor_sum(&s, x, NULL, 0, false));
    CHECK_OK(snn_tensor_backward(s, NULL, false));
    CHECK_OK(snn_tensor_grad(&g, a));
    expect_values(g, (float[]){2, 2, 2, 2, 2, 2}, 6, "a.grad after x = a * 2; x.add_(1)");
    snn_tensor_free(a); snn_tensor_free(two); snn_tensor_free(x); snn_tensor_free(s); snn_tensor_free(g);
}

static void bad_arguments(void) {
    snn_tensor *x = ramp(2, 3, 0), *freed = ramp(1, 1, 0), *idx = NULL, *mask = ramp(2, 3, 0);
    snn_tensor_free(freed);
    FAILS(SNN_ERR_INVALID_ARGUMENT, snn_tensor_add_(NULL, x, 1), "snn_tensor_add_");
    FAILS(SNN_ERR_INVALID_HANDLE, snn_tensor_mul_(x, freed), "snn_tensor_mul_");
    FAILS(SNN_ERR_INVALID_HANDLE, snn_tensor_fill_(freed, 1), "snn_tensor_fill_");
    FAILS(SNN_ERR_INVALID_ARGUMENT, snn_tensor_stride(NULL, 2, x), "snn_tensor_stride");
    FAILS(SNN_ERR_INVALID_ARGUMENT, snn_tensor_stride((int64_t[1]){0}, 1, x), "capacity");
    FAILS(SNN_ERR_DTYPE, snn_tensor_masked_scatter_(x, mask, x), "mask has dtype float32, expected bool");
    CHECK_OK(snn_tensor_from_int64(&idx, (int64_t[]){0, 7}, 2, (int64_t[]){2}, 1));
    FAILS(SNN_ERR_OUT_OF_RANGE, snn_tensor_index_put_(x, 1, idx, x), "index 7");
    FAILS(SNN_ERR_DTYPE, snn_tensor_index_put_(x, 1, x, x), "index has dtype float32, expected int64");
    FAILS(SNN_ERR_INVALID_ARGUMENT, snn_tensor_clamp_(x, 0, 0, false, false), "clamp_: at least one of min or max");
    snn_tensor_free(x); snn_tensor_free(idx); snn_tensor_free(mask);
}

int main(void) {
    int64_t baseline = live_handles();
    views();
    rules();
    rebased();
    bad_arguments();
    CHECK(live_handles() == baseline, "%lld handles leaked", (long long)(live_handles() - baseline));
    return report("test_inplace");
}
