/* A standalone stand-in for libFuzzer's main, for compilers without -fsanitize=fuzzer: runs
 * every seed of the corpus directories, then mutates them (bit flips, interesting bytes and
 * integers, truncation, erasure, insertion, splices of two seeds) with a deterministic
 * generator until -max_total_time or -runs is reached. Flags are libFuzzer's spelling
 * (-max_total_time=S -runs=N -seed=N -timeout=S -artifact_prefix=P) so the Makefile calls
 * either the same way. A crash (a signal) or a hang writes the input to <prefix>crash-<n> or
 * <prefix>timeout-<n> and exits 1. Without coverage feedback it finds less than libFuzzer. */
#define _GNU_SOURCE
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DRIVER_MAX_INPUT (1 << 20)
static uint8_t *g_input;
static size_t g_size;
static const char *g_prefix = "";
static unsigned long long g_execs;

static void save_input(const char *kind) {
    char path[4096];
    snprintf(path, sizeof path, "%s%s-%llu", g_prefix, kind, g_execs);
    FILE *f = fopen(path, "wb");  /* not async-signal-safe, but the process is ending anyway */
    if (f) { fwrite(g_input, 1, g_size, f); fclose(f); }
    fprintf(stderr, "==driver== %s on execution %llu; input (%zu bytes) written to %s\n", kind, g_execs, g_size, path);
}

static void on_signal(int sig) {
    save_input(sig == SIGALRM ? "timeout" : "crash");
    fprintf(stderr, "==driver== signal %d (%s)\n", sig, strsignal(sig));
    _exit(1);
}

typedef struct { uint8_t *data; size_t size; } seed;
static seed *g_seeds;
static size_t g_nseeds;

static void add_seed(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return;
    uint8_t *buf = malloc(DRIVER_MAX_INPUT);
    size_t n = fread(buf, 1, DRIVER_MAX_INPUT, f);
    fclose(f);
    g_seeds = realloc(g_seeds, (g_nseeds + 1) * sizeof *g_seeds);
    g_seeds[g_nseeds++] = (seed){buf, n};
}

static void load_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) { add_seed(dir); return; }
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        add_seed(path);
    }
    closedir(d);
}

static uint64_t g_rng;
static uint64_t next(void) {  /* xorshift64* */
    g_rng ^= g_rng >> 12; g_rng ^= g_rng << 25; g_rng ^= g_rng >> 27;
    return g_rng * 2685821657736338717ULL;
}
static size_t below(size_t n) { return n ? (size_t)(next() % n) : 0; }

static void mutate(void) {
    static const int64_t ints[] = {0, 1, -1, 2, 7, 8, 16, 64, 127, 128, 255, 256, 0x7fff, 0xffff, 0x7fffffff,
                                   0x80000000LL, 0xffffffffLL, 0x7fffffffffffffffLL, (int64_t)0x8000000000000000ULL};
    int rounds = 1 + (int)below(4);
    for (int r = 0; r < rounds; r++) {
        switch (below(8)) {
        case 0: if (g_size) g_input[below(g_size)] ^= (uint8_t)(1u << below(8)); break;
        case 1: if (g_size) g_input[below(g_size)] = (uint8_t)ints[below(11)]; break;
        case 2: if (g_size >= 8) {  /* an interesting integer, 1-8 bytes little-endian */
                    size_t w = 1 + below(8), at = below(g_size - w + 1);
                    int64_t v = ints[below(sizeof ints / sizeof *ints)];
                    for (size_t i = 0; i < w; i++) g_input[at + i] = (uint8_t)((uint64_t)v >> (8 * i));
                } break;
        case 3: g_size = below(g_size + 1); break;  /* truncate */
        case 4: if (g_size) {  /* erase a range */
                    size_t at = below(g_size), n = 1 + below(g_size - at);
                    memmove(g_input + at, g_input + at + n, g_size - at - n);
                    g_size -= n;
                } break;
        case 5: {  /* insert random bytes */
                    size_t n = 1 + below(16);
                    if (g_size + n > DRIVER_MAX_INPUT) break;
                    size_t at = below(g_size + 1);
                    memmove(g_input + at + n, g_input + at, g_size - at);
                    for (size_t i = 0; i < n; i++) g_input[at + i] = (uint8_t)next();
                    g_size += n;
                } break;
        case 6: {  /* splice: our prefix, another seed's suffix */
                    const seed *o = &g_seeds[below(g_nseeds)];
                    size_t keep = below(g_size + 1), from = below(o->size + 1), n = o->size - from;
                    if (keep + n > DRIVER_MAX_INPUT) break;
                    memcpy(g_input + keep, o->data + from, n);
                    g_size = keep + n;
                } break;
        case 7: if (g_size) {  /* an ASCII digit or JSON punctuation: text formats */
                    static const char text[] = "0123456789-.e{}[]\":,";
                    g_input[below(g_size)] = (uint8_t)text[below(sizeof text - 1)];
                } break;
        }
    }
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    double seconds = 0;
    unsigned long long runs = 0, seed_value = 1;
    unsigned timeout = 25;
    for (int i = 1; i < argc; i++) {
        if (sscanf(argv[i], "-max_total_time=%lf", &seconds) == 1) continue;
        if (sscanf(argv[i], "-runs=%llu", &runs) == 1) continue;
        if (sscanf(argv[i], "-seed=%llu", &seed_value) == 1) continue;
        if (sscanf(argv[i], "-timeout=%u", &timeout) == 1) continue;
        if (strncmp(argv[i], "-artifact_prefix=", 17) == 0) { g_prefix = argv[i] + 17; continue; }
        if (argv[i][0] == '-') continue;  /* other libFuzzer flags: ignored */
        load_dir(argv[i]);
    }
    if (g_nseeds == 0) add_seed("/dev/null");
    g_rng = seed_value * 0x9E3779B97F4A7C15ULL + 1;
    g_input = malloc(DRIVER_MAX_INPUT);
    int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE, SIGALRM};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) signal(sigs[i], on_signal);
    double start = now();
    for (size_t i = 0; i < g_nseeds; i++) {  /* every seed as it is */
        memcpy(g_input, g_seeds[i].data, g_seeds[i].size);
        g_size = g_seeds[i].size;
        alarm(timeout);
        LLVMFuzzerTestOneInput(g_input, g_size);
        g_execs++;
    }
    while ((runs == 0 || g_execs < runs) && (seconds <= 0 || now() - start < seconds)) {
        if (runs == 0 && seconds <= 0) break;
        const seed *s = &g_seeds[below(g_nseeds)];
        memcpy(g_input, s->data, s->size);
        g_size = s->size;
        mutate();
        alarm(timeout);
        LLVMFuzzerTestOneInput(g_input, g_size);
        g_execs++;
    }
    alarm(0);
    double t = now() - start;
    printf("==driver== DONE %llu executions in %.1f s (%.0f exec/s), %zu seeds, 0 crashes\n",
           g_execs, t, t > 0 ? (double)g_execs / t : 0.0, g_nseeds);
    return 0;
}
