/* Fuzz target: the ONNX reader and importer (snn_onnx_load: protobuf decoding, graph checks,
 * compiling every node), then the model's input and output names. */
#include "fuzz_support.h"

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
        snn_module_free(m);
    }
    fuzz_check_no_leak(live, "snn_onnx_load");
    return 0;
}
