/* The data API through C (swiftnn/data.h): IDX and MNIST loading on the committed fixtures
 * (Tests/fixtures, tools/make_data_fixtures.py), every error path, the data loader and its
 * handle, live-handle counts, corrupt files fed in a child process (a crash fails the test,
 * not the runner), the loader order for the agreement test (build/agreement/c-dataloader.txt),
 * and real MNIST / Fashion-MNIST when installed (make data; Debian dataset-fashion-mnist). */
#include "harness.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FIX "Tests/fixtures"

static const unsigned char PIXELS[4][9] = {
    {0, 1, 2, 127, 128, 129, 253, 254, 255},
    {255, 0, 255, 0, 255, 0, 255, 0, 255},
    {10, 20, 30, 40, 50, 60, 70, 80, 90},
    {3, 1, 4, 1, 5, 9, 2, 6, 5},
};
static const int64_t LABELS[4] = {3, 1, 4, 1};

static int shape_is(snn_tensor *t, const int64_t *want, size_t nd) {
    size_t n = 0;
    int64_t s[SNN_MAX_NDIM];
    if (snn_tensor_ndim(&n, t) != SNN_OK || n != nd || snn_tensor_shape(s, SNN_MAX_NDIM, t) != SNN_OK) return 0;
    return memcmp(s, want, nd * sizeof(int64_t)) == 0;
}

static int file_exists(const char *p) { return access(p, R_OK) == 0; }

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void test_idx_fixtures(void) {
    const char *images[] = {FIX "/idx/images-4x3x3.idx3-ubyte", FIX "/idx/images-4x3x3.idx3-ubyte.gz"};
    for (int k = 0; k < 2; k++) {
        snn_tensor *t = NULL;
        CHECK_OK(snn_idx_load(&t, images[k]));
        int64_t want[4] = {4, 1, 3, 3};
        snn_dtype dt = SNN_INT64;
        CHECK_OK(snn_tensor_dtype(&dt, t));
        CHECK(dt == SNN_FLOAT32 && shape_is(t, want, 4), "%s: wrong dtype or shape", images[k]);
        float v[36];
        CHECK_OK(snn_tensor_copy_data(v, 36, t));
        int bad = 0;
        for (int i = 0; i < 36; i++) bad += v[i] != (float)PIXELS[i / 9][i % 9] / 255.0f;
        CHECK(bad == 0, "%s: %d pixels differ from byte / 255", images[k], bad);
        snn_tensor_free(t);
    }
    const char *labels[] = {FIX "/idx/labels-4.idx1-ubyte", FIX "/idx/labels-4.idx1-ubyte.gz"};
    for (int k = 0; k < 2; k++) {
        snn_tensor *t = NULL;
        CHECK_OK(snn_idx_load(&t, labels[k]));
        int64_t want[1] = {4}, v[4] = {0};
        CHECK(shape_is(t, want, 1), "%s: shape", labels[k]);
        CHECK_OK(snn_tensor_copy_int64(v, 4, t));
        CHECK(memcmp(v, LABELS, sizeof v) == 0, "%s: labels differ", labels[k]);
        snn_tensor_free(t);
    }
    snn_tensor *t = NULL;
    CHECK_OK(snn_idx_load(&t, FIX "/idx/int16-2x3.idx"));
    float s[6];
    CHECK_OK(snn_tensor_copy_data(s, 6, t));
    CHECK(s[0] == -32768 && s[4] == 300 && s[5] == 32767, "int16 values %g %g %g", s[0], s[4], s[5]);
    snn_tensor_free(t);
}

