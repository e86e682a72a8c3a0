/* Neural style transfer from C (swiftnn/style.h) against PyTorch (Tests/golden/style,
 * tools/gen_golden_style.py): the loss terms and the image gradient through torchvision's
 * MobileNetV2 (weights from `make zoo-weights`), the first 20 Adam steps through the progress
 * callback, stopping early, and bad input: NULLs, freed handles, wrong shapes and options. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"

#define WEIGHTS "build/zoo/mobilenet_v2.safetensors"

static gt_file golden;

static float golden_value(const char *key, size_t i) {
    const gt_tensor *t = gt_find(&golden, key);
    CHECK(t != NULL, "golden %s missing", key);
    return t ? ((const float *)t->data)[i] : NAN;
}

static void check_losses(const snn_style_losses *l, const char *key, double rtol, const char *what) {
    double got[4] = {l->total, l->content, l->style, l->tv};
    for (size_t i = 0; i < 4; i++) {
        double want = golden_value(key, i);
        CHECK(fabs(got[i] - want) <= rtol * fabs(want) + 1e-6, "%s term %zu: %g vs PyTorch %g", what, i, got[i], want);
    }
}

/* The default case's options are the library's defaults; the custom case's are set here as
 * tools/gen_golden_style.py sets them. */
static const char *custom_content[] = {"features.6", "features.10"};
static const char *custom_style[] = {"features.2.conv.0", "features.4"};

static void custom_options(snn_style_options *o) {
    snn_style_options_init(o);
    o->content_layers = custom_content; o->content_layer_count = 2;
    o->style_layers = custom_style; o->style_layer_count = 2;
    o->content_weight = 2.0; o->style_weight = 3e5; o->tv_weight = 0.5;
}

static void test_loss_and_gradient(snn_module *net, snn_tensor *content, snn_tensor *style, snn_tensor *image) {
    const char *cases[2] = {"default", "custom"};
    for (int c = 0; c < 2; c++) {
        snn_style_options o;
        if (c == 0) snn_style_options_init(&o); else custom_options(&o);
        snn_tensor *grad = NULL;
        snn_style_losses l = {sizeof l, 0, 0, 0, 0};
        CHECK_OK(snn_style_loss(&grad, &l, net, image, content, style, &o));
        if (!grad) continue;
        char key[64];
        snprintf(key, sizeof key, "%s.losses", cases[c]);
        check_losses(&l, key, 1e-5, cases[c]);
        snprintf(key, sizeof key, "%s.grad", cases[c]);
        const gt_tensor *want = gt_find(&golden, key);
        CHECK(want != NULL, "golden %s missing", key);
        if (want) {
            const float *w = want->data;
            float *g = NULL;
            int64_t n = 0;
            CHECK_OK(snn_tensor_numel(&n, grad));
            CHECK(n == (int64_t)(want->shape[0] * want->shape[1] * want->shape[2]), "gradient has %lld elements", (long long)n);
            g = malloc((size_t)n * sizeof *g);
            CHECK_OK(snn_tensor_copy_data(g, (size_t)n, grad));
            double worst = 0, scale = 0;
            for (int64_t i = 0; i < n; i++) {
                worst = fmax(worst, fabs(g[i] - w[i]));
                scale = fmax(scale, fabs(w[i]));
            }
            CHECK(worst <= 1e-4 * scale, "%s gradient: worst |diff| %g (largest element %g)", cases[c], worst, scale);
            free(g);
        }
        snn_tensor_free(grad);
    }
}

typedef struct { int calls; double totals[64]; snn_style_losses *losses; int stop_after; } curve;

static bool on_progress(const snn_progress *p, void *user) {
    curve *c = user;
    CHECK(p->step == c->calls + 1 && p->epoch == 1 && p->steps_per_epoch >= p->step, "progress step %lld after %d calls",
          (long long)p->step, c->calls);
    CHECK(p->loss == c->losses->total, "progress loss %g is not the step's total %g", p->loss, c->losses->total);
    if (c->calls < 64) c->totals[c->calls] = p->loss;
    c->calls++;
    return c->stop_after == 0 || c->calls < c->stop_after;
}

static void test_twenty_steps(snn_module *net, snn_tensor *content, snn_tensor *style) {
    snn_style_losses last = {sizeof last, 0, 0, 0, 0};
    curve c = {0, {0}, &last, 0};
    snn_style_options o;
    snn_style_options_init(&o);
    o.steps = 20; o.report_every = 1; o.progress = on_progress; o.user_data = &c; o.losses = &last;
    snn_tensor *out = NULL;
    CHECK_OK(snn_style_transfer(&out, net, content, style, &o));
    CHECK(c.calls == 20, "%d progress calls, expected 20", c.calls);
    for (int i = 0; i < 20 && i < c.calls; i++) {
        double want = golden_value("default.curve", (size_t)i);
        /* Adam moves near-zero-gradient pixels by +-lr on their rounding's sign, and one flip
           sends the run down another path: every path measured agrees with PyTorch to 4e-7 for
           3 steps and within 2.4e-3 by step 20 (StyleTransferTests.swift). */
        double rtol = i < 3 ? 1e-5 : 5e-3;
        CHECK(fabs(c.totals[i] - want) <= rtol * want, "step %d: loss %g vs PyTorch %g", i + 1, c.totals[i], want);
    }
    size_t rank = 0;
    int64_t shape[4] = {0};
    CHECK_OK(snn_tensor_ndim(&rank, out));
    CHECK_OK(snn_tensor_shape(shape, 4, out));
    CHECK(rank == 4 && shape[0] == 1 && shape[1] == 3 && shape[2] == 64 && shape[3] == 80, "output shape");
    snn_tensor_free(out);
    /* Returning false stops early with SNN_OK and the image so far. */
    curve s = {0, {0}, &last, 2};
    o.steps = 50; o.user_data = &s;
    CHECK_OK(snn_style_transfer(&out, net, content, style, &o));
    CHECK(s.calls == 2 && out != NULL, "stopping: %d calls", s.calls);
    snn_tensor_free(out);
}

