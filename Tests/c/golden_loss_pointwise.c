/* How each golden op of the "loss_pointwise" area is called through the C API. */
#include "harness.h"
#include <string.h>

static snn_reduction red(const gt_attrs *a) {
    const char *r = attr_str(a, "reduction", "mean");
    return strcmp(r, "none") == 0 ? SNN_REDUCTION_NONE : strcmp(r, "sum") == 0 ? SNN_REDUCTION_SUM : SNN_REDUCTION_MEAN;
}

static snn_status g_l1(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin; *n = 1;
    return snn_loss_l1(&o[0], x[0], x[1], red(a));
}

static snn_status g_smooth_l1(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin; *n = 1;
    return snn_loss_smooth_l1(&o[0], x[0], x[1], red(a), attr_double(a, "beta", 1.0));
}

static snn_status g_huber(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin; *n = 1;
    return snn_loss_huber(&o[0], x[0], x[1], red(a), attr_double(a, "delta", 1.0));
}

static snn_status g_bce(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    *n = 1;
    return snn_loss_binary_cross_entropy(&o[0], x[0], x[1], nin > 2 ? x[2] : NULL, red(a));
}

static snn_status g_bce_logits(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin; *n = 1;
    const snn_tensor *w = attr_int(a, "weight", 0) ? x[2] : NULL;
    const snn_tensor *pw = attr_int(a, "pos_weight", 0) ? x[w ? 3 : 2] : NULL;
    return snn_loss_binary_cross_entropy_with_logits(&o[0], x[0], x[1], w, pw, red(a));
}

static snn_status g_kl(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin; *n = 1;
    return snn_loss_kl_div(&o[0], x[0], x[1], red(a), attr_int(a, "batchmean", 0) != 0, attr_int(a, "log_target", 0) != 0);
}

__attribute__((constructor)) static void register_loss_pointwise(void) {
    golden_register("l1_loss", g_l1);
    golden_register("smooth_l1_loss", g_smooth_l1);
    golden_register("huber_loss", g_huber);
    golden_register("binary_cross_entropy", g_bce);
    golden_register("binary_cross_entropy_with_logits", g_bce_logits);
    golden_register("kl_div", g_kl);
}
