/* Fuzz target: the safetensors reader (snn_tensor_map_load), then every tensor it returns is
 * read back in full, so offsets and sizes the header claims are exercised, not just parsed. */
#include "fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int64_t live = fuzz_live();
    snn_tensor_map *m = NULL;
    snn_status st = snn_tensor_map_load(&m, fuzz_input_path(data, size));
    fuzz_check_status(st, "snn_tensor_map_load");
    if (st == SNN_OK) {
        size_t n = 0;
        if (snn_tensor_map_count(&n, m) != SNN_OK) abort();
        for (size_t i = 0; i < n; i++) {
            char name[4096];
            size_t len = 0;
            if (snn_tensor_map_name(name, sizeof name, &len, m, i) != SNN_OK) continue;
            snn_tensor *t = NULL;
            if (snn_tensor_map_get(&t, m, name) != SNN_OK) abort();
            int64_t count = 0;
            if (snn_tensor_numel(&count, t) != SNN_OK) abort();
            snn_tensor *s = NULL;  /* touches every element whatever the dtype */
            if (count > 0 && count < (1 << 22)) {
                fuzz_check_status(snn_tensor_sum(&s, t, NULL, 0, false), "snn_tensor_sum");
                snn_tensor_free(s);
            }
            snn_tensor_free(t);
        }
        char value[256];
        size_t vlen = 0;  /* a metadata lookup: buffer rules on strings of any length */
        snn_status ms = snn_tensor_map_get_metadata(value, sizeof value, &vlen, m, "format");
        if (ms != SNN_OK && ms != SNN_ERR_OUT_OF_RANGE && ms != SNN_ERR_INVALID_ARGUMENT) abort();
        snn_tensor_map_free(m);
    }
    fuzz_check_no_leak(live, "snn_tensor_map_load");
    return 0;
}
