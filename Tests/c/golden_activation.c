/* How the golden ops of the "activation" area that take attributes or two inputs are called
 * through the C API; the one-input ops (hardswish, sin, ...) need no line: the harness calls
 * snn_tensor_<op> by name where the header declares it so (harness.c, golden_lookup). */
#include "harness.h"
#include <string.h>

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
    golden_register("gelu", g_gelu);
    golden_register("softplus", g_softplus);
    golden_register("elu", g_elu);
    golden_register("celu", g_celu);
    golden_register("prelu", g_prelu);
}
