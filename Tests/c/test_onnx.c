/* ONNX through the C API: a small CNN (conv, batch norm, relu, pooling, dropout, linear) in
 * eval mode exported with snn_onnx_export and loaded back with snn_onnx_load gives the same
 * outputs at the traced batch size and another; a host-driven trace (ops called one by one)
 * exports with names; training mode, unsupported ops and bad files fail with clear errors;
 * no handle leaks. */
#include "harness.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[256];

static float max_diff(snn_tensor *a, snn_tensor *b) {
    int64_t n = 0, m = 0;
    snn_tensor_numel(&n, a);
    snn_tensor_numel(&m, b);
    if (n != m || n <= 0 || n > 1 << 20) return INFINITY;
    float *x = malloc(sizeof(float) * (size_t)n), *y = malloc(sizeof(float) * (size_t)n);
    snn_tensor_copy_data(x, (size_t)n, a);
    snn_tensor_copy_data(y, (size_t)n, b);
    float d = 0;
    for (int64_t i = 0; i < n; i++) d = fmaxf(d, fabsf(x[i] - y[i]));
    free(x);
    free(y);
    return d;
}

static snn_module *small_cnn(void) {
    snn_module *l[9] = {0};
    snn_conv2d_options co = conv2d_options();
    co.pad_h = co.pad_w = 1;
    snn_pool2d_options po = pool2d_options(2, 2);
    CHECK_OK(snn_module_conv2d(&l[0], 2, 4, 3, 3, &co, true));
    CHECK_OK(snn_module_batch_norm(&l[1], 4, 2, 1e-5, 0.1, true, true));
    CHECK_OK(snn_module_relu(&l[2]));
    CHECK_OK(snn_module_max_pool2d(&l[3], &po));
    CHECK_OK(snn_module_dropout(&l[4], 0.3));
    CHECK_OK(snn_module_flatten(&l[5], 1, -1));
    CHECK_OK(snn_module_linear(&l[6], 4 * 3 * 3, 5, true));
    CHECK_OK(snn_module_tanh(&l[7]));
    CHECK_OK(snn_module_linear(&l[8], 5, 3, true));
    snn_module *net = NULL;
    CHECK_OK(snn_module_sequential(&net, l, 9, NULL));
    for (int i = 0; i < 9; i++) snn_module_free(l[i]);
    return net;
}

static snn_tensor *randn4(int64_t n) {
    int64_t shape[4] = {n, 2, 6, 6};
    snn_tensor *x = NULL;
    CHECK_OK(snn_tensor_randn(&x, shape, 4));
    return x;
}

