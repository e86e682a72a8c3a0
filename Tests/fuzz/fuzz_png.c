/* Fuzz target: the PNG decoder (snn_image_read: chunks, CRCs, zlib/inflate, filters, Adam7,
 * palettes, bit depths), at each channel count it converts to. */
#include "fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int64_t live = fuzz_live();
    const char *path = fuzz_input_path(data, size);
    /* 0 keeps the file's channels; 1, 3 and 4 convert. Which one: the input picks, so one
     * execution decodes once. */
    static const int64_t channels[4] = {0, 1, 3, 4};
    snn_tensor *t = NULL;
    snn_status st = snn_image_read(&t, path, channels[size % 4]);
    fuzz_check_status(st, "snn_image_read");
    snn_tensor_free(t);
    fuzz_check_no_leak(live, "snn_image_read");
    return 0;
}
