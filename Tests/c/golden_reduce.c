/* How each golden op of the "reduce" area is called through the C API. */
#include "harness.h"
#include <string.h>

/* "dim=none" (absent) means: over all elements. */
static int has_dim(const gt_attrs *a) { const char *v = attr_str(a, "dim", "none"); return strcmp(v, "none") != 0; }

#define EXTREME(NAME, DIMCALL, ALLCALL) \
    static snn_status NAME(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) { \
        (void)nin; \
        if (!has_dim(a)) { *n = 1; return ALLCALL(&o[0], x[0], NULL, 0, false); } \
        *n = 2; return DIMCALL(&o[0], &o[1], x[0], attr_int(a, "dim", 0), attr_int(a, "keepdim", 0) != 0); }
EXTREME(g_max, snn_tensor_max_dim, snn_tensor_amax)
EXTREME(g_min, snn_tensor_min_dim, snn_tensor_amin)

#define DIMS(NAME, CALL) \
    static snn_status NAME(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) { \
        (void)nin; int64_t dims[16]; size_t nd = attr_ints(a, "dims", dims, 16); *n = 1; \
        return CALL(&o[0], x[0], dims, nd, attr_int(a, "keepdim", 0) != 0); }
DIMS(g_amax, snn_tensor_amax)
DIMS(g_amin, snn_tensor_amin)
DIMS(g_logsumexp, snn_tensor_logsumexp)

#define INDEX(NAME, CALL) \
    static snn_status NAME(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) { \
        (void)nin; *n = 1; \
        return CALL(&o[0], x[0], attr_int(a, "dim", 0), has_dim(a), attr_int(a, "keepdim", 0) != 0); }
INDEX(g_argmax, snn_tensor_argmax)
INDEX(g_argmin, snn_tensor_argmin)

#define SOFTMAX(NAME, CALL) \
    static snn_status NAME(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) { \
        (void)nin; *n = 1; return CALL(&o[0], x[0], attr_int(a, "dim", 0)); }
SOFTMAX(g_softmax, snn_tensor_softmax)
SOFTMAX(g_log_softmax, snn_tensor_log_softmax)

#define MOMENT(NAME, CALL) \
    static snn_status NAME(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) { \
        (void)nin; int64_t dims[16]; size_t nd = attr_ints(a, "dims", dims, 16); *n = 1; \
        return CALL(&o[0], x[0], dims, nd, attr_double(a, "correction", 1.0), attr_int(a, "keepdim", 0) != 0); }
MOMENT(g_var, snn_tensor_var)
MOMENT(g_std, snn_tensor_std)

__attribute__((constructor)) static void register_reduce(void) {
    golden_register("max", g_max);
    golden_register("min", g_min);
    golden_register("amax", g_amax);
    golden_register("amin", g_amin);
    golden_register("argmax", g_argmax);
    golden_register("argmin", g_argmin);
    golden_register("softmax", g_softmax);
    golden_register("log_softmax", g_log_softmax);
    golden_register("logsumexp", g_logsumexp);
    golden_register("var", g_var);
    golden_register("std", g_std);
}
