/* Modules through the C API: the lecture's network has 160,650 parameters and its summary
 * says so; a PyTorch LeNet-5 state dict (safetensors.torch) loads and gives PyTorch's logits;
 * checkpoints round-trip; tensor maps read the same file; no handle leaks. */
#include "harness.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static snn_module *seq(snn_module **layers, size_t n) {
    snn_module *m = NULL;
    CHECK_OK(snn_module_sequential(&m, layers, n, NULL));
    for (size_t i = 0; i < n; i++) snn_module_free(layers[i]);
    return m;
}

static snn_module *conv(int64_t in, int64_t out, int64_t k, int64_t pad) {
    snn_conv2d_options o = conv2d_options();
    o.pad_h = o.pad_w = pad;
    snn_module *m = NULL;
    CHECK_OK(snn_module_conv2d(&m, in, out, k, k, &o, true));
    return m;
}

static snn_module *pool2(void) {
    snn_pool2d_options o = pool2d_options(2, 2);
    snn_module *m = NULL;
    CHECK_OK(snn_module_max_pool2d(&m, &o));
    return m;
}

static snn_module *simple(snn_status (*make)(snn_module **)) { snn_module *m = NULL; CHECK_OK(make(&m)); return m; }
static snn_module *linear(int64_t i, int64_t o) { snn_module *m = NULL; CHECK_OK(snn_module_linear(&m, i, o, true)); return m; }
static snn_module *flatten(void) { snn_module *m = NULL; CHECK_OK(snn_module_flatten(&m, 1, -1)); return m; }

static void lecture_network(void) {
    snn_module *layers[] = {conv(3, 64, 5, 2), pool2(), conv(64, 128, 3, 1), pool2(), flatten(), linear(8192, 10)};
    snn_module *net = seq(layers, 6);
    int64_t n = 0;
    CHECK_OK(snn_module_parameter_count(&n, net, false));
    CHECK(n == 160650, "lecture network has %lld parameters, expected 160650", (long long)n);
    char buf[4096];
    size_t len = 0;
    int64_t shape[4] = {1, 3, 32, 32};
    CHECK_OK(snn_module_summary(buf, sizeof buf, &len, net, shape, 4));
    CHECK(strstr(buf, "Total params: 160,650") != NULL, "summary lacks the total:\n%s", buf);
    CHECK(snn_module_summary(buf, 8, &len, net, shape, 4) == SNN_ERR_INVALID_ARGUMENT && len > 8,
          "a too-small buffer reports the length needed");
    snn_module_free(net);
}

static void pytorch_lenet(void) {
    snn_module *layers[] = {conv(1, 6, 5, 2), simple(snn_module_relu), pool2(), conv(6, 16, 5, 0), simple(snn_module_relu), pool2(),
                            flatten(), linear(400, 120), simple(snn_module_relu), linear(120, 84), simple(snn_module_relu), linear(84, 10)};
    snn_module *net = seq(layers, 12);
    char path[512];
    snprintf(path, sizeof path, "%s/modules/lenet5_state.safetensors", golden_dir());
    CHECK_OK(snn_module_load_weights(net, path, true));
    CHECK_OK(snn_module_train(net, false));
    gt_file io;
    snprintf(path, sizeof path, "%s/modules/lenet5_io.safetensors", golden_dir());
    gt_load(&io, path);
    snn_tensor *x = from_golden(gt_find(&io, "input")), *y = NULL;
    CHECK_OK(snn_module_forward(&y, net, x));
    const char *why = y ? compare(y, gt_find(&io, "logits")) : "no output";
    CHECK(why == NULL, "PyTorch LeNet-5 logits: %s", why);

    /* checkpoint round trip: rebuilt from the file alone, identical logits */
    const char *ckpt = "build/test_modules_lenet.safetensors";
    CHECK_OK(snn_module_save(net, ckpt));
    snn_module *again = NULL;
    CHECK_OK(snn_module_load(&again, ckpt));
    snn_tensor *y2 = NULL;
    if (again) {
        CHECK_OK(snn_module_train(again, false));
        CHECK_OK(snn_module_forward(&y2, again, x));
    }
    float a[40], b[40];
    CHECK_OK(snn_tensor_copy_data(a, 40, y));
    if (y2) CHECK_OK(snn_tensor_copy_data(b, 40, y2));
    CHECK(y2 && memcmp(a, b, sizeof a) == 0, "reloaded checkpoint gives different logits");

    /* the same file through a tensor map: PyTorch's keys, architecture metadata */
    snn_tensor_map *map = NULL;
    CHECK_OK(snn_tensor_map_load(&map, ckpt));
    size_t count = 0;
    CHECK_OK(snn_tensor_map_count(&count, map));
    CHECK(count == 10, "checkpoint has %zu tensors, expected 10", count);
    snn_tensor *w = NULL;
    CHECK_OK(snn_tensor_map_get(&w, map, "0.weight"));
    int64_t ws[4] = {0};
    if (w) CHECK_OK(snn_tensor_shape(ws, 4, w));
    CHECK(ws[0] == 6 && ws[1] == 1 && ws[2] == 5 && ws[3] == 5, "0.weight has PyTorch's [6, 1, 5, 5] shape");
    char arch[64];
    size_t alen = 0;
    CHECK(snn_tensor_map_get_metadata(arch, sizeof arch, &alen, map, "swiftnn.architecture") == SNN_ERR_INVALID_ARGUMENT && alen > 64,
          "architecture metadata present (and longer than 64 bytes)");
    snn_tensor_free(w);
    snn_tensor_map_free(map);
    snn_tensor_free(x); snn_tensor_free(y); snn_tensor_free(y2);
    snn_module_free(again); snn_module_free(net);
    gt_free(&io);
}

