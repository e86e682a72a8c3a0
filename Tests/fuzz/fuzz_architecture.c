/* Fuzz target: the architecture-metadata parser and module builder
 * (snn_module_from_architecture: JSON, nesting limits, every layer's config reader). The
 * input is the JSON text; the state is empty, so a model with parameters fails at its state
 * after being built, and one without (ReLU, Flatten, ...) is built and freed. */
#include "fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > (1 << 20)) return 0;  /* the C string argument is limited to 1 MiB */
    char *text = malloc(size + 1);
    if (!text) abort();
    memcpy(text, data, size);
    text[size] = 0;
    int64_t live = fuzz_live();
    snn_tensor_map *state = NULL;
    if (snn_tensor_map_new(&state) != SNN_OK) abort();
    snn_module *m = NULL;
    snn_status st = snn_module_from_architecture(&m, text, state);
    fuzz_check_status(st, "snn_module_from_architecture");
    snn_module_free(m);
    snn_tensor_map_free(state);
    fuzz_check_no_leak(live, "snn_module_from_architecture");
    free(text);
    return 0;
}