static void module_round_trip(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/cnn.onnx", dir);
    snn_module *net = small_cnn();
    snn_tensor *x = randn4(4);
    /* Training mode: a running-statistics update, then the export refuses. */
    snn_tensor *warm = NULL;
    CHECK_OK(snn_module_forward(&warm, net, x));
    snn_tensor_free(warm);
    CHECK(snn_onnx_export(net, x, path) == SNN_ERR_INVALID_ARGUMENT && strstr(snn_last_error(), "eval") != NULL,
          "export in training mode fails asking for eval(): %s", snn_last_error());
    CHECK_OK(snn_module_train(net, false));
    CHECK_OK(snn_onnx_export(net, x, path));

    snn_module *back = NULL;
    CHECK_OK(snn_onnx_load(&back, path));
    size_t n = 0, len = 0;
    char name[64];
    CHECK_OK(snn_onnx_input_count(&n, back));
    CHECK(n == 1, "one input, got %zu", n);
    CHECK_OK(snn_onnx_input_name(name, sizeof name, &len, back, 0));
    CHECK(strcmp(name, "input") == 0, "input is called 'input', got '%s'", name);
    CHECK_OK(snn_onnx_output_name(name, sizeof name, &len, back, 0));
    CHECK(strcmp(name, "output") == 0, "output is called 'output', got '%s'", name);
    CHECK(snn_onnx_input_name(name, sizeof name, &len, back, 1) == SNN_ERR_OUT_OF_RANGE, "index 1 is out of range");
    CHECK(snn_onnx_input_count(&n, net) == SNN_ERR_INVALID_ARGUMENT, "a Sequential is not an ONNX model");

    /* Same outputs at the traced batch size and at another one (the batch is symbolic). */
    int64_t sizes[2] = {4, 7};
    for (int i = 0; i < 2; i++) {
        snn_tensor *xi = i == 0 ? x : randn4(sizes[i]);
        snn_tensor *a = NULL, *b = NULL;
        CHECK_OK(snn_module_forward(&a, net, xi));
        CHECK_OK(snn_module_forward(&b, back, xi));
        float d = max_diff(a, b);
        CHECK(d <= 1e-5f, "batch %lld: engine and re-imported ONNX differ by %g", (long long)sizes[i], d);
        snn_tensor_free(a);
        snn_tensor_free(b);
        if (xi != x) snn_tensor_free(xi);
    }
    /* The state dict names the initializers as PyTorch would. */
    snn_tensor_map *sd = NULL;
    snn_tensor *w = NULL;
    CHECK_OK(snn_module_state_dict(&sd, back));
    CHECK(snn_tensor_map_get(&w, sd, "1.running_var") == SNN_OK, "initializer '1.running_var': %s", snn_last_error());
    snn_tensor_free(w);
    snn_tensor_map_free(sd);
    /* A wrong input shape is a clear error. */
    int64_t bad[4] = {2, 3, 6, 6};
    snn_tensor *xb = NULL, *y = NULL;
    CHECK_OK(snn_tensor_randn(&xb, bad, 4));
    CHECK(snn_module_forward(&y, back, xb) == SNN_ERR_SHAPE && y == NULL, "wrong shape: %s", snn_last_error());
    snn_tensor_free(xb);
    snn_module_free(back);
    snn_module_free(net);
    snn_tensor_free(x);
}

static void host_trace(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/trace.onnx", dir);
    int64_t shape[2] = {3, 4}, wshape[2] = {4, 2};
    snn_tensor *x = NULL, *w = NULL, *h = NULL, *y = NULL, *s = NULL, *z = NULL;
    CHECK_OK(snn_tensor_randn(&x, shape, 2));
    CHECK_OK(snn_tensor_randn(&w, wshape, 2));
    snn_onnx_trace *tr = NULL;
    CHECK_OK(snn_onnx_trace_begin(&tr));
    snn_onnx_trace *again = NULL;
    CHECK(snn_onnx_trace_begin(&again) == SNN_ERR_INVALID_ARGUMENT && again == NULL, "one trace per thread");
    CHECK_OK(snn_tensor_matmul(&h, x, w));
    CHECK_OK(snn_tensor_sigmoid(&y, h));
    CHECK_OK(snn_tensor_exp(&s, y));
    size_t count = 0;
    CHECK_OK(snn_onnx_trace_count(&count, tr));
    CHECK(count == 3, "3 ops recorded, got %zu", count);
    snn_tensor_map *names = NULL;
    CHECK_OK(snn_tensor_map_new(&names));
    CHECK_OK(snn_tensor_map_set(names, "proj.weight", w));
    const char *in_names[1] = {"features"}, *out_names[2] = {"prob", "expprob"};
    const snn_tensor *ins[1] = {x}, *outs[2] = {y, s};
    CHECK_OK(snn_onnx_trace_export(tr, ins, 1, in_names, outs, 2, out_names, names, path));
    CHECK_OK(snn_tensor_sigmoid(&z, y)); /* after the export: not recorded */
    CHECK_OK(snn_onnx_trace_count(&count, tr));
    CHECK(count == 3, "nothing recorded after the export, got %zu ops", count);
    CHECK_OK(snn_onnx_trace_free(tr));

    snn_module *back = NULL;
    CHECK_OK(snn_onnx_load(&back, path));
    char name[64];
    size_t len = 0, n = 0;
    CHECK_OK(snn_onnx_output_count(&n, back));
    CHECK(n == 2, "two outputs, got %zu", n);
    CHECK_OK(snn_onnx_output_name(name, sizeof name, &len, back, 1));
    CHECK(strcmp(name, "expprob") == 0, "second output 'expprob', got '%s'", name);
    snn_tensor *res[2] = {0};
    const snn_tensor *in[1] = {x};
    CHECK_OK(snn_module_forward_multi(res, 2, &n, back, in, 1));
    CHECK(n == 2 && max_diff(res[0], y) <= 1e-6f && max_diff(res[1], s) <= 1e-6f, "traced graph reproduces the ops");
    snn_tensor_free(res[0]);
    snn_tensor_free(res[1]);
    snn_module_free(back);

    /* An output the trace did not compute, and a loss, are clear errors. */
    CHECK_OK(snn_onnx_trace_begin(&tr));
    const snn_tensor *notraced[1] = {w};
    CHECK(snn_onnx_trace_export(tr, ins, 1, NULL, notraced, 1, NULL, NULL, path) == SNN_ERR_INVALID_ARGUMENT &&
          strstr(snn_last_error(), "not computed") != NULL, "untraced output: %s", snn_last_error());
    CHECK_OK(snn_onnx_trace_free(tr));

    snn_tensor_map_free(names);
    snn_tensor_free(x); snn_tensor_free(w); snn_tensor_free(h); snn_tensor_free(y); snn_tensor_free(s); snn_tensor_free(z);
}

