/* The engine's own training loops under mpirun, from C (run by Tests/dist/fits.sh in
 * `make test-dist`): every rank trains the data-parallel model through snn_*_fit with ddp and,
 * beside it, a one-process reference with the global batch through the same call without
 * ddp; after K steps the two must hold the same parameters within float tolerance.
 *
 *   fit_ddp charrnn                 snn_charrnn_fit (Adam, clipping), global batch 6 streams
 *   fit_ddp seq2seq                 snn_seq2seq_fit (SGD + momentum), global batch 12 rows
 *   fit_ddp checkpoint save DIR     snn_classifier_fit with checkpoint_every: only rank 0
 *                                   writes, the file is complete while training goes on
 *   fit_ddp checkpoint resume FILE  rank 0 loads FILE, another epoch on this many ranks:
 *                                   equals one process doing both epochs
 *
 * Each rank prints "rank R: ok ..." and exits 0, or prints what differs and exits 1. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <swiftnn.h>

static int64_t rank = 0, world = 1;

#define TRY(call) do { \
    snn_status st_ = (call); \
    if (st_ != SNN_OK) { \
        fprintf(stderr, "rank %lld: %s:%d: %s failed: %s\n", (long long)rank, __FILE__, __LINE__, #call, snn_last_error()); \
        exit(1); \
    } \
} while (0)

#define REQUIRE(cond, ...) do { \
    if (!(cond)) { \
        fprintf(stderr, "rank %lld: ", (long long)rank); \
        fprintf(stderr, __VA_ARGS__); \
        fprintf(stderr, "\n"); \
        exit(1); \
    } \
} while (0)

/* ---- parameters ----------------------------------------------------------------------- */

#define MAX_PARAMS 64

/* A copy of every parameter of m, end to end (float32), and its length. */
static float *snapshot(const snn_module *m, size_t *out_n) {
    snn_tensor *ps[MAX_PARAMS];
    size_t count = 0, n = 0;
    TRY(snn_module_parameters(ps, MAX_PARAMS, &count, m));
    REQUIRE(count <= MAX_PARAMS, "%zu parameters, at most %d", count, MAX_PARAMS);
    for (size_t i = 0; i < count; i++) {
        int64_t k;
        TRY(snn_tensor_numel(&k, ps[i]));
        n += (size_t)k;
    }
    float *all = malloc(n * sizeof *all), *at = all;
    REQUIRE(all != NULL, "out of memory");
    for (size_t i = 0; i < count; i++) {
        int64_t k;
        void *p;
        TRY(snn_tensor_numel(&k, ps[i]));
        TRY(snn_tensor_data_ptr(&p, ps[i]));
        memcpy(at, p, (size_t)k * sizeof *at);
        at += k;
        TRY(snn_tensor_free(ps[i]));
    }
    *out_n = n;
    return all;
}

/* max |a - b| / (1 + |b|) over two snapshots of the same model. */
static double difference(const float *a, const float *b, size_t n) {
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]) / (1 + fabs((double)b[i]));
        if (!(d <= worst)) worst = d;  /* NaN counts as the worst */
    }
    return worst;
}

/* Checks that `model` (data-parallel) matches `ref` (one process) within tol and that
 * training moved the weights from `start`. Returns the difference. */
static double expect_same(const snn_module *model, const snn_module *ref, const float *start, double tol,
                          const char *what) {
    size_t n, nr;
    float *got = snapshot(model, &n), *want = snapshot(ref, &nr);
    REQUIRE(n == nr, "%s: %zu parameters against %zu", what, n, nr);
    double worst = difference(got, want, n), moved = 0;
    for (size_t i = 0; i < n; i++) moved = fmax(moved, fabs((double)want[i] - start[i]));
    REQUIRE(worst <= tol, "%s: data-parallel and one-process parameters differ by %.3g (tolerance %g)", what, worst, tol);
    REQUIRE(moved > 1e-4, "%s: the reference did not train (largest change %.3g)", what, moved);
    free(got);
    free(want);
    return worst;
}

static snn_ddp *wrap(snn_module *m) {
    snn_ddp_options o;
    TRY(snn_ddp_options_init(&o));
    o.bucket_cap_mb = 0.001;  /* small buckets: several allreduces per step */
    snn_ddp *ddp;
    TRY(snn_ddp_new(&ddp, m, &o));
    return ddp;
}

/* ---- char-RNN ------------------------------------------------------------------------- */

