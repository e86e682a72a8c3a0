/* How each golden op of the "pool3d" area is called through the C API. */
#include "harness.h"

/* A (depth, height, width) attribute "d,h,w"; "none" or missing gives (d, d, d). */
static void attr_triple(const gt_attrs *a, const char *k, int64_t d, int64_t out[3]) {
    if (attr_ints(a, k, out, 3) != 3) { out[0] = d; out[1] = d; out[2] = d; }
}

static snn_status pool3d_options(snn_pool3d_options *opts, const gt_attrs *a) {
    snn_status st = snn_pool3d_options_init(opts);
    attr_triple(a, "kernel", 1, opts->kernel);
    attr_triple(a, "stride", 0, opts->stride);
    attr_triple(a, "padding", 0, opts->padding);
    attr_triple(a, "dilation", 1, opts->dilation);
    opts->ceil_mode = attr_int(a, "ceil_mode", 0) != 0;
    opts->count_include_pad = attr_int(a, "count_include_pad", 1) != 0;
    opts->divisor_override = attr_int(a, "divisor_override", 0);
    return st;
}

static snn_status g_max_pool3d(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin;
    snn_pool3d_options opts;
    snn_status st = pool3d_options(&opts, a);
    if (st != SNN_OK) return st;
    *n = 2;
    return snn_tensor_max_pool3d(&o[0], &o[1], x[0], &opts);
}

static snn_status g_avg_pool3d(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin;
    snn_pool3d_options opts;
    snn_status st = pool3d_options(&opts, a);
    if (st != SNN_OK) return st;
    *n = 1;
    return snn_tensor_avg_pool3d(&o[0], x[0], &opts);
}

__attribute__((constructor)) static void register_pool3d(void) {
    golden_register("max_pool3d", g_max_pool3d);
    golden_register("avg_pool3d", g_avg_pool3d);
}