static void bad_files(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/bad.onnx", dir);
    const unsigned char garbage[] = {0x08, 0x07, 0x3a, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02};
    FILE *f = fopen(path, "wb");
    fwrite(garbage, 1, sizeof garbage, f);
    fclose(f);
    snn_module *m = NULL;
    CHECK(snn_onnx_load(&m, path) == SNN_ERR_FORMAT && m == NULL, "corrupt file: %s", snn_last_error());
    CHECK(snn_onnx_load(&m, "/nonexistent/model.onnx") == SNN_ERR_IO && m == NULL, "missing file: %s", snn_last_error());
    CHECK(snn_onnx_load(&m, NULL) == SNN_ERR_INVALID_ARGUMENT, "NULL path");
}

/* The models torch.onnx exports (Tests/fixtures/onnx/torch_*.onnx, tools/gen_onnx_torch_models.py:
 * a residual classifier and a TransformerEncoder, by the default exporter with external data and
 * by the legacy one) run through snn_onnx_load and give onnxruntime's outputs within 1e-5. */
static void torch_exported_models(void) {
    const char *names[] = {"resnet", "transformer", "resnet_legacy", "transformer_legacy"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char model_path[256], io_path[256];
        snprintf(model_path, sizeof model_path, "Tests/fixtures/onnx/torch_%s.onnx", names[i]);
        snprintf(io_path, sizeof io_path, "Tests/fixtures/onnx/torch_%s.io.safetensors", names[i]);
        snn_module *m = NULL;
        snn_tensor_map *io = NULL;
        snn_tensor *x = NULL, *expected = NULL, *y = NULL;
        CHECK_OK(snn_onnx_load(&m, model_path));
        CHECK_OK(snn_tensor_map_load(&io, io_path));
        if (m && io && snn_tensor_map_get(&x, io, "input") == SNN_OK && snn_tensor_map_get(&expected, io, "output") == SNN_OK) {
            CHECK_OK(snn_module_forward(&y, m, x));
            float d = y ? max_diff(y, expected) : INFINITY;
            CHECK(d <= 1e-5f, "torch_%s: max |SwiftNN - onnxruntime| = %g (tolerance 1e-5)", names[i], (double)d);
        } else {
            CHECK(0, "torch_%s: fixture not loaded: %s", names[i], snn_last_error());
        }
        snn_tensor_free(x); snn_tensor_free(expected); snn_tensor_free(y);
        snn_tensor_map_free(io);
        snn_module_free(m);
    }
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/snn-test-onnx-%d", (int)getpid());
    char cmd[300];
    snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
    if (system(cmd) != 0) return 1;
    snn_manual_seed(7);
    module_round_trip();
    host_trace();
    bad_files();
    torch_exported_models();
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) return 1;
    CHECK(live_handles() == 0, "%lld handles still live", (long long)live_handles());
    return report("test_onnx");
}
