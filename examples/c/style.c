/* Neural style transfer from the C API alone (swiftnn/style.h): a photo repainted in the
 * style of a painting through torchvision's ImageNet MobileNetV2, with progress and an ETA.
 *
 *     build/examples/style content.png painting.png out.png [--size 512] [--steps 300]
 *     build/examples/style --smoke        (the golden test's small images, 5 steps)
 *
 * The content image's centred square is resized to size x size; the style image is resized
 * so that its longer side is `size`. Weights: build/zoo/mobilenet_v2.safetensors
 * (`make zoo-weights`). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <swiftnn.h>

#define WEIGHTS "build/zoo/mobilenet_v2.safetensors"

static int fail(const char *what) {
    fprintf(stderr, "style: %s: %s\n", what, snn_last_error());
    return 1;
}

static bool on_progress(const snn_progress *p, void *user) {
    const snn_style_losses *l = user;
    printf("  step %4lld/%lld  loss %9.4f (content %.4f, style %.4f, tv %.4f)  %5.1f steps/s  ETA %4.0f s\n",
           (long long)p->step, (long long)p->steps_per_epoch, l->total, l->content, l->style, l->tv,
           p->samples_per_second, p->eta_seconds);
    fflush(stdout);
    return true;
}

/* image [3, H, W] -> [3, h, w] with the longer side `longest` (square: the centred square,
 * size x size). */
static snn_status resize(snn_tensor **out, const snn_tensor *image, int64_t size, bool square) {
    int64_t shape[3];
    snn_status s = snn_tensor_shape(shape, 3, image);
    if (s != SNN_OK) return s;
    int64_t h = shape[1], w = shape[2];
    if (square) {
        int64_t side = h < w ? h : w;
        snn_tensor *crop = NULL;
        if ((s = snn_image_center_crop(&crop, image, side, side)) != SNN_OK) return s;
        s = snn_image_resize(out, crop, size, size, true);
        snn_tensor_free(crop);
        return s;
    }
    double scale = (double)size / (double)(h > w ? h : w);
    int64_t nh = (int64_t)(h * scale + 0.5), nw = (int64_t)(w * scale + 0.5);
    return snn_image_resize(out, image, nh < 32 ? 32 : nh, nw < 32 ? 32 : nw, true);
}

int main(int argc, char **argv) {
    const char *paths[3] = {NULL, NULL, "build/style_c.png"};
    int64_t size = 512, steps = 300;
    bool smoke = false;
    int n = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--smoke")) smoke = true;
        else if (!strcmp(argv[i], "--size") && i + 1 < argc) size = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc) steps = atoll(argv[++i]);
        else if (n < 3) paths[n++] = argv[i];
        else { fprintf(stderr, "usage: style content.png painting.png [out.png] [--size N] [--steps N] | --smoke\n"); return 2; }
    }
    snn_module *net = NULL;
    if (snn_model_mobilenet_v2(&net, WEIGHTS, NULL) != SNN_OK) return fail("loading " WEIGHTS " (make zoo-weights)");
    snn_tensor *content = NULL, *style = NULL;
    if (smoke) {
        /* The golden test's inputs (a 64 x 80 photo and a 64 x 96 painting), so the smoke run
         * needs no data beyond the repository. */
        snn_tensor_map *m = NULL;
        if (snn_tensor_map_load(&m, "Tests/golden/style/mobilenet_v2_style.safetensors") != SNN_OK) return fail("golden file");
        if (snn_tensor_map_get(&content, m, "content") != SNN_OK || snn_tensor_map_get(&style, m, "style") != SNN_OK)
            return fail("golden tensors");
        snn_tensor_map_free(m);
        steps = 5;
    } else {
        if (!paths[0] || !paths[1]) {
            fprintf(stderr, "usage: style content.png painting.png [out.png] [--size N] [--steps N] | --smoke\n");
            return 2;
        }
        snn_tensor *c = NULL, *s = NULL;
        if (snn_image_read(&c, paths[0], 3) != SNN_OK) return fail(paths[0]);
        if (snn_image_read(&s, paths[1], 3) != SNN_OK) return fail(paths[1]);
        if (resize(&content, c, size, true) != SNN_OK || resize(&style, s, size, false) != SNN_OK) return fail("resizing");
        snn_tensor_free(c);
        snn_tensor_free(s);
    }
    snn_style_losses losses = {sizeof losses, 0, 0, 0, 0};
    snn_style_options o;
    snn_style_options_init(&o);
    o.steps = steps;
    o.report_every = steps >= 15 ? steps / 15 : 1;
    o.progress = on_progress;
    o.user_data = &losses;
    o.losses = &losses;
    snn_tensor *out = NULL, *image = NULL;
    printf("style transfer: %lld Adam steps\n", (long long)steps);
    if (snn_style_transfer(&out, net, content, style, &o) != SNN_OK) return fail("snn_style_transfer");
    int64_t batch_dim = 0;
    if (snn_tensor_squeeze(&image, out, &batch_dim, 1) != SNN_OK) return fail("squeeze");
    if (snn_image_write_png(image, paths[2]) != SNN_OK) return fail(paths[2]);
    printf("wrote %s (final loss %.4f)\n", paths[2], losses.total);
    snn_tensor_free(image);
    snn_tensor_free(out);
    snn_tensor_free(content);
    snn_tensor_free(style);
    snn_module_free(net);
    return 0;
}
