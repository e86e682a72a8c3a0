/* The model zoo from C (swiftnn/zoo.h): torchvision's MobileNetV2 logits and inner features on
 * the golden inputs (Tests/golden/zoo, tools/gen_golden_zoo.py) with the weights `make
 * zoo-weights` converts, preprocessing, class names, JPEG input, and bad input: wrong shapes
 * and channel counts, another architecture's checkpoint, NULLs, freed handles, and every
 * truncation and 400 bit flips of a JPEG in a child process; freezing and parameter groups
 * for fine-tuning. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"

#define WEIGHTS "build/zoo/mobilenet_v2.safetensors"
#define ZOOFIX "Tests/fixtures/zoo"

static gt_file golden;

static snn_tensor *batch_of(const gt_tensor *g) {
    snn_tensor *x = from_golden(g), *b = NULL;
    CHECK_OK(snn_tensor_unsqueeze(&b, x, 0));
    snn_tensor_free(x);
    return b;
}

static void test_logits_and_features(void) {
    snn_module *net = NULL;
    CHECK_OK(snn_model_mobilenet_v2(&net, WEIGHTS, NULL));
    if (!net) return;
    const char *photos[] = {"chelsea", "grace_hopper"};
    char key[128];
    for (int i = 0; i < 2; i++) {
        snprintf(key, sizeof key, "%s.input", photos[i]);
        const gt_tensor *in = gt_find(&golden, key);
        snprintf(key, sizeof key, "%s.logits", photos[i]);
        const gt_tensor *want = gt_find(&golden, key);
        CHECK(in && want, "golden %s missing", photos[i]);
        if (!in || !want) continue;
        snn_tensor *x = batch_of(in), *y = NULL, *flat = NULL;
        CHECK_OK(snn_module_forward(&y, net, x));
        int64_t shape[1] = {1000};
        CHECK_OK(snn_tensor_reshape(&flat, y, shape, 1));
        const char *m = compare(flat, want);
        CHECK(m == NULL, "%s logits: %s", photos[i], m);
        snn_tensor_free(flat); snn_tensor_free(y); snn_tensor_free(x);
    }
    /* Inner layers: per-channel spatial means of features.6 and features.18 as torchvision's
     * create_feature_extractor gave them. */
    const gt_tensor *in = gt_find(&golden, "chelsea.input");
    if (in) {
        snn_tensor *x = batch_of(in), *outs[3] = {NULL, NULL, NULL};
        const char *names[3] = {"features.6", "features.18", ""};
        CHECK_OK(snn_module_features(outs, net, x, names, 3));
        const char *keys[2] = {"chelsea.feature_mean.features.6", "chelsea.feature_mean.features.18"};
        for (int k = 0; k < 2; k++) {
            snn_tensor *mean = NULL, *flat = NULL;
            int64_t dims[2] = {2, 3};
            CHECK_OK(snn_tensor_mean(&mean, outs[k], dims, 2, false));
            const gt_tensor *want = gt_find(&golden, keys[k]);
            int64_t shape[1] = {want ? want->shape[0] : 0};
            CHECK_OK(snn_tensor_reshape(&flat, mean, shape, 1));
            const char *m = want ? compare(flat, want) : "missing";
            CHECK(m == NULL, "%s: %s", keys[k], m);
            snn_tensor_free(flat); snn_tensor_free(mean);
        }
        int64_t s[2] = {0, 0};
        size_t nd = 0;
        CHECK_OK(snn_tensor_ndim(&nd, outs[2]));
        CHECK_OK(snn_tensor_shape(s, 2, outs[2]));
        CHECK(nd == 2 && s[0] == 1 && s[1] == 1000, "\"\" is the model's output [1, 1000]");
        /* Unknown and repeated names are errors that name them; nothing is written. */
        snn_tensor *none[2] = {NULL, NULL};
        const char *bad[1] = {"features.99"};
        CHECK(snn_module_features(none, net, x, bad, 1) == SNN_ERR_OUT_OF_RANGE && strstr(snn_last_error(), "features.99")
              && none[0] == NULL, "unknown layer: %s", snn_last_error());
        const char *twice[2] = {"features.3", "features.3"};
        CHECK(snn_module_features(none, net, x, twice, 2) == SNN_ERR_INVALID_ARGUMENT, "repeated layer");
        CHECK(snn_module_features(none, net, x, NULL, 1) == SNN_ERR_INVALID_ARGUMENT, "NULL names");
        CHECK(snn_module_features(NULL, net, x, names, 1) == SNN_ERR_INVALID_ARGUMENT, "NULL outs");
        for (int k = 0; k < 3; k++) snn_tensor_free(outs[k]);
        snn_tensor_free(x);
    }
    /* The tree walks as torchvision's: features has 19 children, block 1 is an InvertedResidual. */
    snn_module *features = NULL, *block = NULL;
    CHECK_OK(snn_module_child(&features, net, "features"));
    size_t n = 0;
    CHECK_OK(snn_module_child_count(&n, features));
    CHECK(n == 19, "features has %zu children", n);
    char name[64];
    size_t len = 0;
    CHECK_OK(snn_module_child_name(name, sizeof name, &len, features, 18));
    CHECK(strcmp(name, "18") == 0, "child 18 is named %s", name);
    CHECK(snn_module_child_name(name, sizeof name, &len, features, 19) == SNN_ERR_OUT_OF_RANGE, "child 19");
    CHECK_OK(snn_module_child(&block, features, "1"));
    CHECK_OK(snn_module_type(name, sizeof name, &len, block));
    CHECK(strcmp(name, "InvertedResidual") == 0, "features.1 is a %s", name);
    snn_module_free(block); snn_module_free(features);
    snn_module_free(net);
}