static void test_idx_errors(void) {
    static const struct { const char *file; snn_status st; } cases[] = {
        {"idx/bad-short-data.idx", SNN_ERR_FORMAT}, {"idx/bad-trailing.idx", SNN_ERR_FORMAT},
        {"idx/bad-magic.idx", SNN_ERR_FORMAT}, {"idx/bad-type.idx", SNN_ERR_FORMAT},
        {"idx/bad-rank0.idx", SNN_ERR_FORMAT}, {"idx/bad-short-header.idx", SNN_ERR_FORMAT},
        {"idx/bad-huge-dims.idx", SNN_ERR_FORMAT}, {"idx/bad-corrupt.idx3-ubyte.gz", SNN_ERR_FORMAT},
        {"inflate/bad-crc.gz", SNN_ERR_FORMAT}, {"inflate/truncated-half.gz", SNN_ERR_FORMAT},
        {"inflate/crafted-bad-distance-too-far.gz", SNN_ERR_FORMAT}, {"inflate/crafted-bad-oversubscribed.gz", SNN_ERR_FORMAT},
        {"inflate/payload-l6.gz", SNN_ERR_FORMAT},  /* valid gzip, but its content is not IDX */
        {"idx/no-such-file.idx", SNN_ERR_IO}, {"idx", SNN_ERR_IO},  /* a directory */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, FIX "/%s", cases[i].file);
        snn_tensor *t = (snn_tensor *)0x1;  /* must be reset to NULL */
        snn_status st = snn_idx_load(&t, path);
        CHECK(st == cases[i].st && t == NULL, "%s: %s (%s), expected %s", cases[i].file, snn_status_string(st),
              snn_last_error(), snn_status_string(cases[i].st));
        CHECK(strstr(snn_last_error(), path) != NULL, "%s: message does not name the file: %s", cases[i].file, snn_last_error());
    }
    snn_tensor *t = NULL;
    CHECK(snn_idx_load(NULL, FIX "/idx/labels-4.idx1-ubyte") == SNN_ERR_INVALID_ARGUMENT, "NULL out");
    CHECK(snn_idx_load(&t, NULL) == SNN_ERR_INVALID_ARGUMENT && t == NULL, "NULL path");
    CHECK(snn_idx_load(&t, "") == SNN_ERR_INVALID_ARGUMENT, "empty path");
    CHECK(snn_idx_load(&t, "\xff\xfe") == SNN_ERR_INVALID_ARGUMENT, "non-UTF-8 path");
}

static void test_mnist_folders(void) {
    snn_tensor *x = NULL, *y = NULL;
    CHECK_OK(snn_mnist_load(&x, &y, FIX "/mnist-tiny", true));
    int64_t xs[4] = {4, 1, 3, 3}, ys[1] = {4};
    CHECK(x && y && shape_is(x, xs, 4) && shape_is(y, ys, 1), "mnist-tiny train shapes");
    snn_tensor_free(x);
    snn_tensor_free(y);
    CHECK_OK(snn_mnist_load(&x, &y, FIX "/mnist-tiny/", false));
    int64_t txs[4] = {2, 1, 3, 3}, tys[1] = {2}, lab[2];
    CHECK(shape_is(x, txs, 4) && shape_is(y, tys, 1), "mnist-tiny t10k shapes");
    CHECK_OK(snn_tensor_copy_int64(lab, 2, y));
    CHECK(lab[0] == 3 && lab[1] == 1, "t10k labels");
    snn_tensor_free(x);
    snn_tensor_free(y);
    x = y = (snn_tensor *)0x1;
    snn_status st = snn_mnist_load(&x, &y, FIX "/mnist-mismatch", true);
    CHECK(st == SNN_ERR_FORMAT && x == NULL && y == NULL && strstr(snn_last_error(), "4 images but"),
          "count mismatch: %s %s", snn_status_string(st), snn_last_error());
    st = snn_mnist_load(&x, &y, FIX "/mnist-mismatch", false);
    CHECK(st == SNN_ERR_FORMAT && strstr(snn_last_error(), "image file"), "labels as images: %s", snn_last_error());
    st = snn_mnist_load(&x, &y, FIX "/idx", true);
    CHECK(st == SNN_ERR_IO && strstr(snn_last_error(), "train-images-idx3-ubyte") && x == NULL,
          "missing files: %s %s", snn_status_string(st), snn_last_error());
    CHECK(snn_mnist_load(NULL, &y, FIX "/mnist-tiny", true) == SNN_ERR_INVALID_ARGUMENT, "NULL images");
    CHECK(snn_mnist_load(&x, NULL, FIX "/mnist-tiny", true) == SNN_ERR_INVALID_ARGUMENT, "NULL labels");
    CHECK(snn_mnist_load(&x, &y, NULL, true) == SNN_ERR_INVALID_ARGUMENT, "NULL dir");
}

