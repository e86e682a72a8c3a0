/* The shape API through C: values small enough to check by hand, gradients, and every kind of bad
 * argument coming back as a status with a message (never a crash), with no leaked handles. */
#include "harness.h"
#include <string.h>

static snn_tensor *make(const float *data, size_t count, const int64_t *shape, size_t ndim) {
    snn_tensor *t = NULL;
    CHECK_OK(snn_tensor_from_data(&t, data, count, shape, ndim));
    return t;
}

/* Checks t's shape and float values. */
static void expect(snn_tensor *t, const int64_t *shape, size_t ndim, const float *values, const char *what) {
    size_t nd = 99;
    int64_t s[SNN_MAX_NDIM];
    float v[64];
    CHECK(t != NULL, "%s: no tensor", what);
    if (!t) return;
    CHECK_OK(snn_tensor_ndim(&nd, t));
    CHECK(nd == ndim, "%s: ndim %zu, expected %zu", what, nd, ndim);
    if (nd != ndim) return;
    CHECK_OK(snn_tensor_shape(s, SNN_MAX_NDIM, t));
    int64_t n = 1;
    for (size_t i = 0; i < ndim; i++) {
        CHECK(s[i] == shape[i], "%s: dim %zu is %lld, expected %lld", what, i, (long long)s[i], (long long)shape[i]);
        n *= shape[i];
    }
    CHECK_OK(snn_tensor_copy_data(v, 64, t));
    for (int64_t i = 0; i < n && i < 64; i++)
        CHECK(v[i] == values[i], "%s: element %lld is %g, expected %g", what, (long long)i, v[i], values[i]);
}