static void test_preprocess_and_names(void) {
    /* The preset on the fixture JPEG: [3, 24, 32] -> Resize(256) [3, 256, 341] -> [3, 224, 224]. */
    snn_tensor *img = NULL, *x = NULL;
    CHECK_OK(snn_image_read(&img, ZOOFIX "/small.jpg", 3));
    CHECK_OK(snn_image_preprocess(&x, img, NULL));
    int64_t s[3] = {0, 0, 0};
    size_t nd = 0;
    CHECK_OK(snn_tensor_ndim(&nd, x));
    CHECK_OK(snn_tensor_shape(s, 3, x));
    CHECK(nd == 3 && s[0] == 3 && s[1] == 224 && s[2] == 224, "preprocessed shape");
    /* Gray and RGBA images are refused with the reason; so are a too-large crop and bad options. */
    snn_tensor *gray = NULL, *bad = NULL;
    CHECK_OK(snn_image_read(&gray, ZOOFIX "/small.jpg", 1));
    CHECK(snn_image_preprocess(&bad, gray, NULL) == SNN_ERR_SHAPE && bad == NULL && strstr(snn_last_error(), "channels"),
          "gray image: %s", snn_last_error());
    CHECK(snn_image_center_crop(&bad, img, 25, 10) == SNN_ERR_SHAPE, "crop larger than the image");
    snn_image_preprocess_options o;
    CHECK_OK(snn_image_preprocess_options_init(&o));
    CHECK(o.resize_size == 256 && o.crop_size == 224 && fabsf(o.std[2] - 0.225f) < 1e-7f, "defaults");
    o.std[1] = 0;
    CHECK(snn_image_preprocess(&bad, img, &o) == SNN_ERR_INVALID_ARGUMENT, "std 0: %s", snn_last_error());
    o.std[1] = 0.224f;
    o.crop_size = 300;
    CHECK(snn_image_preprocess(&bad, img, &o) == SNN_ERR_INVALID_ARGUMENT, "crop > resize");
    o.struct_size = 8;
    CHECK(snn_image_preprocess(&bad, img, &o) == SNN_ERR_INVALID_ARGUMENT, "struct_size");
    snn_tensor_free(gray); snn_tensor_free(x); snn_tensor_free(img);
    /* Resize against torch's interpolate(antialias=True). */
    const gt_tensor *r = gt_find(&golden, "resize.input"), *down = gt_find(&golden, "resize.down");
    if (r && down) {
        snn_tensor *t = from_golden(r), *y = NULL;
        CHECK_OK(snn_image_resize(&y, t, 16, 23, true));
        const char *m = compare(y, down);
        CHECK(m == NULL, "resize: %s", m);
        snn_tensor_free(y); snn_tensor_free(t);
    }
    const char *label = NULL;
    CHECK_OK(snn_imagenet_class_name(&label, 281));
    CHECK(label && strcmp(label, "tabby") == 0, "class 281 is %s", label ? label : "(null)");
    CHECK_OK(snn_imagenet_class_name(&label, 134));
    CHECK(label && strcmp(label, "crane bird") == 0, "class 134 is %s", label ? label : "(null)");
    CHECK(snn_imagenet_class_name(&label, 1000) == SNN_ERR_OUT_OF_RANGE && label == NULL, "class 1000");
    CHECK(snn_imagenet_class_name(NULL, 0) == SNN_ERR_INVALID_ARGUMENT, "NULL out");
}

