/* The concurrency contract (swiftnn/serving.h): N pthreads run inference on shared modules at
 * once -- LeNet-5 (plain, in 1- and 2-thread sessions, mmap-loaded, loaded from a buffer), a
 * 2-layer LSTM, seq2seq greedy and beam decoding, an ONNX model exported and imported again
 * (and one that runs through the compiled inference plan),
 * and a Linear fed one shared strided (transposed) view -- and every output must equal, bit for
 * bit, what one thread alone computed before the threads started. A first phase, before any
 * session exists, does the same with products on OpenBLAS's own threads (LeNet-5 and a
 * 256 x 512 x 512 Linear).
 *
 *   test_concurrency                      make test: 4 threads, 3 rounds of every workload each
 *   test_concurrency --threads 8 --seconds 600   make soak (and make test-tsan, shorter)
 *
 * Built twice: against build/lib/libswiftnn.so (make test) and, with -fsanitize=thread,
 * against the ThreadSanitizer build of the library (make test-tsan, docs/concurrency.md). */
#include "harness.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_OUT 4

/* One workload: runs a model on its input and returns its outputs' bytes, concatenated. */
typedef struct workload {
    const char *name;
    snn_status (*run)(struct workload *w, snn_tensor **outs, size_t *n_out);
    snn_module *m;
    snn_session *session;   /* NULL: no session bound */
    snn_tensor *x;          /* shared input */
    unsigned char *ref;     /* reference bytes (one thread, before the threads start) */
    size_t ref_len;
    long runs, mismatches, errors;
    pthread_mutex_t lock;   /* guards the counters */
} workload;

static snn_status run_forward(workload *w, snn_tensor **outs, size_t *n) {
    *n = 1;
    if (w->session) return snn_session_module_forward(&outs[0], w->session, w->m, w->x);
    return snn_module_forward(&outs[0], w->m, w->x);
}

static snn_status run_multi(workload *w, snn_tensor **outs, size_t *n) {
    const snn_tensor *in[1] = {w->x};
    if (w->session) {
        snn_status st = snn_session_enter(w->session);
        if (st != SNN_OK) return st;
    }
    snn_status st = snn_module_forward_multi(outs, MAX_OUT, n, w->m, in, 1);
    if (w->session) {
        snn_status st2 = snn_session_exit(w->session);
        if (st == SNN_OK) st = st2;
    }
    return st;
}

static snn_status run_greedy(workload *w, snn_tensor **outs, size_t *n) {
    *n = 2;
    return snn_seq2seq_greedy(&outs[0], &outs[1], w->m, w->x, 12);
}

static snn_status run_beam(workload *w, snn_tensor **outs, size_t *n) {
    *n = 2;
    if (w->session && snn_session_enter(w->session) != SNN_OK) return SNN_ERR_INTERNAL;
    snn_status st = snn_seq2seq_beam(&outs[0], &outs[1], w->m, w->x, 3, 12, 0.7);
    if (w->session && snn_session_exit(w->session) != SNN_OK && st == SNN_OK) st = SNN_ERR_INTERNAL;
    return st;
}

/* The outputs' bytes (float32 or int64 elements), concatenated, in a malloc'd buffer. */
static unsigned char *output_bytes(snn_tensor **outs, size_t n, size_t *len) {
    size_t total = 0;
    int64_t counts[MAX_OUT];
    snn_dtype types[MAX_OUT];
    for (size_t i = 0; i < n; i++) {
        if (snn_tensor_numel(&counts[i], outs[i]) != SNN_OK || snn_tensor_dtype(&types[i], outs[i]) != SNN_OK) return NULL;
        total += (size_t)counts[i] * 8;
    }
    unsigned char *buf = calloc(total + 1, 1), *p = buf;
    if (!buf) return NULL;
    for (size_t i = 0; i < n; i++) {
        snn_status st = types[i] == SNN_INT64 ? snn_tensor_copy_int64((int64_t *)(void *)p, (size_t)counts[i], outs[i])
                                              : snn_tensor_copy_data((float *)(void *)p, (size_t)counts[i], outs[i]);
        if (st != SNN_OK) { free(buf); return NULL; }
        p += (size_t)counts[i] * (types[i] == SNN_INT64 ? 8 : 4);
    }
    *len = (size_t)(p - buf);
    return buf;
}

