/* Hand-checkable values and the error contract of reduce.h and loss.h through the C API:
 * softmax of [0, ln 3], cross-entropy of uniform logits = ln C, ties, NaN means, and every
 * kind of bad argument (NULL, freed handle, bad enum, out-of-range target) answered with a
 * status and a message, never a crash. */
#include "harness.h"
#include <math.h>
#include <string.h>

static snn_tensor *floats(const float *v, size_t n, const int64_t *shape, size_t nd) {
    snn_tensor *t = NULL;
    CHECK_OK(snn_tensor_from_data(&t, v, n, shape, nd));
    return t;
}

static snn_tensor *ints(const int64_t *v, size_t n, const int64_t *shape, size_t nd) {
    snn_tensor *t = NULL;
    CHECK_OK(snn_tensor_from_int64(&t, v, n, shape, nd));
    return t;
}

static double item(snn_tensor *t) {
    double v = NAN;
    CHECK_OK(snn_tensor_item(&v, t));
    return v;
}

static void test_softmax_by_hand(void) {
    int64_t s2[1] = {2};
    float v[2] = {0.0f, logf(3.0f)};
    snn_tensor *x = floats(v, 2, s2, 1), *y = NULL, *l = NULL, *e = NULL;
    float out[2];
    CHECK_OK(snn_tensor_softmax(&y, x, -1));
    CHECK_OK(snn_tensor_copy_data(out, 2, y));
    CHECK(fabsf(out[0] - 0.25f) < 1e-6f && fabsf(out[1] - 0.75f) < 1e-6f, "softmax([0, ln 3]) = [%g, %g]", out[0], out[1]);
    CHECK_OK(snn_tensor_log_softmax(&l, x, 0));
    CHECK_OK(snn_tensor_copy_data(out, 2, l));
    CHECK(fabsf(out[0] - logf(0.25f)) < 1e-6f, "log_softmax[0] = %g", out[0]);
    CHECK_OK(snn_tensor_logsumexp(&e, x, NULL, 0, false));
    CHECK(fabs(item(e) - log(4.0)) < 1e-6, "logsumexp([0, ln 3]) = %g", item(e));
    snn_tensor_free(x); snn_tensor_free(y); snn_tensor_free(l); snn_tensor_free(e);

    /* +/-1000: the max is subtracted first. */
    float big[2] = {1000.0f, -1000.0f};
    x = floats(big, 2, s2, 1);
    CHECK_OK(snn_tensor_softmax(&y, x, 0));
    CHECK_OK(snn_tensor_copy_data(out, 2, y));
    CHECK(out[0] == 1.0f && out[1] == 0.0f, "softmax([1000, -1000]) = [%g, %g]", out[0], out[1]);
    snn_tensor_free(x); snn_tensor_free(y);
}

static void test_max_and_argmax(void) {
    int64_t s[2] = {2, 4};
    float v[8] = {1, 3, 3, 2, 5, 5, 0, 5};
    snn_tensor *x = floats(v, 8, s, 2), *vals = NULL, *idx = NULL, *am = NULL, *flat = NULL;
    CHECK_OK(snn_tensor_max_dim(&vals, &idx, x, 1, false));
    int64_t i[2] = {-1, -1};
    float m[2];
    CHECK_OK(snn_tensor_copy_int64(i, 2, idx));
    CHECK_OK(snn_tensor_copy_data(m, 2, vals));
    CHECK(i[0] == 1 && i[1] == 0 && m[0] == 3 && m[1] == 5, "max ties: first index (got %lld, %lld)", (long long)i[0], (long long)i[1]);
    CHECK_OK(snn_tensor_argmax(&flat, x, 0, false, false));
    CHECK(item(flat) == 4, "argmax over all = %g", item(flat));
    CHECK_OK(snn_tensor_amin(&am, x, NULL, 0, false));
    CHECK(item(am) == 0, "amin over all = %g", item(am));
    snn_tensor_free(x); snn_tensor_free(vals); snn_tensor_free(idx); snn_tensor_free(am); snn_tensor_free(flat);
}