static void test_bad_models(void) {
    snn_module *m = NULL;
    /* A checkpoint of another architecture (a golden file of tensors) is refused, naming keys. */
    char path[512];
    snprintf(path, sizeof path, "%s/zoo/mobilenet_v2.safetensors", golden_dir());
    CHECK(snn_model_mobilenet_v2(&m, path, NULL) == SNN_ERR_FORMAT && m == NULL && strstr(snn_last_error(), "Missing key(s)"),
          "another architecture: %s", snn_last_error());
    CHECK(snn_model_mobilenet_v2(&m, "no/such/file.safetensors", NULL) == SNN_ERR_IO, "missing file");
    snn_mobilenet_v2_options o;
    CHECK_OK(snn_mobilenet_v2_options_init(&o));
    CHECK(o.num_classes == 1000 && o.width_mult == 1.0 && o.dropout == 0.2, "defaults");
    o.num_classes = 10;   /* the ImageNet weights do not fit 10 classes */
    CHECK(snn_model_mobilenet_v2(&m, WEIGHTS, &o) == SNN_ERR_SHAPE && m == NULL, "10 classes: %s", snn_last_error());
    o.num_classes = 0;
    CHECK(snn_model_mobilenet_v2(&m, NULL, &o) == SNN_ERR_INVALID_ARGUMENT, "0 classes");
    o.num_classes = 1000;
    o.width_mult = NAN;
    CHECK(snn_model_mobilenet_v2(&m, NULL, &o) == SNN_ERR_INVALID_ARGUMENT, "NaN width");
    CHECK(snn_model_mobilenet_v2(NULL, NULL, NULL) == SNN_ERR_INVALID_ARGUMENT, "NULL out");
    /* A random model refuses inputs of the wrong shape; a freed model is an invalid handle. */
    CHECK_OK(snn_model_mobilenet_v2(&m, NULL, NULL));
    int64_t shape[4] = {1, 4, 64, 64}, small[4] = {1, 3, 16, 16};
    snn_tensor *x = NULL, *y = NULL, *tiny = NULL;
    CHECK_OK(snn_tensor_zeros(&x, shape, 4));
    CHECK(snn_module_forward(&y, m, x) == SNN_ERR_SHAPE && strstr(snn_last_error(), "[1, 4, 64, 64]"), "4 channels: %s", snn_last_error());
    CHECK_OK(snn_tensor_zeros(&tiny, small, 4));
    CHECK(snn_module_forward(&y, m, tiny) == SNN_ERR_SHAPE, "16 x 16: %s", snn_last_error());
    snn_module_free(m);
    CHECK(snn_module_forward(&y, m, x) == SNN_ERR_INVALID_HANDLE, "freed model");
    snn_tensor_free(tiny); snn_tensor_free(x);
}

/* Fine-tuning from C with what the API has: freeze `features`, unfreeze its last block, and
 * train the classifier and that block as two parameter groups with their own learning rates.
 * One SGD step moves each parameter by exactly -lr * grad of its group; frozen ones get no
 * gradient and do not move. */
static float *copy_of(snn_tensor *t, int64_t *n) {
    CHECK_OK(snn_tensor_numel(n, t));
    float *v = malloc((size_t)*n * sizeof(float));
    CHECK_OK(snn_tensor_copy_data(v, (size_t)*n, t));
    return v;
}

