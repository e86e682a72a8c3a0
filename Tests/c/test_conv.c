/* The conv area through the C API beyond the goldens: hand-checkable results, the option
 * structs' struct_size contract, NULL and garbage arguments, dropout's seeded mask and its
 * backward, in-place running statistics, and no leaked handles. */
#include "harness.h"
#include <math.h>
#include <string.h>

static snn_tensor *make(const float *data, size_t n, const int64_t *shape, size_t ndim) {
    snn_tensor *t = NULL;
    CHECK_OK(snn_tensor_from_data(&t, data, n, shape, ndim));
    return t;
}

static void max_pool_of_arange(void) {
    snn_tensor *r = NULL, *x = NULL, *y = NULL, *idx = NULL;
    CHECK_OK(snn_tensor_arange(&r, 0, 16, 1));
    float v[16];
    CHECK_OK(snn_tensor_copy_data(v, 16, r));
    int64_t shape[4] = {1, 1, 4, 4};
    x = make(v, 16, shape, 4);
    snn_pool2d_options o = pool2d_options(2, 2);
    CHECK_OK(snn_tensor_max_pool2d(&y, &idx, x, &o));
    float out[4] = {0};
    int64_t at[4] = {0};
    CHECK_OK(snn_tensor_copy_data(out, 4, y));
    CHECK_OK(snn_tensor_copy_int64(at, 4, idx));
    CHECK(out[0] == 5 && out[1] == 7 && out[2] == 13 && out[3] == 15, "max_pool2d(arange(16)) = %g %g %g %g, expected 5 7 13 15",
          out[0], out[1], out[2], out[3]);
    CHECK(at[0] == 5 && at[1] == 7 && at[2] == 13 && at[3] == 15, "indices %lld %lld %lld %lld", (long long)at[0],
          (long long)at[1], (long long)at[2], (long long)at[3]);
    snn_tensor_free(idx);
    snn_tensor_free(y);
    /* Indices are optional. */
    CHECK_OK(snn_tensor_max_pool2d(&y, NULL, x, &o));
    snn_tensor_free(y);
    snn_tensor_free(x);
    snn_tensor_free(r);
}

/* The lecture's 1-D example with exact (dyadic) numbers: correlation = band matrix times z. */
static void lecture_conv_as_matrix(void) {
    float z[6] = {1, -2, 3, 0.5f, -1, 2}, w[3] = {0.5f, -1, 2};
    int64_t zs[4] = {1, 1, 1, 6}, ws[4] = {1, 1, 1, 3};
    snn_tensor *zt = make(z, 6, zs, 4), *wt = make(w, 3, ws, 4), *y = NULL;
    CHECK_OK(snn_tensor_conv2d(&y, zt, wt, NULL, NULL));   /* NULL options: all defaults */
    float out[4] = {0};
    CHECK_OK(snn_tensor_copy_data(out, 4, y));
    for (int r = 0; r < 4; r++) {
        float want = w[0] * z[r] + w[1] * z[r + 1] + w[2] * z[r + 2];
        CHECK(out[r] == want, "lecture conv row %d: %g, expected (W z)[%d] = %g", r, out[r], r, want);
    }
    snn_tensor_free(y);
    snn_tensor_free(wt);
    snn_tensor_free(zt);
}

