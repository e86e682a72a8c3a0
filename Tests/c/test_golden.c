/* Runs every golden case through the C API: forward and input gradients against PyTorch's,
 * live handles back to the baseline after each case, and digests written to
 * build/agreement/c-<area>.txt for the three-language agreement test. */
#include "harness.h"
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void run_area(const char *area) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s.safetensors", golden_dir(), area);
    gt_file f;
    gt_load(&f, path);
    snprintf(path, sizeof path, "%s/%s.txt", golden_dir(), area);
    FILE *m = fopen(path, "r");
    if (!m) { fprintf(stderr, "cannot open %s\n", path); exit(2); }
    mkdir("build", 0755);
    mkdir("build/agreement", 0755);
    snprintf(path, sizeof path, "build/agreement/c-%s.txt", area);
    FILE *agree = fopen(path, "w");
    char line[4096];
    while (fgets(line, sizeof line, m)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        line[strcspn(line, "\n")] = 0;
        char *save = NULL;
        char *name = strtok_r(line, " ", &save), *op = strtok_r(NULL, " ", &save);
        gt_attrs a;
        a.n = 0;
        for (char *kv; (kv = strtok_r(NULL, " ", &save)) && a.n < 16; a.n++) {
            char *eq = strchr(kv, '=');
            if (eq) *eq = 0;
            snprintf(a.key[a.n], sizeof a.key[0], "%s", kv);
            snprintf(a.val[a.n], sizeof a.val[0], "%s", eq ? eq + 1 : "");
        }
        golden_fn fn = golden_lookup(op);
        CHECK(fn != NULL, "%s/%s: no C binding for golden op '%s'", area, name, op);
        if (!fn) continue;
        int64_t baseline = live_handles();
        char key[256];
        snn_tensor *ins[16];
        size_t nin = 0;
        int any_grad = 0;
        for (; nin < 16; nin++) {
            snprintf(key, sizeof key, "%s.in%zu", name, nin);
            const gt_tensor *g = gt_find(&f, key);
            if (!g) break;
            ins[nin] = from_golden(g);
            snprintf(key, sizeof key, "%s.grad%zu", name, nin);
            if (gt_find(&f, key)) { snn_tensor_set_requires_grad(ins[nin], true); any_grad = 1; }
        }
        snn_tensor *outs[8] = {0};
        size_t nout = 0;
        snn_status st = fn(outs, &nout, ins, nin, &a);
        CHECK(st == SNN_OK, "%s/%s: %s: %s", area, name, snn_status_string(st), snn_last_error());
        uint64_t h = FNV_OFFSET;
        if (st == SNN_OK) {
            for (size_t j = 0; j < nout; j++) {
                snprintf(key, sizeof key, "%s.out%zu", name, j);
                const gt_tensor *e = gt_find(&f, key);
                const char *why = e ? compare(outs[j], e) : "missing expected output";
                CHECK(why == NULL, "%s/%s output %zu: %s", area, name, j, why);
                h = digest_tensor(h, outs[j]);
            }
            if (any_grad) {
                size_t last = 0;
                for (size_t j = 0; j < nout; j++) {
                    snprintf(key, sizeof key, "%s.gout%zu", name, j);
                    if (gt_find(&f, key)) last = j;
                }
                for (size_t j = 0; j < nout; j++) {
                    snprintf(key, sizeof key, "%s.gout%zu", name, j);
                    const gt_tensor *g = gt_find(&f, key);
                    if (!g) continue;
                    snn_tensor *gt = from_golden(g);
                    CHECK_OK(snn_tensor_backward(outs[j], gt, j != last));
                    snn_tensor_free(gt);
                }
                for (size_t i = 0; i < nin; i++) {
                    snprintf(key, sizeof key, "%s.grad%zu", name, i);
                    const gt_tensor *e = gt_find(&f, key);
                    if (!e) continue;
                    snn_tensor *g = NULL;
                    CHECK_OK(snn_tensor_grad(&g, ins[i]));
                    const char *why = g ? compare(g, e) : "no gradient";
                    CHECK(why == NULL, "%s/%s grad of input %zu: %s", area, name, i, why);
                    if (g) h = digest_tensor(h, g);
                    snn_tensor_free(g);
                }
            }
        }
        for (size_t j = 0; j < nout; j++) snn_tensor_free(outs[j]);
        for (size_t i = 0; i < nin; i++) snn_tensor_free(ins[i]);
        CHECK(live_handles() == baseline, "%s/%s leaked %lld handles", area, name, (long long)(live_handles() - baseline));
        if (agree) fprintf(agree, "%s/%s %llx\n", area, name, (unsigned long long)h);
    }
    if (agree && strcmp(area, "core") == 0) {
        /* Same seed, same random tensors in every language: Swift and Python add this line. */
        snn_tensor *r = NULL, *n = NULL;
        int64_t shape[1] = {1000};
        CHECK_OK(snn_manual_seed(42));
        CHECK_OK(snn_tensor_rand(&r, shape, 1));
        CHECK_OK(snn_tensor_randn(&n, shape, 1));
        if (r && n) fprintf(agree, "random/seed42 %llx\n", (unsigned long long)digest_tensor(digest_tensor(FNV_OFFSET, r), n));
        snn_tensor_free(r);
        snn_tensor_free(n);
    }
    if (agree) fclose(agree);
    fclose(m);
    gt_free(&f);
}

