/* The image API through C (swiftnn/image.h): every PNG fixture (Tests/fixtures/png, written by
 * tools/make_png_fixtures.py with Pillow and a hand encoder) decodes to the committed pixels,
 * read through the harness's own safetensors reader; write -> read is exact; bad arguments;
 * and corrupt files (every truncation, random bit flips) fed in a child process, so that a
 * crash fails the test rather than the runner. */
#include "harness.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PNGDIR "Tests/fixtures/png"

static void test_fixtures(void) {
    gt_file expected;
    if (gt_load(&expected, PNGDIR "/expected.safetensors") != 0) { CHECK(0, "cannot load expected.safetensors"); return; }
    FILE *list = fopen(PNGDIR "/FILES", "r");
    CHECK(list != NULL, "missing " PNGDIR "/FILES");
    if (!list) { gt_free(&expected); return; }
    char name[128];
    int files = 0;
    while (fscanf(list, "%127s", name) == 1) {
        char path[256];
        snprintf(path, sizeof path, PNGDIR "/%s.png", name);
        const gt_tensor *want = gt_find(&expected, name);
        CHECK(want != NULL, "%s: no expected pixels", name);
        snn_tensor *t = NULL;
        CHECK_OK(snn_image_read(&t, path, 0));
        if (want && t) {
            const char *diff = compare(t, want);
            /* compare() allows the golden tolerance; decoding must be exact. */
            float *got = malloc(want->count * sizeof(float));
            CHECK_OK(snn_tensor_copy_data(got, want->count, t));
            CHECK(diff == NULL && memcmp(got, want->data, want->count * sizeof(float)) == 0, "%s: %s", name,
                  diff ? diff : "values differ");
            free(got);
        }
        snn_tensor_free(t);
        files++;
    }
    fclose(list);
    CHECK(files >= 16, "only %d fixtures listed", files);
    gt_free(&expected);
}

static void test_conversions_and_round_trip(void) {
    snn_tensor *rgba = NULL, *rgb = NULL, *back = NULL;
    CHECK_OK(snn_image_read(&rgba, PNGDIR "/rgba.png", 4));
    CHECK_OK(snn_image_read(&rgb, PNGDIR "/rgba.png", 3));
    int64_t shape[3] = {0};
    CHECK_OK(snn_tensor_shape(shape, 3, rgba));
    size_t hw = (size_t)(shape[1] * shape[2]);
    CHECK(shape[0] == 4 && hw == 11 * 9, "rgba.png shape [%lld, %lld, %lld]", (long long)shape[0], (long long)shape[1], (long long)shape[2]);
    float a4[4 * 99], a3[3 * 99], b4[4 * 99];
    CHECK_OK(snn_tensor_copy_data(a4, 4 * hw, rgba));
    CHECK_OK(snn_tensor_copy_data(a3, 3 * hw, rgb));
    int bad = 0;
    for (size_t i = 0; i < hw; i++)
        for (int k = 0; k < 3; k++) {
            float a = a4[3 * hw + i];
            bad += fabsf(a3[k * hw + i] - (a4[k * hw + i] * a + 1 - a)) > 1e-6f;
        }
    CHECK(bad == 0, "RGB onto white differs at %d samples", bad);

    char path[] = "/tmp/snn_test_image_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "mkstemp");
    if (fd >= 0) close(fd);
    CHECK_OK(snn_image_write_png(rgba, path));
    CHECK_OK(snn_image_read(&back, path, 0));
    if (back) {
        CHECK_OK(snn_tensor_copy_data(b4, 4 * hw, back));
        CHECK(memcmp(a4, b4, sizeof b4) == 0, "write -> read is not exact");
    }
    unlink(path);
    snn_tensor_free(back);
    snn_tensor_free(rgb);
    snn_tensor_free(rgba);
}

