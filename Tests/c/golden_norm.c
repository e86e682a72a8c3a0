/* How each golden op of the "norm" area is called through the C API. */
#include "harness.h"

static snn_status g_layer_norm(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    *n = 1;
    int64_t shape[8];
    size_t k = attr_ints(a, "normalized_shape", shape, 8);
    return snn_tensor_layer_norm(&o[0], x[0], shape, k, nin > 1 ? x[1] : NULL, nin > 2 ? x[2] : NULL,
                                 attr_double(a, "eps", 1e-5));
}

static snn_status g_group_norm(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    *n = 1;
    return snn_tensor_group_norm(&o[0], x[0], attr_int(a, "num_groups", 1), nin > 1 ? x[1] : NULL, nin > 2 ? x[2] : NULL,
                                 attr_double(a, "eps", 1e-5));
}

__attribute__((constructor)) static void register_norm(void) {
    golden_register("layer_norm", g_layer_norm);
    golden_register("group_norm", g_group_norm);
}