/* inputs[i] = (i, -i), targets[i] = i */
static void index_dataset(snn_tensor **x, snn_tensor **y, int64_t n) {
    float *xv = malloc((size_t)(2 * n + 1) * sizeof(float));
    int64_t *yv = malloc((size_t)(n + 1) * sizeof(int64_t));
    for (int64_t i = 0; i < n; i++) { xv[2 * i] = (float)i; xv[2 * i + 1] = -(float)i; yv[i] = i; }
    int64_t xs[2] = {n, 2}, ys[1] = {n};
    CHECK_OK(snn_tensor_from_data(x, xv, (size_t)(2 * n), xs, 2));
    CHECK_OK(snn_tensor_from_int64(y, yv, (size_t)n, ys, 1));
    free(xv);
    free(yv);
}

/* Runs one epoch; appends "name epoch=e batch=b i,j,..." lines to f (if any); returns the
 * number of samples seen, or -1 if inputs and targets disagree. */
static int64_t run_epoch(snn_dataloader *dl, FILE *f, const char *name, int epoch, int64_t *order) {
    int64_t seen = 0;
    int mismatch = 0;
    for (int b = 0;; b++) {
        snn_tensor *x = NULL, *y = NULL;
        bool has = true;
        CHECK_OK(snn_dataloader_next(&x, &y, &has, dl));
        if (!has) { CHECK(x == NULL && y == NULL, "end of epoch leaves handles"); return mismatch ? -1 : seen; }
        int64_t n = 0;
        snn_tensor_numel(&n, y);
        int64_t *yv = malloc((size_t)n * sizeof(int64_t) + 8);
        float *xv = malloc((size_t)(2 * n) * sizeof(float) + 8);
        CHECK_OK(snn_tensor_copy_int64(yv, (size_t)n, y));
        CHECK_OK(snn_tensor_copy_data(xv, (size_t)(2 * n), x));
        for (int64_t i = 0; i < n; i++) {
            if (xv[2 * i] != (float)yv[i] || xv[2 * i + 1] != -(float)yv[i]) mismatch = 1;
            if (order && seen + i < 103) order[seen + i] = yv[i];
        }
        if (f) {
            fprintf(f, "%s epoch=%d batch=%d ", name, epoch, b);
            for (int64_t i = 0; i < n; i++) fprintf(f, i ? ",%lld" : "%lld", (long long)yv[i]);
            fputc('\n', f);
        }
        seen += n;
        free(yv);
        free(xv);
        snn_tensor_free(x);
        snn_tensor_free(y);
    }
}

static void test_dataloader(void) {
    int64_t base = live_handles();
    snn_tensor *x = NULL, *y = NULL;
    index_dataset(&x, &y, 103);
    snn_dataloader *dl = NULL;
    CHECK_OK(snn_dataloader_new(&dl, x, y, 10, true, 2024, false));
    CHECK(live_handles() == base + 3, "a loader is one handle");
    /* The loader keeps its own references: freeing the caller's handles is fine. */
    snn_tensor_free(x);
    snn_tensor_free(y);
    size_t nb = 0;
    CHECK_OK(snn_dataloader_len(&nb, dl));
    CHECK(nb == 11, "len %zu, expected 11", nb);
    int64_t e0[103], e1[103], again[103];
    CHECK(run_epoch(dl, NULL, "", 0, e0) == 103, "epoch 0 sees every sample once, inputs matching targets");
    uint64_t ep = 99;
    CHECK_OK(snn_dataloader_epoch(&ep, dl));
    CHECK(ep == 0, "epoch after the first pass: %llu", (unsigned long long)ep);
    CHECK(run_epoch(dl, NULL, "", 1, e1) == 103, "epoch 1");
    CHECK_OK(snn_dataloader_epoch(&ep, dl));
    CHECK(ep == 1, "epoch %llu, expected 1", (unsigned long long)ep);
    CHECK(memcmp(e0, e1, sizeof e0) != 0, "a new epoch reshuffles");
    int seen[103] = {0}, dup = 0;
    for (int i = 0; i < 103; i++) dup += seen[e0[i]]++ != 0;
    CHECK(dup == 0, "epoch 0 is a permutation");
    CHECK_OK(snn_dataloader_reset(dl));
    run_epoch(dl, NULL, "", 0, again);
    CHECK(memcmp(e0, again, sizeof e0) == 0, "reset replays epoch 0");
    CHECK_OK(snn_dataloader_set_epoch(dl, 1));
    run_epoch(dl, NULL, "", 1, again);
    CHECK(memcmp(e1, again, sizeof e1) == 0, "set_epoch(1) replays epoch 1");
    CHECK_OK(snn_dataloader_free(dl));
    CHECK(live_handles() == base, "all handles freed (%lld live, baseline %lld)", (long long)live_handles(), (long long)base);
}

