/* Composite golden cases through the C API: whole small networks (loss and every parameter
 * gradient), composed from the same calls a C host would make. Intermediates are freed right
 * away: the graph keeps what backward needs. */
#include "harness.h"

#define STEP(call) do { snn_status s_ = (call); if (s_ != SNN_OK) goto fail; } while (0)

static snn_status mlp(snn_tensor **o, size_t *n, snn_tensor *const *x, bool use_tanh, bool mse) {
    snn_tensor *h = NULL, *a = NULL, *logits = NULL;
    snn_status s = SNN_OK;
    STEP(s = snn_tensor_linear(&h, x[0], x[1], x[2]));
    STEP(s = use_tanh ? snn_tensor_tanh(&a, h) : snn_tensor_relu(&a, h));
    STEP(s = snn_tensor_linear(&logits, a, x[3], x[4]));
    STEP(s = mse ? snn_loss_mse(&o[0], logits, x[5], SNN_REDUCTION_MEAN)
                 : snn_loss_cross_entropy(&o[0], logits, x[5], SNN_REDUCTION_MEAN, -100, 0.0f));
    *n = 1;
fail:
    snn_tensor_free(h); snn_tensor_free(a); snn_tensor_free(logits);
    return s;
}

static snn_status g_mlp2(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin; (void)a;
    return mlp(o, n, x, false, false);
}

static snn_status g_mlp2_tanh_mse(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin; (void)a;
    return mlp(o, n, x, true, true);
}

static snn_status g_convnet_nll(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin; (void)a;
    snn_tensor *c = NULL, *r = NULL, *p = NULL, *f = NULL, *l = NULL, *ls = NULL;
    snn_pool2d_options po = pool2d_options(2, 2);
    snn_status s = SNN_OK;
    STEP(s = snn_tensor_conv2d(&c, x[0], x[1], x[2], NULL));
    STEP(s = snn_tensor_relu(&r, c));
    STEP(s = snn_tensor_max_pool2d(&p, NULL, r, &po));
    STEP(s = snn_tensor_flatten(&f, p, 1, -1));
    STEP(s = snn_tensor_linear(&l, f, x[3], x[4]));
    STEP(s = snn_tensor_log_softmax(&ls, l, 1));
    STEP(s = snn_loss_nll(&o[0], ls, x[5], SNN_REDUCTION_MEAN, -100));
    *n = 1;
fail:
    snn_tensor_free(c); snn_tensor_free(r); snn_tensor_free(p); snn_tensor_free(f); snn_tensor_free(l); snn_tensor_free(ls);
    return s;
}

__attribute__((constructor)) static void register_composite(void) {
    golden_register("mlp2", g_mlp2);
    golden_register("mlp2_tanh_mse", g_mlp2_tanh_mse);
    golden_register("convnet_nll", g_convnet_nll);
}