/* Runs w once; returns its bytes (NULL on failure, with the error printed). */
static unsigned char *run_once(workload *w, size_t *len) {
    snn_tensor *outs[MAX_OUT] = {0};
    size_t n = 0;
    snn_status st = w->run(w, outs, &n);
    unsigned char *bytes = NULL;
    if (st != SNN_OK) fprintf(stderr, "%s: %s: %s\n", w->name, snn_status_string(st), snn_last_error());
    else bytes = output_bytes(outs, n, len);
    for (size_t i = 0; i < MAX_OUT; i++) snn_tensor_free(outs[i]);
    return bytes;
}

static workload *g_work;
static size_t g_nwork;
static int g_rounds = 3;
static double g_seconds = 0;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void *worker(void *arg) {
    size_t id = (size_t)arg;
    snn_no_grad_begin();  /* grad mode is per thread */
    double end = now() + g_seconds;
    for (long round = 0; g_seconds > 0 ? now() < end : round < g_rounds; round++) {
        for (size_t k = 0; k < g_nwork; k++) {
            workload *w = &g_work[(k + id) % g_nwork];  /* threads start on different models */
            size_t len = 0;
            unsigned char *bytes = run_once(w, &len);
            int bad = bytes && (len != w->ref_len || memcmp(bytes, w->ref, len) != 0);
            pthread_mutex_lock(&w->lock);
            w->runs++;
            if (!bytes) w->errors++;
            if (bad) w->mismatches++;
            pthread_mutex_unlock(&w->lock);
            free(bytes);
        }
    }
    snn_no_grad_end();
    return NULL;
}

/* Fresh views read by every thread at once: each iteration the main thread makes a new
 * transposed view, and all threads pass a barrier and feed it to one Linear together, so they
 * race to make and cache its packed copy (TensorLayout.swift). The outputs must be one
 * thread's; under TSan this is also where the planted race shows. The view is large enough
 * (512 KB) that the threads' packing overlaps in time, and below the buffer cache's 1 MB, whose
 * lock would otherwise order the threads' accesses and hide an unlocked cache from TSan. */
#define PROBE_IN 512
#define PROBE_ROWS 256
#define PROBE_OUT 8
typedef struct {
    pthread_barrier_t start, done;
    snn_tensor *volatile view;
    snn_module *m;
    const float *want;
    int iterations;
    long mismatches;
    pthread_mutex_t lock;
} probe;

static void *probe_worker(void *arg) {
    probe *p = arg;
    snn_no_grad_begin();
    float *out = malloc(PROBE_ROWS * PROBE_OUT * sizeof *out);
    for (int i = 0; i < p->iterations; i++) {
        pthread_barrier_wait(&p->start);
        snn_tensor *y = NULL;
        int bad = snn_module_forward(&y, p->m, p->view) != SNN_OK ||
                  snn_tensor_copy_data(out, PROBE_ROWS * PROBE_OUT, y) != SNN_OK ||
                  memcmp(out, p->want, PROBE_ROWS * PROBE_OUT * sizeof *out) != 0;
        snn_tensor_free(y);
        if (bad) { pthread_mutex_lock(&p->lock); p->mismatches++; pthread_mutex_unlock(&p->lock); }
        pthread_barrier_wait(&p->done);
    }
    free(out);
    snn_no_grad_end();
    return NULL;
}

static snn_tensor *random_tensor(const int64_t *shape, size_t ndim, unsigned *seed);

