/* How each golden op of the "loss" area is called through the C API. */
#include "harness.h"
#include <string.h>

static snn_reduction reduction(const gt_attrs *a) {
    const char *r = attr_str(a, "reduction", "mean");
    return strcmp(r, "none") == 0 ? SNN_REDUCTION_NONE : strcmp(r, "sum") == 0 ? SNN_REDUCTION_SUM : SNN_REDUCTION_MEAN;
}

static snn_status g_cross_entropy(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    *n = 1;
    if (nin > 2) /* class weights */
        return snn_loss_cross_entropy_weighted(&o[0], x[0], x[1], x[2], reduction(a), attr_int(a, "ignore_index", -100),
                                               (float)attr_double(a, "label_smoothing", 0.0));
    return snn_loss_cross_entropy(&o[0], x[0], x[1], reduction(a), attr_int(a, "ignore_index", -100),
                                  (float)attr_double(a, "label_smoothing", 0.0));
}

static snn_status g_nll_loss(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    *n = 1;
    if (nin > 2)
        return snn_loss_nll_weighted(&o[0], x[0], x[1], x[2], reduction(a), attr_int(a, "ignore_index", -100));
    return snn_loss_nll(&o[0], x[0], x[1], reduction(a), attr_int(a, "ignore_index", -100));
}

static snn_status g_mse_loss(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin; *n = 1;
    return snn_loss_mse(&o[0], x[0], x[1], reduction(a));
}

__attribute__((constructor)) static void register_loss(void) {
    golden_register("cross_entropy", g_cross_entropy);
    golden_register("nll_loss", g_nll_loss);
    golden_register("mse_loss", g_mse_loss);
}
