/* LeNet-5 on real MNIST through the C API alone: load the IDX files, build the network,
 * train with SGD + momentum and a cosine learning-rate schedule while a progress callback
 * prints epoch, step, loss, images/s and ETA, evaluate the test error on the 10,000 test
 * images, save a checkpoint, reload it and check the reloaded model gives identical outputs.
 *
 *   ./build/examples/lenet5 [--data data/mnist] [--epochs 8] [--out build/lenet5.safetensors]
 *                           [--smoke]   (1 epoch on 2,000 images: a quick end-to-end check)
 *                           [--distributed]  (data-parallel under mpirun: see below)
 *
 *   mpirun -np 2 ./build/examples/lenet5 --distributed
 * trains on N ranks with the same global batch (64, so 64/N images per rank, rounded down: each rank's
 * share of every epoch from snn_dataloader_shard) and gradients averaged by snn_ddp; rank 0
 * prints progress with the global images/s and writes the checkpoint; every rank evaluates
 * the test set and must find the same error (they hold the same weights).
 *
 * Exits non-zero on any error, if the reloaded model disagrees, or (not in --smoke) if the
 * test error exceeds --max-error percent (default 1.0). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <swiftnn.h>

#define TRY(call) do { snn_status s_ = (call); if (s_ != SNN_OK) { \
    fprintf(stderr, "\nlenet5: %s failed: %s: %s\n", #call, snn_status_string(s_), snn_last_error()); exit(1); } } while (0)

static snn_module *conv(int64_t in, int64_t out, int64_t k, int64_t pad) {
    snn_conv2d_options o;
    TRY(snn_conv2d_options_init(&o));
    o.pad_h = o.pad_w = pad;
    snn_module *m;
    TRY(snn_module_conv2d(&m, in, out, k, k, &o, true));
    return m;
}

static snn_module *maxpool2(void) {
    snn_pool2d_options o;
    TRY(snn_pool2d_options_init(&o));
    o.kernel_h = o.kernel_w = 2;
    snn_module *m;
    TRY(snn_module_max_pool2d(&m, &o));
    return m;
}

static snn_module *relu(void) { snn_module *m; TRY(snn_module_relu(&m)); return m; }

static snn_module *linear(int64_t in, int64_t out) {
    snn_module *m;
    TRY(snn_module_linear(&m, in, out, true));
    return m;
}

/* LeNet-5 as it is usually built today: ReLU and max pooling instead of the 1998 sigmoids. */
static snn_module *lenet5(void) {
    snn_module *flat;
    TRY(snn_module_flatten(&flat, 1, -1));
    snn_module *layers[] = {
        conv(1, 6, 5, 2), relu(), maxpool2(),       /* [N, 6, 14, 14] */
        conv(6, 16, 5, 0), relu(), maxpool2(),      /* [N, 16, 5, 5]  */
        flat, linear(400, 120), relu(), linear(120, 84), relu(), linear(84, 10),
    };
    size_t n = sizeof layers / sizeof layers[0];
    snn_module *net;
    TRY(snn_module_sequential(&net, layers, n, NULL));
    for (size_t i = 0; i < n; i++) snn_module_free(layers[i]);  /* the Sequential holds them */
    return net;
}

/* (x - mean) / std, MNIST's usual normalisation. */
static snn_tensor *normalise(snn_tensor *x) {
    snn_tensor *mean, *std, *centred, *out;
    TRY(snn_tensor_full(&mean, NULL, 0, 0.1307f));
    TRY(snn_tensor_full(&std, NULL, 0, 0.3081f));
    TRY(snn_tensor_sub(&centred, x, mean));
    TRY(snn_tensor_div(&out, centred, std));
    snn_tensor_free(mean); snn_tensor_free(std); snn_tensor_free(centred); snn_tensor_free(x);
    return out;
}

static snn_tensor *head(snn_tensor *t, int64_t n) {  /* the first n rows */
    snn_tensor *out;
    TRY(snn_tensor_slice(&out, t, 0, 0, n, 1));
    snn_tensor_free(t);
    return out;
}

