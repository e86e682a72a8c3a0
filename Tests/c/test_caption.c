/* The image captioner's C API (swiftnn/caption.h): build, encode/decode, the masked
 * teacher-forced loss decreasing on a tiny SYNTHETIC set (bright/dark images captioned
 * accordingly), fit with a progress callback, greedy and beam decoding (beam width 1 gives
 * greedy's caption), a checkpoint round trip giving identical captions, the preprocessing
 * saved with the checkpoint (pixel_mean/std, image size; caption_image equals caption of the
 * normalised image; old-size options structs), and bad inputs of every kind failing with a
 * status (never crashing). */
#include "harness.h"
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXPECT_STATUS(want, call) do { snn_status st_ = (call); CHECK(st_ == (want), "%s -> %s (wanted %s): %s", #call, \
    snn_status_string(st_), snn_status_string(want), snn_last_error()); } while (0)

static const char *VOCAB = "a\nbright\ndark\nsquare\nspot\n";

/* 8 images [8, 1, 8, 8]: even ones bright (+1), odd ones dark (-1), with a little pattern. */
static snn_tensor *toy_images(void) {
    static float v[8 * 64];
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 64; j++) v[i * 64 + j] = (i % 2 ? -1.0f : 1.0f) + 0.1f * (float)((i * 7 + j * 3) % 5 - 2);
    int64_t shape[] = {8, 1, 8, 8};
    snn_tensor *t = NULL;
    CHECK_OK(snn_tensor_from_data(&t, v, 8 * 64, shape, 4));
    return t;
}

/* "<bos> a bright square <eos>" / "<bos> dark spot <eos> <pad>" (ids: a 4, bright 5, dark 6, square 7, spot 8). */
static snn_tensor *toy_captions(void) {
    int64_t v[8 * 5];
    for (int i = 0; i < 8; i++) {
        int64_t bright[] = {1, 4, 5, 7, 2}, dark[] = {1, 6, 8, 2, 0};
        memcpy(v + i * 5, i % 2 ? dark : bright, sizeof bright);
    }
    int64_t shape[] = {8, 5};
    snn_tensor *t = NULL;
    CHECK_OK(snn_tensor_from_int64(&t, v, 40, shape, 2));
    return t;
}

static snn_module *small_captioner(void) {
    snn_captioner_options o;
    CHECK_OK(snn_captioner_options_init(&o));
    CHECK(o.struct_size == sizeof o && o.in_channels == 3 && o.hidden_size == 256 && o.feature_grid == 2,
          "captioner option defaults");
    o.in_channels = 1; o.embed_dim = 8; o.hidden_size = 16; o.base_channels = 4; o.conv_blocks = 2;
    snn_module *m = NULL;
    CHECK_OK(snn_captioner_new(&m, &o, VOCAB));
    return m;
}

static snn_tensor *image_at(snn_tensor *images, int64_t i) {
    snn_tensor *t = NULL;
    CHECK_OK(snn_tensor_select(&t, images, 0, i));
    return t;
}

static size_t caption(int64_t *tok, size_t cap, snn_module *m, snn_tensor *img, int64_t beam, double *lp) {
    snn_caption_options o;
    CHECK_OK(snn_caption_options_init(&o));
    o.beam_width = beam;
    o.max_length = 8;
    size_t n = 0;
    CHECK_OK(snn_captioner_caption(tok, cap, &n, lp, m, img, &o));
    return n;
}

static int calls;
static bool count_progress(const snn_progress *p, void *user) {
    (void)user;
    calls += p->struct_size >= sizeof *p && p->epochs == 3;
    return true;
}