/* The comparison itself can fail: a dtype that differs, an integer off by one, a float64
 * off by 1e-7 relative (float32's tolerance would pass it) are each reported. */
static void compare_is_dtype_exact(void) {
    int64_t shape[1] = {2};
    int32_t i32[2] = {1, 2};
    int64_t i64[2] = {1, 2};
    double f64[2] = {1.0, 2.0}, f64_near[2] = {1.0, 2.0 + 2e-7}, f64_close[2] = {1.0, 2.0 + 1e-9};
    gt_tensor e = {.name = "self", .dtype = SNN_INT64, .is_int = 1, .shape = {2}, .ndim = 1, .count = 2,
                   .elem_size = 8, .data = i64};
    snn_tensor *t = NULL;
    CHECK_OK(snn_tensor_from_bytes(&t, (const uint8_t *)i32, 2, shape, 1, SNN_INT32));
    CHECK(compare(t, &e) != NULL, "an int32 tensor matched an int64 golden tensor");
    snn_tensor_free(t);
    i64[1] = 3;
    CHECK_OK(snn_tensor_from_int64(&t, (int64_t[]){1, 2}, 2, shape, 1));
    CHECK(compare(t, &e) != NULL, "int64 [1, 2] matched [1, 3]");
    snn_tensor_free(t);
    e = (gt_tensor){.name = "self", .dtype = SNN_FLOAT64, .shape = {2}, .ndim = 1, .count = 2, .elem_size = 8, .data = f64};
    CHECK_OK(snn_tensor_from_bytes(&t, (const uint8_t *)f64_near, 2, shape, 1, SNN_FLOAT64));
    CHECK(compare(t, &e) != NULL, "float64 2 + 2e-7 matched 2");
    snn_tensor_free(t);
    CHECK_OK(snn_tensor_from_bytes(&t, (const uint8_t *)f64_close, 2, shape, 1, SNN_FLOAT64));
    const char *why = compare(t, &e);
    CHECK(why == NULL, "float64 2 + 1e-9 did not match 2: %s", why);
    snn_tensor_free(t);
}

int main(void) {
    compare_is_dtype_exact();
    char path[512];
    snprintf(path, sizeof path, "%s/AREAS", golden_dir());
    FILE *areas = fopen(path, "r");
    if (!areas) { fprintf(stderr, "cannot open %s\n", path); return 2; }
    char line[256];
    while (fgets(line, sizeof line, areas)) {
        line[strcspn(line, "\r\n")] = 0;
        if (line[0] && line[0] != '#') run_area(line);
    }
    fclose(areas);
    CHECK(live_handles() == 0, "%lld handles still live at exit", (long long)live_handles());
    return report("test_golden");
}