static void test_freeze_and_groups(void) {
    snn_module *net = NULL, *features = NULL, *last = NULL, *classifier = NULL;
    CHECK_OK(snn_model_mobilenet_v2(&net, NULL, NULL));
    CHECK_OK(snn_module_child(&features, net, "features"));
    CHECK_OK(snn_module_child(&last, features, "18"));
    CHECK_OK(snn_module_child(&classifier, net, "classifier"));
    CHECK_OK(snn_module_set_requires_grad(features, false));
    int64_t trainable = 0;
    CHECK_OK(snn_module_parameter_count(&trainable, net, true));
    CHECK(trainable == 1280 * 1000 + 1000, "trainable after freezing features: %lld", (long long)trainable);
    CHECK_OK(snn_module_set_requires_grad(last, true));   /* conv 1x1 320->1280 + BN */
    CHECK_OK(snn_module_parameter_count(&trainable, net, true));
    CHECK(trainable == 1281000 + 320 * 1280 + 2 * 1280, "trainable with features.18: %lld", (long long)trainable);

    snn_tensor *head[2] = {NULL, NULL}, *block[3] = {NULL, NULL, NULL}, *frozen[1] = {NULL};
    size_t nh = 0, nb = 0, nf = 0;
    snn_module *stem = NULL, *stem_conv = NULL;
    CHECK_OK(snn_module_child(&stem, features, "0"));
    CHECK_OK(snn_module_child(&stem_conv, stem, "0"));
    CHECK_OK(snn_module_parameters(head, 2, &nh, classifier));
    CHECK_OK(snn_module_parameters(block, 3, &nb, last));
    CHECK_OK(snn_module_parameters(frozen, 1, &nf, stem_conv));   /* features.0.0.weight */
    snn_module_free(stem_conv); snn_module_free(stem);
    snn_sgd_options o;
    CHECK_OK(snn_sgd_options_init(&o));
    o.lr = 0.1;
    snn_optimizer *opt = NULL;
    CHECK_OK(snn_optimizer_sgd(&opt, head, nh, &o));
    o.lr = 0.01;
    CHECK_OK(snn_optimizer_add_sgd_group(opt, block, nb, &o));
    size_t groups = 0;
    double lr1 = 0;
    CHECK_OK(snn_optimizer_num_groups(&groups, opt));
    CHECK_OK(snn_optimizer_get_lr(&lr1, opt, 1));
    CHECK(groups == 2 && lr1 == 0.01, "groups %zu, lr of group 1 %g", groups, lr1);

    int64_t shape[4] = {2, 3, 64, 64};
    snn_tensor *x = NULL, *y = NULL, *loss = NULL, *g_frozen = NULL;
    CHECK_OK(snn_tensor_randn(&x, shape, 4));
    CHECK_OK(snn_module_forward(&y, net, x));
    CHECK_OK(snn_tensor_sum(&loss, y, NULL, 0, false));
    CHECK_OK(snn_tensor_backward(loss, NULL, false));
    CHECK_OK(snn_tensor_grad(&g_frozen, frozen[0]));
    CHECK(g_frozen == NULL, "a frozen parameter got a gradient");
    snn_tensor *moved[2] = {head[0], block[0]};
    double lrs[2] = {0.1, 0.01};
    int64_t n[3];
    float *before[3], *grad[2];
    for (int k = 0; k < 2; k++) {
        snn_tensor *g = NULL;
        before[k] = copy_of(moved[k], &n[k]);
        CHECK_OK(snn_tensor_grad(&g, moved[k]));
        CHECK(g != NULL, "parameter %d has no gradient", k);
        grad[k] = g ? copy_of(g, &n[k]) : calloc((size_t)n[k], sizeof(float));
        snn_tensor_free(g);
    }
    before[2] = copy_of(frozen[0], &n[2]);
    CHECK_OK(snn_optimizer_step(opt));
    for (int k = 0; k < 2; k++) {
        int64_t m = 0;
        float *after = copy_of(moved[k], &m);
        double worst = 0;
        int nonzero = 0;
        for (int64_t i = 0; i < m; i++) {
            double want = before[k][i] - (double)(float)lrs[k] * grad[k][i];
            double d = fabs(after[i] - want);
            if (d > worst) worst = d;
            nonzero += grad[k][i] != 0;
        }
        CHECK(worst <= 1e-6 && nonzero > 0, "group %d: |step - (-lr * grad)| up to %g (%d nonzero grads)", k, worst, nonzero);
        free(after); free(before[k]); free(grad[k]);
    }
    int64_t m = 0;
    float *after = copy_of(frozen[0], &m);
    CHECK(memcmp(after, before[2], (size_t)m * sizeof(float)) == 0, "a frozen parameter moved");
    free(after); free(before[2]);
    snn_optimizer_free(opt);
    snn_tensor_free(loss); snn_tensor_free(y); snn_tensor_free(x);
    for (size_t i = 0; i < nh; i++) snn_tensor_free(head[i]);
    for (size_t i = 0; i < nb; i++) snn_tensor_free(block[i]);
    for (size_t i = 0; i < nf; i++) snn_tensor_free(frozen[i]);
    snn_module_free(classifier); snn_module_free(last); snn_module_free(features); snn_module_free(net);
}