static void test_dataloader_errors(void) {
    int64_t base = live_handles();
    snn_tensor *x = NULL, *y = NULL, *y4 = NULL, *x4 = NULL, *scalar = NULL;
    index_dataset(&x, &y, 5);
    index_dataset(&x4, &y4, 4);
    CHECK_OK(snn_tensor_full(&scalar, NULL, 0, 1.0f));
    snn_dataloader *dl = (snn_dataloader *)0x1;
    CHECK(snn_dataloader_new(&dl, x, y4, 2, false, 0, false) == SNN_ERR_SHAPE && dl == NULL, "N mismatch: %s", snn_last_error());
    CHECK(strstr(snn_last_error(), "snn_dataloader_new") != NULL, "message names the function: %s", snn_last_error());
    CHECK(snn_dataloader_new(&dl, x, y, 0, false, 0, false) == SNN_ERR_INVALID_ARGUMENT, "batch size 0");
    CHECK(snn_dataloader_new(&dl, x, y, (size_t)-1, false, 0, false) == SNN_ERR_INVALID_ARGUMENT, "batch size (size_t)-1");
    CHECK(snn_dataloader_new(&dl, scalar, y, 1, false, 0, false) == SNN_ERR_SHAPE, "scalar images");
    CHECK(snn_dataloader_new(NULL, x, y, 1, false, 0, false) == SNN_ERR_INVALID_ARGUMENT, "NULL out");
    CHECK(snn_dataloader_new(&dl, NULL, y, 1, false, 0, false) == SNN_ERR_INVALID_ARGUMENT, "NULL images");
    CHECK(snn_dataloader_new(&dl, x, NULL, 1, false, 0, false) == SNN_ERR_INVALID_ARGUMENT, "NULL labels");
    CHECK(snn_dataloader_new(&dl, (snn_tensor *)0x1234, y, 1, false, 0, false) == SNN_ERR_INVALID_HANDLE, "garbage images");
    CHECK_OK(snn_dataloader_new(&dl, x, y, 2, false, 0, false));
    /* wrong-kind handles both ways */
    snn_dataloader *other = NULL;
    CHECK(snn_dataloader_new(&other, (snn_tensor *)dl, y, 1, false, 0, false) == SNN_ERR_INVALID_HANDLE && other == NULL &&
          strstr(snn_last_error(), "is a snn_dataloader handle, expected a snn_tensor handle"), "loader as tensor: %s", snn_last_error());
    size_t nb = 0;
    CHECK(snn_dataloader_len(&nb, (snn_dataloader *)x) == SNN_ERR_INVALID_HANDLE &&
          strstr(snn_last_error(), "is a snn_tensor handle, expected a snn_dataloader handle"), "tensor as loader: %s", snn_last_error());
    CHECK(snn_dataloader_free((snn_dataloader *)x) == SNN_ERR_INVALID_HANDLE, "freeing a tensor as a loader");
    CHECK(snn_tensor_free((snn_tensor *)dl) == SNN_ERR_INVALID_HANDLE, "freeing a loader as a tensor");
    CHECK(snn_dataloader_len(NULL, dl) == SNN_ERR_INVALID_ARGUMENT, "NULL out_batches");
    CHECK(snn_dataloader_len(&nb, NULL) == SNN_ERR_INVALID_ARGUMENT, "NULL loader");
    CHECK(snn_dataloader_len(&nb, (snn_dataloader *)0x5A00deadbeef) == SNN_ERR_INVALID_HANDLE, "garbage loader");
    snn_tensor *bx = NULL, *by = NULL;
    bool has = false;
    CHECK(snn_dataloader_next(NULL, &by, &has, dl) == SNN_ERR_INVALID_ARGUMENT, "NULL x");
    CHECK(snn_dataloader_next(&bx, NULL, &has, dl) == SNN_ERR_INVALID_ARGUMENT, "NULL y");
    CHECK(snn_dataloader_next(&bx, &by, NULL, dl) == SNN_ERR_INVALID_ARGUMENT, "NULL has_batch");
    CHECK(snn_dataloader_next(&bx, &by, &has, NULL) == SNN_ERR_INVALID_ARGUMENT && !has && !bx, "NULL loader");
    uint64_t ep = 0;
    CHECK(snn_dataloader_epoch(NULL, dl) == SNN_ERR_INVALID_ARGUMENT, "NULL out_epoch");
    CHECK(snn_dataloader_epoch(&ep, NULL) == SNN_ERR_INVALID_ARGUMENT, "NULL loader epoch");
    CHECK(snn_dataloader_reset(NULL) == SNN_ERR_INVALID_ARGUMENT, "NULL reset");
    CHECK(snn_dataloader_set_epoch(NULL, 3) == SNN_ERR_INVALID_ARGUMENT, "NULL set_epoch");
    CHECK(snn_dataloader_free(NULL) == SNN_OK, "free(NULL) is a no-op");
    CHECK_OK(snn_dataloader_free(dl));
    CHECK(snn_dataloader_free(dl) == SNN_ERR_INVALID_HANDLE, "double free");
    CHECK(snn_dataloader_next(&bx, &by, &has, dl) == SNN_ERR_INVALID_HANDLE, "use after free");
    /* Empty and too-small data sets: no batches, never an error. */
    snn_tensor *ex = NULL, *ey = NULL;
    int64_t es[2] = {0, 3}, ls[1] = {0};
    CHECK_OK(snn_tensor_zeros(&ex, es, 2));
    CHECK_OK(snn_tensor_from_int64(&ey, NULL, 0, ls, 1));
    CHECK_OK(snn_dataloader_new(&dl, ex, ey, 4, true, 1, false));
    CHECK_OK(snn_dataloader_len(&nb, dl));
    CHECK_OK(snn_dataloader_next(&bx, &by, &has, dl));
    CHECK(nb == 0 && !has && bx == NULL, "empty data set");
    snn_dataloader_free(dl);
    CHECK_OK(snn_dataloader_new(&dl, x, y, 6, true, 1, true));
    CHECK_OK(snn_dataloader_len(&nb, dl));
    CHECK(nb == 0, "drop_last with N < batch size: %zu batches", nb);
    snn_dataloader_free(dl);
    /* The largest accepted batch size: one batch of everything, no overflow. */
    CHECK_OK(snn_dataloader_new(&dl, x, y, SIZE_MAX >> 1, true, 1, false));
    CHECK_OK(snn_dataloader_len(&nb, dl));
    CHECK_OK(snn_dataloader_next(&bx, &by, &has, dl));
    int64_t got = 0;
    if (has) snn_tensor_numel(&got, by);
    CHECK(nb == 1 && has && got == 5, "batch size SIZE_MAX/2: %zu batches, first has %lld", nb, (long long)got);
    snn_tensor_free(bx);
    snn_tensor_free(by);
    snn_dataloader_free(dl);
    snn_tensor *tensors[] = {x, y, x4, y4, scalar, ex, ey};
    for (size_t i = 0; i < sizeof tensors / sizeof tensors[0]; i++) snn_tensor_free(tensors[i]);
    CHECK(live_handles() == base, "handles back to baseline (%lld vs %lld)", (long long)live_handles(), (long long)base);
}

