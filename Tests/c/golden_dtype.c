/* How each golden op of the "dtype" area is called through the C API: conversions, floor
 * division and remainder, and arithmetic with a number (snn_tensor_number) on either side. */
#include "harness.h"
#include <string.h>

static snn_status g_to(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin;
    static const char *names[] = {"float32", "int64", "float64", "int32", "uint8", "bool"};
    const char *want = attr_str(a, "dtype", "");
    *n = 1;
    for (int d = 0; d < 6; d++)
        if (strcmp(names[d], want) == 0) return snn_tensor_to(&o[0], x[0], (snn_dtype)d);
    return SNN_ERR_INVALID_ARGUMENT;
}

static snn_status g_floor_divide(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin; (void)a; *n = 1;
    return snn_tensor_floor_divide(&o[0], x[0], x[1]);
}

static snn_status g_remainder(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin; (void)a; *n = 1;
    return snn_tensor_remainder(&o[0], x[0], x[1]);
}

static snn_status g_scalar_binary(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin;
    const char *kind = attr_str(a, "kind", "float"), *op = attr_str(a, "binary", "");
    snn_tensor *num = NULL;
    snn_status st;
    if (strcmp(kind, "bool") == 0) {
        uint8_t v = attr_int(a, "value", 0) != 0;
        st = snn_tensor_number(&num, &v, SNN_BOOL);
    } else if (strcmp(kind, "int") == 0) {
        int64_t v = attr_int(a, "value", 0);
        st = snn_tensor_number(&num, (const uint8_t *)&v, SNN_INT64);
    } else {
        double v = attr_double(a, "value", 0);
        st = snn_tensor_number(&num, (const uint8_t *)&v, SNN_FLOAT64);
    }
    if (st != SNN_OK) return st;
    snn_status (*f)(snn_tensor **, const snn_tensor *, const snn_tensor *) =
        strcmp(op, "add") == 0 ? snn_tensor_add : strcmp(op, "sub") == 0 ? snn_tensor_sub :
        strcmp(op, "mul") == 0 ? snn_tensor_mul : strcmp(op, "div") == 0 ? snn_tensor_div :
        strcmp(op, "floor_divide") == 0 ? snn_tensor_floor_divide : strcmp(op, "remainder") == 0 ? snn_tensor_remainder : NULL;
    *n = 1;
    st = !f ? SNN_ERR_INVALID_ARGUMENT : attr_int(a, "reverse", 0) ? f(&o[0], num, x[0]) : f(&o[0], x[0], num);
    snn_tensor_free(num);
    return st;
}

__attribute__((constructor)) static void register_dtype(void) {
    golden_register("to", g_to);
    golden_register("floor_divide", g_floor_divide);
    golden_register("remainder", g_remainder);
    golden_register("scalar_binary", g_scalar_binary);
}