static void expect_status(snn_status got, snn_status want, const char *what) {
    CHECK(got == want, "%s: status %d, expected %d (%s)", what, got, want, snn_last_error());
}

static void test_bad_input(snn_module *net, snn_tensor *content, snn_tensor *style) {
    snn_tensor *out = (snn_tensor *)1, *grad = NULL, *gray = NULL, *tiny = NULL;
    snn_style_losses l = {0, 0, 0, 0, 0};   /* struct_size not set */
    snn_style_options o;
    expect_status(snn_style_options_init(NULL), SNN_ERR_INVALID_ARGUMENT, "init NULL");
    expect_status(snn_style_transfer(NULL, net, content, style, NULL), SNN_ERR_INVALID_ARGUMENT, "NULL out");
    expect_status(snn_style_transfer(&out, NULL, content, style, NULL), SNN_ERR_INVALID_ARGUMENT, "NULL net");
    CHECK(out == NULL, "*out is NULL on error");
    expect_status(snn_style_transfer(&out, net, content, NULL, NULL), SNN_ERR_INVALID_ARGUMENT, "NULL style");
    expect_status(snn_style_loss(&grad, NULL, net, content, content, style, NULL), SNN_ERR_INVALID_ARGUMENT, "NULL out_losses");
    expect_status(snn_style_loss(&grad, &l, net, content, content, style, NULL), SNN_ERR_INVALID_ARGUMENT, "losses struct_size 0");
    l.struct_size = sizeof l;
    int64_t gshape[3] = {1, 64, 64}, tshape[3] = {3, 16, 16};
    CHECK_OK(snn_tensor_zeros(&gray, gshape, 3));
    CHECK_OK(snn_tensor_zeros(&tiny, tshape, 3));
    expect_status(snn_style_transfer(&out, net, gray, style, NULL), SNN_ERR_SHAPE, "gray content");
    CHECK(strstr(snn_last_error(), "[3, H, W]") != NULL, "message names the expected shape: %s", snn_last_error());
    expect_status(snn_style_transfer(&out, net, content, tiny, NULL), SNN_ERR_SHAPE, "16x16 style");
    CHECK(strstr(snn_last_error(), "32 x 32") != NULL, "message names the minimum: %s", snn_last_error());
    snn_style_options_init(&o);
    o.steps = -1;
    expect_status(snn_style_transfer(&out, net, content, style, &o), SNN_ERR_INVALID_ARGUMENT, "steps -1");
    snn_style_options_init(&o);
    o.style_layer_count = 3;   /* with style_layers NULL */
    expect_status(snn_style_transfer(&out, net, content, style, &o), SNN_ERR_INVALID_ARGUMENT, "count without names");
    const char *bad[] = {"features.99"};
    snn_style_options_init(&o);
    o.style_layers = bad; o.style_layer_count = 1;
    expect_status(snn_style_transfer(&out, net, content, style, &o), SNN_ERR_OUT_OF_RANGE, "unknown layer");
    snn_style_options_init(&o);
    o.learning_rate = NAN;
    expect_status(snn_style_transfer(&out, net, content, style, &o), SNN_ERR_INVALID_ARGUMENT, "NaN learning rate");
    snn_style_options_init(&o);
    o.struct_size = 8;
    expect_status(snn_style_transfer(&out, net, content, style, &o), SNN_ERR_INVALID_ARGUMENT, "struct_size");
    snn_style_options_init(&o);
    o.initial = tiny;
    expect_status(snn_style_transfer(&out, net, content, style, &o), SNN_ERR_SHAPE, "initial of another shape");
    snn_tensor_free(gray);
    expect_status(snn_style_transfer(&out, net, gray, style, NULL), SNN_ERR_INVALID_HANDLE, "freed content");
    expect_status(snn_style_loss(&grad, &l, net, tiny, content, style, NULL), SNN_ERR_SHAPE, "image of another shape");
    CHECK(grad == NULL, "*out_grad is NULL on error");
    snn_tensor_free(tiny);
}

int main(void) {
    int64_t base = live_handles();
    char path[512];
    snprintf(path, sizeof path, "%s/style/mobilenet_v2_style.safetensors", golden_dir());
    gt_load(&golden, path);   /* dies naming the file if it cannot be read */
    snn_module *net = NULL;
    CHECK_OK(snn_model_mobilenet_v2(&net, WEIGHTS, NULL));
    const gt_tensor *c = gt_find(&golden, "content"), *s = gt_find(&golden, "style"), *x = gt_find(&golden, "image");
    CHECK(net && c && s && x, "model or golden inputs missing");
    if (net && c && s && x) {
        snn_tensor *content = from_golden(c), *style = from_golden(s), *image = from_golden(x);
        test_loss_and_gradient(net, content, style, image);
        test_twenty_steps(net, content, style);
        test_bad_input(net, content, style);
        snn_tensor_free(content); snn_tensor_free(style); snn_tensor_free(image);
    }
    snn_module_free(net);
    gt_free(&golden);
    CHECK(live_handles() == base, "live handles %lld, baseline %lld", (long long)live_handles(), (long long)base);
    return report("test_style");
}