/* The configurations of Tests/SwiftNNTests/DataLoaderTests.swift, for the agreement test. */
static void write_agreement(void) {
    static const struct { const char *name; int64_t n; size_t batch; bool shuffle; uint64_t seed; bool drop; int epochs; } cfg[] = {
        {"shuffle", 103, 10, true, 2024, false, 3},
        {"droplast", 103, 10, true, 2024, true, 2},
        {"maxseed", 50, 7, true, UINT64_MAX, false, 2},
        {"ordered", 5, 2, false, 0, false, 2},
    };
    mkdir("build", 0755);
    mkdir("build/agreement", 0755);
    FILE *f = fopen("build/agreement/c-dataloader.txt", "w");
    CHECK(f != NULL, "cannot write build/agreement/c-dataloader.txt");
    if (!f) return;
    for (size_t c = 0; c < sizeof cfg / sizeof cfg[0]; c++) {
        snn_tensor *x = NULL, *y = NULL;
        snn_dataloader *dl = NULL;
        index_dataset(&x, &y, cfg[c].n);
        CHECK_OK(snn_dataloader_new(&dl, x, y, cfg[c].batch, cfg[c].shuffle, cfg[c].seed, cfg[c].drop));
        for (int e = 0; e < cfg[c].epochs; e++) CHECK(run_epoch(dl, f, cfg[c].name, e, NULL) >= 0, "%s epoch %d", cfg[c].name, e);
        snn_dataloader_free(dl);
        snn_tensor_free(x);
        snn_tensor_free(y);
    }
    fclose(f);
}

