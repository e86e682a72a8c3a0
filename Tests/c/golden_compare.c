/* How each golden op of the "compare" area is called through the C API. (isnan is declared in
 * the one-input form, but in compare.h, which the harness's mechanical lookup does not read.)
 * allclose and equal answer with a bool: it is wrapped as a 0-d SNN_BOOL tensor, as the
 * generator wraps torch's. */
#include "harness.h"
#include <string.h>

#define ADAPTER(NAME) static snn_status NAME(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a)

#define BINARY(NAME, CALL) ADAPTER(NAME) { (void)nin; (void)a; *n = 1; return CALL(&o[0], x[0], x[1]); }
#define UNARY(NAME, CALL) ADAPTER(NAME) { (void)nin; (void)a; *n = 1; return CALL(&o[0], x[0]); }
#define SCALAR(NAME, CALL) ADAPTER(NAME) { (void)nin; *n = 1; return CALL(&o[0], x[0], attr_double(a, "other", 0)); }

BINARY(g_eq, snn_tensor_eq) BINARY(g_ne, snn_tensor_ne) BINARY(g_lt, snn_tensor_lt)
BINARY(g_le, snn_tensor_le) BINARY(g_gt, snn_tensor_gt) BINARY(g_ge, snn_tensor_ge)
SCALAR(g_eq_s, snn_tensor_eq_scalar) SCALAR(g_ne_s, snn_tensor_ne_scalar) SCALAR(g_lt_s, snn_tensor_lt_scalar)
SCALAR(g_le_s, snn_tensor_le_scalar) SCALAR(g_gt_s, snn_tensor_gt_scalar) SCALAR(g_ge_s, snn_tensor_ge_scalar)
UNARY(g_isnan, snn_tensor_isnan) UNARY(g_isinf, snn_tensor_isinf) UNARY(g_isfinite, snn_tensor_isfinite)
BINARY(g_land, snn_tensor_logical_and) BINARY(g_lor, snn_tensor_logical_or) BINARY(g_lxor, snn_tensor_logical_xor)
UNARY(g_lnot, snn_tensor_logical_not)
BINARY(g_band, snn_tensor_bitwise_and) BINARY(g_bor, snn_tensor_bitwise_or) BINARY(g_bxor, snn_tensor_bitwise_xor)
UNARY(g_bnot, snn_tensor_bitwise_not)
BINARY(g_maximum, snn_tensor_maximum) BINARY(g_minimum, snn_tensor_minimum)
UNARY(g_nonzero, snn_tensor_nonzero)

static snn_status bool_scalar(snn_tensor **o, bool v) {
    uint8_t b = v ? 1 : 0;
    return snn_tensor_from_bytes(o, &b, 1, NULL, 0, SNN_BOOL);
}

ADAPTER(g_isclose) {
    (void)nin; *n = 1;
    return snn_tensor_isclose(&o[0], x[0], x[1], attr_double(a, "rtol", 1e-5), attr_double(a, "atol", 1e-8),
                              attr_int(a, "equal_nan", 0) != 0);
}

ADAPTER(g_allclose) {
    (void)nin; *n = 1;
    bool v = false;
    snn_status s = snn_tensor_allclose(&v, x[0], x[1], attr_double(a, "rtol", 1e-5), attr_double(a, "atol", 1e-8),
                                       attr_int(a, "equal_nan", 0) != 0);
    return s != SNN_OK ? s : bool_scalar(&o[0], v);
}

ADAPTER(g_equal) {
    (void)nin; (void)a; *n = 1;
    bool v = false;
    snn_status s = snn_tensor_equal(&v, x[0], x[1]);
    return s != SNN_OK ? s : bool_scalar(&o[0], v);
}

ADAPTER(g_where) { (void)nin; (void)a; *n = 1; return snn_tensor_where(&o[0], x[0], x[1], x[2]); }
ADAPTER(g_masked_fill) { (void)nin; *n = 1; return snn_tensor_masked_fill(&o[0], x[0], x[1], attr_double(a, "value", 0)); }

#define TRUTH(NAME, CALL) ADAPTER(NAME) { \
        (void)nin; int64_t dims[16]; size_t nd = attr_ints(a, "dims", dims, 16); *n = 1; \
        return CALL(&o[0], x[0], dims, nd, attr_int(a, "keepdim", 0) != 0); }
TRUTH(g_any, snn_tensor_any)
TRUTH(g_all, snn_tensor_all)