static void charrnn(void) {
    /* a text of 1200 bytes over 12 letters from a fixed LCG (the same on every rank) */
    char text[1200];
    uint32_t s = 12345;
    for (size_t i = 0; i < sizeof text; i++) { s = s * 1103515245u + 12345u; text[i] = (char)('a' + (s >> 16) % 12); }
    char vocab[256];
    size_t v;
    TRY(snn_charrnn_vocab_of(vocab, sizeof vocab, &v, text, sizeof text));
    snn_module *model, *ref;
    TRY(snn_manual_seed(1));
    TRY(snn_charrnn_new(&ref, vocab, v, 8, 16, 1));
    size_t n;
    float *start = snapshot(ref, &n);
    TRY(snn_manual_seed(rank == 0 ? 1 : 100 + (uint64_t)rank));  /* DDP must copy rank 0's weights */
    TRY(snn_charrnn_new(&model, vocab, v, 8, 16, 1));
    snn_ddp *ddp = wrap(model);

    snn_charrnn_fit_options o;
    TRY(snn_charrnn_fit_options_init(&o));
    o.seq_len = 10;
    o.batch_size = 6;  /* global: 3 streams per rank on 2 ranks, 2 on 3 */
    o.max_steps = 5;
    o.lr = 1e-2;
    o.clip = 1.0;      /* clips the averaged gradient: the same norm on every rank */
    size_t steps = 0;
    o.loss_history_count = &steps;
    o.ddp = ddp;
    TRY(snn_charrnn_fit(model, text, sizeof text, &o));
    REQUIRE(steps == 5, "charrnn: %zu steps", steps);
    o.ddp = NULL;
    TRY(snn_charrnn_fit(ref, text, sizeof text, &o));
    /* Adam divides by sqrt(v): a gradient a rounding apart moves a weight by up to lr times a
     * relative difference, so the tolerance is looser than SGD's */
    double worst = expect_same(model, ref, start, 1e-4, "charrnn");
    printf("rank %lld: ok charrnn_fit over %lld ranks equals one process (5 steps), max relative difference %.2e\n",
           (long long)rank, (long long)world, worst);
    TRY(snn_ddp_free(ddp));
    TRY(snn_module_free(model));
    TRY(snn_module_free(ref));
    free(start);
}

/* ---- seq2seq -------------------------------------------------------------------------- */

static snn_optimizer *sgd(snn_module *m, double lr, double momentum) {
    snn_tensor *ps[MAX_PARAMS];
    size_t count;
    TRY(snn_module_parameters(ps, MAX_PARAMS, &count, m));
    snn_sgd_options o;
    TRY(snn_sgd_options_init(&o));
    o.lr = lr;
    o.momentum = momentum;
    snn_optimizer *opt;
    TRY(snn_optimizer_sgd(&opt, ps, count, &o));
    for (size_t i = 0; i < count; i++) TRY(snn_tensor_free(ps[i]));
    return opt;
}

static void seq2seq(void) {
    /* 36 pairs, sources of 5 tokens, targets of 4 (no padding: every row has the same number
     * of target tokens, so the mean of the ranks' mean losses is the global mean) */
    enum { N = 36, S = 5, T = 4 };
    int64_t src[N * S], tgt[N * T], ss[2] = {N, S}, ts[2] = {N, T};
    uint32_t s = 7;
    for (int i = 0; i < N * S; i++) { s = s * 1103515245u + 12345u; src[i] = 3 + (s >> 16) % 7; }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < T; j++) tgt[i * T + j] = 3 + (src[i * S + j] + src[i * S + j + 1]) % 7;
    snn_tensor *x, *y;
    TRY(snn_tensor_from_int64(&x, src, N * S, ss, 2));
    TRY(snn_tensor_from_int64(&y, tgt, N * T, ts, 2));
    snn_seq2seq_options c;
    TRY(snn_seq2seq_options_init(&c));
    c.src_vocab = 10;
    c.tgt_vocab = 10;
    c.embed_dim = 6;
    c.hidden_size = 8;
    c.attention = SNN_SEQ2SEQ_ATTENTION_DOT;
    snn_module *model, *ref;
    TRY(snn_manual_seed(2));
    TRY(snn_seq2seq_new(&ref, &c));
    size_t n;
    float *start = snapshot(ref, &n);
    TRY(snn_manual_seed(rank == 0 ? 2 : 200 + (uint64_t)rank));
    TRY(snn_seq2seq_new(&model, &c));
    snn_ddp *ddp = wrap(model);
    snn_optimizer *opt = sgd(model, 0.1, 0.9), *ref_opt = sgd(ref, 0.1, 0.9);

    snn_fit_options o;
    TRY(snn_fit_options_init(&o));
    o.epochs = 2;  /* 3 steps of 12 rows per epoch */
    size_t steps = 0;
    o.loss_history_count = &steps;
    o.ddp = ddp;
    TRY(snn_seq2seq_fit(model, opt, x, y, 12, 5, 1.0, &o));
    REQUIRE(steps == 6, "seq2seq: %zu steps", steps);
    o.ddp = NULL;
    TRY(snn_seq2seq_fit(ref, ref_opt, x, y, 12, 5, 1.0, &o));
    double worst = expect_same(model, ref, start, 2e-5, "seq2seq");
    printf("rank %lld: ok seq2seq_fit over %lld ranks equals one process (6 steps), max relative difference %.2e\n",
           (long long)rank, (long long)world, worst);
    TRY(snn_ddp_free(ddp));
    TRY(snn_optimizer_free(opt));
    TRY(snn_optimizer_free(ref_opt));
    TRY(snn_module_free(model));
    TRY(snn_module_free(ref));
    TRY(snn_tensor_free(x));
    TRY(snn_tensor_free(y));
    free(start);
}

