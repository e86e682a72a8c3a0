/* How each golden op of the "conv" area is called through the C API. */
#include "harness.h"
#include <stdlib.h>
#include <string.h>

/* A (height, width) attribute "h,w"; "none" or missing gives (d, d). */
static void attr_pair(const gt_attrs *a, const char *k, int64_t d, int64_t *h, int64_t *w) {
    int64_t v[2];
    if (attr_ints(a, k, v, 2) == 2) { *h = v[0]; *w = v[1]; } else { *h = d; *w = d; }
}

/* A float vector attribute "0.5,-1.25" as a new [n] tensor of `like`'s dtype (float32 values
 * converted), or NULL when "none" or missing. */
static snn_tensor *attr_vector(const gt_attrs *a, const char *k, const snn_tensor *like) {
    const char *v = attr_str(a, k, NULL);
    if (!v || strcmp(v, "none") == 0) return NULL;
    float xs[64];
    int64_t n = 0;
    while (*v && n < 64) {
        char *e;
        xs[n++] = (float)strtod(v, &e);
        v = *e == ',' ? e + 1 : e;
    }
    snn_tensor *t = NULL, *converted = NULL;
    snn_dtype dtype = SNN_FLOAT32;
    if (snn_tensor_from_data(&t, xs, (size_t)n, &n, 1) != SNN_OK) return NULL;
    if (snn_tensor_dtype(&dtype, like) != SNN_OK || dtype == SNN_FLOAT32) return t;
    snn_status st = snn_tensor_to(&converted, t, dtype);
    snn_tensor_free(t);
    return st == SNN_OK ? converted : NULL;
}

static snn_status g_conv2d(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    snn_conv2d_options opts = conv2d_options();
    attr_pair(a, "stride", 1, &opts.stride_h, &opts.stride_w);
    attr_pair(a, "padding", 0, &opts.pad_h, &opts.pad_w);
    attr_pair(a, "dilation", 1, &opts.dilation_h, &opts.dilation_w);
    opts.groups = attr_int(a, "groups", 1);
    *n = 1;
    return snn_tensor_conv2d(&o[0], x[0], x[1], nin > 2 ? x[2] : NULL, &opts);
}

static snn_pool2d_options pool_options(const gt_attrs *a) {
    snn_pool2d_options opts = pool2d_options(1, 1);
    attr_pair(a, "kernel", 1, &opts.kernel_h, &opts.kernel_w);
    attr_pair(a, "stride", 0, &opts.stride_h, &opts.stride_w);
    attr_pair(a, "padding", 0, &opts.pad_h, &opts.pad_w);
    attr_pair(a, "dilation", 1, &opts.dilation_h, &opts.dilation_w);
    opts.ceil_mode = attr_int(a, "ceil_mode", 0) != 0;
    opts.count_include_pad = attr_int(a, "count_include_pad", 1) != 0;
    opts.divisor_override = attr_int(a, "divisor_override", 0);
    return opts;
}

static snn_status g_max_pool2d(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin;
    snn_pool2d_options opts = pool_options(a);
    *n = 2;
    return snn_tensor_max_pool2d(&o[0], &o[1], x[0], &opts);
}

static snn_status g_avg_pool2d(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin;
    snn_pool2d_options opts = pool_options(a);
    *n = 1;
    return snn_tensor_avg_pool2d(&o[0], x[0], &opts);
}

static snn_status g_adaptive_avg_pool2d(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin;
    int64_t h, w;
    attr_pair(a, "output_size", 1, &h, &w);
    *n = 1;
    return snn_tensor_adaptive_avg_pool2d(&o[0], x[0], h, w);
}

/* The running statistics become outputs 1 and 2 (the harness frees every output). */
static snn_status g_batch_norm(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    int affine = attr_int(a, "affine", 0) != 0 && nin >= 3;
    snn_tensor *rm = attr_vector(a, "running_mean", x[0]), *rv = attr_vector(a, "running_var", x[0]);
    *n = 0;
    snn_status st = snn_tensor_batch_norm(&o[0], x[0], rm, rv, affine ? x[1] : NULL, affine ? x[2] : NULL,
                                          attr_int(a, "training", 0) != 0, attr_double(a, "momentum", 0.1),
                                          attr_double(a, "eps", 1e-5));
    if (st != SNN_OK) { snn_tensor_free(rm); snn_tensor_free(rv); return st; }
    *n = 1;
    if (rm) o[(*n)++] = rm;
    if (rv) o[(*n)++] = rv;
    return st;
}

static snn_status g_dropout(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin;
    *n = 1;
    return snn_tensor_dropout(&o[0], x[0], attr_double(a, "p", 0.5), attr_int(a, "training", 1) != 0);
}

static snn_status g_linear(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)a;
    *n = 1;
    return snn_tensor_linear(&o[0], x[0], x[1], nin > 2 ? x[2] : NULL);
}

__attribute__((constructor)) static void register_conv(void) {
    golden_register("conv2d", g_conv2d);
    golden_register("max_pool2d", g_max_pool2d);
    golden_register("avg_pool2d", g_avg_pool2d);
    golden_register("adaptive_avg_pool2d", g_adaptive_avg_pool2d);
    golden_register("batch_norm", g_batch_norm);
    golden_register("dropout", g_dropout);
    golden_register("linear", g_linear);
}
