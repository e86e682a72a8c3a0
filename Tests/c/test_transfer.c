/* Transfer learning from C (swiftnn/transfer.h) against torch (Tests/golden/zoo/transfer.safetensors,
 * tools/gen_golden_transfer.py): snn_module_cache_features through the pretrained MobileNetV2's
 * first 17 blocks on real Fashion-MNIST images (gray -> RGB, resized to 96, normalised) gives
 * torch's features, in batches, with progress reports and the safetensors file; fine-tuning
 * features.17, features.18 and a new head in training mode gives torch's gradients; bad input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"

#define WEIGHTS "build/zoo/mobilenet_v2.safetensors"
#define CUT 17

static gt_file golden;

/* Worst |actual - expected| - (atol + 1e-4 |expected|) over the elements: <= 0 passes. */
static double excess(snn_tensor *t, const gt_tensor *e, double atol) {
    int64_t count = 0;
    if (snn_tensor_numel(&count, t) != SNN_OK || (size_t)count != e->count) return INFINITY;
    size_t n = (size_t)count;
    float *a = malloc(n * sizeof *a);
    if (!a || snn_tensor_copy_data(a, n, t) != SNN_OK) { free(a); return INFINITY; }
    const float *w = e->data;
    double worst = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - w[i]) - (atol + 1e-4 * fabs(w[i]));
        if (d > worst || d != d) worst = d != d ? INFINITY : d;
    }
    free(a);
    return worst;
}

static double max_abs(const gt_tensor *e) {
    double m = 0;
    for (size_t i = 0; i < e->count; i++) m = fmax(m, fabs(((const float *)e->data)[i]));
    return m;
}

static snn_module *child_path(snn_module *m, const char *a, const char *b) {
    snn_module *x = NULL, *y = NULL;
    CHECK_OK(snn_module_child(&x, m, a));
    if (!b) return x;
    CHECK_OK(snn_module_child(&y, x, b));
    snn_module_free(x);
    return y;
}

static int calls;
static bool count_progress(const snn_progress *p, void *user) {
    (void)user;
    calls++;
    CHECK(p->step == calls && p->steps_per_epoch == 3 && p->eta_seconds >= 0 && p->end_of_epoch == (calls == 3),
          "progress %d: step %lld of %lld", calls, (long long)p->step, (long long)p->steps_per_epoch);
    return true;
}

static bool stop_at_once(const snn_progress *p, void *user) { (void)p; (void)user; return false; }