static void test_vocab_and_loss(void) {
    snn_manual_seed(7);
    snn_module *m = small_captioner();
    int64_t v = 0;
    CHECK_OK(snn_captioner_vocab_size(&v, m));
    CHECK(v == 9, "vocab size 4 specials + 5 words, got %lld", (long long)v);
    int64_t tok[8];
    size_t n = 0;
    CHECK_OK(snn_captioner_encode(tok, 8, &n, m, "a bright zebra"));
    CHECK(n == 3 && tok[0] == 4 && tok[1] == 5 && tok[2] == 3, "encode: a bright <unk>");
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_captioner_encode(tok, 1, &n, m, "a bright zebra"));
    CHECK(n == 3, "encode reports the count needed");
    char buf[64];
    CHECK_OK(snn_captioner_decode(buf, sizeof buf, &n, m, (int64_t[]){1, 4, 6, 8, 2}, 5));
    CHECK(strcmp(buf, "a dark spot") == 0, "decode skips specials: '%s'", buf);
    EXPECT_STATUS(SNN_ERR_OUT_OF_RANGE, snn_captioner_decode(buf, sizeof buf, &n, m, (int64_t[]){9}, 1));
    EXPECT_STATUS(SNN_ERR_OUT_OF_RANGE, snn_captioner_decode(buf, sizeof buf, &n, m, (int64_t[]){-1}, 1));

    /* Loss decreases on the tiny set with a hand-written loop (Adam). */
    snn_tensor *images = toy_images(), *caps = toy_captions();
    snn_tensor *params[64];
    size_t np = 0;
    CHECK_OK(snn_module_parameters(params, 64, &np, m));
    snn_optimizer *opt = NULL;
    snn_adam_options ao;
    CHECK_OK(snn_adam_options_init(&ao));
    ao.lr = 1e-2;
    CHECK_OK(snn_optimizer_adam(&opt, params, np, &ao));
    double first = 0, last = 0;
    for (int step = 0; step < 40; step++) {
        snn_tensor *loss = NULL;
        CHECK_OK(snn_captioner_loss(&loss, m, images, caps));
        double l = 0;
        CHECK_OK(snn_tensor_item(&l, loss));
        if (step == 0) first = l;
        last = l;
        CHECK_OK(snn_optimizer_zero_grad(opt, true));
        CHECK_OK(snn_tensor_backward(loss, NULL, false));
        CHECK_OK(snn_optimizer_step(opt));
        snn_tensor_free(loss);
    }
    CHECK(last < 0.5 * first, "loss decreases: %.4f -> %.4f", first, last);

    /* fit through a data loader with a progress callback */
    snn_dataloader *dl = NULL;
    CHECK_OK(snn_dataloader_new(&dl, images, caps, 4, true, 1, false));
    double hist[16];
    size_t hn = 0;
    snn_fit_options fo;
    CHECK_OK(snn_fit_options_init(&fo));
    CHECK(fo.struct_size == sizeof fo && fo.epochs == 1 && fo.report_every == 50 && fo.progress == NULL,
          "snn_fit_options_init defaults");
    fo.epochs = 3;
    fo.report_every = 1;
    fo.progress = count_progress;
    fo.loss_history = hist;
    fo.loss_history_capacity = 16;
    fo.loss_history_count = &hn;
    CHECK_OK(snn_captioner_fit(m, opt, dl, &fo));
    CHECK(hn == 6 && calls == 6, "fit ran 6 steps (%zu) with 6 progress calls (%d)", hn, calls);

    /* Greedy learned the two captions; beam width 1 equals greedy; beam 3 runs. */
    int64_t g[16], b[16];
    double lg = 0, lb = 0;
    for (int64_t i = 0; i < 2; i++) {
        snn_tensor *img = image_at(images, i);
        size_t ng = caption(g, 16, m, img, 0, &lg), nb = caption(b, 16, m, img, 1, &lb);
        CHECK(ng == nb && memcmp(g, b, ng * sizeof g[0]) == 0 && lg == lb, "beam width 1 equals greedy (image %lld)", (long long)i);
        CHECK_OK(snn_captioner_decode(buf, sizeof buf, &n, m, g, ng));
        CHECK(strcmp(buf, i == 0 ? "a bright square" : "dark spot") == 0, "image %lld captioned '%s'", (long long)i, buf);
        nb = caption(b, 16, m, img, 3, &lb);
        CHECK(nb >= 1 && lb <= 0, "beam 3 gives a caption");

        /* checkpoint round trip: identical captions */
        char path[] = "/tmp/snn_caption_XXXXXX";
        int fd = mkstemp(path);
        close(fd);
        CHECK_OK(snn_module_save(m, path));
        snn_module *again = NULL;
        CHECK_OK(snn_module_load(&again, path));
        int64_t g2[16];
        double lg2 = 0;
        size_t n2 = caption(g2, 16, again, img, 0, &lg2);
        CHECK(n2 == ng && memcmp(g, g2, ng * sizeof g[0]) == 0 && lg == lg2, "reloaded checkpoint captions identically");
        n2 = caption(g2, 16, again, img, 3, &lg2);
        CHECK(n2 == nb && memcmp(b, g2, nb * sizeof b[0]) == 0 && lb == lg2, "reloaded checkpoint beam-captions identically");
        snn_module_free(again);
        unlink(path);
        snn_tensor_free(img);
    }
    snn_dataloader_free(dl);
    snn_optimizer_free(opt);
    for (size_t i = 0; i < np; i++) snn_tensor_free(params[i]);
    snn_tensor_free(images);
    snn_tensor_free(caps);
    snn_module_free(m);
}

