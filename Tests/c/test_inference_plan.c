/* The inference plan through the C API: a native network (conv + BN + ReLU6, depthwise, 1x1,
 * pooling, linear) traced into a module with snn_onnx_trace_module runs planned under no_grad
 * with the outputs of the network itself and of the same module run node by node
 * (snn_onnx_set_planned); the plan report names its steps and, with runs, times them; an
 * in-place write to the network's weight reaches the traced module; calls that record
 * gradients reach the network's parameters; bad arguments are clear errors; no handle leaks. */
#include "harness.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float max_diff(snn_tensor *a, snn_tensor *b, float *scale) {
    int64_t n = 0, m = 0;
    snn_tensor_numel(&n, a);
    snn_tensor_numel(&m, b);
    if (n != m || n <= 0 || n > 1 << 20) return INFINITY;
    float *x = malloc(sizeof(float) * (size_t)n), *y = malloc(sizeof(float) * (size_t)n);
    snn_tensor_copy_data(x, (size_t)n, a);
    snn_tensor_copy_data(y, (size_t)n, b);
    float d = 0, s = 0;
    for (int64_t i = 0; i < n; i++) {
        d = fmaxf(d, fabsf(x[i] - y[i]));
        s = fmaxf(s, fabsf(x[i]));
    }
    free(x);
    free(y);
    if (scale) *scale = s;
    return d;
}

static snn_module *network(void) {
    snn_module *l[10] = {0};
    snn_conv2d_options stem = conv2d_options(), dw = conv2d_options();
    stem.stride_h = stem.stride_w = 2;
    stem.pad_h = stem.pad_w = 1;
    dw.pad_h = dw.pad_w = 1;
    dw.groups = 24;
    CHECK_OK(snn_module_conv2d(&l[0], 3, 24, 3, 3, &stem, false));
    CHECK_OK(snn_module_batch_norm(&l[1], 24, 2, 1e-5, 0.1, true, true));
    CHECK_OK(snn_module_relu6(&l[2]));
    CHECK_OK(snn_module_conv2d(&l[3], 24, 24, 3, 3, &dw, true));
    CHECK_OK(snn_module_relu(&l[4]));
    CHECK_OK(snn_module_conv2d(&l[5], 24, 18, 1, 1, NULL, true));
    CHECK_OK(snn_module_batch_norm(&l[6], 18, 2, 1e-5, 0.1, true, true));
    CHECK_OK(snn_module_adaptive_avg_pool2d(&l[7], 1, 1));
    CHECK_OK(snn_module_flatten(&l[8], 1, -1));
    CHECK_OK(snn_module_linear(&l[9], 18, 5, true));
    snn_module *net = NULL;
    CHECK_OK(snn_module_sequential(&net, l, 10, NULL));
    for (int i = 0; i < 10; i++) snn_module_free(l[i]);
    return net;
}

static snn_tensor *input(int64_t n) {
    int64_t shape[4] = {n, 3, 17, 15};
    snn_tensor *x = NULL;
    CHECK_OK(snn_tensor_randn(&x, shape, 4));
    return x;
}

static snn_module *traced(snn_module *net, snn_tensor *x) {
    snn_onnx_trace *tr = NULL;
    snn_tensor *y = NULL;
    snn_tensor_map *sd = NULL;
    snn_module *m = NULL;
    CHECK_OK(snn_module_state_dict(&sd, net));
    CHECK_OK(snn_onnx_trace_begin(&tr));
    CHECK_OK(snn_no_grad_begin());
    CHECK_OK(snn_module_forward(&y, net, x));
    CHECK_OK(snn_no_grad_end());
    const snn_tensor *ins[1] = {x}, *outs[1] = {y};
    CHECK_OK(snn_onnx_trace_module(&m, tr, ins, 1, outs, 1, sd));
    snn_onnx_trace_free(tr);
    snn_tensor_free(y);
    snn_tensor_map_free(sd);
    return m;
}