static void race_probe(int threads, int iterations, unsigned *seed) {
    snn_module *m = NULL;
    CHECK_OK(snn_module_linear(&m, PROBE_IN, PROBE_OUT, true));
    int64_t shape[2] = {PROBE_IN, PROBE_ROWS};
    snn_tensor *cols = random_tensor(shape, 2, seed), *view = NULL, *y = NULL;
    float *want = malloc(PROBE_ROWS * PROBE_OUT * sizeof *want);
    CHECK_OK(snn_no_grad_begin());
    CHECK_OK(snn_tensor_transpose(&view, cols, 0, 1));
    CHECK_OK(snn_module_forward(&y, m, view));  /* one thread alone */
    CHECK_OK(snn_tensor_copy_data(want, PROBE_ROWS * PROBE_OUT, y));
    CHECK_OK(snn_no_grad_end());
    snn_tensor_free(y);
    snn_tensor_free(view);
    probe p = {.iterations = iterations, .m = m, .want = want};
    pthread_barrier_init(&p.start, NULL, (unsigned)threads + 1);
    pthread_barrier_init(&p.done, NULL, (unsigned)threads + 1);
    pthread_mutex_init(&p.lock, NULL);
    pthread_t tids[64];
    for (int i = 0; i < threads; i++) pthread_create(&tids[i], NULL, probe_worker, &p);
    for (int i = 0; i < iterations; i++) {
        view = NULL;
        CHECK_OK(snn_tensor_transpose(&view, cols, 0, 1));
        p.view = view;
        pthread_barrier_wait(&p.start);
        pthread_barrier_wait(&p.done);
        snn_tensor_free(view);
    }
    for (int i = 0; i < threads; i++) pthread_join(tids[i], NULL);
    printf("  %-40s %8d runs, %ld mismatches\n", "fresh transposed views, all threads at once",
           iterations * threads, p.mismatches);
    CHECK(p.mismatches == 0, "%ld of %d runs on fresh shared views differ", p.mismatches, iterations * threads);
    pthread_barrier_destroy(&p.start);
    pthread_barrier_destroy(&p.done);
    pthread_mutex_destroy(&p.lock);
    free(want);
    snn_tensor_free(cols);
    snn_module_free(m);
}

static snn_tensor *random_tensor(const int64_t *shape, size_t ndim, unsigned *seed) {
    size_t n = 1;
    for (size_t i = 0; i < ndim; i++) n *= (size_t)shape[i];
    float *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) v[i] = (float)((double)rand_r(seed) / RAND_MAX * 2 - 1);
    snn_tensor *t = NULL;
    CHECK_OK(snn_tensor_from_data(&t, v, n, shape, ndim));
    free(v);
    return t;
}

static snn_module *lenet5(void) {
    snn_conv2d_options pad2 = conv2d_options();
    pad2.pad_h = pad2.pad_w = 2;
    snn_pool2d_options pool = pool2d_options(2, 2);
    snn_module *l[12] = {0};
    CHECK_OK(snn_module_conv2d(&l[0], 1, 6, 5, 5, &pad2, true));
    CHECK_OK(snn_module_relu(&l[1]));
    CHECK_OK(snn_module_max_pool2d(&l[2], &pool));
    CHECK_OK(snn_module_conv2d(&l[3], 6, 16, 5, 5, NULL, true));
    CHECK_OK(snn_module_relu(&l[4]));
    CHECK_OK(snn_module_max_pool2d(&l[5], &pool));
    CHECK_OK(snn_module_flatten(&l[6], 1, -1));
    CHECK_OK(snn_module_linear(&l[7], 400, 120, true));
    CHECK_OK(snn_module_relu(&l[8]));
    CHECK_OK(snn_module_linear(&l[9], 120, 84, true));
    CHECK_OK(snn_module_relu(&l[10]));
    CHECK_OK(snn_module_linear(&l[11], 84, 10, true));
    snn_module *seq = NULL;
    CHECK_OK(snn_module_sequential(&seq, l, 12, NULL));
    for (int i = 0; i < 12; i++) snn_module_free(l[i]);
    CHECK_OK(snn_module_train(seq, false));
    return seq;
}

/* A MobileNet-like block (stem, depthwise, 1x1, pooling, linear): imported from ONNX it runs
 * through the compiled inference plan, whose arenas are pooled per caller. */
