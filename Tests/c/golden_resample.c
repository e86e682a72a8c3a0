/* How each golden op of the "resample" area is called through the C API. */
#include "harness.h"
#include <stdlib.h>
#include <string.h>

static snn_status g_pad(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin; *n = 1;
    int64_t p[16];
    size_t k = attr_ints(a, "pad", p, 16);
    return snn_tensor_pad(&o[0], x[0], p, k, (int32_t)attr_int(a, "mode", 0), attr_double(a, "value", 0));
}

static snn_status g_interpolate(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin; *n = 1;
    int64_t size[4];
    size_t k = attr_ints(a, "size", size, 4);
    double scales[4];
    size_t ns = 0;
    const char *v = attr_str(a, "scales", "none");
    while (strcmp(v, "none") != 0 && *v && ns < 4) {  /* comma list of floats */
        char *e;
        scales[ns++] = strtod(v, &e);
        v = *e == ',' ? e + 1 : e;
    }
    return snn_tensor_interpolate(&o[0], x[0], size, k, ns ? scales : NULL, (int32_t)attr_int(a, "mode", 0),
                                  attr_int(a, "align_corners", 0) != 0);
}

static snn_status g_one_hot(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    (void)nin; *n = 1;
    return snn_tensor_one_hot(&o[0], x[0], attr_int(a, "num_classes", -1));
}

__attribute__((constructor)) static void register_resample(void) {
    golden_register("pad", g_pad);
    golden_register("interpolate", g_interpolate);
    golden_register("one_hot", g_one_hot);
}
