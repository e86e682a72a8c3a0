// JPEG decoding through libjpeg-turbo (Debian libjpeg62-turbo: libjpeg.so.62), loaded with
// dlopen on first use so the library has no link-time dependency on it. Header-only (the
// package needs no C target); jpeglib.h (libjpeg62-turbo-dev) is needed only to build, for the
// struct layouts. libjpeg reports errors by calling error_exit, which by default exits the
// process: here it longjmps back into snn_jpeg_decode_rgb, entirely within C frames.
#ifndef SWIFTNN_JPEG_SHIM_H
#define SWIFTNN_JPEG_SHIM_H

#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

typedef struct snn_jpeg_api {
    void *lib;
    struct jpeg_error_mgr *(*std_error)(struct jpeg_error_mgr *);
    void (*create_decompress)(j_decompress_ptr, int, size_t);
    void (*mem_src)(j_decompress_ptr, const unsigned char *, unsigned long);
    int (*read_header)(j_decompress_ptr, boolean);
    boolean (*start_decompress)(j_decompress_ptr);
    JDIMENSION (*read_scanlines)(j_decompress_ptr, JSAMPARRAY, JDIMENSION);
    boolean (*finish_decompress)(j_decompress_ptr);
    void (*destroy_decompress)(j_decompress_ptr);
    char error[512];
} snn_jpeg_api;

// The loaded library, as function-local statics: Swift's Clang importer emits a header's
// functions into the Swift module but not its file-scope static variables.
static inline snn_jpeg_api *snn_jpeg_state(void) {
    static snn_jpeg_api api;
    return &api;
}

static inline pthread_once_t *snn_jpeg_once(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    return &once;
}

static void snn_jpeg_load(void) {
    snn_jpeg_api *a = snn_jpeg_state();
    // SWIFTNN_LIBJPEG names another file (tests use a missing one to check the error).
    const char *name = getenv("SWIFTNN_LIBJPEG");
    if (name == NULL || name[0] == 0) name = "libjpeg.so.62";
    a->lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (a->lib == NULL) {
        const char *why = dlerror();
        snprintf(a->error, sizeof a->error,
                 "JPEG input needs libjpeg-turbo, which could not be loaded (%s): install the Debian package "
                 "libjpeg62-turbo (tools/setup.sh does), or convert the image to PNG", why ? why : name);
        return;
    }
#define SNN_JPEG_SYM(field, sym)                                                                     \
    *(void **)(&a->field) = dlsym(a->lib, sym);                                                      \
    if (a->field == NULL) {                                                                          \
        snprintf(a->error, sizeof a->error, "%s lacks the function %s: not a libjpeg 6.2 library", name, sym); \
        a->lib = NULL;                                                                               \
        return;                                                                                      \
    }
    SNN_JPEG_SYM(std_error, "jpeg_std_error")
    SNN_JPEG_SYM(create_decompress, "jpeg_CreateDecompress")
    SNN_JPEG_SYM(mem_src, "jpeg_mem_src")
    SNN_JPEG_SYM(read_header, "jpeg_read_header")
    SNN_JPEG_SYM(start_decompress, "jpeg_start_decompress")
    SNN_JPEG_SYM(read_scanlines, "jpeg_read_scanlines")
    SNN_JPEG_SYM(finish_decompress, "jpeg_finish_decompress")
    SNN_JPEG_SYM(destroy_decompress, "jpeg_destroy_decompress")
#undef SNN_JPEG_SYM
}

typedef struct snn_jpeg_error {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
} snn_jpeg_error;

static void snn_jpeg_error_exit(j_common_ptr cinfo) {
    snn_jpeg_error *e = (snn_jpeg_error *)cinfo->err;
    e->mgr.format_message(cinfo, e->message);
    longjmp(e->jump, 1);
}

// Warnings (msg_level -1) are corrupt data that libjpeg would paper over with gray pixels
// ("Premature end of JPEG file"): refused too, so a damaged photo is not classified silently.
static void snn_jpeg_emit_message(j_common_ptr cinfo, int msg_level) {
    if (msg_level < 0) snn_jpeg_error_exit(cinfo);
}

static void snn_jpeg_output_message(j_common_ptr cinfo) { (void)cinfo; }

/// Decodes a JPEG held in memory to 8-bit RGB, row-major [height][width][3], into a new
/// malloc'ed buffer (*out, released with free()). Returns 0, or -1 with a message in err.
/// Images with more than max_samples values (width * height * 3) are refused before decoding.
static int snn_jpeg_decode_rgb(const unsigned char *data, unsigned long size, uint64_t max_samples,
                               unsigned char **out, int64_t *width, int64_t *height, char *err, size_t errlen) {
    *out = NULL;
    *width = 0;
    *height = 0;
    pthread_once(snn_jpeg_once(), snn_jpeg_load);
    snn_jpeg_api *a = snn_jpeg_state();
    if (a->lib == NULL) {
        snprintf(err, errlen, "%s", a->error);
        return -1;
    }
    struct jpeg_decompress_struct cinfo;
    snn_jpeg_error jerr;
    unsigned char *volatile pixels = NULL;
    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = a->std_error(&jerr.mgr);
    jerr.mgr.error_exit = snn_jpeg_error_exit;
    jerr.mgr.emit_message = snn_jpeg_emit_message;
    jerr.mgr.output_message = snn_jpeg_output_message;
    jerr.message[0] = 0;
    if (setjmp(jerr.jump)) {
        snprintf(err, errlen, "libjpeg: %s", jerr.message[0] ? jerr.message : "corrupt JPEG data");
        a->destroy_decompress(&cinfo);
        free(pixels);
        return -1;
    }
    a->create_decompress(&cinfo, JPEG_LIB_VERSION, sizeof cinfo);
    a->mem_src(&cinfo, data, size);
    a->read_header(&cinfo, TRUE);
    cinfo.out_color_space = JCS_RGB;
    uint64_t samples = (uint64_t)cinfo.image_width * cinfo.image_height * 3;
    if (cinfo.image_width == 0 || cinfo.image_height == 0 || samples > max_samples) {
        snprintf(err, errlen, "image of %u x %u pixels is %s (at most %llu samples)", cinfo.image_width,
                 cinfo.image_height, samples ? "too large" : "empty", (unsigned long long)max_samples);
        a->destroy_decompress(&cinfo);
        return -1;
    }
    a->start_decompress(&cinfo);
    if (cinfo.output_components != 3) {
        snprintf(err, errlen, "libjpeg gave %d components, expected 3 (RGB)", cinfo.output_components);
        a->destroy_decompress(&cinfo);
        return -1;
    }
    size_t stride = (size_t)cinfo.output_width * 3;
    pixels = (unsigned char *)malloc(stride * cinfo.output_height);
    if (pixels == NULL) {
        snprintf(err, errlen, "out of memory for %u x %u pixels", cinfo.output_width, cinfo.output_height);
        a->destroy_decompress(&cinfo);
        return -1;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = pixels + (size_t)cinfo.output_scanline * stride;
        if (a->read_scanlines(&cinfo, &row, 1) != 1) {
            snprintf(err, errlen, "libjpeg: decoding stopped at row %u of %u", cinfo.output_scanline, cinfo.output_height);
            a->destroy_decompress(&cinfo);
            free(pixels);
            return -1;
        }
    }
    a->finish_decompress(&cinfo);
    *width = cinfo.output_width;
    *height = cinfo.output_height;
    a->destroy_decompress(&cinfo);
    *out = pixels;
    return 0;
}

#endif
