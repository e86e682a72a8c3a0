/* How each golden op of the "surface" area is called through the C API (einsum; ctc_loss on
 * logits, through log_softmax over the classes, as the cases define it). */
#include "harness.h"
#include <string.h>

static snn_status g_einsum(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    *n = 1;
    return snn_tensor_einsum(&o[0], attr_str(a, "equation", ""), (const snn_tensor *const *)x, nin);
}

static snn_status g_ctc_loss(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin;
    const char *r = attr_str(a, "reduction", "mean");
    snn_reduction red = strcmp(r, "none") == 0 ? SNN_REDUCTION_NONE : strcmp(r, "sum") == 0 ? SNN_REDUCTION_SUM : SNN_REDUCTION_MEAN;
    snn_tensor *ls = NULL;
    size_t ndim = 0;
    snn_status s = snn_tensor_ndim(&ndim, x[0]);
    if (s != SNN_OK) return s;
    s = snn_tensor_log_softmax(&ls, x[0], (int64_t)ndim - 1);
    if (s != SNN_OK) return s;
    s = snn_loss_ctc(&o[0], ls, x[1], x[2], x[3], attr_int(a, "blank", 0), red, attr_int(a, "zero_infinity", 0) != 0);
    snn_tensor_free(ls);
    *n = 1;
    return s;
}

__attribute__((constructor)) static void register_surface(void) {
    golden_register("einsum", g_einsum);
    golden_register("ctc_loss", g_ctc_loss);
}