static snn_module *mobile_block(void) {
    snn_conv2d_options stem = conv2d_options(), dw = conv2d_options();
    stem.stride_h = stem.stride_w = 2;
    stem.pad_h = stem.pad_w = 1;
    dw.pad_h = dw.pad_w = 1;
    dw.groups = 16;
    snn_module *l[8] = {0};
    CHECK_OK(snn_module_conv2d(&l[0], 1, 16, 3, 3, &stem, true));
    CHECK_OK(snn_module_relu6(&l[1]));
    CHECK_OK(snn_module_conv2d(&l[2], 16, 16, 3, 3, &dw, true));
    CHECK_OK(snn_module_relu(&l[3]));
    CHECK_OK(snn_module_conv2d(&l[4], 16, 24, 1, 1, NULL, true));
    CHECK_OK(snn_module_adaptive_avg_pool2d(&l[5], 1, 1));
    CHECK_OK(snn_module_flatten(&l[6], 1, -1));
    CHECK_OK(snn_module_linear(&l[7], 24, 10, true));
    snn_module *seq = NULL;
    CHECK_OK(snn_module_sequential(&seq, l, 8, NULL));
    for (int i = 0; i < 8; i++) snn_module_free(l[i]);
    CHECK_OK(snn_module_train(seq, false));
    return seq;
}

static unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    unsigned char *buf = malloc((size_t)n);
    *len = buf && fread(buf, 1, (size_t)n, f) == (size_t)n ? (size_t)n : 0;
    fclose(f);
    return buf;
}

/* References for work[0..n): one thread, no other thread running (under `session`, if any). */
static int compute_refs(workload *work, size_t n, snn_session *session) {
    CHECK_OK(snn_no_grad_begin());
    if (session) CHECK_OK(snn_session_enter(session));
    int ok = 1;
    for (size_t k = 0; k < n; k++) {
        pthread_mutex_init(&work[k].lock, NULL);
        workload w = work[k];
        w.session = NULL;  /* the reference runs under `session`, bound above */
        work[k].ref = run_once(&w, &work[k].ref_len);
        CHECK(work[k].ref != NULL, "reference run of %s failed", work[k].name);
        ok &= work[k].ref != NULL;
    }
    if (session) CHECK_OK(snn_session_exit(session));
    CHECK_OK(snn_no_grad_end());
    return ok;
}

/* `threads` workers over work[0..n) (worker() reads g_work), rounds or seconds as asked. */
static void run_threads(workload *work, size_t n, int threads) {
    g_work = work;
    g_nwork = n;
    pthread_t tids[64];
    for (int i = 0; i < threads; i++) CHECK(pthread_create(&tids[i], NULL, worker, (void *)(size_t)i) == 0, "pthread_create");
    for (int i = 0; i < threads; i++) pthread_join(tids[i], NULL);
}

/* Prints and checks each workload's counts; frees the references. Returns the runs. */
static long check_work(workload *work, size_t n) {
    long total = 0;
    for (size_t k = 0; k < n; k++) {
        workload *w = &work[k];
        total += w->runs;
        printf("  %-40s %8ld runs, %ld mismatches, %ld errors\n", w->name, w->runs, w->mismatches, w->errors);
        CHECK(w->runs > 0 && w->mismatches == 0 && w->errors == 0,
              "%s: %ld of %ld concurrent runs differ from the single-thread output, %ld failed",
              w->name, w->mismatches, w->runs, w->errors);
        free(w->ref);
        pthread_mutex_destroy(&w->lock);
    }
    return total;
}

/* Before any session or multi-worker recurrent layer: products on OpenBLAS's own threads
 * (OPENBLAS_NUM_THREADS=2 under make), called from many threads at once, must still give each
 * call's output the bits of the same call made alone. A 256 x 512 x 512 product is large
 * enough for OpenBLAS to split. */