static void test_bad_inputs(void) {
    snn_module *m = small_captioner(), *bad = NULL, *lin = NULL;
    snn_captioner_options o;
    CHECK_OK(snn_captioner_options_init(&o));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_captioner_new(NULL, &o, VOCAB));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_captioner_new(&bad, NULL, VOCAB));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_captioner_new(&bad, &o, NULL));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_captioner_new(&bad, &o, "a\na\n"));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_captioner_new(&bad, &o, "two words\n"));
    o.struct_size = 3;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_captioner_new(&bad, &o, VOCAB));
    CHECK_OK(snn_captioner_options_init(&o));
    o.hidden_size = -5;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_captioner_new(&bad, &o, VOCAB));
    o.hidden_size = INT64_MAX;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_captioner_new(&bad, &o, VOCAB));
    CHECK(bad == NULL, "no handle on failure");

    /* a module that is not a captioner, freed and garbage handles */
    CHECK_OK(snn_module_linear(&lin, 2, 2, true));
    int64_t v;
    EXPECT_STATUS(SNN_ERR_INVALID_HANDLE, snn_captioner_vocab_size(&v, lin));
    EXPECT_STATUS(SNN_ERR_INVALID_HANDLE, snn_captioner_vocab_size(&v, (snn_module *)0x1234));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_captioner_vocab_size(NULL, m));

    /* images and captions of the wrong shape, dtype or range */
    snn_tensor *images = toy_images(), *caps = toy_captions(), *loss = NULL, *img = image_at(images, 0);
    EXPECT_STATUS(SNN_ERR_DTYPE, snn_captioner_loss(&loss, m, caps, caps));
    EXPECT_STATUS(SNN_ERR_SHAPE, snn_captioner_loss(&loss, m, images, images));
    EXPECT_STATUS(SNN_ERR_SHAPE, snn_captioner_loss(&loss, m, img, caps));
    int64_t badtok[] = {1, 99}, sh2[] = {1, 2};
    snn_tensor *oob = NULL, *one = NULL;
    CHECK_OK(snn_tensor_from_int64(&oob, badtok, 2, sh2, 2));
    CHECK_OK(snn_tensor_slice(&one, images, 0, 0, 1, 1));
    EXPECT_STATUS(SNN_ERR_OUT_OF_RANGE, snn_captioner_loss(&loss, m, one, oob));
    CHECK(loss == NULL, "no loss on failure");

    int64_t tok[4];
    size_t n = 0;
    snn_caption_options co;
    CHECK_OK(snn_caption_options_init(&co));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_captioner_caption(tok, 4, &n, NULL, m, NULL, &co));
    EXPECT_STATUS(SNN_ERR_SHAPE, snn_captioner_caption(tok, 4, &n, NULL, m, images, &co));
    EXPECT_STATUS(SNN_ERR_DTYPE, snn_captioner_caption(tok, 4, &n, NULL, m, caps, &co));
    co.beam_width = -1;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_captioner_caption(tok, 4, &n, NULL, m, img, &co));
    co.beam_width = 2; co.max_length = 0;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_captioner_caption(tok, 4, &n, NULL, m, img, &co));
    co.max_length = 5; co.end_token = 1;
    EXPECT_STATUS(SNN_ERR_OUT_OF_RANGE, snn_captioner_caption(tok, 4, &n, NULL, m, img, &co));
    co.end_token = 1000;
    EXPECT_STATUS(SNN_ERR_OUT_OF_RANGE, snn_captioner_caption(tok, 4, &n, NULL, m, img, &co));
    co.end_token = -1; co.length_penalty = -1;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_captioner_caption(tok, 4, &n, NULL, m, img, &co));
    co.length_penalty = 0; co.struct_size = 1;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_captioner_caption(tok, 4, &n, NULL, m, img, &co));
    /* an untrained model may run to max_length: capacity 0 is too small, and says how many */
    CHECK_OK(snn_caption_options_init(&co));
    co.max_length = 3;
    snn_status st = snn_captioner_caption(NULL, 0, &n, NULL, m, img, &co);
    CHECK(st == SNN_OK ? n == 0 : (st == SNN_ERR_INVALID_ARGUMENT && n > 0), "capacity 0: %s", snn_status_string(st));
    /* too small an image for the conv blocks: an error, not a crash */
    int64_t tiny_shape[] = {1, 1, 1};
    snn_tensor *tiny = NULL;
    CHECK_OK(snn_tensor_from_data(&tiny, (float[]){0.5f}, 1, tiny_shape, 3));
    CHECK(snn_captioner_caption(tok, 4, &n, NULL, m, tiny, NULL) != SNN_OK, "1x1 image rejected");
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_captioner_fit(m, NULL, NULL, NULL));
    snn_tensor_free(tiny); snn_tensor_free(oob); snn_tensor_free(one); snn_tensor_free(img);
    snn_tensor_free(images); snn_tensor_free(caps);
    snn_module_free(lin);
    snn_module_free(m);
    EXPECT_STATUS(SNN_ERR_INVALID_HANDLE, snn_captioner_vocab_size(&v, m));
}