/* A failing call: expected status, out set to NULL, message containing each word. */
#define FAILS(STATUS, OUT, CALL, ...) do { \
    snn_status st_ = (CALL); \
    CHECK(st_ == (STATUS), "%s -> %s, expected %s (%s)", #CALL, snn_status_string(st_), snn_status_string(STATUS), snn_last_error()); \
    CHECK((OUT) == NULL, "%s left a handle in its out-pointer", #CALL); \
    const char *words_[] = {__VA_ARGS__}; \
    for (size_t w_ = 0; w_ < sizeof words_ / sizeof *words_; w_++) \
        CHECK(strstr(snn_last_error(), words_[w_]) != NULL, "%s: '%s' not in message '%s'", #CALL, words_[w_], snn_last_error()); \
} while (0)

static void values(void) {
    const float d[6] = {1, 2, 3, 4, 5, 6};
    const int64_t s23[2] = {2, 3};
    snn_tensor *x = make(d, 6, s23, 2), *o = NULL;

    CHECK_OK(snn_tensor_transpose(&o, x, 0, -1));
    expect(o, (int64_t[]){3, 2}, 2, (float[]){1, 4, 2, 5, 3, 6}, "transpose");
    snn_tensor_free(o); o = NULL;

    CHECK_OK(snn_tensor_reshape(&o, x, (int64_t[]){-1, 2}, 2));
    expect(o, (int64_t[]){3, 2}, 2, d, "reshape");
    snn_tensor_free(o); o = NULL;

    CHECK_OK(snn_tensor_slice(&o, x, 1, -2, INT64_MAX, 1));
    expect(o, (int64_t[]){2, 2}, 2, (float[]){2, 3, 5, 6}, "slice -2:");
    snn_tensor_free(o); o = NULL;

    CHECK_OK(snn_tensor_slice(&o, x, -1, INT64_MIN, INT64_MAX, INT64_MAX));
    expect(o, (int64_t[]){2, 1}, 2, (float[]){1, 4}, "slice with a huge step");
    snn_tensor_free(o); o = NULL;

    CHECK_OK(snn_tensor_select(&o, x, 1, -1));
    expect(o, (int64_t[]){2}, 1, (float[]){3, 6}, "select");
    snn_tensor_free(o); o = NULL;

    CHECK_OK(snn_tensor_squeeze(&o, x, NULL, 0));
    expect(o, s23, 2, d, "squeeze of nothing");
    snn_tensor_free(o); o = NULL;

    CHECK_OK(snn_tensor_expand(&o, x, (int64_t[]){2, -1, -1}, 3));
    expect(o, (int64_t[]){2, 2, 3}, 3, (float[]){1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6}, "expand");
    snn_tensor_free(o); o = NULL;

    const snn_tensor *three[3] = {x, x, x};
    CHECK_OK(snn_tensor_cat(&o, three, 3, -1));
    expect(o, (int64_t[]){2, 9}, 2, (float[]){1, 2, 3, 1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6, 4, 5, 6}, "cat");
    snn_tensor_free(o); o = NULL;

    CHECK_OK(snn_tensor_stack(&o, three, 2, 1));
    expect(o, (int64_t[]){2, 2, 3}, 3, (float[]){1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6}, "stack");
    snn_tensor_free(o); o = NULL;
    snn_tensor_free(x);
}

static void gradients(void) {
    const float d[6] = {1, 2, 3, 4, 5, 6};
    snn_tensor *x = make(d, 6, (int64_t[]){3, 2}, 2), *idx = NULL, *y = NULL, *s = NULL, *g = NULL;
    CHECK_OK(snn_tensor_set_requires_grad(x, true));
    CHECK_OK(snn_tensor_from_int64(&idx, (int64_t[]){2, 0, 2}, 3, (int64_t[]){3}, 1));
    CHECK_OK(snn_tensor_index_select(&y, x, 0, idx));
    expect(y, (int64_t[]){3, 2}, 2, (float[]){5, 6, 1, 2, 5, 6}, "index_select");
    CHECK_OK(snn_tensor_sum(&s, y, NULL, 0, false));
    CHECK_OK(snn_tensor_backward(s, NULL, false));
    CHECK_OK(snn_tensor_grad(&g, x));
    expect(g, (int64_t[]){3, 2}, 2, (float[]){1, 1, 0, 0, 2, 2}, "index_select grad (repeats accumulate)");
    snn_tensor_free(g); snn_tensor_free(s); snn_tensor_free(y); snn_tensor_free(idx); snn_tensor_free(x);
}

static void errors(void) {
    const float d[6] = {1, 2, 3, 4, 5, 6};
    snn_tensor *x = make(d, 6, (int64_t[]){2, 3}, 2), *o = NULL, *f = NULL, *dead = make(d, 1, NULL, 0);
    snn_tensor_free(dead);
    snn_tensor *garbage = (snn_tensor *)(uintptr_t)0x1234;

    FAILS(SNN_ERR_INVALID_ARGUMENT, o, snn_tensor_reshape(NULL, x, (int64_t[]){6}, 1), "snn_tensor_reshape", "out");
    FAILS(SNN_ERR_INVALID_ARGUMENT, o, snn_tensor_reshape(&o, x, NULL, 2), "snn_tensor_reshape", "shape");
    FAILS(SNN_ERR_INVALID_ARGUMENT, o, snn_tensor_reshape(&o, x, (int64_t[]){6}, (size_t)-1), "snn_tensor_reshape");
    FAILS(SNN_ERR_SHAPE, o, snn_tensor_reshape(&o, x, (int64_t[]){4, -1}, 2), "reshape", "[4, -1]", "[2, 3]");
    FAILS(SNN_ERR_INVALID_HANDLE, o, snn_tensor_transpose(&o, dead, 0, 1), "snn_tensor_transpose");
    FAILS(SNN_ERR_INVALID_HANDLE, o, snn_tensor_flatten(&o, garbage, 0, -1), "snn_tensor_flatten");
    FAILS(SNN_ERR_INVALID_ARGUMENT, o, snn_tensor_unsqueeze(&o, NULL, 0), "snn_tensor_unsqueeze", "NULL");
    FAILS(SNN_ERR_OUT_OF_RANGE, o, snn_tensor_unsqueeze(&o, x, INT64_MIN), "unsqueeze", "[2, 3]");
    FAILS(SNN_ERR_OUT_OF_RANGE, o, snn_tensor_select(&o, x, 0, 2), "select", "index 2", "[2, 3]");
    FAILS(SNN_ERR_OUT_OF_RANGE, o, snn_tensor_select(&o, x, 1, INT64_MIN), "select", "[2, 3]");
    FAILS(SNN_ERR_OUT_OF_RANGE, o, snn_tensor_transpose(&o, x, 0, 2), "transpose", "rank 2");
    FAILS(SNN_ERR_INVALID_ARGUMENT, o, snn_tensor_permute(&o, x, (int64_t[]){1, -1}, 2), "permute", "[1, -1]", "[2, 3]");
    FAILS(SNN_ERR_SHAPE, o, snn_tensor_permute(&o, x, (int64_t[]){0}, 1), "permute", "[0]", "[2, 3]");
    FAILS(SNN_ERR_INVALID_ARGUMENT, o, snn_tensor_permute(&o, x, NULL, 2), "snn_tensor_permute", "dims");
    FAILS(SNN_ERR_INVALID_ARGUMENT, o, snn_tensor_squeeze(&o, x, (int64_t[]){0, -2}, 2), "squeeze", "more than once");
    FAILS(SNN_ERR_INVALID_ARGUMENT, o, snn_tensor_slice(&o, x, 0, 0, 2, 0), "slice", "step", "[2, 3]");
    FAILS(SNN_ERR_INVALID_ARGUMENT, o, snn_tensor_slice(&o, x, 0, 0, 2, INT64_MIN), "slice", "step");
    FAILS(SNN_ERR_SHAPE, o, snn_tensor_expand(&o, x, (int64_t[]){2, 4}, 2), "expand", "[2, 4]", "[2, 3]");
    FAILS(SNN_ERR_INVALID_ARGUMENT, o, snn_tensor_expand(&o, x, (int64_t[]){-1, 2, 3}, 3), "expand", "leading");
    FAILS(SNN_ERR_INVALID_ARGUMENT, o, snn_tensor_flatten(&o, x, 1, 0), "flatten", "[2, 3]");

    FAILS(SNN_ERR_INVALID_ARGUMENT, o, snn_tensor_index_select(&o, x, 0, NULL), "snn_tensor_index_select", "index");
    FAILS(SNN_ERR_DTYPE, o, snn_tensor_index_select(&o, x, 0, x), "index_select", "float32", "int64");
    snn_tensor *idx = NULL;
    CHECK_OK(snn_tensor_from_int64(&idx, (int64_t[]){0, -1}, 2, (int64_t[]){2}, 1));
    FAILS(SNN_ERR_OUT_OF_RANGE, o, snn_tensor_index_select(&o, x, 1, idx), "index_select", "index -1", "[2, 3]");
    snn_tensor_free(idx);

    CHECK_OK(snn_tensor_from_data(&f, d, 4, (int64_t[]){2, 2}, 2));
    const snn_tensor *mixed[2] = {x, f}, *bad[2] = {x, garbage}, *withnull[2] = {x, NULL};
    FAILS(SNN_ERR_SHAPE, o, snn_tensor_cat(&o, mixed, 2, 0), "cat", "[2, 3]", "[2, 2]");
    FAILS(SNN_ERR_SHAPE, o, snn_tensor_stack(&o, mixed, 2, 0), "stack", "[2, 3]", "[2, 2]");
    FAILS(SNN_ERR_INVALID_HANDLE, o, snn_tensor_cat(&o, bad, 2, 0), "snn_tensor_cat", "ts[1]");
    FAILS(SNN_ERR_INVALID_ARGUMENT, o, snn_tensor_stack(&o, withnull, 2, 0), "snn_tensor_stack", "ts[1]");
    FAILS(SNN_ERR_INVALID_ARGUMENT, o, snn_tensor_cat(&o, NULL, 2, 0), "snn_tensor_cat", "ts");
    FAILS(SNN_ERR_INVALID_ARGUMENT, o, snn_tensor_cat(&o, mixed, 0, 0), "cat", "non-empty");
    FAILS(SNN_ERR_OUT_OF_RANGE, o, snn_tensor_stack(&o, mixed, 1, 3), "stack", "[2, 3]");
    snn_tensor_free(f);
    snn_tensor_free(x);
}

int main(void) {
    int64_t baseline = live_handles();
    values();
    gradients();
    errors();
    CHECK(live_handles() == baseline, "%lld handles leaked", (long long)(live_handles() - baseline));
    return report("test_shape");
}