/* ---- checkpoints ---------------------------------------------------------------------- */

enum { SAMPLES = 48, FEATURES = 10, CLASSES = 4, GLOBAL_BATCH = 12 };

static snn_module *mlp(uint64_t seed) {
    TRY(snn_manual_seed(seed));
    snn_module *l1, *act, *l2, *seq;
    TRY(snn_module_linear(&l1, FEATURES, 16, true));
    TRY(snn_module_relu(&act));
    TRY(snn_module_linear(&l2, 16, CLASSES, true));
    snn_module *children[3] = {l1, act, l2};
    TRY(snn_module_sequential(&seq, children, 3, NULL));
    TRY(snn_module_free(l1));
    TRY(snn_module_free(act));
    TRY(snn_module_free(l2));
    return seq;
}

static snn_tensor *inputs, *labels;

static void make_data(void) {
    float x[SAMPLES * FEATURES];
    int64_t y[SAMPLES], xs[2] = {SAMPLES, FEATURES}, ys[1] = {SAMPLES};
    uint32_t s = 99;
    for (int i = 0; i < SAMPLES * FEATURES; i++) { s = s * 1103515245u + 12345u; x[i] = (float)((s >> 8) % 2001) / 1000.0f - 1.0f; }
    for (int i = 0; i < SAMPLES; i++) y[i] = (x[i * FEATURES] > 0) + 2 * (x[i * FEATURES + 1] > 0);
    TRY(snn_tensor_from_data(&inputs, x, SAMPLES * FEATURES, xs, 2));
    TRY(snn_tensor_from_int64(&labels, y, SAMPLES, ys, 1));
}

/* One epoch of snn_classifier_fit (SGD without momentum: a checkpoint holds the whole state)
 * in DistributedSampler order, per-rank batch GLOBAL_BATCH / replicas. */
static void fit_epoch(snn_module *m, snn_ddp *ddp, int64_t replicas, const char *ckpt, int64_t every,
                      snn_progress_fn progress, void *user) {
    snn_dataloader *dl;
    TRY(snn_dataloader_new(&dl, inputs, labels, (size_t)(GLOBAL_BATCH / replicas), true, 11, false));
    if (replicas == 1) TRY(snn_dataloader_shard(dl, 1, 0));  /* one process in the same order */
    snn_optimizer *opt = sgd(m, 0.2, 0);
    snn_fit_options o;
    TRY(snn_fit_options_init(&o));
    o.ddp = ddp;
    o.checkpoint_path = ckpt;
    o.checkpoint_every = every;
    o.report_every = 1;
    o.progress = progress;
    o.user_data = user;
    TRY(snn_classifier_fit(m, opt, dl, &o));
    TRY(snn_optimizer_free(opt));
    TRY(snn_dataloader_free(dl));
}

struct watch { snn_module *model; const char *path; int64_t checked; };

/* Rank 0's progress callback: right after step 2 wrote the checkpoint (checkpoint_every 2),
 * the file must load and hold exactly the weights being trained. */
static bool check_checkpoint(const snn_progress *p, void *user) {
    struct watch *w = user;
    if (p->global_step != 2) return true;
    snn_module *loaded;
    TRY(snn_module_load(&loaded, w->path));
    size_t n, nl;
    float *now = snapshot(w->model, &n), *saved = snapshot(loaded, &nl);
    REQUIRE(n == nl && memcmp(now, saved, n * sizeof *now) == 0, "the step-2 checkpoint differs from the model at step 2");
    w->checked = p->global_step;
    free(now);
    free(saved);
    TRY(snn_module_free(loaded));
    return true;
}