static bool on_progress(const snn_progress *p, void *user) {
    (void)user;
    printf("\repoch %lld/%lld  step %4lld/%lld  loss %.4f  %6.0f img/s  lr %.4f  ETA %4.0f s ",
           (long long)p->epoch, (long long)p->epochs, (long long)p->step, (long long)p->steps_per_epoch,
           p->loss, p->samples_per_second, p->learning_rate, p->eta_seconds);
    if (p->end_of_epoch) printf("\n");
    fflush(stdout);
    return true;
}

int main(int argc, char **argv) {
    const char *data = "data/mnist", *out = "build/lenet5.safetensors";
    int64_t epochs = 8;
    double max_error = 1.0;
    bool smoke = false, distributed = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--data") && i + 1 < argc) data = argv[++i];
        else if (!strcmp(argv[i], "--epochs") && i + 1 < argc) epochs = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(argv[i], "--max-error") && i + 1 < argc) max_error = atof(argv[++i]);
        else if (!strcmp(argv[i], "--smoke")) smoke = true;
        else if (!strcmp(argv[i], "--distributed")) distributed = true;
        else { fprintf(stderr, "usage: %s [--data DIR] [--epochs N] [--out FILE] [--max-error PCT] [--smoke] [--distributed]\n", argv[0]); return 2; }
    }
    if (smoke) epochs = 1;
    TRY(snn_manual_seed(1));
    int64_t rank = 0, world = 1;
    if (distributed) {
        TRY(snn_dist_init(NULL));
        TRY(snn_dist_rank(&rank));
        TRY(snn_dist_size(&world));
        if (world > 64) { fprintf(stderr, "lenet5: at most 64 ranks (one image per rank per step)\n"); return 2; }
    }
    if (rank != 0 && !freopen("/dev/null", "w", stdout)) return 1;  /* rank 0 speaks for all */

    snn_tensor *train_x, *train_y, *test_x, *test_y;
    snn_status st = snn_mnist_load(&train_x, &train_y, data, true);
    if (st != SNN_OK) {
        fprintf(stderr, "lenet5: %s\nlenet5: fetch real MNIST first with `tools/setup.sh && make data`\n", snn_last_error());
        return 1;
    }
    TRY(snn_mnist_load(&test_x, &test_y, data, false));
    if (smoke) { train_x = head(train_x, 2000); train_y = head(train_y, 2000); test_x = head(test_x, 1000); test_y = head(test_y, 1000); }
    train_x = normalise(train_x);
    test_x = normalise(test_x);
    int64_t n_train, n_test;
    TRY(snn_tensor_numel(&n_train, train_y));
    TRY(snn_tensor_numel(&n_test, test_y));
    printf("MNIST from %s: %lld training and %lld test images\n", data, (long long)n_train, (long long)n_test);

    snn_module *net = lenet5();
    char summary[4096];
    int64_t in_shape[4] = {1, 1, 28, 28};
    TRY(snn_module_summary(summary, sizeof summary, NULL, net, in_shape, 4));
    printf("%s", summary);

    size_t np;
    TRY(snn_module_parameters(NULL, 0, &np, net));
    snn_tensor **params = calloc(np, sizeof *params);
    TRY(snn_module_parameters(params, np, &np, net));
    snn_sgd_options so;
    TRY(snn_sgd_options_init(&so));
    so.lr = 0.05;
    so.momentum = 0.9;
    so.weight_decay = 5e-4;
    so.nesterov = true;
    snn_optimizer *opt;
    TRY(snn_optimizer_sgd(&opt, params, np, &so));
    for (size_t i = 0; i < np; i++) snn_tensor_free(params[i]);
    free(params);
    snn_lr_scheduler *sched;
    TRY(snn_lr_scheduler_cosine(&sched, opt, epochs, 0.0));
    snn_dataloader *loader;
    TRY(snn_dataloader_new(&loader, train_x, train_y, 64 / world, true, 1, false));
    snn_ddp *ddp = NULL;
    if (distributed) {
        TRY(snn_ddp_new(&ddp, net, NULL));   /* checks the ranks' models agree, copies rank 0's */
        TRY(snn_dataloader_shard(loader, world, rank));
        printf("data-parallel on %lld ranks: %lld images per rank per step (global batch %lld)\n", (long long)world,
               (long long)(64 / world), (long long)(64 / world * world));
    }

    snn_fit_options fo;
    TRY(snn_fit_options_init(&fo));
    fo.epochs = epochs;
    fo.report_every = 100;
    fo.progress = on_progress;
    fo.scheduler = sched;
    fo.ddp = ddp;
    TRY(snn_classifier_fit(net, opt, loader, &fo));

    double loss, acc;
    TRY(snn_classifier_evaluate(&loss, &acc, net, test_x, test_y, 500));
    double error = 100.0 * (1.0 - acc);
    printf("test: loss %.4f  error %.2f%% (%lld of %lld wrong)\n", loss, error,
           (long long)llround((1.0 - acc) * (double)n_test), (long long)n_test);

    if (distributed) {  /* same weights everywhere, so the same error: gather it to check */
        snn_tensor *e, *all;
        float ev = (float)error, errs[64];
        int64_t one = 1;
        TRY(snn_tensor_from_data(&e, &ev, 1, &one, 1));
        TRY(snn_dist_allgather(&all, e));
        TRY(snn_tensor_copy_data(errs, (size_t)world, all));
        for (int64_t r = 1; r < world && r < 64; r++)
            if (errs[r] != errs[0]) { fprintf(stderr, "lenet5: rank %lld found test error %.2f%%, rank 0 %.2f%%\n", (long long)r, errs[r], errs[0]); return 1; }
        printf("all %lld ranks agree on the test error\n", (long long)world);
        snn_tensor_free(e); snn_tensor_free(all);
        TRY(snn_ddp_free(ddp));
    }
    if (rank != 0) {  /* rank 0 alone writes the checkpoint */
        snn_dataloader_free(loader); snn_lr_scheduler_free(sched); snn_optimizer_free(opt); snn_module_free(net);
        snn_tensor_free(train_x); snn_tensor_free(train_y); snn_tensor_free(test_x); snn_tensor_free(test_y);
        TRY(snn_dist_finalize());
        return 0;
    }
    TRY(snn_module_save(net, out));
    snn_module *again;
    TRY(snn_module_load(&again, out));
    double loss2, acc2;
    TRY(snn_classifier_evaluate(&loss2, &acc2, again, test_x, test_y, 500));
    /* Same logits, bit for bit, on the first 500 test images. */
    snn_tensor *probe, *a, *b;
    TRY(snn_tensor_slice(&probe, test_x, 0, 0, 500, 1));
    TRY(snn_module_train(net, false));
    TRY(snn_module_forward(&a, net, probe));
    TRY(snn_module_forward(&b, again, probe));
    float *va = malloc(500 * 10 * sizeof(float)), *vb = malloc(500 * 10 * sizeof(float));
    TRY(snn_tensor_copy_data(va, 5000, a));
    TRY(snn_tensor_copy_data(vb, 5000, b));
    int same = memcmp(va, vb, 5000 * sizeof(float)) == 0 && acc == acc2;
    printf("checkpoint %s reloaded: test error %.2f%%, logits %s\n", out, 100.0 * (1.0 - acc2),
           same ? "identical" : "DIFFERENT");
    free(va); free(vb);
    snn_tensor_free(a); snn_tensor_free(b); snn_tensor_free(probe);
    snn_module_free(again); snn_dataloader_free(loader); snn_lr_scheduler_free(sched);
    snn_optimizer_free(opt); snn_module_free(net);
    snn_tensor_free(train_x); snn_tensor_free(train_y); snn_tensor_free(test_x); snn_tensor_free(test_y);
    if (distributed) TRY(snn_dist_finalize());
    int64_t live;
    TRY(snn_live_handles(&live));
    if (live != 0) { fprintf(stderr, "lenet5: %lld handles leaked\n", (long long)live); return 1; }
    if (!same) return 1;
    if (!smoke && error > max_error) { fprintf(stderr, "lenet5: test error %.2f%% is above %.2f%%\n", error, max_error); return 1; }
    return 0;
}
