/* How each golden op of the "elementwise" area is called through the C API. */
#include "harness.h"
#include <string.h>

#define UNARY(NAME, CALL) \
    static snn_status NAME(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) { \
        (void)nin; (void)a; *n = 1; return CALL(&o[0], x[0]); }
UNARY(g_neg, snn_tensor_neg)
UNARY(g_exp, snn_tensor_exp)
UNARY(g_log, snn_tensor_log)
UNARY(g_sqrt, snn_tensor_sqrt)
UNARY(g_abs, snn_tensor_abs)
UNARY(g_tanh, snn_tensor_tanh)
UNARY(g_sigmoid, snn_tensor_sigmoid)
UNARY(g_relu, snn_tensor_relu)
UNARY(g_relu6, snn_tensor_relu6)

static snn_status g_leaky_relu(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin;
    *n = 1;
    return snn_tensor_leaky_relu(&o[0], x[0], (float)attr_double(a, "negative_slope", 0.01));
}

static snn_status g_clamp(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin;
    *n = 1;
    bool has_min = strcmp(attr_str(a, "min", "none"), "none") != 0;
    bool has_max = strcmp(attr_str(a, "max", "none"), "none") != 0;
    return snn_tensor_clamp(&o[0], x[0], (float)attr_double(a, "min", 0), (float)attr_double(a, "max", 0),
                            has_min, has_max);
}

static snn_status g_pow(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin; (void)a;
    *n = 1;
    return snn_tensor_pow(&o[0], x[0], x[1]);
}

static snn_status g_pow_scalar(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin;
    *n = 1;
    return snn_tensor_pow_scalar(&o[0], x[0], (float)attr_double(a, "exponent", 1));
}

__attribute__((constructor)) static void register_elementwise(void) {
    golden_register("neg", g_neg);
    golden_register("exp", g_exp);
    golden_register("log", g_log);
    golden_register("sqrt", g_sqrt);
    golden_register("abs", g_abs);
    golden_register("tanh", g_tanh);
    golden_register("sigmoid", g_sigmoid);
    golden_register("relu", g_relu);
    golden_register("relu6", g_relu6);
    golden_register("leaky_relu", g_leaky_relu);
    golden_register("clamp", g_clamp);
    golden_register("pow", g_pow);
    golden_register("pow_scalar", g_pow_scalar);
}
