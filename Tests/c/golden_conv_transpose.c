/* How each golden op of the "conv_transpose" area is called through the C API (conv1d: a
 * conv2d over a height of one, as the engine composes it). */
#include "harness.h"

static snn_status g_conv_transpose2d(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    *n = 1;
    int64_t s[2], p[2], op[2], d[2];
    attr_ints(a, "stride", s, 2);
    attr_ints(a, "padding", p, 2);
    attr_ints(a, "output_padding", op, 2);
    attr_ints(a, "dilation", d, 2);
    snn_conv2d_options opts;
    snn_conv2d_options_init(&opts);
    opts.stride_h = s[0]; opts.stride_w = s[1]; opts.pad_h = p[0]; opts.pad_w = p[1];
    opts.dilation_h = d[0]; opts.dilation_w = d[1]; opts.groups = attr_int(a, "groups", 1);
    return snn_tensor_conv_transpose2d(&o[0], x[0], x[1], nin > 2 ? x[2] : NULL, &opts, op[0], op[1]);
}

static snn_status g_conv1d(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    *n = 1;
    snn_tensor *x4 = NULL, *w4 = NULL, *y4 = NULL;
    snn_status st = snn_tensor_unsqueeze(&x4, x[0], -2);
    if (st == SNN_OK) st = snn_tensor_unsqueeze(&w4, x[1], 2);
    snn_conv2d_options opts;
    snn_conv2d_options_init(&opts);
    opts.stride_w = attr_int(a, "stride", 1); opts.pad_w = attr_int(a, "padding", 0);
    opts.dilation_w = attr_int(a, "dilation", 1); opts.groups = attr_int(a, "groups", 1);
    if (st == SNN_OK) st = snn_tensor_conv2d(&y4, x4, w4, nin > 2 ? x[2] : NULL, &opts);
    const int64_t squeeze_dims[1] = {-2};
    if (st == SNN_OK) st = snn_tensor_squeeze(&o[0], y4, squeeze_dims, 1);
    snn_tensor_free(x4);
    snn_tensor_free(w4);
    snn_tensor_free(y4);
    return st;
}

static snn_status g_conv_transpose3d(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    *n = 1;
    snn_conv_transpose3d_options opts;
    snn_status st = snn_conv_transpose3d_options_init(&opts);
    if (st != SNN_OK) return st;
    attr_ints(a, "stride", opts.stride, 3);
    attr_ints(a, "padding", opts.padding, 3);
    attr_ints(a, "output_padding", opts.output_padding, 3);
    attr_ints(a, "dilation", opts.dilation, 3);
    opts.groups = attr_int(a, "groups", 1);
    return snn_tensor_conv_transpose3d(&o[0], x[0], x[1], nin > 2 ? x[2] : NULL, &opts);
}

__attribute__((constructor)) static void register_conv_transpose(void) {
    golden_register("conv_transpose2d", g_conv_transpose2d);
    golden_register("conv_transpose3d", g_conv_transpose3d);
    golden_register("conv1d", g_conv1d);
}
