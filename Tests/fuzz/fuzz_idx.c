/* Fuzz target: the IDX reader with its gzip/inflate front end (snn_idx_load). */
#include "fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int64_t live = fuzz_live();
    snn_tensor *t = NULL;
    snn_status st = snn_idx_load(&t, fuzz_input_path(data, size));
    fuzz_check_status(st, "snn_idx_load");
    snn_tensor_free(t);
    fuzz_check_no_leak(live, "snn_idx_load");
    return 0;
}
