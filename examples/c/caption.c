/* Captions an image with a trained SwiftNN ImageCaptioner checkpoint, through the C API alone.
 *
 *   ./build/examples/caption CHECKPOINT IMAGE [--beam 3] [--length-penalty 0.7] [--max-length 20]
 *   ./build/examples/caption --smoke
 *
 * CHECKPOINT: a captioner saved by snn_module_save / swiftnn.nn.save_model (the vocabulary is
 * in its metadata), e.g. build/captioner_emoji.safetensors from examples/python/captioner.py.
 * IMAGE: a safetensors file holding one float32 tensor named "image", shaped [C, H, W] and
 * already normalised as in training (captioner.py writes build/caption_image_<dataset>.safetensors;
 * swiftnn.save({"image": t}, path) makes one). Prints the greedy caption and the beam-search
 * caption with their log-probabilities.
 *
 * --smoke: builds a small untrained captioner and an image, saves both to temporary files and
 * runs the same path (load, caption greedy and beam, beam width 1 equal to greedy). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <swiftnn.h>

#define TRY(call) do { snn_status s_ = (call); if (s_ != SNN_OK) { \
    fprintf(stderr, "caption: %s failed: %s: %s\n", #call, snn_status_string(s_), snn_last_error()); exit(1); } } while (0)

/* Captions image with m; returns the token count (tokens in tok[0..cap)). */
static size_t run(snn_module *m, snn_tensor *image, int64_t beam, double penalty, int64_t max_length,
                  int64_t *tok, size_t cap, const char *label) {
    snn_caption_options o;
    TRY(snn_caption_options_init(&o));
    o.beam_width = beam;
    o.length_penalty = penalty;
    o.max_length = max_length;
    size_t n = 0;
    double lp = 0;
    TRY(snn_captioner_caption(tok, cap, &n, &lp, m, image, &o));
    char text[4096];
    size_t len = 0;
    TRY(snn_captioner_decode(text, sizeof text, &len, m, tok, n));
    printf("%-16s \"%s\"  (log p = %.3f)\n", label, text, lp);
    return n;
}

static int caption_files(const char *ckpt, const char *image_path, int64_t beam, double penalty, int64_t max_length, int smoke) {
    snn_module *m = NULL;
    TRY(snn_module_load(&m, ckpt));
    int64_t v = 0;
    TRY(snn_captioner_vocab_size(&v, m));
    snn_tensor_map *file = NULL;
    TRY(snn_tensor_map_load(&file, image_path));
    snn_tensor *image = NULL;
    TRY(snn_tensor_map_get(&image, file, "image"));
    int64_t shape[4] = {0};
    size_t nd = 0;
    TRY(snn_tensor_ndim(&nd, image));
    TRY(snn_tensor_shape(shape, 4, image));
    printf("caption: %s (vocabulary %lld tokens), image %s [%lld, %lld, %lld]\n", ckpt, (long long)v, image_path,
           (long long)shape[0], (long long)shape[1], (long long)shape[2]);
    int64_t g[10001], b[10001];
    size_t ng = run(m, image, 0, 0, max_length, g, 10001, "greedy:");
    char label[32];
    snprintf(label, sizeof label, "beam %lld:", (long long)beam);
    run(m, image, beam, penalty, max_length, b, 10001, label);
    int status = 0;
    if (smoke) {
        size_t n1 = run(m, image, 1, 0, max_length, b, 10001, "beam 1:");
        if (n1 != ng || memcmp(g, b, ng * sizeof g[0]) != 0) {
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
    snn_module *m = NULL;
    TRY(snn_captioner_new(&m, &o, "a\nsmiling\nface\ncat\nwith\nheart\n"));
    char ckpt[] = "/tmp/snn_caption_ckpt_XXXXXX", img[] = "/tmp/snn_caption_img_XXXXXX";
    int f1 = mkstemp(ckpt), f2 = mkstemp(img);
    if (f1 < 0 || f2 < 0) { perror("mkstemp"); return 1; }
    close(f1);
    close(f2);
    TRY(snn_module_save(m, ckpt));
    int64_t shape[] = {3, 16, 16};
    snn_tensor *image = NULL;
    float data[3 * 16 * 16];
    for (int i = 0; i < 3 * 16 * 16; i++) data[i] = (float)((i * 13) % 17) / 8.0f - 1.0f;
    TRY(snn_tensor_from_data(&image, data, 3 * 16 * 16, shape, 3));
    snn_tensor_map *map = NULL;
    TRY(snn_tensor_map_new(&map));
    TRY(snn_tensor_map_set(map, "image", image));
    TRY(snn_tensor_map_save(map, img));
    int status = caption_files(ckpt, img, 3, 0.7, 6, 1);
    snn_tensor_map_free(map);
    snn_tensor_free(image);
    snn_module_free(m);
    unlink(ckpt);
    unlink(img);
    int64_t live = 0;
    TRY(snn_live_handles(&live));
    if (live != 0) { fprintf(stderr, "caption: %lld handles still live\n", (long long)live); status = 1; }
    if (status == 0) printf("caption --smoke: ok\n");
    return status;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "--smoke") == 0) return smoke();
    if (argc < 3) {
        fprintf(stderr, "usage: %s CHECKPOINT IMAGE.safetensors [--beam N] [--length-penalty A] [--max-length N]\n"
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
    return caption_files(argv[1], argv[2], beam, penalty, max_length, 0);
}
