/* Test harness implementation: see harness.h. The safetensors reader here is deliberately
 * separate from the engine's so the goldens are not read through the code under test. */
#define _GNU_SOURCE  /* RTLD_DEFAULT, for the mechanical golden adapter */
#include "harness.h"
#include <dlfcn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int g_passed = 0, g_failed = 0;

static void die(const char *msg, const char *path) {
    fprintf(stderr, "harness: %s (%s)\n", msg, path);
    exit(2);
}

/* --- a tiny JSON scanner for safetensors headers ------------------------------------- */
typedef struct { const char *p, *end; } scan;
static void ws(scan *s) { while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\t' || *s->p == '\r')) s->p++; }
static int eat(scan *s, char c) { ws(s); if (s->p < s->end && *s->p == c) { s->p++; return 1; } return 0; }
static int str(scan *s, char *out, size_t cap) {
    ws(s);
    if (s->p >= s->end || *s->p != '"') return 0;
    s->p++;
    size_t n = 0;
    while (s->p < s->end && *s->p != '"') {
        if (*s->p == '\\') s->p++;
        if (n + 1 < cap) out[n++] = *s->p;
        s->p++;
    }
    out[n] = 0;
    if (s->p >= s->end) return 0;
    s->p++;
    return 1;
}
static int num(scan *s, int64_t *v) {
    ws(s);
    char *e;
    long long x = strtoll(s->p, &e, 10);
    if (e == s->p) return 0;
    s->p = e;
    *v = x;
    return 1;
}
static int skip_value(scan *s) {  /* skips a string or a flat object of strings */
    char tmp[1024];
    ws(s);
    if (s->p < s->end && *s->p == '"') return str(s, tmp, sizeof tmp);
    if (!eat(s, '{')) return 0;
    if (eat(s, '}')) return 1;
    do { if (!str(s, tmp, sizeof tmp) || !eat(s, ':') || !str(s, tmp, sizeof tmp)) return 0; } while (eat(s, ','));
    return eat(s, '}');
}

int gt_load(gt_file *f, const char *path) {
    FILE *fp = fopen(path, "rb");
    if (!fp) die("cannot open golden file", path);
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    rewind(fp);
    unsigned char *buf = malloc((size_t)size);
    if (!buf || fread(buf, 1, (size_t)size, fp) != (size_t)size) die("cannot read golden file", path);
    fclose(fp);
    uint64_t hlen = 0;
    for (int i = 0; i < 8; i++) hlen |= (uint64_t)buf[i] << (8 * i);
    if (hlen + 8 > (uint64_t)size) die("header runs past the end", path);
    const unsigned char *data = buf + 8 + hlen;
    scan s = {(const char *)buf + 8, (const char *)buf + 8 + hlen};
    f->items = NULL;
    f->n = 0;
    size_t cap = 0;
    if (!eat(&s, '{')) die("header is not an object", path);
    do {
        char key[128], field[64], dtype[16] = "";
        if (!str(&s, key, sizeof key) || !eat(&s, ':')) die("bad key", path);
        if (strcmp(key, "__metadata__") == 0) { if (!skip_value(&s)) die("bad metadata", path); continue; }
        gt_tensor t;
        memset(&t, 0, sizeof t);
        snprintf(t.name, sizeof t.name, "%s", key);
        int64_t b = -1, e = -1;
        if (!eat(&s, '{')) die("bad entry", path);
        do {
            if (!str(&s, field, sizeof field) || !eat(&s, ':')) die("bad field", path);
            if (strcmp(field, "dtype") == 0) { if (!str(&s, dtype, sizeof dtype)) die("bad dtype", path); }
            else if (strcmp(field, "shape") == 0) {
                if (!eat(&s, '[')) die("bad shape", path);
                if (!eat(&s, ']')) {
                    do { if (t.ndim >= 16 || !num(&s, &t.shape[t.ndim++])) die("bad shape entry", path); } while (eat(&s, ','));
                    if (!eat(&s, ']')) die("bad shape end", path);
                }
            } else if (strcmp(field, "data_offsets") == 0) {
                if (!eat(&s, '[') || !num(&s, &b) || !eat(&s, ',') || !num(&s, &e) || !eat(&s, ']')) die("bad offsets", path);
            } else die("unknown field", path);
        } while (eat(&s, ','));
        if (!eat(&s, '}')) die("bad entry end", path);
        static const struct { const char *name; snn_dtype dtype; size_t size; } kinds[] = {
            {"F32", SNN_FLOAT32, 4}, {"F64", SNN_FLOAT64, 8}, {"I64", SNN_INT64, 8},
            {"I32", SNN_INT32, 4}, {"U8", SNN_UINT8, 1}, {"BOOL", SNN_BOOL, 1}};
        size_t k = 0;
        while (k < sizeof kinds / sizeof kinds[0] && strcmp(dtype, kinds[k].name) != 0) k++;
        if (k == sizeof kinds / sizeof kinds[0]) die("unsupported dtype in golden file", path);
        t.dtype = kinds[k].dtype;
        t.elem_size = kinds[k].size;
        t.is_int = t.dtype == SNN_INT64;
        t.count = 1;
        for (size_t i = 0; i < t.ndim; i++) t.count *= (size_t)t.shape[i];
        size_t bytes = t.count * t.elem_size;
        if (b < 0 || e - b != (int64_t)bytes || (uint64_t)e > (uint64_t)size - 8 - hlen) die("bad data offsets", path);
        t.data = malloc(bytes ? bytes : 1);
        memcpy(t.data, data + b, bytes);
        if (f->n == cap) { cap = cap ? 2 * cap : 64; f->items = realloc(f->items, cap * sizeof *f->items); }
        f->items[f->n++] = t;
    } while (eat(&s, ','));
    if (!eat(&s, '}')) die("header does not end with '}'", path);
    free(buf);
    return 0;
}

const gt_tensor *gt_find(const gt_file *f, const char *name) {
    for (size_t i = 0; i < f->n; i++) if (strcmp(f->items[i].name, name) == 0) return &f->items[i];
    return NULL;
}

void gt_free(gt_file *f) {
    for (size_t i = 0; i < f->n; i++) free(f->items[i].data);
    free(f->items);
    f->items = NULL;
    f->n = 0;
}

/* --- attributes ---------------------------------------------------------------------- */
const char *attr_str(const gt_attrs *a, const char *k, const char *dflt) {
    for (int i = 0; i < a->n; i++) if (strcmp(a->key[i], k) == 0) return a->val[i];
    return dflt;
}
int64_t attr_int(const gt_attrs *a, const char *k, int64_t dflt) {
    const char *v = attr_str(a, k, NULL);
    return v && strcmp(v, "none") != 0 ? strtoll(v, NULL, 10) : dflt;
}
double attr_double(const gt_attrs *a, const char *k, double dflt) {
    const char *v = attr_str(a, k, NULL);
    return v && strcmp(v, "none") != 0 ? strtod(v, NULL) : dflt;
}
size_t attr_ints(const gt_attrs *a, const char *k, int64_t *out, size_t cap) {
    const char *v = attr_str(a, k, NULL);
    if (!v || strcmp(v, "none") == 0) return 0;
    size_t n = 0;
    while (*v && n < cap) {
        char *e;
        out[n++] = strtoll(v, &e, 10);
        v = *e == ',' ? e + 1 : e;
        if (e == v && *e != ',') break;
    }
    return n;
}

/* --- op registry ------------------------------------------------------------------- */
static struct { const char *op; golden_fn fn; } registry[256];
static int nregistry = 0;
void golden_register(const char *op, golden_fn fn) {
    if (nregistry < 256) { registry[nregistry].op = op; registry[nregistry].fn = fn; nregistry++; }
}
/* The mechanical adapter: an op without a registered adapter whose C function the header
 * declares exactly as `snn_status snn_tensor_<op>(snn_tensor **out, const snn_tensor *t);`
 * (one input, no attributes) is called by that name, so such an op needs no line here. The
 * declaration is read from include/ (the tests run from the repository root), so a function
 * of another signature is never called through this one. */
typedef snn_status (*unary_c_fn)(snn_tensor **out, const snn_tensor *t);
static unary_c_fn mechanical_fn;  /* set by golden_lookup just before its caller runs it */
static snn_status mechanical_unary(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a) {
    if (nin != 1 || a->n != 0) return SNN_ERR_INVALID_ARGUMENT;
    *n = 1;
    return mechanical_fn(&o[0], x[0]);
}

static int header_declares_unary(const char *symbol) {
    static const char *headers[] = {"include/swiftnn/elementwise.h", "include/swiftnn/activation.h", "include/swiftnn/ops.h"};
    char want[256];
    snprintf(want, sizeof want, "snn_status %s(snn_tensor **out, const snn_tensor *t);", symbol);
    for (size_t h = 0; h < sizeof headers / sizeof headers[0]; h++) {
        FILE *f = fopen(headers[h], "r");
        if (!f) continue;
        char line[1024];
        int found = 0;
        while (!found && fgets(line, sizeof line, f)) found = strstr(line, want) != NULL;
        fclose(f);
        if (found) return 1;
    }
    return 0;
}

golden_fn golden_lookup(const char *op) {
    for (int i = 0; i < nregistry; i++) if (strcmp(registry[i].op, op) == 0) return registry[i].fn;
    char symbol[128];
    snprintf(symbol, sizeof symbol, "snn_tensor_%s", op);
    if (!header_declares_unary(symbol)) return NULL;
    void *p = dlsym(RTLD_DEFAULT, symbol);
    if (!p) return NULL;
    /* an object pointer to a function pointer: POSIX guarantees dlsym's result converts */
    memcpy(&mechanical_fn, &p, sizeof p);
    return mechanical_unary;
}

/* --- tensors ------------------------------------------------------------------------- */
static const char *dtype_name(snn_dtype d) {
    static const char *names[] = {"float32", "int64", "float64", "int32", "uint8", "bool"};
    return (unsigned)d < sizeof names / sizeof names[0] ? names[d] : "unknown";
}

snn_tensor *from_golden(const gt_tensor *g) {
    snn_tensor *t = NULL;
    snn_status st = snn_tensor_from_bytes(&t, g->data, g->count, g->shape, g->ndim, g->dtype);
    if (st != SNN_OK) { fprintf(stderr, "from_golden(%s): %s\n", g->name, snn_last_error()); exit(2); }
    return t;
}

/* A tensor's bytes, or NULL with a message in *why (malloc'd copy; the caller frees it). */
static unsigned char *tensor_bytes(snn_tensor *t, size_t *nbytes, snn_dtype *dt) {
    int64_t n = 0;
    if (snn_tensor_numel(&n, t) != SNN_OK || snn_tensor_dtype(dt, t) != SNN_OK) return NULL;
    size_t size = *dt == SNN_INT64 || *dt == SNN_FLOAT64 ? 8 : *dt == SNN_FLOAT32 || *dt == SNN_INT32 ? 4 : 1;
    *nbytes = (size_t)n * size;
    unsigned char *b = malloc(*nbytes + 8);
    if (b && snn_tensor_copy_bytes(b, *nbytes, t) != SNN_OK) { free(b); return NULL; }
    return b;
}

const char *compare(snn_tensor *t, const gt_tensor *e) {
    static char msg[512];
    size_t nd = 0;
    int64_t shape[16];
    snn_dtype dt;
    if (snn_tensor_ndim(&nd, t) != SNN_OK || snn_tensor_shape(shape, 16, t) != SNN_OK || snn_tensor_dtype(&dt, t) != SNN_OK)
        return snn_last_error();
    if (nd != e->ndim || memcmp(shape, e->shape, nd * sizeof(int64_t)) != 0) {
        snprintf(msg, sizeof msg, "shape differs (rank %zu vs expected %zu)", nd, e->ndim);
        return msg;
    }
    if (dt != e->dtype) {
        snprintf(msg, sizeof msg, "dtype %s, expected %s", dtype_name(dt), dtype_name(e->dtype));
        return msg;
    }
    size_t nbytes = 0;
    unsigned char *v = tensor_bytes(t, &nbytes, &dt);
    if (!v) return snn_last_error();
    const char *r = NULL;
    if (dt != SNN_FLOAT32 && dt != SNN_FLOAT64) {  /* integers and bools: exactly */
        for (size_t i = 0; i < e->count && !r; i++) {
            if (memcmp(v + i * e->elem_size, (const unsigned char *)e->data + i * e->elem_size, e->elem_size) == 0) continue;
            int64_t a = 0, x = 0;
            memcpy(&a, v + i * e->elem_size, e->elem_size);  /* little-endian: the low bytes */
            memcpy(&x, (const unsigned char *)e->data + i * e->elem_size, e->elem_size);
            snprintf(msg, sizeof msg, "%s element %zu: %lld vs expected %lld", dtype_name(dt), i, (long long)a, (long long)x);
            r = msg;
        }
        free(v);
        return r;
    }
    for (size_t i = 0; i < e->count; i++) {
        double a, x, atol, rtol;
        if (dt == SNN_FLOAT64) {
            memcpy(&a, v + 8 * i, 8);
            x = ((const double *)e->data)[i];
            atol = 1e-10, rtol = 1e-8;
        } else {
            float af, xf;
            memcpy(&af, v + 4 * i, 4);
            xf = ((const float *)e->data)[i];
            a = af, x = xf;
            atol = 1e-5, rtol = 1e-4;
        }
        if (isnan(a) && isnan(x)) continue;
        if (a == x) continue;
        double err = fabs(a - x);
        if (!(err <= atol + rtol * fabs(x))) {
            snprintf(msg, sizeof msg, "%s element %zu: %.17g vs expected %.17g", dtype_name(dt), i, a, x);
            r = msg;
            break;
        }
    }
    free(v);
    return r;
}

uint64_t digest_tensor(uint64_t h, snn_tensor *t) {
    size_t bytes = 0;
    snn_dtype dt;
    unsigned char *b = tensor_bytes(t, &bytes, &dt);
    if (!b) return h;
    for (size_t i = 0; i < bytes; i++) h = (h ^ b[i]) * 0x100000001b3ULL;
    free(b);
    return h;
}

int64_t live_handles(void) {
    int64_t n = -1;
    snn_live_handles(&n);
    return n;
}

snn_conv2d_options conv2d_options(void) {
    snn_conv2d_options o;
    snn_conv2d_options_init(&o);
    return o;
}

snn_pool2d_options pool2d_options(int64_t kernel_h, int64_t kernel_w) {
    snn_pool2d_options o;
    snn_pool2d_options_init(&o);
    o.kernel_h = kernel_h;
    o.kernel_w = kernel_w;
    return o;
}

int report(const char *name) {
    printf("%s: %d passed, %d failed\n", name, g_passed, g_failed);
    return g_failed ? 1 : 0;
}

const char *golden_dir(void) {
    const char *d = getenv("SNN_GOLDEN_DIR");
    return d ? d : "Tests/golden";
}

void run_in_child(const char *what, unsigned seconds, int (*body)(void)) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(seconds);
        g_passed = g_failed = 0;
        int bad = body();
        fflush(NULL);
        _exit(bad || g_failed ? 1 : 0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: child %s %d", what,
          WIFSIGNALED(status) ? "killed by signal" : "exited with", WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

void fuzz_file_in_child(const char *good_path, size_t flips, unsigned long long seed,
                        int (*check)(const char *path, void *ctx), void *ctx, const char *what) {
    FILE *src = fopen(good_path, "rb");
    CHECK(src != NULL, "fixture missing: %s", good_path);
    if (!src) return;
    unsigned char good[4096];
    size_t n = fread(good, 1, sizeof good, src);
    fclose(src);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(120);
        char path[] = "/tmp/snn_fuzz_file_XXXXXX";
        int fd = mkstemp(path);
        if (fd < 0) _exit(3);
        close(fd);
        int failures = 0;
        unsigned long long state = seed;
        for (size_t k = 0; k < n + flips; k++) {
            unsigned char buf[4096];
            size_t len = n;
            memcpy(buf, good, n);
            if (k < n) len = k;                       /* every truncation */
            else {                                    /* then random bit flips */
                state = state * 6364136223846793005ULL + 1442695040888963407ULL;
                size_t bit = (size_t)(state >> 33) % (n * 8);
                buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
            }
            FILE *f = fopen(path, "wb");
            if (!f) _exit(3);
            fwrite(buf, 1, len, f);
            fclose(f);
            if (check(path, ctx)) {
                fprintf(stderr, "%s: variant %zu (%s) had the wrong outcome\n", what, k, k < n ? "truncated" : "bit flip");
                failures++;
            }
        }
        unlink(path);
        _exit(failures ? 1 : 0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status), "child fed corrupt %s died (signal %d)", what, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "corrupt %s: wrong statuses (exit %d)", what, WEXITSTATUS(status));
}
