/* Fuzz target: the ONNX reader and importer (snn_onnx_load: protobuf decoding, graph checks,
 * compiling every node), the model's input and output names, and the inference plan's
 * compiler (snn_onnx_plan_report with runs 0) and one planned forward for the seeds' input
 * shapes, so mutated graphs reach the plan's fusion, kernel choice and buffer planning. */
#include "fuzz_support.h"
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int64_t live = fuzz_live();
    snn_module *m = NULL;
    snn_status st = snn_onnx_load(&m, fuzz_input_path(data, size));
    fuzz_check_status(st, "snn_onnx_load");
    if (st == SNN_OK) {
        size_t n = 0, len = 0;
        char name[256];
        if (snn_onnx_input_count(&n, m) != SNN_OK) abort();
        for (size_t i = 0; i < n && i < 64; i++) snn_onnx_input_name(name, sizeof name, &len, m, i);
        if (snn_onnx_output_count(&n, m) != SNN_OK) abort();
        for (size_t i = 0; i < n && i < 64; i++) snn_onnx_output_name(name, sizeof name, &len, m, i);
        static const int64_t shapes[2][4] = {{1, 3, 8, 8}, {1, 1, 6, 6}};
        for (int k = 0; k < 2; k++) {
            snn_tensor *x = NULL;
            if (snn_tensor_ones(&x, shapes[k], 4) != SNN_OK) abort();
            static char report[1 << 16];
            snn_status ps = snn_onnx_plan_report(report, sizeof report, &len, m, x, 0);
            fuzz_check_status(ps, "snn_onnx_plan_report");
            if (ps == SNN_OK && strncmp(report, "inference plan", 14) == 0) {
                snn_tensor *y = NULL;
                fuzz_check_status(snn_no_grad_begin(), "snn_no_grad_begin");
                snn_status fs = snn_module_forward(&y, m, x);
                fuzz_check_status(fs, "snn_module_forward");
                snn_no_grad_end();
                snn_tensor_free(y);
            }
            snn_tensor_free(x);
        }
        snn_module_free(m);
    }
    fuzz_check_no_leak(live, "snn_onnx_load");
    return 0;
}
