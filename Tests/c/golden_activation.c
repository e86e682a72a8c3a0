/* How each golden op of the "activation" area is called through the C API. */
#include "harness.h"
#include <string.h>

#define UNARY(NAME, CALL) \
    static snn_status NAME(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) { \
        (void)nin; (void)a; *n = 1; return CALL(&o[0], x[0]); }
UNARY(g_hardswish, snn_tensor_hardswish)
UNARY(g_hardsigmoid, snn_tensor_hardsigmoid)
UNARY(g_silu, snn_tensor_silu)
UNARY(g_selu, snn_tensor_selu)
UNARY(g_mish, snn_tensor_mish)
UNARY(g_softsign, snn_tensor_softsign)
UNARY(g_sin, snn_tensor_sin)
UNARY(g_cos, snn_tensor_cos)
UNARY(g_tan, snn_tensor_tan)
UNARY(g_asin, snn_tensor_asin)
UNARY(g_acos, snn_tensor_acos)
UNARY(g_atan, snn_tensor_atan)
UNARY(g_sinh, snn_tensor_sinh)
UNARY(g_cosh, snn_tensor_cosh)
UNARY(g_asinh, snn_tensor_asinh)
UNARY(g_acosh, snn_tensor_acosh)
UNARY(g_atanh, snn_tensor_atanh)
UNARY(g_erf, snn_tensor_erf)
UNARY(g_floor, snn_tensor_floor)
UNARY(g_ceil, snn_tensor_ceil)
UNARY(g_round, snn_tensor_round)
UNARY(g_sign, snn_tensor_sign)
UNARY(g_reciprocal, snn_tensor_reciprocal)

static snn_status g_gelu(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin;
    *n = 1;
    bool tanh_form = strcmp(attr_str(a, "approximate", "none"), "tanh") == 0;
    return snn_tensor_gelu(&o[0], x[0], tanh_form ? SNN_GELU_TANH : SNN_GELU_NONE);
}

static snn_status g_softplus(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin;
    *n = 1;
    return snn_tensor_softplus(&o[0], x[0], (float)attr_double(a, "beta", 1), (float)attr_double(a, "threshold", 20));
}

static snn_status g_elu(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin;
    *n = 1;
    return snn_tensor_elu(&o[0], x[0], (float)attr_double(a, "alpha", 1));
}

static snn_status g_celu(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin;
    *n = 1;
    return snn_tensor_celu(&o[0], x[0], (float)attr_double(a, "alpha", 1));
}

static snn_status g_prelu(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin; (void)a;
    *n = 1;
    return snn_tensor_prelu(&o[0], x[0], x[1]);
}

__attribute__((constructor)) static void register_activation(void) {
    golden_register("hardswish", g_hardswish);
    golden_register("hardsigmoid", g_hardsigmoid);
    golden_register("silu", g_silu);
    golden_register("selu", g_selu);
    golden_register("mish", g_mish);
    golden_register("softsign", g_softsign);
    golden_register("sin", g_sin);
    golden_register("cos", g_cos);
    golden_register("tan", g_tan);
    golden_register("asin", g_asin);
    golden_register("acos", g_acos);
    golden_register("atan", g_atan);
    golden_register("sinh", g_sinh);
    golden_register("cosh", g_cosh);
    golden_register("asinh", g_asinh);
    golden_register("acosh", g_acosh);
    golden_register("atanh", g_atanh);
    golden_register("erf", g_erf);
    golden_register("floor", g_floor);
    golden_register("ceil", g_ceil);
    golden_register("round", g_round);
    golden_register("sign", g_sign);
    golden_register("reciprocal", g_reciprocal);
    golden_register("gelu", g_gelu);
    golden_register("softplus", g_softplus);
    golden_register("elu", g_elu);
    golden_register("celu", g_celu);
    golden_register("prelu", g_prelu);
}