static long openblas_phase(int threads, unsigned *seed) {
    snn_module *lenet = lenet5(), *big = NULL;
    CHECK_OK(snn_module_linear(&big, 512, 512, true));
    int64_t img_shape[4] = {8, 1, 28, 28}, rows_shape[2] = {256, 512};
    snn_tensor *img = random_tensor(img_shape, 4, seed), *rows = random_tensor(rows_shape, 2, seed);
    workload work[] = {
        {.name = "lenet5 (OpenBLAS's threads)", .run = run_forward, .m = lenet, .x = img},
        {.name = "linear 512x512 (OpenBLAS's threads)", .run = run_forward, .m = big, .x = rows},
    };
    size_t n = sizeof work / sizeof work[0];
    long total = 0;
    double seconds = g_seconds;
    g_seconds = 0;  /* a soak's time goes to the main phase: here, its rounds */
    if (compute_refs(work, n, NULL)) {
        run_threads(work, n, threads);
        total = check_work(work, n);
    }
    g_seconds = seconds;
    snn_tensor_free(img); snn_tensor_free(rows);
    snn_module_free(lenet); snn_module_free(big);
    return total;
}

int main(int argc, char **argv) {
    int threads = 4;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds")) g_seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--rounds")) g_rounds = atoi(argv[i + 1]);
    }
    if (threads < 1 || threads > 64) threads = 4;
    int64_t baseline = live_handles();
    CHECK_OK(snn_manual_seed(20));
    unsigned seed = 7;

    long total = openblas_phase(threads, &seed);

    /* Sessions next: the first one switches the engine to one pool (serving.h), so the
     * references below and every thread's runs use the same products. */
    snn_session_options so;
    CHECK_OK(snn_session_options_init(&so));
    snn_session *one = NULL, *two = NULL;
    CHECK_OK(snn_session_create(&one, &so));
    so.num_threads = 2;
    CHECK_OK(snn_session_create(&two, &so));

    char ckpt[64], onnx[64];
    snprintf(ckpt, sizeof ckpt, "/tmp/snn_concurrency_%d.safetensors", (int)getpid());
    snprintf(onnx, sizeof onnx, "/tmp/snn_concurrency_%d.onnx", (int)getpid());

    snn_module *lenet = lenet5();
    int64_t img_shape[4] = {8, 1, 28, 28};
    snn_tensor *img = random_tensor(img_shape, 4, &seed);
    CHECK_OK(snn_module_save(lenet, ckpt));
    snn_load_options lo;
    CHECK_OK(snn_load_options_init(&lo));
    lo.mmap = true;
    snn_module *mapped = NULL, *buffered = NULL, *imported = NULL;
    CHECK_OK(snn_module_load_ex(&mapped, ckpt, &lo));
    size_t ckpt_len = 0;
    unsigned char *ckpt_bytes = read_file(ckpt, &ckpt_len);
    CHECK(ckpt_bytes && ckpt_len > 0, "cannot read back %s", ckpt);
    CHECK_OK(snn_module_load_buffer(&buffered, ckpt_bytes, ckpt_len));
    free(ckpt_bytes);
    CHECK_OK(snn_module_train(mapped, false));
    CHECK_OK(snn_module_train(buffered, false));
    CHECK_OK(snn_onnx_export(lenet, img, onnx));
    CHECK_OK(snn_onnx_load(&imported, onnx));
    snn_module *mobile = mobile_block(), *planned = NULL;
    CHECK_OK(snn_onnx_export(mobile, img, onnx));
    CHECK_OK(snn_onnx_load(&planned, onnx));
    {
        char plan[4096];
        size_t len = 0;
        CHECK_OK(snn_onnx_plan_report(plan, sizeof plan, &len, planned, img, 0));
        CHECK(strncmp(plan, "inference plan", 14) == 0, "the mobile block is planned: %s", plan);
    }

    snn_rnn_options ro;
    CHECK_OK(snn_rnn_options_init(&ro));
    ro.input_size = 16;
    ro.hidden_size = 128;
    ro.num_layers = 2;
    snn_module *lstm = NULL;
    CHECK_OK(snn_module_lstm(&lstm, &ro));
    CHECK_OK(snn_module_train(lstm, false));
    int64_t seq_shape[3] = {10, 8, 16};
    snn_tensor *seq = random_tensor(seq_shape, 3, &seed);

    snn_seq2seq_options s2s;
    CHECK_OK(snn_seq2seq_options_init(&s2s));
    s2s.src_vocab = 20;
    s2s.tgt_vocab = 16;
    s2s.embed_dim = 12;
    s2s.hidden_size = 24;
    s2s.attention = SNN_SEQ2SEQ_ATTENTION_GENERAL;
    snn_module *s2s_model = NULL;
    CHECK_OK(snn_seq2seq_new(&s2s_model, &s2s));
    CHECK_OK(snn_module_train(s2s_model, false));
    int64_t src_ids[4 * 6], src_shape[2] = {4, 6};
    for (int i = 0; i < 24; i++) src_ids[i] = 3 + rand_r(&seed) % 17;
    snn_tensor *src = NULL;
    CHECK_OK(snn_tensor_from_int64(&src, src_ids, 24, src_shape, 2));

    /* one strided view shared by every thread: its packed copy is made and cached on first read */
    snn_module *linear = NULL;
    CHECK_OK(snn_module_linear(&linear, 64, 32, true));
    int64_t cols_shape[2] = {64, 16};
    snn_tensor *cols = random_tensor(cols_shape, 2, &seed), *rows_view = NULL;
    CHECK_OK(snn_tensor_transpose(&rows_view, cols, 0, 1));

    workload work[] = {
        {.name = "lenet5", .run = run_forward, .m = lenet, .x = img},
        {.name = "lenet5 in a 1-thread session", .run = run_forward, .m = lenet, .session = one, .x = img},
        {.name = "lenet5 in a 2-thread session", .run = run_forward, .m = lenet, .session = two, .x = img},
        {.name = "lenet5 memory-mapped", .run = run_forward, .m = mapped, .x = img},
        {.name = "lenet5 from a buffer", .run = run_forward, .m = buffered, .x = img},
        {.name = "lenet5 through ONNX", .run = run_forward, .m = imported, .x = img},
        {.name = "mobile block through ONNX (inference plan)", .run = run_forward, .m = planned, .x = img},
        {.name = "mobile block through ONNX in a 2-thread session", .run = run_forward, .m = planned, .session = two, .x = img},
        {.name = "lstm", .run = run_multi, .m = lstm, .x = seq},
        {.name = "lstm in a 2-thread session", .run = run_multi, .m = lstm, .session = two, .x = seq},
        {.name = "seq2seq greedy", .run = run_greedy, .m = s2s_model, .x = src},
        {.name = "seq2seq beam in a 2-thread session", .run = run_beam, .m = s2s_model, .session = two, .x = src},
        {.name = "linear on a shared transposed view", .run = run_forward, .m = linear, .x = rows_view},
    };
    size_t nwork = sizeof work / sizeof work[0];
    if (!compute_refs(work, nwork, one)) return report("test_concurrency");
    /* the loaded copies hold the same weights, so the same bits */
    for (size_t k = 1; k <= 4; k++) {
        CHECK(work[k].ref_len == work[0].ref_len && !memcmp(work[k].ref, work[0].ref, work[0].ref_len),
              "%s differs from lenet5 run alone", work[k].name);
    }
    run_threads(work, nwork, threads);
    race_probe(threads, g_seconds > 0 ? 200 : 20, &seed);
    total += check_work(work, nwork);
    printf("  %d threads, %ld runs in all, every output bit-identical to one thread's: %s\n",
           threads, total, g_failed ? "no" : "yes");

    snn_tensor_free(rows_view); snn_tensor_free(cols); snn_module_free(linear);
    snn_tensor_free(src); snn_module_free(s2s_model);
    snn_tensor_free(seq); snn_module_free(lstm);
    snn_module_free(imported); snn_module_free(buffered); snn_module_free(mapped);
    snn_module_free(planned); snn_module_free(mobile);
    snn_tensor_free(img); snn_module_free(lenet);
    snn_session_free(one); snn_session_free(two);
    unlink(ckpt);
    unlink(onnx);
    CHECK(live_handles() == baseline, "handles leaked: %lld live, %lld at start",
          (long long)live_handles(), (long long)baseline);
    return report("test_concurrency");
}