static void options_contract(void) {
    float v[16] = {0};
    int64_t xs[4] = {1, 1, 4, 4}, ws[4] = {1, 1, 3, 3};
    snn_tensor *x = make(v, 16, xs, 4), *w = make(v, 9, ws, 4), *y = (snn_tensor *)0x1;
    snn_conv2d_options c = conv2d_options();
    c.struct_size = sizeof c - 8;
    CHECK(snn_tensor_conv2d(&y, x, w, NULL, &c) == SNN_ERR_INVALID_ARGUMENT, "short struct_size accepted");
    CHECK(y == NULL, "out not cleared on failure");
    CHECK(strstr(snn_last_error(), "struct_size") != NULL, "message: %s", snn_last_error());
    /* A newer caller's struct: the fields this library does not know are in a real, non-zero
     * tail (reading past a lone struct would test whatever the stack holds there). */
    struct { snn_conv2d_options o; uint64_t newer_field; } bigger = {conv2d_options(), 1};
    bigger.o.struct_size = sizeof bigger;
    CHECK(snn_tensor_conv2d(&y, x, w, NULL, &bigger.o) == SNN_ERR_UNSUPPORTED, "newer struct_size accepted");
    c = conv2d_options();
    c.stride_h = 0;
    CHECK(snn_tensor_conv2d(&y, x, w, NULL, &c) == SNN_ERR_INVALID_ARGUMENT, "stride 0 accepted");
    c = conv2d_options();
    c.pad_h = -1;
    CHECK(snn_tensor_conv2d(&y, x, w, NULL, &c) == SNN_ERR_INVALID_ARGUMENT, "negative padding accepted");
    c.pad_h = INT64_MAX;
    CHECK(snn_tensor_conv2d(&y, x, w, NULL, &c) == SNN_ERR_INVALID_ARGUMENT, "huge padding accepted");
    c = conv2d_options();
    c.groups = 2;
    CHECK(snn_tensor_conv2d(&y, x, w, NULL, &c) == SNN_ERR_SHAPE, "groups not dividing channels accepted");
    CHECK(strstr(snn_last_error(), "conv2d:") != NULL && strstr(snn_last_error(), "groups") != NULL,
          "message names the op and the cause: %s", snn_last_error());

    snn_pool2d_options p = pool2d_options(2, 2);
    CHECK(snn_tensor_max_pool2d(&y, NULL, x, NULL) == SNN_ERR_INVALID_ARGUMENT, "NULL pool options accepted");
    p.struct_size = 8;
    CHECK(snn_tensor_avg_pool2d(&y, x, &p) == SNN_ERR_INVALID_ARGUMENT, "short pool struct_size accepted");
    p = pool2d_options(2, 2);
    p.stride_h = 1;   /* stride_w still 0 */
    CHECK(snn_tensor_max_pool2d(&y, NULL, x, &p) == SNN_ERR_INVALID_ARGUMENT, "half-default stride accepted");
    p = pool2d_options(2, 2);
    p.dilation_w = 2;
    CHECK(snn_tensor_avg_pool2d(&y, x, &p) == SNN_ERR_INVALID_ARGUMENT, "dilated avg pool accepted");
    p = pool2d_options(3, 3);
    p.pad_h = 2;
    CHECK(snn_tensor_max_pool2d(&y, NULL, x, &p) == SNN_ERR_INVALID_ARGUMENT, "padding above kernel/2 accepted");
    p = pool2d_options(5, 5);
    CHECK(snn_tensor_max_pool2d(&y, NULL, x, &p) == SNN_ERR_SHAPE, "kernel larger than input accepted");
    p = pool2d_options(3, 3);
    p.stride_h = p.stride_w = 2;
    p.ceil_mode = true;
    CHECK_OK(snn_tensor_max_pool2d(&y, NULL, x, &p));
    int64_t n = 0;
    CHECK_OK(snn_tensor_numel(&n, y));
    CHECK(n == 4, "4x4 input, kernel 3, stride 2, ceil_mode: %lld outputs, expected 2x2", (long long)n);
    snn_tensor_free(y);
    p = pool2d_options(2, 2);
    snn_tensor *same = NULL;
    CHECK(snn_tensor_max_pool2d(&same, &same, x, &p) == SNN_ERR_INVALID_ARGUMENT, "out == out_indices accepted");
    CHECK(snn_tensor_adaptive_avg_pool2d(&y, x, -1, 2) == SNN_ERR_INVALID_ARGUMENT, "negative output size accepted");
    CHECK(snn_tensor_adaptive_avg_pool2d(&y, x, INT64_MAX, 2) != SNN_OK, "overflowing output size accepted");

    /* NULL and garbage handles, NULL out pointers. */
    CHECK(snn_tensor_conv2d(NULL, x, w, NULL, NULL) == SNN_ERR_INVALID_ARGUMENT, "NULL out accepted");
    CHECK(snn_tensor_conv2d(&y, NULL, w, NULL, NULL) == SNN_ERR_INVALID_ARGUMENT, "NULL input accepted");
    CHECK(snn_tensor_conv2d(&y, x, (snn_tensor *)0x1234, NULL, NULL) == SNN_ERR_INVALID_HANDLE, "garbage weight accepted");
    CHECK(snn_tensor_conv2d(&y, x, w, (snn_tensor *)0x1234, NULL) == SNN_ERR_INVALID_HANDLE, "garbage bias accepted");
    CHECK(snn_tensor_linear(&y, x, NULL, NULL) == SNN_ERR_INVALID_ARGUMENT, "NULL weight accepted");
    CHECK(snn_tensor_batch_norm(&y, x, (snn_tensor *)0x99, NULL, NULL, NULL, true, 0.1, 1e-5) == SNN_ERR_INVALID_HANDLE,
          "garbage running_mean accepted");
    CHECK(snn_tensor_batch_norm(&y, x, NULL, NULL, NULL, NULL, false, 0.1, 1e-5) == SNN_ERR_INVALID_ARGUMENT,
          "evaluation without running statistics accepted");
    CHECK(snn_tensor_batch_norm(&y, x, NULL, NULL, NULL, NULL, true, NAN, 1e-5) == SNN_ERR_INVALID_ARGUMENT, "NaN momentum accepted");
    CHECK(snn_tensor_dropout(&y, x, 1.5, true) == SNN_ERR_INVALID_ARGUMENT, "p = 1.5 accepted");
    CHECK(snn_tensor_dropout(&y, x, NAN, true) == SNN_ERR_INVALID_ARGUMENT, "p = NaN accepted");
    snn_tensor_free(w);
    snn_tensor_free(x);
}

