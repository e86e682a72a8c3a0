/* Two builds of libswiftnn.so in one process, called alternately: the way to tell whether a
 * change made the engine faster on a machine whose speed drifts by tens of percent (separate
 * runs of each build mostly measure the drift). Prints quantiles of each build's times.
 *
 *     cc -O2 -Iinclude bench/ab_builds.c -o build/ab_builds -ldl
 *     cp build/lib/libswiftnn.so /tmp/before.so    # build A, then make the change and `make`
 *     build/ab_builds lstm 20 10 /tmp/before.so build/lib/libswiftnn.so
 *
 * Workloads: `lstm` (LSTM 128 -> 256, T 100, B 32, forward without grad, one call),
 * `charrnn` (char-RNN training on data/text/shakespeare.txt, 3 steps, time per step) and `dqn`
 * (one Double DQN update of the Nature network, batch 32 of 4x84x84 uint8 states, Adam: the
 * update that takes most of an Atari run's time), and `onnx` (a grad-free forward of the ONNX
 * file AB_ONNX through snn_onnx_load, so its inference plan, on a random [AB_BATCH or 1, 3, 224,
 * 224] input, or [AB_BATCH, C, H, W] with AB_INPUT="C,H,W": e.g. MobileNetV2 exported by
 * bench/compare_layers_ort.py's recipe), and `conv` (one
 * convolution's forward and backward with the input, weight and bias gradients, the shape from
 * AB_CONV="N,C,H,W,K,kernel,stride,pad,groups", default 64,64,32,32,128,3,1,1,1: bench_conv.py's;
 * AB_FORWARD=1: the forward alone), and `mnv2train` (a MobileNetV2 training step: freshly
 * initialised, dropout 0, batch AB_BATCH or 8 of random 224x224 images, cross-entropy, SGD with
 * momentum: bench_mobilenet_train.py's step).
 * Arguments: workload, rounds, calls per round, library A, library B. Rounds alternate which
 * build goes first; each round's calls follow a pause and one warm-up call. Both builds use
 * 2 threads, or AB_THREADS (one thread's times spread less on a noisy machine). (Each library
 * has its own step team; the other's idle helpers sleep during the pause.) */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "swiftnn.h"

typedef struct {
    void *handle;
    snn_module *model;
    snn_tensor *x;
    char *text;
    size_t length;
    snn_dqn *agent;
    snn_tensor *w, *bias, *gy; /* conv: x is the input */
    snn_tensor *labels;        /* mnv2train */
    snn_optimizer *opt;
} build_t;

static int charrnn, dqn, onnx, conv, mnv2train;
static snn_conv2d_options conv_options;

/* A fixed DQN batch (the same bytes for both builds): states and next states of random pixels. */
enum { DQN_BATCH = 32, DQN_STATE = 4 * 84 * 84 };
static uint8_t dqn_states[DQN_BATCH * DQN_STATE], dqn_next[DQN_BATCH * DQN_STATE], dqn_terminal[DQN_BATCH];
static int64_t dqn_actions[DQN_BATCH];
static float dqn_rewards[DQN_BATCH];

#define CALL(b, name) ((__typeof__(&name))symbol((b), #name))

static void *symbol(build_t *b, const char *name) {
    void *p = dlsym(b->handle, name);
    if (!p) { fprintf(stderr, "ab_builds: %s not found: %s\n", name, dlerror()); exit(2); }
    return p;
}

/* The first of two names a build exports: the char-RNN loop was snn_charrnn_train before ABI 2
 * (same arguments and option layout), so a build from before the rename still compares. */
static void *symbol_either(build_t *b, const char *name, const char *older) {
    void *p = dlsym(b->handle, name);
    return p ? p : symbol(b, older);
}