/* LayerNorm and GroupNorm modules from C: normalized rows, PyTorch's parameter names, and
 * errors that name the problem. */
static void norm_modules(void) {
    const int64_t ns[1] = {4}, xs[2] = {3, 4};
    float xv[12];
    for (int i = 0; i < 12; i++) xv[i] = (float)(i * i % 7) - 2.5f;
    snn_tensor *x = NULL, *y = NULL;
    CHECK_OK(snn_tensor_from_data(&x, xv, 12, xs, 2));
    snn_module *ln = NULL, *gn = NULL;
    CHECK_OK(snn_module_layer_norm(&ln, ns, 1, 1e-5, true, true));
    CHECK_OK(snn_module_forward(&y, ln, x));
    float yv[12];
    CHECK_OK(snn_tensor_copy_data(yv, 12, y));
    for (int r = 0; r < 3; r++) {
        double m = 0, v = 0;
        for (int i = 0; i < 4; i++) m += yv[r * 4 + i] / 4.0;
        for (int i = 0; i < 4; i++) v += (yv[r * 4 + i] - m) * (yv[r * 4 + i] - m) / 4.0;
        CHECK(fabs(m) < 1e-5 && fabs(v - 1) < 1e-3, "row %d: mean %g var %g", r, m, v);
    }
    snn_tensor_free(y);
    y = NULL;
    CHECK_OK(snn_module_group_norm(&gn, 2, 4, 1e-5, true));
    CHECK_OK(snn_module_forward(&y, gn, x));
    snn_tensor_free(y);
    y = NULL;
    snn_module *bad = NULL;
    CHECK(snn_module_group_norm(&bad, 3, 4, 1e-5, true) == SNN_ERR_INVALID_ARGUMENT && bad == NULL &&
          strstr(snn_last_error(), "divisible by num_groups"), "3 groups of 4: %s", snn_last_error());
    const int64_t wrong[1] = {5};
    snn_module *ln5 = NULL;
    CHECK_OK(snn_module_layer_norm(&ln5, wrong, 1, 1e-5, false, false));
    CHECK(snn_module_forward(&y, ln5, x) == SNN_ERR_SHAPE && strstr(snn_last_error(), "does not end with normalized_shape [5]"),
          "%s", snn_last_error());
    CHECK(snn_module_layer_norm(&bad, NULL, 1, 1e-5, true, true) == SNN_ERR_INVALID_ARGUMENT, "NULL shape");
    CHECK(snn_tensor_layer_norm(&y, x, ns, 1, NULL, x, 1e-5) == SNN_ERR_SHAPE, "bias [3, 4] for [4]: %s", snn_last_error());
    snn_module_free(ln);
    snn_module_free(gn);
    snn_module_free(ln5);
    snn_tensor_free(x);
}

int main(void) {
    norm_modules();
    lecture_network();
    pytorch_lenet();
    CHECK(live_handles() == 0, "%lld handles still live", (long long)live_handles());
    return report("test_modules");
}