static void test_cache_and_fine_tune(snn_module *net) {
    /* The frozen part: a Sequential of features.0 ... features.16, shared with net. */
    snn_module *blocks[CUT], *stem = NULL;
    char name[8];
    for (int i = 0; i < CUT; i++) { snprintf(name, sizeof name, "%d", i); blocks[i] = child_path(net, "features", name); }
    CHECK_OK(snn_module_sequential(&stem, blocks, CUT, NULL));
    const gt_tensor *gi = gt_find(&golden, "images"), *gf = gt_find(&golden, "features");
    CHECK(gi && gf, "golden images/features missing");
    if (!gi || !gf || !stem) return;
    snn_tensor *images = from_golden(gi), *features = NULL;
    snn_image_preprocess_options pre;
    CHECK_OK(snn_image_preprocess_options_init(&pre));
    pre.resize_size = 96; pre.crop_size = 96;
    snn_feature_cache_options o;
    CHECK_OK(snn_feature_cache_options_init(&o));
    CHECK(o.batch_size == 64 && o.preprocess == NULL && o.path == NULL, "cache option defaults");
    const char *path = "build/tests/transfer_features.safetensors";
    o.batch_size = 3; o.preprocess = &pre; o.path = path; o.progress = count_progress;
    CHECK_OK(snn_module_cache_features(&features, stem, images, "", &o));
    CHECK(calls == 3, "progress called %d times for 8 images in batches of 3", calls);
    /* measured worst |diff| 5.9e-5 on values up to 17: inside the relative part of the rule */
    double d = features ? excess(features, gf, 2e-5) : INFINITY;
    CHECK(d <= 0, "cached features exceed the tolerance by %g", d);
    bool rg = true;
    if (features) CHECK_OK(snn_tensor_requires_grad(&rg, features));
    CHECK(!rg, "cached features must not require grad");
    snn_tensor_map *file = NULL;
    snn_tensor *back = NULL;
    CHECK_OK(snn_tensor_map_load(&file, path));
    if (file) CHECK_OK(snn_tensor_map_get(&back, file, "features"));
    d = back ? excess(back, gf, 2e-5) : INFINITY;
    CHECK(d <= 0, "features read back from %s differ by %g", path, d);
    snn_tensor_free(back); snn_tensor_map_free(file);

    /* The same features by layer name from the whole model. */
    snn_tensor *by_name = NULL;
    o.path = NULL; o.progress = NULL; o.batch_size = 8;
    CHECK_OK(snn_module_cache_features(&by_name, net, images, "features.16", &o));
    d = by_name ? excess(by_name, gf, 2e-5) : INFINITY;
    CHECK(d <= 0, "features by layer name differ by %g", d);
    snn_tensor_free(by_name);

    /* Bad input: each fails with a message, *out NULL. */
    snn_tensor *bad = (snn_tensor *)1;
    CHECK(snn_module_cache_features(&bad, net, images, "features.99", &o) == SNN_ERR_OUT_OF_RANGE && bad == NULL,
          "unknown layer: %s", snn_last_error());
    o.batch_size = 0;
    CHECK(snn_module_cache_features(&bad, stem, images, "", &o) == SNN_ERR_INVALID_ARGUMENT, "batch_size 0");
    o.batch_size = 4; o.progress = stop_at_once;
    CHECK(snn_module_cache_features(&bad, stem, images, "", &o) == SNN_ERR_INVALID_ARGUMENT && bad == NULL &&
          strstr(snn_last_error(), "snn_module_cache_features") != NULL, "stopped: %s", snn_last_error());
    o.progress = NULL;
    CHECK(snn_module_cache_features(&bad, stem, NULL, "", &o) == SNN_ERR_INVALID_ARGUMENT, "NULL inputs");
    o.struct_size = 3;
    CHECK(snn_module_cache_features(&bad, stem, images, "", &o) == SNN_ERR_INVALID_ARGUMENT, "struct_size");

    /* Fine-tuning: features.17, features.18, pooling and a new head in training mode. */
    snn_module *b17 = NULL, *b18 = NULL, *pool = NULL, *flat = NULL, *head = NULL, *tail = NULL;
    snprintf(name, sizeof name, "%d", CUT); b17 = child_path(net, "features", name);
    snprintf(name, sizeof name, "%d", CUT + 1); b18 = child_path(net, "features", name);
    CHECK_OK(snn_module_adaptive_avg_pool2d(&pool, 1, 1));
    CHECK_OK(snn_module_flatten(&flat, 1, -1));
    CHECK_OK(snn_module_linear(&head, 1280, 10, true));
    snn_module *parts[5] = {b17, b18, pool, flat, head};
    const char *names[5] = {"b17", "b18", "pool", "flat", "head"};
    CHECK_OK(snn_module_sequential(&tail, parts, 5, names));
    snn_tensor_map *hw = NULL;
    snn_tensor *w = from_golden(gt_find(&golden, "head.weight")), *b = from_golden(gt_find(&golden, "head.bias"));
    CHECK_OK(snn_tensor_map_new(&hw));
    CHECK_OK(snn_tensor_map_set(hw, "weight", w));
    CHECK_OK(snn_tensor_map_set(hw, "bias", b));
    CHECK_OK(snn_module_load_state_dict(head, hw, true));
    CHECK_OK(snn_module_train(tail, true));
    snn_tensor *x = from_golden(gf), *labels = from_golden(gt_find(&golden, "labels")), *logits = NULL, *loss = NULL;
    CHECK_OK(snn_module_forward(&logits, tail, x));
    CHECK_OK(snn_loss_cross_entropy(&loss, logits, labels, SNN_REDUCTION_MEAN, -100, 0.0f));
    const char *m = logits ? compare(logits, gt_find(&golden, "logits")) : "no logits";
    CHECK(m == NULL, "logits: %s", m);
    if (loss) CHECK_OK(snn_tensor_backward(loss, NULL, false));
    snn_tensor_map *params = NULL;
    CHECK_OK(snn_module_named_parameters(&params, tail));
    size_t n = 0, compared = 0;
    if (params) CHECK_OK(snn_tensor_map_count(&n, params));
    for (size_t i = 0; i < n; i++) {
        char pname[128], key[160];
        size_t len = 0;
        CHECK_OK(snn_tensor_map_name(pname, sizeof pname, &len, params, i));
        /* "b17.conv.0.0.weight" -> "grad.features.17.conv.0.0.weight"; "head.weight" stays */
        if (strncmp(pname, "b1", 2) == 0) snprintf(key, sizeof key, "grad.features.%.2s%s", pname + 1, pname + 3);
        else snprintf(key, sizeof key, "grad.%s", pname);
        const gt_tensor *want = gt_find(&golden, key);
        snn_tensor *p = NULL, *g = NULL;
        CHECK_OK(snn_tensor_map_get(&p, params, pname));
        if (p) CHECK_OK(snn_tensor_grad(&g, p));
        d = want && g ? excess(g, want, 1e-5 * fmax(1.0, max_abs(want))) : INFINITY;
        CHECK(d <= 0, "gradient %s (%s): exceeds the tolerance by %g", pname, key, d);
        compared += want != NULL;
        snn_tensor_free(g); snn_tensor_free(p);
    }
    CHECK(compared == 14 && n == 14, "compared %zu of %zu gradients (torch has 14)", compared, n);
    snn_tensor_map_free(params); snn_tensor_free(loss); snn_tensor_free(logits); snn_tensor_free(labels); snn_tensor_free(x);
    snn_tensor_free(w); snn_tensor_free(b); snn_tensor_map_free(hw);
    snn_module_free(tail); snn_module_free(head); snn_module_free(flat); snn_module_free(pool);
    snn_module_free(b18); snn_module_free(b17);
    snn_tensor_free(features); snn_tensor_free(images);
    snn_module_free(stem);
    for (int i = 0; i < CUT; i++) snn_module_free(blocks[i]);
}

int main(void) {
    int64_t base = live_handles();
    char path[512];
    snprintf(path, sizeof path, "%s/zoo/transfer.safetensors", golden_dir());
    gt_load(&golden, path);
    snn_module *net = NULL;
    CHECK_OK(snn_model_mobilenet_v2(&net, WEIGHTS, NULL));
    if (net) test_cache_and_fine_tune(net);
    snn_module_free(net);
    gt_free(&golden);
    CHECK(live_handles() == base, "live handles %lld, baseline %lld", (long long)live_handles(), (long long)base);
    return report("test_transfer");
}