/* pixel_mean/std and the image size: set through options, read back by snn_captioner_get_options
 * (also after a save/load), applied by snn_captioner_caption_image exactly as a host would. */
static void test_preprocessing(void) {
    snn_captioner_options o, got;
    CHECK_OK(snn_captioner_options_init(&o));
    CHECK(o.pixel_mean == 0 && o.pixel_std == 1 && o.image_height == 0 && o.image_width == 0, "preprocessing defaults");
    o.in_channels = 1; o.embed_dim = 8; o.hidden_size = 16; o.base_channels = 4; o.conv_blocks = 2;
    o.pixel_mean = 0.5; o.pixel_std = 0.25; o.image_height = 8; o.image_width = 8;
    snn_module *m = NULL, *again = NULL;
    CHECK_OK(snn_manual_seed(5));
    CHECK_OK(snn_captioner_new(&m, &o, VOCAB));
    char path[] = "/tmp/snn_test_caption_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "mkstemp");
    if (fd >= 0) close(fd);
    CHECK_OK(snn_module_save(m, path));
    CHECK_OK(snn_module_load(&again, path));
    unlink(path);
    CHECK_OK(snn_captioner_get_options(&got, again));
    CHECK(got.struct_size == sizeof got && got.in_channels == 1 && got.conv_blocks == 2 && got.pixel_mean == 0.5 &&
          got.pixel_std == 0.25 && got.image_height == 8 && got.image_width == 8, "config after save/load");

    float x01[64], xn[64];
    for (int i = 0; i < 64; i++) { x01[i] = (float)((i * 37) % 64) / 63.0f; xn[i] = (x01[i] - 0.5f) / 0.25f; }
    int64_t shape[] = {1, 8, 8};
    snn_tensor *raw = NULL, *norm = NULL;
    CHECK_OK(snn_tensor_from_data(&raw, x01, 64, shape, 3));
    CHECK_OK(snn_tensor_from_data(&norm, xn, 64, shape, 3));
    snn_caption_options co;
    CHECK_OK(snn_caption_options_init(&co));
    co.max_length = 6;
    int64_t a[8], b[8];
    size_t na = 0, nb = 0;
    double la = 0, lb = 1;
    CHECK_OK(snn_captioner_caption_image(a, 8, &na, &la, again, raw, &co));
    CHECK_OK(snn_captioner_caption(b, 8, &nb, &lb, again, norm, &co));
    CHECK(na == nb && memcmp(a, b, na * sizeof a[0]) == 0 && la == lb, "caption_image differs from caption of the normalised image");
    /* another size than trained on, and another channel count: SNN_ERR_SHAPE naming the sizes */
    int64_t big_shape[] = {1, 16, 16}, rgb_shape[] = {3, 8, 8};
    float zeros[3 * 256] = {0};
    snn_tensor *big = NULL, *rgb = NULL;
    CHECK_OK(snn_tensor_from_data(&big, zeros, 256, big_shape, 3));
    CHECK_OK(snn_tensor_from_data(&rgb, zeros, 192, rgb_shape, 3));
    EXPECT_STATUS(SNN_ERR_SHAPE, snn_captioner_caption_image(a, 8, &na, NULL, again, big, NULL));
    CHECK(strstr(snn_last_error(), "trained on 8 x 8") != NULL, "size message: %s", snn_last_error());
    EXPECT_STATUS(SNN_ERR_SHAPE, snn_captioner_caption_image(a, 8, &na, NULL, again, rgb, NULL));
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_captioner_get_options(NULL, again));
    snn_module *lin = NULL;
    CHECK_OK(snn_module_linear(&lin, 2, 2, true));
    EXPECT_STATUS(SNN_ERR_INVALID_HANDLE, snn_captioner_get_options(&got, lin));

    /* bad preprocessing options */
    snn_module *bad = NULL;
    o.pixel_std = 0;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_captioner_new(&bad, &o, VOCAB));
    o.pixel_std = 1; o.pixel_mean = 1.0 / 0.0;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_captioner_new(&bad, &o, VOCAB));
    o.pixel_mean = 0; o.image_width = 0;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_captioner_new(&bad, &o, VOCAB));
    o.image_width = -1; o.image_height = -1;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_captioner_new(&bad, &o, VOCAB));
    CHECK(bad == NULL, "no handle on failure");

    /* struct_size must be sizeof: a struct ending before pixel_mean or feature_grid (no such
     * header shipped) is refused */
    snn_captioner_options old;
    CHECK_OK(snn_captioner_options_init(&old));
    old.in_channels = 1; old.hidden_size = 16; old.base_channels = 4; old.conv_blocks = 2;
    old.struct_size = offsetof(snn_captioner_options, pixel_mean);
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_captioner_new(&bad, &old, VOCAB));
    old.struct_size = offsetof(snn_captioner_options, feature_grid);
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_captioner_new(&bad, &old, VOCAB));
    CHECK(strstr(snn_last_error(), "struct_size") != NULL, "message: %s", snn_last_error());
    /* feature_grid out of range; a 3 x 3 grid builds and round-trips through the config */
    old.struct_size = sizeof old;
    old.feature_grid = 0;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_captioner_new(&bad, &old, VOCAB));
    old.feature_grid = 9;
    EXPECT_STATUS(SNN_ERR_INVALID_ARGUMENT, snn_captioner_new(&bad, &old, VOCAB));
    old.feature_grid = 3;
    CHECK_OK(snn_captioner_new(&bad, &old, VOCAB));
    if (bad) {
        CHECK_OK(snn_captioner_get_options(&got, bad));
        CHECK(got.feature_grid == 3, "feature_grid 3 kept");
    }
    snn_module_free(bad);
    snn_module_free(lin);
    snn_tensor_free(big); snn_tensor_free(rgb); snn_tensor_free(raw); snn_tensor_free(norm);
    snn_module_free(again);
    snn_module_free(m);
}

int main(void) {
    test_vocab_and_loss();
    test_preprocessing();
    test_bad_inputs();
    CHECK(live_handles() == 0, "%lld handles still live at exit", (long long)live_handles());
    return report("test_caption");
}