static void dropout_mask_is_seeded_and_reused(void) {
    enum { N = 4096 };
    static float v[N], u[N], y[N], g[N], gx[N];
    for (int i = 0; i < N; i++) { v[i] = 1.0f + (float)(i % 7); g[i] = (float)(i % 5) - 2.0f; }
    int64_t shape[2] = {64, 64};
    snn_tensor *x = make(v, N, shape, 2), *out = NULL, *r = NULL, *gt = make(g, N, shape, 2), *grad = NULL;
    CHECK_OK(snn_tensor_set_requires_grad(x, true));
    const double p = 0.25;
    CHECK_OK(snn_manual_seed(1234));
    CHECK_OK(snn_tensor_dropout(&out, x, p, true));
    CHECK_OK(snn_manual_seed(1234));
    CHECK_OK(snn_tensor_rand(&r, shape, 2));
    CHECK_OK(snn_tensor_copy_data(u, N, r));
    CHECK_OK(snn_tensor_copy_data(y, N, out));
    CHECK_OK(snn_tensor_backward(out, gt, false));
    CHECK_OK(snn_tensor_grad(&grad, x));
    CHECK_OK(snn_tensor_copy_data(gx, N, grad));
    const float scale = (float)(1.0 / (1.0 - p));
    int bad = 0, dropped = 0;
    for (int i = 0; i < N; i++) {
        int keep = u[i] >= (float)p;
        dropped += !keep;
        if (y[i] != (keep ? v[i] * scale : 0.0f) || gx[i] != (keep ? g[i] * scale : 0.0f)) bad++;
    }
    CHECK(bad == 0, "dropout: %d elements differ from mask = rand >= p (forward or backward)", bad);
    CHECK(fabs((double)dropped / N - p) < 0.03, "dropped fraction %g, expected about %g", (double)dropped / N, p);
    snn_tensor_free(grad);
    snn_tensor_free(r);
    snn_tensor_free(out);
    /* Evaluation mode: the same tensor, nothing drawn. */
    CHECK_OK(snn_tensor_dropout(&out, x, p, false));
    CHECK_OK(snn_tensor_copy_data(y, N, out));
    CHECK(memcmp(y, v, sizeof y) == 0, "evaluation-mode dropout changed the input");
    snn_tensor_free(out);
    snn_tensor_free(gt);
    snn_tensor_free(x);
}

static void batch_norm_running_statistics(void) {
    float v[2] = {1, 3}, zero = 0, one = 1, out[2] = {0};
    int64_t xs[2] = {2, 1}, cs[1] = {1};
    snn_tensor *x = make(v, 2, xs, 2), *rm = make(&zero, 1, cs, 1), *rv = make(&one, 1, cs, 1), *y = NULL;
    CHECK_OK(snn_tensor_batch_norm(&y, x, rm, rv, NULL, NULL, true, 0.1, 0.0));
    CHECK_OK(snn_tensor_copy_data(out, 2, y));
    CHECK(out[0] == -1 && out[1] == 1, "batch_norm([1, 3]) = %g %g, expected -1 1", out[0], out[1]);
    float m = 0, s = 0;
    CHECK_OK(snn_tensor_copy_data(&m, 1, rm));
    CHECK_OK(snn_tensor_copy_data(&s, 1, rv));
    CHECK(fabsf(m - 0.2f) < 1e-7f && fabsf(s - 1.1f) < 1e-6f, "running stats %g %g, expected 0.2 1.1", m, s);
    snn_tensor_free(y);
    snn_tensor_free(rv);
    snn_tensor_free(rm);
    snn_tensor_free(x);
}

int main(void) {
    int64_t before = live_handles();
    max_pool_of_arange();
    lecture_conv_as_matrix();
    options_contract();
    dropout_mask_is_seeded_and_reused();
    batch_norm_running_statistics();
    CHECK(live_handles() == before, "%lld handles leaked", (long long)(live_handles() - before));
    return report("test_conv");
}