static void test_cross_entropy_by_hand(void) {
    enum { N = 3, C = 7 };
    int64_t s[2] = {N, C}, ts[1] = {N};
    float z[N * C] = {0};
    int64_t t[N] = {0, 6, 3};
    snn_tensor *logits = floats(z, N * C, s, 2), *target = ints(t, N, ts, 1), *loss = NULL, *g = NULL;
    CHECK_OK(snn_tensor_set_requires_grad(logits, true));
    CHECK_OK(snn_loss_cross_entropy(&loss, logits, target, SNN_REDUCTION_MEAN, -100, 0.0f));
    CHECK(fabs(item(loss) - log((double)C)) < 1e-6, "cross_entropy(uniform) = %g, expected ln %d", item(loss), C);
    CHECK_OK(snn_tensor_backward(loss, NULL, false));
    CHECK_OK(snn_tensor_grad(&g, logits));
    float gr[N * C];
    CHECK_OK(snn_tensor_copy_data(gr, N * C, g));
    CHECK(fabsf(gr[0] - (1.0f / C - 1) / N) < 1e-6f && fabsf(gr[1] - 1.0f / C / N) < 1e-6f, "grad = (softmax - onehot) / N: %g %g", gr[0], gr[1]);
    snn_tensor_free(loss); snn_tensor_free(g);

    /* Every target ignored: mean is NaN, sum is 0. */
    int64_t ign[N] = {-100, -100, -100};
    snn_tensor *all = ints(ign, N, ts, 1);
    CHECK_OK(snn_loss_cross_entropy(&loss, logits, all, SNN_REDUCTION_MEAN, -100, 0.0f));
    CHECK(isnan(item(loss)), "all-ignored mean = %g, expected NaN", item(loss));
    snn_tensor_free(loss);
    CHECK_OK(snn_loss_nll(&loss, logits, all, SNN_REDUCTION_SUM, -100));
    CHECK(item(loss) == 0, "all-ignored sum = %g", item(loss));
    snn_tensor_free(loss); snn_tensor_free(all);

    /* Out-of-range target: SNN_ERR_OUT_OF_RANGE naming the value and C; out stays NULL. */
    int64_t bad[N] = {0, 9, 1};
    snn_tensor *badt = ints(bad, N, ts, 1);
    loss = (snn_tensor *)1;
    snn_status st = snn_loss_cross_entropy(&loss, logits, badt, SNN_REDUCTION_MEAN, -100, 0.0f);
    CHECK(st == SNN_ERR_OUT_OF_RANGE && loss == NULL, "target 9 of 7 classes: %s", snn_status_string(st));
    CHECK(strstr(snn_last_error(), "9") && strstr(snn_last_error(), "7 classes"), "message: %s", snn_last_error());
    snn_tensor_free(badt);

    /* Bad arguments. */
    CHECK(snn_loss_cross_entropy(&loss, logits, target, (snn_reduction)7, -100, 0.0f) == SNN_ERR_INVALID_ARGUMENT, "reduction 7");
    CHECK(snn_loss_cross_entropy(&loss, logits, target, SNN_REDUCTION_MEAN, -100, 2.0f) == SNN_ERR_INVALID_ARGUMENT, "label_smoothing 2");
    CHECK(snn_loss_cross_entropy(&loss, logits, logits, SNN_REDUCTION_MEAN, -100, 0.0f) == SNN_ERR_DTYPE, "float target");
    CHECK(snn_loss_cross_entropy(NULL, logits, target, SNN_REDUCTION_MEAN, -100, 0.0f) == SNN_ERR_INVALID_ARGUMENT, "NULL out");
    CHECK(snn_loss_nll(&loss, NULL, target, SNN_REDUCTION_MEAN, -100) == SNN_ERR_INVALID_ARGUMENT, "NULL input");
    CHECK(snn_loss_mse(&loss, logits, target, SNN_REDUCTION_MEAN) == SNN_ERR_DTYPE, "mse with int target");
    snn_tensor_free(logits); snn_tensor_free(target);
}

static void test_bad_arguments(void) {
    int64_t s[2] = {2, 3};
    float v[6] = {1, 2, 3, 4, 5, 6};
    snn_tensor *x = floats(v, 6, s, 2), *out = NULL, *idx = NULL, *freed = floats(v, 6, s, 2);
    snn_tensor_free(freed);
    CHECK(snn_tensor_softmax(&out, x, 2) == SNN_ERR_OUT_OF_RANGE && out == NULL, "softmax dim 2 of rank 2");
    CHECK(snn_tensor_softmax(&out, freed, 0) == SNN_ERR_INVALID_HANDLE, "freed handle");
    CHECK(snn_tensor_max_dim(&out, NULL, x, 0, false) == SNN_ERR_INVALID_ARGUMENT && out == NULL, "NULL indices");
    CHECK(snn_tensor_max_dim(&out, &idx, x, INT64_MIN, false) == SNN_ERR_OUT_OF_RANGE && out == NULL && idx == NULL, "dim INT64_MIN");
    int64_t dims[2] = {0, 0};
    CHECK(snn_tensor_amax(&out, x, dims, 2, false) == SNN_ERR_INVALID_ARGUMENT, "repeated dims");
    CHECK(snn_tensor_logsumexp(&out, x, NULL, 3, false) == SNN_ERR_INVALID_ARGUMENT, "NULL dims with ndims 3");
    CHECK(snn_tensor_var(&out, x, NULL, 0, NAN, false) == SNN_ERR_INVALID_ARGUMENT, "NaN correction");
    int64_t es[2] = {0, 3};
    snn_tensor *empty = NULL;
    CHECK_OK(snn_tensor_zeros(&empty, es, 2));
    CHECK(snn_tensor_argmax(&out, empty, 0, false, false) == SNN_ERR_OUT_OF_RANGE, "argmax of empty");
    CHECK(snn_tensor_min_dim(&out, &idx, empty, 0, false) == SNN_ERR_OUT_OF_RANGE, "min over a size-0 dim");
    snn_tensor_free(empty); snn_tensor_free(x);
}