/* Corrupt inputs in a child process: every truncation and many bit flips of a gzipped IDX
 * file must give SNN_ERR_FORMAT (or, for harmless header bits, the right data); a crash or
 * a hang kills only the child, and the parent records the failure. */
static int idx_outcome_wrong(const char *path, void *ctx) {
    (void)ctx;
    snn_tensor *t = NULL;
    snn_status st = snn_idx_load(&t, path);
    if (st == SNN_OK) {
        float v[36];
        int64_t want[4] = {4, 1, 3, 3};
        int wrong = !shape_is(t, want, 4) || snn_tensor_copy_data(v, 36, t) != SNN_OK;
        for (int i = 0; !wrong && i < 36; i++) wrong = v[i] != (float)PIXELS[i / 9][i % 9] / 255.0f;
        snn_tensor_free(t);
        return wrong;
    }
    if (st != SNN_ERR_FORMAT || t != NULL) {
        fprintf(stderr, "%s: %s\n", snn_status_string(st), snn_last_error());
        return 1;
    }
    return 0;
}

static void test_corrupt_files_in_child(void) {
    fuzz_file_in_child(FIX "/idx/images-4x3x3.idx3-ubyte.gz", 400, 12345, idx_outcome_wrong, NULL, "IDX files");
}

/* Real data, when installed: shapes, official label facts, and the load time. */
static void test_real(const char *dir, const char *what, const int64_t *first, const int64_t *counts, int64_t n,
                      const char *agreement) {
    char probe[512];
    snprintf(probe, sizeof probe, "%s/train-images-idx3-ubyte.gz", dir);
    if (!file_exists(probe)) {
        printf("test_data: skipped real %s: %s absent\n", what, probe);
        return;
    }
    int64_t base = live_handles();
    snn_tensor *x = NULL, *y = NULL;
    double t0 = now();
    CHECK_OK(snn_mnist_load(&x, &y, dir, true));
    double dt = now() - t0;
    int64_t xs[4] = {n, 1, 28, 28}, ys[1] = {n};
    CHECK(shape_is(x, xs, 4) && shape_is(y, ys, 1), "%s train shapes", what);
    int64_t *lab = malloc((size_t)n * sizeof(int64_t));
    CHECK_OK(snn_tensor_copy_int64(lab, (size_t)n, y));
    int64_t c[10] = {0};
    int bad = 0;
    for (int64_t i = 0; i < n; i++) {
        if (lab[i] < 0 || lab[i] > 9) bad++;
        else c[lab[i]]++;
    }
    CHECK(bad == 0 && memcmp(lab, first, 10 * sizeof(int64_t)) == 0 && memcmp(c, counts, sizeof c) == 0,
          "%s train labels differ from the official ones", what);
    free(lab);
    printf("test_data: real %s train (%lld images) loaded in %.0f ms (%.0f MB of pixels/s incl. gunzip)\n", what,
           (long long)n, dt * 1e3, (double)(n * 784) / dt / 1e6);
    if (agreement) {
        /* The first batches of a shuffled loader over the real set, for the Python test:
         * labels and the exact sum of pixel bytes (round(x * 255)) per batch. */
        FILE *f = fopen(agreement, "w");
        snn_dataloader *dl = NULL;
        CHECK(f != NULL, "cannot write %s", agreement);
        CHECK_OK(snn_dataloader_new(&dl, x, y, 64, true, 7, false));
        float *px = malloc(64 * 784 * sizeof(float));
        int64_t by[64];
        for (int b = 0; f && dl && b < 5; b++) {
            snn_tensor *bx = NULL, *byt = NULL;
            bool has = false;
            CHECK_OK(snn_dataloader_next(&bx, &byt, &has, dl));
            CHECK(has, "real loader ended early");
            if (!has) break;
            snn_tensor_copy_data(px, 64 * 784, bx);
            snn_tensor_copy_int64(by, 64, byt);
            long long sum = 0;
            for (int i = 0; i < 64 * 784; i++) sum += lrintf(px[i] * 255.0f);
            fprintf(f, "batch=%d pixelsum=%lld labels=", b, sum);
            for (int i = 0; i < 64; i++) fprintf(f, i ? ",%lld" : "%lld", (long long)by[i]);
            fputc('\n', f);
            snn_tensor_free(bx);
            snn_tensor_free(byt);
        }
        free(px);
        snn_dataloader_free(dl);
        if (f) fclose(f);
    }
    snn_tensor_free(x);
    snn_tensor_free(y);
    CHECK(live_handles() == base, "real %s: handles leaked", what);
}

