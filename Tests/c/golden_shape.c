/* How each golden op of the "shape" area is called through the C API. */
#include "harness.h"

#define OP(NAME) static snn_status NAME(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a)

OP(g_reshape) { (void)nin; int64_t s[16]; size_t nd = attr_ints(a, "shape", s, 16); *n = 1;
    return snn_tensor_reshape(&o[0], x[0], s, nd); }
OP(g_view) { (void)nin; int64_t s[16]; size_t nd = attr_ints(a, "shape", s, 16); *n = 1;
    return snn_tensor_view(&o[0], x[0], s, nd); }
OP(g_flatten) { (void)nin; *n = 1;
    return snn_tensor_flatten(&o[0], x[0], attr_int(a, "start", 0), attr_int(a, "end", -1)); }
OP(g_squeeze) { (void)nin; int64_t d[16]; size_t nd = attr_ints(a, "dims", d, 16); *n = 1;
    return snn_tensor_squeeze(&o[0], x[0], nd ? d : NULL, nd); }
OP(g_unsqueeze) { (void)nin; *n = 1; return snn_tensor_unsqueeze(&o[0], x[0], attr_int(a, "dim", 0)); }
OP(g_transpose) { (void)nin; *n = 1;
    return snn_tensor_transpose(&o[0], x[0], attr_int(a, "dim0", 0), attr_int(a, "dim1", 0)); }
OP(g_permute) { (void)nin; int64_t d[16]; size_t nd = attr_ints(a, "dims", d, 16); *n = 1;
    return snn_tensor_permute(&o[0], x[0], d, nd); }
OP(g_slice) { (void)nin; *n = 1;
    return snn_tensor_slice(&o[0], x[0], attr_int(a, "dim", 0), attr_int(a, "start", 0),
                            attr_int(a, "end", INT64_MAX), attr_int(a, "step", 1)); }
OP(g_select) { (void)nin; *n = 1;
    return snn_tensor_select(&o[0], x[0], attr_int(a, "dim", 0), attr_int(a, "index", 0)); }
OP(g_index_select) { (void)nin; *n = 1;
    return snn_tensor_index_select(&o[0], x[0], attr_int(a, "dim", 0), x[1]); }
/* C does not add const below the first level implicitly, hence the casts. */
OP(g_cat) { *n = 1; return snn_tensor_cat(&o[0], (const snn_tensor *const *)x, nin, attr_int(a, "dim", 0)); }
OP(g_stack) { *n = 1; return snn_tensor_stack(&o[0], (const snn_tensor *const *)x, nin, attr_int(a, "dim", 0)); }
OP(g_expand) { (void)nin; int64_t s[16]; size_t nd = attr_ints(a, "shape", s, 16); *n = 1;
    return snn_tensor_expand(&o[0], x[0], s, nd); }

__attribute__((constructor)) static void register_shape(void) {
    golden_register("reshape", g_reshape);
    golden_register("view", g_view);
    golden_register("flatten", g_flatten);
    golden_register("squeeze", g_squeeze);
    golden_register("unsqueeze", g_unsqueeze);
    golden_register("transpose", g_transpose);
    golden_register("permute", g_permute);
    golden_register("slice", g_slice);
    golden_register("select", g_select);
    golden_register("index_select", g_index_select);
    golden_register("cat", g_cat);
    golden_register("stack", g_stack);
    golden_register("expand", g_expand);
}