static void planned_equals_network_and_node_by_node(void) {
    snn_module *net = network();
    snn_tensor *x = input(3);
    /* Batch norm statistics that are not the defaults: a few training forwards. */
    for (int i = 0; i < 3; i++) {
        snn_tensor *warm = NULL;
        CHECK_OK(snn_module_forward(&warm, net, x));
        snn_tensor_free(warm);
    }
    CHECK_OK(snn_module_train(net, false));
    snn_module *m = traced(net, x);

    char report[8192];
    size_t len = 0;
    CHECK_OK(snn_onnx_plan_report(report, sizeof report, &len, m, x, 0));
    const char *want = "inference plan for input [3, 3, 17, 15]:";
    CHECK(strncmp(report, want, strlen(want)) == 0, "planned: %s", report);
    /* The depthwise step and the 1x1 projection that alone reads it are one step. */
    CHECK(strstr(report, "dw 3x3/1 + 1x1 (fused)") && strstr(report, "conv 3x3/2 (direct)") && strstr(report, "linear (GEMM)"),
          "the report names the kernels: %s", report);
    CHECK_OK(snn_onnx_plan_report(report, sizeof report, &len, m, x, 3));
    CHECK(strstr(report, "forward: median") && strstr(report, "by kind (ms, share):"), "profiled: %s", report);

    snn_tensor *eager = NULL, *planned = NULL, *unplanned = NULL;
    CHECK_OK(snn_no_grad_begin());
    CHECK_OK(snn_module_forward(&eager, net, x));
    CHECK_OK(snn_module_forward(&planned, m, x));
    CHECK_OK(snn_onnx_set_planned(m, false));
    CHECK_OK(snn_module_forward(&unplanned, m, x));
    CHECK_OK(snn_onnx_set_planned(m, true));
    float scale = 0;
    float d1 = max_diff(planned, eager, &scale), d2 = max_diff(planned, unplanned, NULL);
    CHECK(scale > 0.01f, "outputs are not all zero (max %g)", (double)scale);
    CHECK(d1 <= 1e-5f * scale && d2 <= 1e-5f * scale, "planned vs network %g, vs node by node %g (scale %g)", (double)d1,
          (double)d2, (double)scale);

    /* An in-place write to the network's weight reaches the traced module (its plan is rebuilt). */
    snn_tensor_map *sd = NULL;
    snn_tensor *w = NULL, *eager2 = NULL, *planned2 = NULL;
    CHECK_OK(snn_module_state_dict(&sd, net));
    CHECK_OK(snn_tensor_map_get(&w, sd, "9.weight"));
    CHECK_OK(snn_tensor_mul_scalar_(w, -3.0));
    CHECK_OK(snn_module_forward(&eager2, net, x));
    CHECK_OK(snn_module_forward(&planned2, m, x));
    CHECK_OK(snn_no_grad_end());
    float scale2 = 0, d3 = max_diff(planned2, eager2, &scale2);
    CHECK(d3 <= 1e-5f * scale2, "after the write: planned vs network %g (scale %g)", (double)d3, (double)scale2);
    CHECK(max_diff(planned2, planned, NULL) > 1e-3f, "the write changed the outputs");

    /* With grad mode on, the traced module records: the gradient reaches the network's weight. */
    snn_tensor *y = NULL, *s = NULL, *g = NULL;
    CHECK_OK(snn_module_forward(&y, m, x));
    CHECK_OK(snn_tensor_sum(&s, y, NULL, 0, false));
    CHECK_OK(snn_tensor_backward(s, NULL, false));
    CHECK(snn_tensor_grad(&g, w) == SNN_OK && g != NULL, "the weight has a gradient: %s", snn_last_error());

    /* Bad arguments. */
    CHECK(snn_onnx_plan_report(report, sizeof report, &len, m, x, -1) == SNN_ERR_INVALID_ARGUMENT &&
              strstr(snn_last_error(), "runs is -1"), "runs -1: %s", snn_last_error());
    CHECK(snn_onnx_plan_report(report, sizeof report, &len, net, x, 0) == SNN_ERR_INVALID_ARGUMENT,
          "a Sequential has no plan: %s", snn_last_error());
    CHECK(snn_onnx_set_planned(NULL, true) != SNN_OK, "NULL module");
    int64_t bad[4] = {3, 4, 17, 15};
    snn_tensor *xb = NULL;
    CHECK_OK(snn_tensor_randn(&xb, bad, 4));
    CHECK(snn_onnx_plan_report(report, sizeof report, &len, m, xb, 0) == SNN_ERR_SHAPE, "4 channels: %s", snn_last_error());

    snn_tensor *all[] = {x, eager, planned, unplanned, w, eager2, planned2, y, s, g, xb};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) snn_tensor_free(all[i]);
    snn_tensor_map_free(sd);
    snn_module_free(m);
    snn_module_free(net);
}

int main(void) {
    snn_manual_seed(11);
    planned_equals_network_and_node_by_node();
    CHECK(live_handles() == 0, "%lld handles still live", (long long)live_handles());
    return report("test_inference_plan");
}