/* snn_data_shuffle_order is the loader's order: the same permutation a shuffled loader over
 * 9 samples visits in epochs 0 and 1 (its labels are 0..8), and a permutation either way. */
static void test_shuffle_order(void) {
    int64_t lab[9];
    for (int i = 0; i < 9; i++) lab[i] = i;
    const int64_t shape[2] = {9, 1};
    snn_tensor *x = NULL, *y = NULL;
    CHECK_OK(snn_tensor_zeros(&x, shape, 2));
    CHECK_OK(snn_tensor_from_int64(&y, lab, 9, shape, 1));
    snn_dataloader *dl = NULL;
    CHECK_OK(snn_dataloader_new(&dl, x, y, 9, true, 77, false));
    for (uint64_t epoch = 0; epoch < 2; epoch++) {
        snn_tensor *bx = NULL, *by = NULL, *order = NULL;
        bool has = false;
        CHECK_OK(snn_dataloader_next(&bx, &by, &has, dl));
        CHECK_OK(snn_data_shuffle_order(&order, 9, 77, epoch));
        int64_t a[9], b[9];
        CHECK_OK(snn_tensor_copy_int64(a, 9, by));
        CHECK_OK(snn_tensor_copy_int64(b, 9, order));
        int seen = 0;
        for (int i = 0; i < 9; i++) seen |= 1 << b[i];
        CHECK(memcmp(a, b, sizeof a) == 0 && seen == 0x1FF, "epoch %llu: shuffle order differs from the loader's",
              (unsigned long long)epoch);
        snn_tensor_free(bx);
        snn_tensor_free(by);
        snn_tensor_free(order);
        CHECK_OK(snn_dataloader_next(&bx, &by, &has, dl));  /* end of epoch */
        CHECK(!has, "one batch per epoch");
    }
    snn_tensor *order = NULL;
    CHECK(snn_data_shuffle_order(&order, -1, 0, 0) == SNN_ERR_INVALID_ARGUMENT && strstr(snn_last_error(), "n is -1"),
          "negative n: %s", snn_last_error());
    CHECK(snn_data_shuffle_order(NULL, 3, 0, 0) == SNN_ERR_INVALID_ARGUMENT, "NULL out");
    CHECK(snn_data_shuffle_order(&order, INT64_MAX, 0, 0) == SNN_ERR_OUT_OF_MEMORY, "absurd n: %s", snn_last_error());
    CHECK_OK(snn_data_shuffle_order(&order, 0, 0, 0));
    snn_tensor_free(order);
    snn_dataloader_free(dl);
    snn_tensor_free(x);
    snn_tensor_free(y);
}

int main(void) {
    int64_t base = live_handles();
    test_shuffle_order();
    test_idx_fixtures();
    test_idx_errors();
    test_mnist_folders();
    test_dataloader();
    test_dataloader_errors();
    write_agreement();
    test_corrupt_files_in_child();
    static const int64_t mfirst[10] = {5, 0, 4, 1, 9, 2, 1, 3, 1, 4};
    static const int64_t mcounts[10] = {5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949};
    test_real("data/mnist", "MNIST", mfirst, mcounts, 60000, "build/agreement/c-mnist-loader.txt");
    static const int64_t ffirst[10] = {9, 0, 0, 3, 0, 2, 7, 2, 5, 5};
    static const int64_t fcounts[10] = {6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000};
    test_real("/usr/share/datasets/fashion-mnist", "Fashion-MNIST", ffirst, fcounts, 60000, NULL);
    CHECK(live_handles() == base, "live handles %lld, baseline %lld", (long long)live_handles(), (long long)base);
    return report("test_data");
}