static void check(build_t *b, snn_status s, const char *what) {
    if (s != SNN_OK) { fprintf(stderr, "ab_builds: %s: %s\n", what, CALL(b, snn_last_error)()); exit(2); }
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int ascending(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void load(build_t *b, const char *path) {
    b->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!b->handle) { fprintf(stderr, "ab_builds: %s\n", dlerror()); exit(2); }
    const char *threads = getenv("AB_THREADS");
    check(b, CALL(b, snn_set_num_threads)(threads ? atoi(threads) : 2), "snn_set_num_threads");
    check(b, CALL(b, snn_manual_seed)(0), "snn_manual_seed");
    if (dqn) {
        snn_dqn_options o;
        check(b, CALL(b, snn_dqn_options_init)(&o), "snn_dqn_options_init");
        o.replay_capacity = 1000;
        check(b, CALL(b, snn_dqn_new)(&b->agent, &o), "snn_dqn_new");
        unsigned x = 12345;
        for (size_t i = 0; i < sizeof dqn_states; i++) {
            x = x * 1103515245u + 12345u;
            dqn_states[i] = (uint8_t)(x >> 24);
            dqn_next[i] = (uint8_t)(x >> 16);
        }
        for (int i = 0; i < DQN_BATCH; i++) {
            dqn_actions[i] = i % 6;
            dqn_rewards[i] = (float)(i % 3) - 1;
            dqn_terminal[i] = i % 7 == 0;
        }
        return;
    }
    if (onnx) {
        const char *path = getenv("AB_ONNX"), *batch = getenv("AB_BATCH");
        if (!path) { fprintf(stderr, "ab_builds: set AB_ONNX to an .onnx file taking [N, 3, 224, 224]\n"); exit(2); }
        check(b, CALL(b, snn_onnx_load)(&b->model, path), "snn_onnx_load");
        int64_t shape[4] = {batch ? atoi(batch) : 1, 3, 224, 224};
        const char *input = getenv("AB_INPUT");  /* "C,H,W" for a graph taking another image shape */
        if (input && sscanf(input, "%" SCNd64 ",%" SCNd64 ",%" SCNd64, &shape[1], &shape[2], &shape[3]) != 3) {
            fprintf(stderr, "ab_builds: AB_INPUT must be C,H,W (got %s)\n", input);
            exit(2);
        }
        check(b, CALL(b, snn_tensor_randn)(&b->x, shape, 4), "snn_tensor_randn");
        return;
    }
    if (mnv2train) {
        snn_mobilenet_v2_options o;
        check(b, CALL(b, snn_mobilenet_v2_options_init)(&o), "snn_mobilenet_v2_options_init");
        o.dropout = 0;
        check(b, CALL(b, snn_model_mobilenet_v2)(&b->model, NULL, &o), "snn_model_mobilenet_v2");
        const char *batch = getenv("AB_BATCH");
        int64_t n = batch ? atoi(batch) : 8, shape[4] = {n, 3, 224, 224}, labels[256];
        if (n < 1 || n > 256) { fprintf(stderr, "ab_builds: AB_BATCH must be in 1...256\n"); exit(2); }
        for (int64_t i = 0; i < n; i++) labels[i] = (i * 37) % 1000;
        check(b, CALL(b, snn_tensor_randn)(&b->x, shape, 4), "snn_tensor_randn");
        check(b, CALL(b, snn_tensor_from_int64)(&b->labels, labels, (size_t)n, &n, 1), "snn_tensor_from_int64");
        snn_tensor *params[512];
        size_t count = 0;
        check(b, CALL(b, snn_module_parameters)(params, 512, &count, b->model), "snn_module_parameters");
        snn_sgd_options so;
        check(b, CALL(b, snn_sgd_options_init)(&so), "snn_sgd_options_init");
        so.momentum = 0.9;
        check(b, CALL(b, snn_optimizer_sgd)(&b->opt, params, count, &so), "snn_optimizer_sgd");
        for (size_t i = 0; i < count; i++) CALL(b, snn_tensor_free)(params[i]);
        return;
    }
    if (conv) {
        const char *spec = getenv("AB_CONV");
        long v[9] = {64, 64, 32, 32, 128, 3, 1, 1, 1};
        if (spec && sscanf(spec, "%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
                           &v[7], &v[8]) != 9) {
            fprintf(stderr, "ab_builds: AB_CONV must be N,C,H,W,K,kernel,stride,pad,groups\n");
            exit(2);
        }
        check(b, CALL(b, snn_conv2d_options_init)(&conv_options), "snn_conv2d_options_init");
        conv_options.stride_h = conv_options.stride_w = v[6];
        conv_options.pad_h = conv_options.pad_w = v[7];
        conv_options.groups = v[8];
        int64_t xs[4] = {v[0], v[1], v[2], v[3]}, ws[4] = {v[4], v[1] / v[8], v[5], v[5]}, bs[1] = {v[4]};
        int64_t oh = (v[2] + 2 * v[7] - v[5]) / v[6] + 1, ow = (v[3] + 2 * v[7] - v[5]) / v[6] + 1;
        int64_t ys[4] = {v[0], v[4], oh, ow};
        check(b, CALL(b, snn_tensor_randn)(&b->x, xs, 4), "snn_tensor_randn");
        check(b, CALL(b, snn_tensor_randn)(&b->w, ws, 4), "snn_tensor_randn");
        check(b, CALL(b, snn_tensor_randn)(&b->bias, bs, 1), "snn_tensor_randn");
        check(b, CALL(b, snn_tensor_randn)(&b->gy, ys, 4), "snn_tensor_randn");
        snn_tensor *leaves[3] = {b->x, b->w, b->bias};
        for (int i = 0; i < 3; i++) check(b, CALL(b, snn_tensor_set_requires_grad)(leaves[i], true), "requires_grad");
        return;
    }
    if (!charrnn) {
        snn_rnn_options o;
        check(b, CALL(b, snn_rnn_options_init)(&o), "snn_rnn_options_init");
        o.input_size = 128;
        o.hidden_size = 256;
        check(b, CALL(b, snn_module_lstm)(&b->model, &o), "snn_module_lstm");
        int64_t shape[3] = {100, 32, 128};
        check(b, CALL(b, snn_tensor_randn)(&b->x, shape, 3), "snn_tensor_randn");
        return;
    }
    FILE *f = fopen("data/text/shakespeare.txt", "rb");
    if (!f) { fprintf(stderr, "ab_builds: data/text/shakespeare.txt missing (make data)\n"); exit(2); }
    b->text = malloc(400000);
    b->length = fread(b->text, 1, 400000, f);
    fclose(f);
    char vocab[256];
    size_t v = 0;
    check(b, CALL(b, snn_charrnn_vocab_of)(vocab, sizeof vocab, &v, b->text, b->length), "snn_charrnn_vocab_of");
    check(b, CALL(b, snn_charrnn_new)(&b->model, vocab, v, 64, 256, 2), "snn_charrnn_new");
}

/* Seconds for one call (lstm, onnx), a forward and backward (conv), a training step (mnv2train), one update (dqn) or one training step (charrnn). */
static double run(build_t *b) {
    double t0 = now();
    if (dqn) {
        double loss = 0;
        check(b, CALL(b, snn_dqn_update)(&loss, b->agent, dqn_states, dqn_next, sizeof dqn_states, dqn_actions,
                                         dqn_rewards, dqn_terminal, DQN_BATCH), "snn_dqn_update");
        return now() - t0;
    }
    if (mnv2train) {
        snn_tensor *logits = NULL, *loss = NULL;
        check(b, CALL(b, snn_optimizer_zero_grad)(b->opt, true), "snn_optimizer_zero_grad");
        check(b, CALL(b, snn_module_forward)(&logits, b->model, b->x), "snn_module_forward");
        check(b, CALL(b, snn_loss_cross_entropy)(&loss, logits, b->labels, SNN_REDUCTION_MEAN, -100, 0), "snn_loss_cross_entropy");
        check(b, CALL(b, snn_tensor_backward)(loss, NULL, false), "snn_tensor_backward");
        check(b, CALL(b, snn_optimizer_step)(b->opt), "snn_optimizer_step");
        double t = now() - t0;
        CALL(b, snn_tensor_free)(loss);
        CALL(b, snn_tensor_free)(logits);
        return t;
    }
    if (conv) {
        snn_tensor *y = NULL, *leaves[3] = {b->x, b->w, b->bias};
        for (int i = 0; i < 3; i++) check(b, CALL(b, snn_tensor_zero_grad)(leaves[i]), "snn_tensor_zero_grad");
        check(b, CALL(b, snn_tensor_conv2d)(&y, b->x, b->w, b->bias, &conv_options), "snn_tensor_conv2d");
        if (!getenv("AB_FORWARD")) check(b, CALL(b, snn_tensor_backward)(y, b->gy, false), "snn_tensor_backward");
        double t = now() - t0;
        CALL(b, snn_tensor_free)(y);
        return t;
    }
    if (charrnn) {
        snn_charrnn_fit_options o;
        __typeof__(&snn_charrnn_fit_options_init) init =
            symbol_either(b, "snn_charrnn_fit_options_init", "snn_charrnn_train_options_init");
        __typeof__(&snn_charrnn_fit) fit = symbol_either(b, "snn_charrnn_fit", "snn_charrnn_train");
        check(b, init(&o), "snn_charrnn_fit_options_init");
        o.max_steps = 3;
        check(b, fit(b->model, b->text, b->length, &o), "snn_charrnn_fit");
        return (now() - t0) / 3;
    }
    check(b, CALL(b, snn_no_grad_begin)(), "snn_no_grad_begin");
    snn_tensor *out[3];
    size_t n = 0;
    const snn_tensor *in[1] = {b->x};
    check(b, CALL(b, snn_module_forward_multi)(out, 3, &n, b->model, in, 1), "snn_module_forward_multi");
    double t = now() - t0;
    for (size_t i = 0; i < n; i++) CALL(b, snn_tensor_free)(out[i]);
    check(b, CALL(b, snn_no_grad_end)(), "snn_no_grad_end");
    return t;
}

static void summary(const char *name, double *t, int n) {
    qsort(t, (size_t)n, sizeof *t, ascending);
    printf("%s: min %.2f  q25 %.2f  median %.2f  q75 %.2f  q90 %.2f ms\n", name, t[0] * 1e3, t[n / 4] * 1e3,
           t[n / 2] * 1e3, t[3 * n / 4] * 1e3, t[9 * n / 10] * 1e3);
}

int main(int argc, char **argv) {
    if (argc != 6 || (strcmp(argv[1], "lstm") && strcmp(argv[1], "charrnn") && strcmp(argv[1], "dqn") && strcmp(argv[1], "onnx") &&
                      strcmp(argv[1], "conv") && strcmp(argv[1], "mnv2train"))) {
        fprintf(stderr, "usage: %s lstm|charrnn|dqn|onnx|conv|mnv2train ROUNDS CALLS LIB_A LIB_B\n", argv[0]);
        return 2;
    }
    charrnn = strcmp(argv[1], "charrnn") == 0;
    dqn = strcmp(argv[1], "dqn") == 0;
    onnx = strcmp(argv[1], "onnx") == 0;
    conv = strcmp(argv[1], "conv") == 0;
    mnv2train = strcmp(argv[1], "mnv2train") == 0;
    int rounds = atoi(argv[2]), calls = atoi(argv[3]);
    if (rounds < 1 || calls < 1 || rounds > 10000 || calls > 10000) {
        fprintf(stderr, "ab_builds: ROUNDS and CALLS must be in 1...10000\n");
        return 2;
    }
    build_t a = {0}, b = {0};
    load(&a, argv[4]);
    load(&b, argv[5]);
    double *ta = malloc(sizeof(double) * (size_t)(rounds * calls)), *tb = malloc(sizeof(double) * (size_t)(rounds * calls));
    int na = 0, nb = 0;
    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < 2; k++) {
            int first_a = (r % 2 == 0) == (k == 0);
            build_t *x = first_a ? &a : &b;
            usleep(20000);
            run(x);
            for (int i = 0; i < calls; i++) {
                double t = run(x);
                if (first_a) ta[na++] = t; else tb[nb++] = t;
            }
        }
    }
    summary("A", ta, na);
    summary("B", tb, nb);
    qsort(ta, (size_t)na, sizeof *ta, ascending);
    qsort(tb, (size_t)nb, sizeof *tb, ascending);
    printf("B / A: median %.3f, minimum %.3f (below 1: B is faster)\n", tb[nb / 2] / ta[na / 2], tb[0] / ta[0]);
    free(ta);
    free(tb);
    return 0;
}
