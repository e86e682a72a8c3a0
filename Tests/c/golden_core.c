/* How each golden op of the "core" area is called through the C API. */
#include "harness.h"

#define BINARY(NAME, CALL) \
    static snn_status NAME(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) { \
        (void)nin; (void)a; *n = 1; return CALL(&o[0], x[0], x[1]); }
BINARY(g_add, snn_tensor_add)
BINARY(g_sub, snn_tensor_sub)
BINARY(g_mul, snn_tensor_mul)
BINARY(g_div, snn_tensor_div)
BINARY(g_matmul, snn_tensor_matmul)

#define REDUCE(NAME, CALL) \
    static snn_status NAME(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) { \
        (void)nin; int64_t dims[16]; size_t nd = attr_ints(a, "dims", dims, 16); *n = 1; \
        return CALL(&o[0], x[0], dims, nd, attr_int(a, "keepdim", 0) != 0); }
REDUCE(g_sum, snn_tensor_sum)
REDUCE(g_mean, snn_tensor_mean)

__attribute__((constructor)) static void register_core(void) {
    golden_register("add", g_add);
    golden_register("sub", g_sub);
    golden_register("mul", g_mul);
    golden_register("div", g_div);
    golden_register("matmul", g_matmul);
    golden_register("sum", g_sum);
    golden_register("mean", g_mean);
}
