/*
 * swiftnn/image.h -- image files as tensors: PNG in (every PNG a conforming encoder writes),
 * JPEG in (through libjpeg-turbo, loaded at run time), PNG out (8-bit, for saving results and
 * test images). Included by swiftnn.h; do not include it alone. PNG decoding is the library's
 * own (no libpng or zlib). Preprocessing for pretrained models: swiftnn/zoo.h.
 *
 *     snn_tensor *img = NULL;
 *     if (snn_image_read(&img, "cat.png", 3) != SNN_OK)       // float32 [3, H, W] in [0, 1]
 *         fprintf(stderr, "%s\n", snn_last_error());
 *     ...
 *     snn_image_write_png(img, "copy.png");                   // reads back identically
 *     snn_tensor_free(img);
 *
 * Both functions are thread-safe (they share no state).
 */

/* Reads a PNG or JPEG file as a new float32 tensor [C, H, W] (channel-major, like a model's input)
 * with values in [0, 1]: a stored sample v becomes v / (2^depth - 1) (v / 255 for palette
 * images), so 8-bit and 16-bit files give exact quotients.
 *
 * channels picks C:
 *   0  as stored: 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA). A palette image gives 3,
 *      or 4 when it has a tRNS chunk; a gray or RGB image with a tRNS colour key gains an
 *      alpha channel that is 0 on the key colour and 1 elsewhere.
 *   1  luma Y = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601; a gray file keeps its value),
 *      with alpha composited onto white: Y * a + (1 - a).
 *   3  RGB (gray repeated), alpha composited onto white: c * a + (1 - a).
 *   4  RGBA (gray repeated; alpha 1 when the file has none).
 *
 * Supported: all of PNG (ISO/IEC 15948): colour types gray, gray + alpha, RGB, RGBA and
 * palette (PLTE, tRNS); bit depths 1, 2, 4, 8, 16; the five scanline filters; Adam7
 * interlacing; IDAT split over any number of chunks. Every chunk's CRC-32 and the zlib
 * stream's Adler-32 are checked. Ancillary chunks (gamma, colour profiles, text, ...) are
 * ignored: values are the stored samples, with no gamma or colour-space conversion.
 * JPEG files (recognised by their FF D8 FF start) are decoded to 8-bit RGB by libjpeg-turbo,
 * loaded with dlopen on the first JPEG (libjpeg.so.62, Debian package libjpeg62-turbo; the
 * environment variable SWIFTNN_LIBJPEG names another file): baseline and progressive, YCbCr
 * and gray (gray is RGB with equal channels, so channels 0 gives 3). Without the library a JPEG
 * is SNN_ERR_UNSUPPORTED naming the package to install; a corrupt or truncated JPEG (libjpeg's
 * warnings included, which it would otherwise paper over with gray) is SNN_ERR_FORMAT with
 * libjpeg's message; CMYK JPEGs are SNN_ERR_FORMAT. Other formats are SNN_ERR_FORMAT ("not a
 * PNG file").
 *
 * Errors: SNN_ERR_INVALID_ARGUMENT for NULL out or path, or channels not 0, 1, 3 or 4;
 * SNN_ERR_IO when the file cannot be opened or read (the message names it and the reason);
 * SNN_ERR_FORMAT for a file that is not a valid PNG: wrong signature, truncation, a CRC-32 or
 * Adler-32 mismatch, a corrupt zlib/DEFLATE stream, an invalid IHDR (size 0, bit depth or
 * colour type not allowed), missing IHDR, IDAT, IEND or (for palette images) PLTE, an invalid
 * filter type; SNN_ERR_UNSUPPORTED for an unknown critical chunk, or more than 2^28 samples
 * (width * height * channels as stored; checked before anything is allocated);
 * SNN_ERR_OUT_OF_MEMORY when the tensor cannot be allocated. Every message names
 * snn_image_read, the file and the fault. On error *out is NULL. */
snn_status snn_image_read(snn_tensor **out, const char *path, int64_t channels);

/* Writes image, float32 [C, H, W] with C = 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA)
 * and H, W >= 1, as an 8-bit PNG at path. Values are clamped to [0, 1] and rounded to the
 * nearest of 0...255 (halves away from zero), so any tensor snn_image_read returned from an
 * 8-bit file writes back to the same pixels. The data are stored uncompressed (DEFLATE
 * stored blocks with a correct zlib Adler-32): files are about C * H * W bytes. The file is
 * written to a temporary name beside path and renamed into place.
 *
 * Errors: SNN_ERR_INVALID_ARGUMENT for NULL path, or a NaN in image (the message gives its
 * channel, row and column); SNN_ERR_INVALID_HANDLE for an image that is not a live tensor;
 * SNN_ERR_DTYPE for an int64 tensor; SNN_ERR_SHAPE for another rank or C outside 1...4 or an
 * empty image; SNN_ERR_UNSUPPORTED for more than 2^28 samples; SNN_ERR_IO when the file
 * cannot be written. */
snn_status snn_image_write_png(const snn_tensor *image, const char *path);