ADAPTER(g_count_nonzero) {
    (void)nin; int64_t dims[16]; size_t nd = attr_ints(a, "dims", dims, 16); *n = 1;
    return snn_tensor_count_nonzero(&o[0], x[0], dims, nd);
}

ADAPTER(g_sort) {
    (void)nin; *n = 2;
    return snn_tensor_sort(&o[0], &o[1], x[0], attr_int(a, "dim", -1), attr_int(a, "descending", 0) != 0, true);
}

ADAPTER(g_argsort) {
    (void)nin; *n = 1;
    return snn_tensor_argsort(&o[0], x[0], attr_int(a, "dim", -1), attr_int(a, "descending", 0) != 0, true);
}

ADAPTER(g_topk) {
    (void)nin; *n = 2;
    return snn_tensor_topk(&o[0], &o[1], x[0], attr_int(a, "k", 1), attr_int(a, "dim", -1), attr_int(a, "largest", 1) != 0, true);
}

ADAPTER(g_gather) { (void)nin; *n = 1; return snn_tensor_gather(&o[0], x[0], attr_int(a, "dim", 0), x[1]); }
ADAPTER(g_scatter) { (void)nin; *n = 1; return snn_tensor_scatter(&o[0], x[0], attr_int(a, "dim", 0), x[1], x[2]); }
ADAPTER(g_scatter_value) {
    (void)nin; *n = 1;
    return snn_tensor_scatter_value(&o[0], x[0], attr_int(a, "dim", 0), x[1], attr_double(a, "value", 0));
}
ADAPTER(g_scatter_add) { (void)nin; *n = 1; return snn_tensor_scatter_add(&o[0], x[0], attr_int(a, "dim", 0), x[1], x[2]); }
ADAPTER(g_index_add) {
    (void)nin; *n = 1;
    return snn_tensor_index_add(&o[0], x[0], attr_int(a, "dim", 0), x[1], x[2], attr_double(a, "alpha", 1));
}

ADAPTER(g_clamp_tensor) {
    *n = 1;
    const char *bounds = attr_str(a, "bounds", "both");
    if (strcmp(bounds, "min") == 0) return snn_tensor_clamp_tensor(&o[0], x[0], x[1], NULL);
    if (strcmp(bounds, "max") == 0) return snn_tensor_clamp_tensor(&o[0], x[0], NULL, x[1]);
    return nin < 3 ? SNN_ERR_INVALID_ARGUMENT : snn_tensor_clamp_tensor(&o[0], x[0], x[1], x[2]);
}

__attribute__((constructor)) static void register_compare(void) {
    golden_register("eq", g_eq); golden_register("ne", g_ne); golden_register("lt", g_lt);
    golden_register("le", g_le); golden_register("gt", g_gt); golden_register("ge", g_ge);
    golden_register("eq_scalar", g_eq_s); golden_register("ne_scalar", g_ne_s); golden_register("lt_scalar", g_lt_s);
    golden_register("le_scalar", g_le_s); golden_register("gt_scalar", g_gt_s); golden_register("ge_scalar", g_ge_s);
    golden_register("isnan", g_isnan);
    golden_register("isinf", g_isinf);
    golden_register("isfinite", g_isfinite);
    golden_register("isclose", g_isclose);
    golden_register("allclose", g_allclose);
    golden_register("equal", g_equal);
    golden_register("logical_and", g_land); golden_register("logical_or", g_lor); golden_register("logical_xor", g_lxor);
    golden_register("logical_not", g_lnot);
    golden_register("bitwise_and", g_band); golden_register("bitwise_or", g_bor); golden_register("bitwise_xor", g_bxor);
    golden_register("bitwise_not", g_bnot);
    golden_register("where", g_where);
    golden_register("masked_fill", g_masked_fill);
    golden_register("any", g_any);
    golden_register("all", g_all);
    golden_register("nonzero", g_nonzero);
    golden_register("count_nonzero", g_count_nonzero);
    golden_register("sort", g_sort);
    golden_register("argsort", g_argsort);
    golden_register("topk", g_topk);
    golden_register("gather", g_gather);
    golden_register("scatter", g_scatter);
    golden_register("scatter_value", g_scatter_value);
    golden_register("scatter_add", g_scatter_add);
    golden_register("index_add", g_index_add);
    golden_register("maximum", g_maximum);
    golden_register("minimum", g_minimum);
    golden_register("clamp_tensor", g_clamp_tensor);
}
