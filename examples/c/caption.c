/* Captions an image with a trained SwiftNN ImageCaptioner checkpoint, through the C API alone.
 *
 *   ./build/examples/caption CHECKPOINT IMAGE [--beam 3] [--length-penalty 0.7] [--max-length 20]
 *   ./build/examples/caption --smoke
 *
 * CHECKPOINT: a captioner saved by snn_module_save / swiftnn.nn.save_model (the vocabulary is
 * in its metadata), e.g. build/captioner_emoji.safetensors from examples/python/captioner.py.
 * IMAGE: either
 *   - a PNG file (any PNG: gray, RGB, palette, with alpha, 16-bit, interlaced), read with
 *     snn_image_read as the model's in_channels (alpha composited onto white) and normalised
 *     by snn_captioner_caption_image with the pixel_mean / pixel_std saved in the checkpoint
 *     (captioner.py writes build/caption_image_<dataset>.png); its size must be the training
 *     size when the checkpoint records it (resize it first otherwise); or
 *   - a safetensors file holding one float32 tensor named "image", shaped [C, H, W] and
 *     already normalised as in training (build/caption_image_<dataset>.safetensors;
 *     swiftnn.save({"image": t}, path) makes one), captioned by snn_captioner_caption.
 * Prints the greedy caption and the beam-search caption with their log-probabilities.
 *
 * --smoke: builds a small untrained captioner with a pixel normalisation and an image, saves
 * the model, the image as PNG and the normalised image as safetensors to temporary files, and
 * runs both paths (load, caption greedy and beam, beam width 1 equal to greedy, the PNG
 * route's captions equal to the normalised tensor's). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <swiftnn.h>

#define TRY(call) do { snn_status s_ = (call); if (s_ != SNN_OK) { \
    fprintf(stderr, "caption: %s failed: %s: %s\n", #call, snn_status_string(s_), snn_last_error()); exit(1); } } while (0)

/* Captions image with m; returns the token count (tokens in tok[0..cap)). pixels: the image
 * holds pixel values in [0, 1] (a PNG) that the captioner normalises itself. */
static size_t run(snn_module *m, snn_tensor *image, int pixels, int64_t beam, double penalty, int64_t max_length,
                  int64_t *tok, size_t cap, const char *label) {
    snn_caption_options o;
    TRY(snn_caption_options_init(&o));
    o.beam_width = beam;
    o.length_penalty = penalty;
    o.max_length = max_length;
    size_t n = 0;
    double lp = 0;
    if (pixels) TRY(snn_captioner_caption_image(tok, cap, &n, &lp, m, image, &o));
    else TRY(snn_captioner_caption(tok, cap, &n, &lp, m, image, &o));
    char text[4096];
    size_t len = 0;
    TRY(snn_captioner_decode(text, sizeof text, &len, m, tok, n));
    printf("%-16s \"%s\"  (log p = %.3f)\n", label, text, lp);
    return n;
}

static int is_png(const char *path) {
    size_t n = strlen(path);
    return n >= 4 && strcasecmp(path + n - 4, ".png") == 0;
}

/* Captions image_path with the checkpoint; the greedy tokens go to greedy[0..10001) and their
 * count is returned through *n_greedy (for the smoke test's comparison of the two routes). */
static int caption_files(const char *ckpt, const char *image_path, int64_t beam, double penalty, int64_t max_length, int smoke,
                         int64_t *greedy, size_t *n_greedy) {
    snn_module *m = NULL;
    TRY(snn_module_load(&m, ckpt));
    int64_t v = 0;
    TRY(snn_captioner_vocab_size(&v, m));
    snn_captioner_options cfg;
    TRY(snn_captioner_get_options(&cfg, m));
    int png = is_png(image_path);
    snn_tensor_map *file = NULL;
    snn_tensor *image = NULL;
    if (png) {
        TRY(snn_image_read(&image, image_path, cfg.in_channels));
    } else {
        TRY(snn_tensor_map_load(&file, image_path));
        TRY(snn_tensor_map_get(&image, file, "image"));
    }
    int64_t shape[4] = {0};
    size_t nd = 0;
    TRY(snn_tensor_ndim(&nd, image));
    TRY(snn_tensor_shape(shape, 4, image));
    printf("caption: %s (vocabulary %lld tokens, pixel mean %g std %g), image %s [%lld, %lld, %lld]%s\n", ckpt,
           (long long)v, cfg.pixel_mean, cfg.pixel_std, image_path, (long long)shape[0], (long long)shape[1],
           (long long)shape[2], png ? " read as pixels in [0, 1]" : " (already normalised)");
    /* The captioner would refuse these too; saying it here names the files and the fix. */
    if (nd != 3 || shape[0] != cfg.in_channels) {
        fprintf(stderr, "caption: %s is not [%lld, H, W]: the model takes %lld channels\n", image_path,
                (long long)cfg.in_channels, (long long)cfg.in_channels);
        exit(1);
    }
    if (cfg.image_height > 0 && (shape[1] != cfg.image_height || shape[2] != cfg.image_width)) {
        fprintf(stderr, "caption: %s is %lld x %lld pixels, but %s was trained on %lld x %lld images; resize it first\n",
                image_path, (long long)shape[1], (long long)shape[2], ckpt, (long long)cfg.image_height, (long long)cfg.image_width);
        exit(1);
    }
    int64_t b[10001];
    size_t ng = run(m, image, png, 0, 0, max_length, greedy, 10001, "greedy:");
    *n_greedy = ng;
    char label[32];
    snprintf(label, sizeof label, "beam %lld:", (long long)beam);
    run(m, image, png, beam, penalty, max_length, b, 10001, label);
    int status = 0;
    if (smoke) {
        size_t n1 = run(m, image, png, 1, 0, max_length, b, 10001, "beam 1:");
        if (n1 != ng || memcmp(greedy, b, ng * sizeof b[0]) != 0) {
            fprintf(stderr, "caption: beam width 1 differs from greedy\n");
            status = 1;
        }
    }
    snn_tensor_free(image);
    snn_tensor_map_free(file);
    snn_module_free(m);
    return status;
}