/* The pointwise losses reject what PyTorch rejects, with messages that say what to fix, and
 * huber_loss is DQN's: quadratic inside delta, linear outside. */
static void test_pointwise_losses(void) {
    const int64_t s3[1] = {3}, s2[1] = {2};
    const float xv[3] = {0.5f, 3.0f, -1.0f}, yv[3] = {0.0f, 0.0f, 0.0f}, bad[3] = {0.5f, 1.5f, 0.2f};
    snn_tensor *x = NULL, *y = NULL, *b = NULL, *w2 = NULL, *out = NULL;
    CHECK_OK(snn_tensor_from_data(&x, xv, 3, s3, 1));
    CHECK_OK(snn_tensor_from_data(&y, yv, 3, s3, 1));
    CHECK_OK(snn_tensor_from_data(&b, bad, 3, s3, 1));
    CHECK_OK(snn_tensor_from_data(&w2, yv, 2, s2, 1));
    CHECK_OK(snn_loss_huber(&out, x, y, SNN_REDUCTION_SUM, 1.0));
    double v = 0;
    CHECK_OK(snn_tensor_item(&v, out));
    CHECK(fabs(v - (0.125 + 2.5 + 0.5)) < 1e-6, "huber sum %g, expected 3.125", v);
    snn_tensor_free(out);
    out = NULL;
    CHECK(snn_loss_binary_cross_entropy(&out, b, y, NULL, SNN_REDUCTION_MEAN) == SNN_ERR_INVALID_ARGUMENT &&
          strstr(snn_last_error(), "between 0 and 1 (element 1 is 1.5)") && out == NULL, "BCE of 1.5: %s", snn_last_error());
    CHECK(snn_loss_binary_cross_entropy(&out, y, w2, NULL, SNN_REDUCTION_MEAN) == SNN_ERR_SHAPE, "BCE shapes: %s", snn_last_error());
    CHECK(snn_loss_binary_cross_entropy_with_logits(&out, x, y, w2, NULL, SNN_REDUCTION_MEAN) == SNN_ERR_SHAPE &&
          strstr(snn_last_error(), "weight has shape [2], which does not broadcast to the loss's shape [3]"), "%s", snn_last_error());
    CHECK(snn_loss_huber(&out, x, y, SNN_REDUCTION_MEAN, 0.0) == SNN_ERR_INVALID_ARGUMENT, "delta 0: %s", snn_last_error());
    CHECK(snn_loss_smooth_l1(&out, x, y, SNN_REDUCTION_MEAN, -1.0) == SNN_ERR_INVALID_ARGUMENT, "beta -1");
    CHECK(snn_loss_l1(&out, x, y, (snn_reduction)7) == SNN_ERR_INVALID_ARGUMENT, "reduction 7");
    CHECK(snn_loss_kl_div(&out, NULL, y, SNN_REDUCTION_SUM, true, false) == SNN_ERR_INVALID_ARGUMENT, "NULL input");
    CHECK(snn_loss_l1(NULL, x, y, SNN_REDUCTION_SUM) == SNN_ERR_INVALID_ARGUMENT, "NULL out");
    snn_tensor_free(x);
    snn_tensor_free(y);
    snn_tensor_free(b);
    snn_tensor_free(w2);
}

int main(void) {
    test_softmax_by_hand();
    test_pointwise_losses();
    test_max_and_argmax();
    test_cross_entropy_by_hand();
    test_bad_arguments();
    CHECK(live_handles() == 0, "%lld handles still live", (long long)live_handles());
    return report("test_reduce_loss");
}
