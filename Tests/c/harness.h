/* Test harness for the C tests: an independent safetensors reader for the golden files, the
 * manifest, the shared tolerance rule, digests, and pass/fail counting. */
#ifndef SNN_TEST_HARNESS_H
#define SNN_TEST_HARNESS_H
#include <stdint.h>
#include <stdio.h>
#include <swiftnn.h>

typedef struct {
    char name[128];
    snn_dtype dtype;      /* from the safetensors dtype: F32 F64 I64 I32 U8 BOOL */
    int is_int;           /* dtype is int64 (the adapters' older spelling) */
    int64_t shape[16];
    size_t ndim;
    size_t count;
    size_t elem_size;     /* bytes per element */
    void *data;           /* count elements of dtype: float*, double*, int64_t*, ... */
} gt_tensor;

typedef struct {
    gt_tensor *items;
    size_t n;
} gt_file;

/* Loads Tests/golden/<area>.safetensors; exits with a message on a malformed file. */
int gt_load(gt_file *f, const char *path);
const gt_tensor *gt_find(const gt_file *f, const char *name);
void gt_free(gt_file *f);

/* key=value attributes of a manifest line. */
typedef struct {
    int n;
    char key[16][32];
    char val[16][256];
} gt_attrs;
const char *attr_str(const gt_attrs *a, const char *k, const char *dflt);
int64_t attr_int(const gt_attrs *a, const char *k, int64_t dflt);
double attr_double(const gt_attrs *a, const char *k, double dflt);
/* Parses "0,2,-1" into out (returns count); "none" or missing gives 0. */
size_t attr_ints(const gt_attrs *a, const char *k, int64_t *out, size_t cap);

/* A golden op: reads ins[0..nin), writes up to 8 new handles to outs, returns a status. */
typedef snn_status (*golden_fn)(snn_tensor **outs, size_t *nout, snn_tensor *const *ins, size_t nin, const gt_attrs *a);
void golden_register(const char *op, golden_fn fn);
golden_fn golden_lookup(const char *op);

/* Pass/fail counting. CHECK records a failure with a message and continues. */
extern int g_passed, g_failed;
#define CHECK(cond, ...) do { if (cond) { g_passed++; } else { g_failed++; \
    fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)
#define CHECK_OK(call) do { snn_status st_ = (call); CHECK(st_ == SNN_OK, "%s -> %s: %s", #call, \
    snn_status_string(st_), snn_last_error()); } while (0)

/* Compares a tensor handle with a golden tensor; returns NULL or a static message. Shape and
 * dtype must be equal; integers and bools exactly; float32 |a - e| <= 1e-5 + 1e-4 |e|;
 * float64 |a - e| <= 1e-10 + 1e-8 |e| (a NaN matches a NaN). */
const char *compare(snn_tensor *t, const gt_tensor *e);
/* Creates a tensor (of the golden tensor's dtype) from a golden tensor. */
snn_tensor *from_golden(const gt_tensor *g);
/* FNV-1a digest over tensors' bytes, continuing from h (start with FNV_OFFSET). */
#define FNV_OFFSET 0xcbf29ce484222325ULL
uint64_t digest_tensor(uint64_t h, snn_tensor *t);
int64_t live_handles(void);
/* Option structs from their _init functions: conv2d's defaults, and pool options with a
 * kernel_h x kernel_w kernel and the other fields at their defaults. */
snn_conv2d_options conv2d_options(void);
snn_pool2d_options pool2d_options(int64_t kernel_h, int64_t kernel_w);
/* Prints "N passed, N failed" and returns the exit code. */
int report(const char *name);
/* Directory of the golden files (SNN_GOLDEN_DIR or Tests/golden relative to the cwd). */
const char *golden_dir(void);
/* Runs body() in a forked child with an alarm of `seconds`, so a crash or a hang fails one
 * CHECK (naming `what` and the signal or exit code) instead of the whole test program; the
 * child's CHECK failures or a nonzero return fail it too. */
void run_in_child(const char *what, unsigned seconds, int (*body)(void));
/* Feeds a reader every truncation of a good file (at most 4096 bytes) and then `flips` copies
 * with one random bit flipped (seeded), each written to a temporary path, in a forked child so
 * a crash or a hang (2-minute alarm) kills only the child. check(path, ctx) reads the file and
 * returns nonzero for a wrong outcome (it prints why). Records one CHECK per call. */
void fuzz_file_in_child(const char *good_path, size_t flips, unsigned long long seed,
                        int (*check)(const char *path, void *ctx), void *ctx, const char *what);
#endif