static int smoke(void) {
    TRY(snn_manual_seed(3));
    snn_captioner_options o;
    TRY(snn_captioner_options_init(&o));
    o.embed_dim = 8; o.hidden_size = 16; o.base_channels = 4; o.conv_blocks = 2;
    o.pixel_mean = 0.5; o.pixel_std = 0.5; o.image_height = 16; o.image_width = 16;  /* as the emoji set */
    snn_module *m = NULL;
    TRY(snn_captioner_new(&m, &o, "a\nsmiling\nface\ncat\nwith\nheart\n"));
    /* mkstemp's names end in XXXXXX; the PNG route goes by the .png suffix, so add one. */
    char ckpt[] = "/tmp/snn_caption_ckpt_XXXXXX", img[] = "/tmp/snn_caption_img_XXXXXX", png[64];
    int f1 = mkstemp(ckpt), f2 = mkstemp(img);
    if (f1 < 0 || f2 < 0) { perror("mkstemp"); return 1; }
    close(f1);
    close(f2);
    snprintf(png, sizeof png, "%s.png", img);
    TRY(snn_module_save(m, ckpt));
    /* Pixels on the 8-bit grid (k / 255), so the PNG holds them exactly, and the normalised
     * copy computed here as training code would: (x - 0.5) / 0.5 in float. */
    int64_t shape[] = {3, 16, 16};
    snn_tensor *pixels = NULL, *image = NULL;
    float x01[3 * 16 * 16], data[3 * 16 * 16];
    for (int i = 0; i < 3 * 16 * 16; i++) {
        x01[i] = (float)((i * 13) % 256) / 255.0f;
        data[i] = (x01[i] - 0.5f) / 0.5f;
    }
    TRY(snn_tensor_from_data(&pixels, x01, 3 * 16 * 16, shape, 3));
    TRY(snn_image_write_png(pixels, png));
    TRY(snn_tensor_from_data(&image, data, 3 * 16 * 16, shape, 3));
    snn_tensor_map *map = NULL;
    TRY(snn_tensor_map_new(&map));
    TRY(snn_tensor_map_set(map, "image", image));
    TRY(snn_tensor_map_save(map, img));
    int64_t g1[10001], g2[10001];
    size_t n1 = 0, n2 = 0;
    int status = caption_files(ckpt, img, 3, 0.7, 6, 1, g1, &n1);
    status |= caption_files(ckpt, png, 3, 0.7, 6, 1, g2, &n2);
    if (n1 != n2 || memcmp(g1, g2, n1 * sizeof g1[0]) != 0) {
        fprintf(stderr, "caption: the PNG route gives another greedy caption than the normalised tensor\n");
        status = 1;
    }
    snn_tensor_map_free(map);
    snn_tensor_free(image);
    snn_tensor_free(pixels);
    snn_module_free(m);
    unlink(ckpt);
    unlink(img);
    unlink(png);
    int64_t live = 0;
    TRY(snn_live_handles(&live));
    if (live != 0) { fprintf(stderr, "caption: %lld handles still live\n", (long long)live); status = 1; }
    if (status == 0) printf("caption --smoke: ok\n");
    return status;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "--smoke") == 0) return smoke();
    if (argc < 3) {
        fprintf(stderr, "usage: %s CHECKPOINT IMAGE.png|IMAGE.safetensors [--beam N] [--length-penalty A] [--max-length N]\n"
                        "       %s --smoke\n", argv[0], argv[0]);
        return 2;
    }
    int64_t beam = 3, max_length = 20;
    double penalty = 0.7;
    for (int i = 3; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--beam") == 0) beam = atoll(argv[i + 1]);
        else if (strcmp(argv[i], "--length-penalty") == 0) penalty = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--max-length") == 0) max_length = atoll(argv[i + 1]);
        else { fprintf(stderr, "caption: unknown option %s\n", argv[i]); return 2; }
    }
    static int64_t greedy[10001];
    size_t n = 0;
    return caption_files(argv[1], argv[2], beam, penalty, max_length, 0, greedy, &n);
}