static int jpeg_outcome_wrong(const char *path, void *ctx) {
    (void)ctx;
    snn_tensor *t = NULL;
    snn_status st = snn_image_read(&t, path, 3);
    if (st == SNN_OK) { snn_tensor_free(t); return 0; }   /* a flipped bit libjpeg can decode */
    if (st != SNN_ERR_FORMAT || t != NULL || !strstr(snn_last_error(), path)) {
        fprintf(stderr, "%s: %s\n", snn_status_string(st), snn_last_error());
        return 1;
    }
    return 0;
}

/* EfficientNet-Lite0 (the port's names, Tests/golden/zoo/efficientnet_lite0.*): logits on the
 * port's preprocessed photo, options, and MobileNetV2's weights refused. */
static void test_efficientnet(void) {
    gt_file g;
    char path[512];
    snprintf(path, sizeof path, "%s/zoo/efficientnet_lite0.safetensors", golden_dir());
    gt_load(&g, path);
    snn_module *net = NULL;
    CHECK_OK(snn_model_efficientnet_lite0(&net, "build/zoo/efficientnet_lite0.safetensors", NULL));
    const gt_tensor *in = gt_find(&g, "grace_hopper.input"), *want = gt_find(&g, "grace_hopper.logits");
    CHECK(net && in && want, "model or golden missing");
    if (net && in && want) {
        snn_tensor *x = batch_of(in), *y = NULL, *flat = NULL;
        CHECK_OK(snn_module_forward(&y, net, x));
        int64_t shape[1] = {1000};
        CHECK_OK(snn_tensor_reshape(&flat, y, shape, 1));
        const char *m = compare(flat, want);
        CHECK(m == NULL, "EfficientNet-Lite0 logits: %s", m);
        snn_tensor_free(flat); snn_tensor_free(y); snn_tensor_free(x);
    }
    snn_module_free(net);
    snn_efficientnet_lite0_options o;
    CHECK(snn_efficientnet_lite0_options_init(NULL) == SNN_ERR_INVALID_ARGUMENT, "init NULL");
    CHECK_OK(snn_efficientnet_lite0_options_init(&o));
    CHECK(o.num_classes == 1000 && o.dropout == 0.2, "defaults");
    o.num_classes = 0;
    snn_module *bad = (snn_module *)1;
    CHECK(snn_model_efficientnet_lite0(&bad, NULL, &o) == SNN_ERR_INVALID_ARGUMENT && bad == NULL, "num_classes 0");
    CHECK(snn_model_efficientnet_lite0(&bad, WEIGHTS, NULL) == SNN_ERR_FORMAT, "MobileNetV2's weights: %s", snn_last_error());
    CHECK(strstr(snn_last_error(), "do not fit EfficientNet-Lite0") != NULL, "message: %.200s", snn_last_error());
    gt_free(&g);
}

int main(void) {
    int64_t base = live_handles();
    char path[512];
    snprintf(path, sizeof path, "%s/zoo/mobilenet_v2.safetensors", golden_dir());
    gt_load(&golden, path);
    test_logits_and_features();
    test_preprocess_and_names();
    test_bad_models();
    test_freeze_and_groups();
    test_efficientnet();
    fuzz_file_in_child(ZOOFIX "/small.jpg", 400, 19, jpeg_outcome_wrong, NULL, "JPEGs");
    gt_free(&golden);
    CHECK(live_handles() == base, "live handles %lld, baseline %lld", (long long)live_handles(), (long long)base);
    return report("test_zoo");
}