static void test_bad_arguments(void) {
    snn_tensor *t = (snn_tensor *)0x1;
    CHECK(snn_image_read(NULL, PNGDIR "/rgb.png", 0) == SNN_ERR_INVALID_ARGUMENT, "NULL out");
    CHECK(snn_image_read(&t, NULL, 0) == SNN_ERR_INVALID_ARGUMENT && t == NULL, "NULL path");
    CHECK(snn_image_read(&t, PNGDIR "/rgb.png", 2) == SNN_ERR_INVALID_ARGUMENT, "channels 2");
    CHECK(strstr(snn_last_error(), "snn_image_read") != NULL, "message names the function: %s", snn_last_error());
    CHECK(snn_image_read(&t, PNGDIR "/missing.png", 0) == SNN_ERR_IO, "missing file");
    CHECK(snn_image_read(&t, PNGDIR "/expected.safetensors", 0) == SNN_ERR_FORMAT, "not a PNG");
    CHECK(strstr(snn_last_error(), "expected.safetensors") && strstr(snn_last_error(), "not a PNG"), "message: %s", snn_last_error());
    CHECK(snn_image_read(&t, PNGDIR, 0) == SNN_ERR_IO, "a directory");

    int64_t shape[3] = {1, 1, 2}, shape5[3] = {5, 1, 1};
    float nan2[2] = {0.5f, NAN}, five[5] = {0};
    int64_t ints[2] = {0, 1};
    snn_tensor *x = NULL;
    CHECK_OK(snn_tensor_from_data(&x, nan2, 2, shape, 3));
    CHECK(snn_image_write_png(x, "/tmp/snn_never_written.png") == SNN_ERR_INVALID_ARGUMENT, "NaN");
    CHECK(access("/tmp/snn_never_written.png", F_OK) != 0, "a refused image left a file");
    CHECK(snn_image_write_png(x, NULL) == SNN_ERR_INVALID_ARGUMENT, "NULL path");
    CHECK(snn_image_write_png(NULL, "/tmp/x.png") == SNN_ERR_INVALID_ARGUMENT, "NULL image");
    snn_tensor_free(x);
    CHECK_OK(snn_tensor_from_data(&x, five, 5, shape5, 3));
    CHECK(snn_image_write_png(x, "/tmp/x.png") == SNN_ERR_SHAPE, "5 channels");
    snn_tensor_free(x);
    CHECK_OK(snn_tensor_from_int64(&x, ints, 2, shape, 3));
    CHECK(snn_image_write_png(x, "/tmp/x.png") == SNN_ERR_DTYPE, "int64 image");
    snn_tensor_free(x);
    CHECK_OK(snn_tensor_zeros(&x, shape, 3));
    CHECK(snn_image_write_png(x, "/nonexistent-dir/x.png") == SNN_ERR_IO, "unwritable path");
    snn_tensor_free(x);
}

/* Every truncation and 600 single-bit flips of an interlaced RGBA file: each is an error
 * (FORMAT or UNSUPPORTED, *out NULL) or, if a flip were harmless, the exact pixels. */
static float adam7_pixels[4 * 13 * 11];

static int png_outcome_wrong(const char *path, void *ctx) {
    (void)ctx;
    snn_tensor *t = NULL;
    snn_status st = snn_image_read(&t, path, 0);
    if (st == SNN_OK) {
        static float got[4 * 13 * 11];
        int wrong = snn_tensor_copy_data(got, 4 * 13 * 11, t) != SNN_OK || memcmp(got, adam7_pixels, sizeof got) != 0;
        snn_tensor_free(t);
        return wrong;
    }
    if ((st != SNN_ERR_FORMAT && st != SNN_ERR_UNSUPPORTED) || t != NULL || !strstr(snn_last_error(), path)) {
        fprintf(stderr, "%s: %s\n", snn_status_string(st), snn_last_error());
        return 1;
    }
    return 0;
}

static void test_corrupt_in_child(void) {
    snn_tensor *ref = NULL;
    CHECK_OK(snn_image_read(&ref, PNGDIR "/rgba_adam7.png", 0));
    CHECK_OK(snn_tensor_copy_data(adam7_pixels, 4 * 13 * 11, ref));
    snn_tensor_free(ref);
    fuzz_file_in_child(PNGDIR "/rgba_adam7.png", 600, 2024, png_outcome_wrong, NULL, "PNGs");
}

int main(void) {
    int64_t base = live_handles();
    test_fixtures();
    test_conversions_and_round_trip();
    test_bad_arguments();
    test_corrupt_in_child();
    CHECK(live_handles() == base, "live handles %lld, baseline %lld", (long long)live_handles(), (long long)base);
    return report("test_image");
}