static bool exists(const char *path) { return access(path, F_OK) == 0; }

/* Every rank passes its own path (DIR/ckpt.rank<R>.safetensors), so a write by any rank
 * but 0 would show. */
static void checkpoint_save(const char *dir) {
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/ckpt.rank%lld.safetensors", dir, (long long)rank);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    snn_module *model = mlp(rank == 0 ? 1 : 30 + (uint64_t)rank);
    snn_ddp *ddp = wrap(model);
    struct watch w = {model, path, 0};
    fit_epoch(model, ddp, world, path, 2, check_checkpoint, &w);  /* 4 steps: written at 2 and 4 */
    TRY(snn_dist_barrier());  /* every rank has finished: rank 0's last write is done */
    if (rank == 0) {
        REQUIRE(w.checked == 2, "the progress callback never saw step 2");
        REQUIRE(exists(path) && !exists(tmp), "rank 0: %s missing or %s left behind", path, tmp);
        snn_module *loaded;
        TRY(snn_module_load(&loaded, path));
        size_t n, nl;
        float *now = snapshot(model, &n), *saved = snapshot(loaded, &nl);
        REQUIRE(n == nl && memcmp(now, saved, n * sizeof *now) == 0, "the final checkpoint differs from the model");
        free(now);
        free(saved);
        TRY(snn_module_free(loaded));
        for (int64_t r = 1; r < world; r++) {
            char other[4096];
            snprintf(other, sizeof other, "%s/ckpt.rank%lld.safetensors", dir, (long long)r);
            REQUIRE(!exists(other), "rank %lld wrote a checkpoint (%s)", (long long)r, other);
        }
    } else {
        REQUIRE(w.checked == 0, "rank %lld ran the progress callback", (long long)rank);
    }
    printf("rank %lld: ok checkpoints over %lld ranks written by rank 0 only, complete at step 2 and at the end\n",
           (long long)rank, (long long)world);
    TRY(snn_ddp_free(ddp));
    TRY(snn_module_free(model));
}

/* Rank 0 loads `file` (one epoch trained on some number of ranks); the others start from
 * other weights, which snn_ddp_new replaces by rank 0's; one more epoch. */
static void checkpoint_resume(const char *file) {
    snn_module *model;
    if (rank == 0) TRY(snn_module_load(&model, file));
    else model = mlp(60 + (uint64_t)rank);
    snn_ddp *ddp = wrap(model);
    fit_epoch(model, ddp, world, NULL, 0, NULL, NULL);
    snn_module *ref = mlp(1);
    size_t n;
    float *start = snapshot(ref, &n);
    fit_epoch(ref, NULL, 1, NULL, 0, NULL, NULL);
    fit_epoch(ref, NULL, 1, NULL, 0, NULL, NULL);
    double worst = expect_same(model, ref, start, 2e-5, "resumed checkpoint");
    printf("rank %lld: ok resumed a checkpoint on %lld ranks: equals one process's 2 epochs, max relative difference %.2e\n",
           (long long)rank, (long long)world, worst);
    TRY(snn_ddp_free(ddp));
    TRY(snn_module_free(model));
    TRY(snn_module_free(ref));
    free(start);
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s charrnn | seq2seq | checkpoint save DIR | checkpoint resume FILE\n", argv[0]); return 2; }
    snn_dist_options d;
    TRY(snn_dist_options_init(&d));
    d.timeout_seconds = 120;
    TRY(snn_dist_init(&d));
    TRY(snn_dist_rank(&rank));
    TRY(snn_dist_size(&world));
    if (!strcmp(argv[1], "charrnn")) charrnn();
    else if (!strcmp(argv[1], "seq2seq")) seq2seq();
    else if (!strcmp(argv[1], "checkpoint") && argc == 4) {
        make_data();
        if (!strcmp(argv[2], "save")) checkpoint_save(argv[3]);
        else if (!strcmp(argv[2], "resume")) checkpoint_resume(argv[3]);
        else { fprintf(stderr, "checkpoint save DIR | checkpoint resume FILE\n"); return 2; }
        TRY(snn_tensor_free(inputs));
        TRY(snn_tensor_free(labels));
    } else { fprintf(stderr, "unknown scenario %s\n", argv[1]); return 2; }
    fflush(stdout);
    TRY(snn_dist_finalize());
    return 0;
}
