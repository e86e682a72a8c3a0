/* swiftnn/optim.h against PyTorch (Tests/golden/optim_trajectories.*, written by
 * tools/gen_golden_optim.py): every optimizer trajectory, clip_grad_norm_ case and scheduler
 * lr sequence through the C API, then handle kinds, options validation, lifetimes, and SGD
 * converging on a quadratic. Live handles return to their baseline after each part. */
#include "harness.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char name[128];
    char kind[32];
    gt_attrs a;
} optim_case;

static gt_file G;
static optim_case cases[64];
static size_t ncases;

static void load(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/optim_trajectories.safetensors", golden_dir());
    gt_load(&G, path);
    snprintf(path, sizeof path, "%s/optim_trajectories.txt", golden_dir());
    FILE *m = fopen(path, "r");
    if (!m) { fprintf(stderr, "cannot open %s\n", path); exit(2); }
    char line[4096];
    while (fgets(line, sizeof line, m) && ncases < 64) {
        if (line[0] == '#' || line[0] == '\n') continue;
        line[strcspn(line, "\n")] = 0;
        optim_case *c = &cases[ncases++];
        memset(c, 0, sizeof *c);
        char *save = NULL, *name = strtok_r(line, " ", &save), *kind = strtok_r(NULL, " ", &save);
        snprintf(c->name, sizeof c->name, "%s", name ? name : "");
        snprintf(c->kind, sizeof c->kind, "%s", kind ? kind : "");
        for (char *kv; (kv = strtok_r(NULL, " ", &save)) && c->a.n < 16; c->a.n++) {
            char *eq = strchr(kv, '=');
            if (eq) *eq = 0;
            snprintf(c->a.key[c->a.n], sizeof c->a.key[0], "%s", kv);
            snprintf(c->a.val[c->a.n], sizeof c->a.val[0], "%s", eq ? eq + 1 : "");
        }
    }
    fclose(m);
}

static const gt_tensor *find(const char *fmt, const char *name, int i, int j) {
    char key[256];
    snprintf(key, sizeof key, fmt, name, i, j);
    return gt_find(&G, key);
}

static double get(const gt_attrs *a, const char *prefix, const char *k, double dflt) {
    char key[64];
    snprintf(key, sizeof key, "%s%s", prefix, k);
    return attr_double(a, key, dflt);
}

/* Comma-separated doubles ("0.8,0.95"); returns how many were read. */
static size_t get_list(const gt_attrs *a, const char *key, double *out, size_t cap) {
    const char *v = attr_str(a, key, NULL);
    size_t n = 0;
    while (v && *v && n < cap) {
        char *e;
        out[n++] = strtod(v, &e);
        if (*e != ',') break;
        v = e + 1;
    }
    return n;
}

static int grouped(const gt_attrs *a) {
    for (int i = 0; i < a->n; i++) if (strncmp(a->key[i], "g1.", 3) == 0) return 1;
    return 0;
}

/* Options from the manifest on top of `base`. */
static snn_sgd_options sgd_options(const gt_attrs *a, const char *p, snn_sgd_options base) {
    base.lr = get(a, p, "lr", base.lr);
    base.momentum = get(a, p, "momentum", base.momentum);
    base.dampening = get(a, p, "dampening", base.dampening);
    base.weight_decay = get(a, p, "weight_decay", base.weight_decay);
    base.nesterov = get(a, p, "nesterov", base.nesterov) != 0;
    base.maximize = get(a, p, "maximize", base.maximize) != 0;
    return base;
}

static snn_adam_options adam_options(const gt_attrs *a, const char *p, snn_adam_options base) {
    char key[64];
    double betas[2];
    snprintf(key, sizeof key, "%sbetas", p);
    if (get_list(a, key, betas, 2) == 2) { base.beta1 = betas[0]; base.beta2 = betas[1]; }
    base.lr = get(a, p, "lr", base.lr);
    base.eps = get(a, p, "eps", base.eps);
    base.weight_decay = get(a, p, "weight_decay", base.weight_decay);
    base.amsgrad = get(a, p, "amsgrad", base.amsgrad) != 0;
    base.maximize = get(a, p, "maximize", base.maximize) != 0;
    return base;
}

static snn_rmsprop_options rmsprop_options(const gt_attrs *a, const char *p, snn_rmsprop_options base) {
    base.lr = get(a, p, "lr", base.lr);
    base.alpha = get(a, p, "alpha", base.alpha);
    base.eps = get(a, p, "eps", base.eps);
    base.weight_decay = get(a, p, "weight_decay", base.weight_decay);
    base.momentum = get(a, p, "momentum", base.momentum);
    base.centered = get(a, p, "centered", base.centered) != 0;
    base.maximize = get(a, p, "maximize", base.maximize) != 0;
    return base;
}

static snn_adagrad_options adagrad_options(const gt_attrs *a, const char *p, snn_adagrad_options base) {
    base.lr = get(a, p, "lr", base.lr);
    base.lr_decay = get(a, p, "lr_decay", base.lr_decay);
    base.weight_decay = get(a, p, "weight_decay", base.weight_decay);
    base.initial_accumulator_value = get(a, p, "initial_accumulator_value", base.initial_accumulator_value);
    base.eps = get(a, p, "eps", base.eps);
    base.maximize = get(a, p, "maximize", base.maximize) != 0;
    return base;
}

static void run_optimizer(const optim_case *c) {
    int64_t baseline = live_handles();
    snn_tensor *p[2];
    for (int j = 0; j < 2; j++) {
        p[j] = from_golden(find("%s.p%d.init", c->name, j, 0));
        CHECK_OK(snn_tensor_set_requires_grad(p[j], true));
    }
    int g = grouped(&c->a);
    snn_optimizer *opt = NULL;
    if (strcmp(c->kind, "sgd") == 0) {
        snn_sgd_options o;
        CHECK_OK(snn_sgd_options_init(&o));
        o = sgd_options(&c->a, "", o);
        CHECK_OK(snn_optimizer_sgd(&opt, p, g ? 1 : 2, &o));
        snn_sgd_options o1 = sgd_options(&c->a, "g1.", o);
        if (g) CHECK_OK(snn_optimizer_add_sgd_group(opt, p + 1, 1, &o1));
    } else if (strcmp(c->kind, "rmsprop") == 0) {
        snn_rmsprop_options o;
        CHECK_OK(snn_rmsprop_options_init(&o));
        o = rmsprop_options(&c->a, "", o);
        CHECK_OK(snn_optimizer_rmsprop(&opt, p, g ? 1 : 2, &o));
        snn_rmsprop_options o1 = rmsprop_options(&c->a, "g1.", o);
        if (g) CHECK_OK(snn_optimizer_add_rmsprop_group(opt, p + 1, 1, &o1));
    } else if (strcmp(c->kind, "adagrad") == 0) {
        snn_adagrad_options o;
        CHECK_OK(snn_adagrad_options_init(&o));
        o = adagrad_options(&c->a, "", o);
        CHECK_OK(snn_optimizer_adagrad(&opt, p, g ? 1 : 2, &o));
        snn_adagrad_options o1 = adagrad_options(&c->a, "g1.", o);
        if (g) CHECK_OK(snn_optimizer_add_adagrad_group(opt, p + 1, 1, &o1));
    } else {
        int w = strcmp(c->kind, "adamw") == 0;
        snn_adam_options o;
        CHECK_OK((w ? snn_adamw_options_init : snn_adam_options_init)(&o));
        o = adam_options(&c->a, "", o);
        CHECK_OK((w ? snn_optimizer_adamw : snn_optimizer_adam)(&opt, p, g ? 1 : 2, &o));
        snn_adam_options o1 = adam_options(&c->a, "g1.", o);
        if (g) CHECK_OK(snn_optimizer_add_adam_group(opt, p + 1, 1, &o1));
    }
    size_t groups = 0;
    CHECK_OK(snn_optimizer_num_groups(&groups, opt));
    CHECK(groups == (size_t)(g ? 2 : 1), "%s: %zu groups", c->name, groups);
    for (int s = 0; s < 5; s++) {
        for (int j = 0; j < 2; j++) {
            const gt_tensor *gg = find("%s.p%d.grad%d", c->name, j, s);
            snn_tensor *gt = gg ? from_golden(gg) : NULL;
            CHECK_OK(snn_tensor_set_grad(p[j], gt));
            snn_tensor_free(gt);
        }
        CHECK_OK(snn_optimizer_step(opt));
        for (int j = 0; j < 2; j++) {
            const char *why = compare(p[j], find("%s.p%d.step%d", c->name, j, s));
            CHECK(why == NULL, "%s param %d after step %d: %s", c->name, j, s, why);
        }
    }
    /* The state after the last step is PyTorch's state_dict()["state"], entry for entry. */
    size_t entries = 0, golden_entries = 0;
    CHECK_OK(snn_optimizer_state_count(&entries, opt));
    char prefix[160];
    snprintf(prefix, sizeof prefix, "%s.state", c->name);
    for (size_t k = 0; k < G.n; k++) golden_entries += strncmp(G.items[k].name, prefix, strlen(prefix)) == 0;
    CHECK(entries == golden_entries, "%s: %zu state entries, PyTorch has %zu", c->name, entries, golden_entries);
    for (size_t i = 0; i < entries; i++) {
        int64_t param = -1;
        char key[32];
        snn_tensor *v = NULL;
        CHECK_OK(snn_optimizer_state_get(&param, key, sizeof key, &v, opt, i));
        char name[320];
        snprintf(name, sizeof name, "%s.state%lld.%s", c->name, (long long)param, key);
        const gt_tensor *e = gt_find(&G, name);
        const char *why = e ? compare(v, e) : "PyTorch has no such entry";
        CHECK(why == NULL, "%s: state entry %s: %s", c->name, name, why);
        snn_tensor_free(v);
    }
    CHECK_OK(snn_optimizer_free(opt));
    for (int j = 0; j < 2; j++) snn_tensor_free(p[j]);
    CHECK(live_handles() == baseline, "%s leaked handles", c->name);
}

/* Saved state restores into a fresh optimizer, which then steps exactly as the original, and
 * the state calls reject bad arguments with messages that say what to fix. */
static void state_round_trip(void) {
    int64_t baseline = live_handles();
    const int64_t shape[1] = {3};
    const float init[3] = {1, -2, 3}, grad[3] = {0.5f, -1, 2};
    snn_tensor *a = NULL, *b = NULL, *g = NULL;
    CHECK_OK(snn_tensor_from_data(&a, init, 3, shape, 1));
    CHECK_OK(snn_tensor_from_data(&b, init, 3, shape, 1));
    CHECK_OK(snn_tensor_from_data(&g, grad, 3, shape, 1));
    CHECK_OK(snn_tensor_set_requires_grad(a, true));
    CHECK_OK(snn_tensor_set_requires_grad(b, true));
    snn_adam_options o;
    CHECK_OK(snn_adam_options_init(&o));
    o.lr = 0.1;
    o.amsgrad = true;
    snn_optimizer *oa = NULL, *ob = NULL;
    CHECK_OK(snn_optimizer_adam(&oa, &a, 1, &o));
    CHECK_OK(snn_optimizer_adam(&ob, &b, 1, &o));
    CHECK_OK(snn_tensor_set_grad(a, g));
    for (int s = 0; s < 3; s++) CHECK_OK(snn_optimizer_step(oa));
    size_t n = 0;
    CHECK_OK(snn_optimizer_state_count(&n, oa));
    CHECK(n == 4, "adam amsgrad keeps 4 entries per parameter, got %zu", n);
    for (size_t i = 0; i < n; i++) {
        int64_t param;
        char key[32];
        snn_tensor *v = NULL;
        CHECK_OK(snn_optimizer_state_get(&param, key, sizeof key, &v, oa, i));
        CHECK_OK(snn_optimizer_state_set(ob, param, key, v));
        snn_tensor_free(v);
    }
    /* copy_ into a leaf that requires grad is an in-place op: allowed under no_grad only */
    CHECK_OK(snn_no_grad_begin());
    CHECK_OK(snn_tensor_copy_(b, a));
    CHECK_OK(snn_no_grad_end());
    CHECK_OK(snn_tensor_set_grad(b, g));
    CHECK_OK(snn_optimizer_step(oa));
    CHECK_OK(snn_optimizer_step(ob));
    float va[3], vb[3];
    CHECK_OK(snn_tensor_copy_data(va, 3, a));
    CHECK_OK(snn_tensor_copy_data(vb, 3, b));
    CHECK(memcmp(va, vb, sizeof va) == 0, "restored optimizer diverged: %g vs %g", va[0], vb[0]);

    int64_t param;
    char small[4];
    snn_tensor *v = NULL;
    CHECK(snn_optimizer_state_get(&param, small, sizeof small, &v, oa, 1) == SNN_ERR_INVALID_ARGUMENT && v == NULL,
          "small key buffer: %s", snn_last_error());
    CHECK(snn_optimizer_state_get(&param, small, sizeof small, &v, oa, 99) == SNN_ERR_OUT_OF_RANGE &&
          strstr(snn_last_error(), "index 99 out of range (the optimizer has 4 state entries)"), "%s", snn_last_error());
    CHECK(snn_optimizer_state_set(ob, 1, "exp_avg", g) == SNN_ERR_OUT_OF_RANGE, "param 1: %s", snn_last_error());
    CHECK(snn_optimizer_state_set(ob, -1, "exp_avg", g) == SNN_ERR_OUT_OF_RANGE, "param -1: %s", snn_last_error());
    CHECK(snn_optimizer_state_set(ob, 0, "momentum_buffer", g) == SNN_ERR_INVALID_ARGUMENT &&
          strstr(snn_last_error(), "keeps no state 'momentum_buffer'"), "%s", snn_last_error());
    CHECK(snn_optimizer_state_set(ob, 0, "step", g) == SNN_ERR_SHAPE, "step of 3 elements: %s", snn_last_error());
    CHECK(snn_optimizer_state_set(ob, 0, NULL, g) == SNN_ERR_INVALID_ARGUMENT, "NULL key");
    CHECK(snn_optimizer_state_set(ob, 0, "exp_avg", NULL) == SNN_ERR_INVALID_ARGUMENT, "NULL value");
    CHECK(snn_optimizer_state_count(NULL, oa) == SNN_ERR_INVALID_ARGUMENT, "NULL out");
    CHECK(snn_optimizer_state_count(&n, (snn_optimizer *)a) == SNN_ERR_INVALID_HANDLE, "tensor as optimizer");
    snn_optimizer_free(oa);
    snn_optimizer_free(ob);
    snn_tensor_free(a);
    snn_tensor_free(b);
    snn_tensor_free(g);
    CHECK(live_handles() == baseline, "state_round_trip leaked handles");
}

static void run_clip(const optim_case *c) {
    int64_t baseline = live_handles();
    snn_tensor *p[3];
    for (int j = 0; j < 3; j++) {
        p[j] = from_golden(find("%s.param%d", c->name, j, 0));
        const gt_tensor *g = find("%s.grad%d", c->name, j, 0);
        snn_tensor *gt = g ? from_golden(g) : NULL;
        CHECK_OK(snn_tensor_set_grad(p[j], gt));
        snn_tensor_free(gt);
    }
    float norm_type = (float)attr_double(&c->a, "norm_type", 2), total = -1, before = -2;
    CHECK_OK(snn_grad_norm(&before, p, 3, norm_type));
    CHECK_OK(snn_clip_grad_norm(&total, p, 3, (float)attr_double(&c->a, "max_norm", 1), norm_type));
    const float e = *(const float *)find("%s.total", c->name, 0, 0)->data;
    CHECK(fabsf(total - e) <= 1e-5f + 1e-4f * fabsf(e), "%s: total norm %g, expected %g", c->name, total, e);
    CHECK(before == total, "%s: snn_grad_norm %g != clip's total %g", c->name, before, total);
    for (int j = 0; j < 3; j++) {
        snn_tensor *g = NULL;
        CHECK_OK(snn_tensor_grad(&g, p[j]));
        const gt_tensor *e = find("%s.clipped%d", c->name, j, 0);
        if (!e) {
            CHECK(g == NULL, "%s: parameter %d gained a gradient", c->name, j);
        } else {
            const char *why = g ? compare(g, e) : "no gradient";
            CHECK(why == NULL, "%s clipped grad %d: %s", c->name, j, why);
        }
        snn_tensor_free(g);
        snn_tensor_free(p[j]);
    }
    CHECK(live_handles() == baseline, "%s leaked handles", c->name);
}

static void run_scheduler(const optim_case *c) {
    int64_t baseline = live_handles();
    double lrs[4];
    size_t G_ = get_list(&c->a, "lr", lrs, 4);
    snn_tensor *d[4];
    int64_t one = 1;
    snn_optimizer *opt = NULL;
    for (size_t g = 0; g < G_; g++) {
        CHECK_OK(snn_tensor_zeros(&d[g], &one, 1));
        snn_sgd_options o;
        snn_sgd_options_init(&o);
        o.lr = lrs[g];
        if (g == 0) CHECK_OK(snn_optimizer_sgd(&opt, d, 1, &o));
        else CHECK_OK(snn_optimizer_add_sgd_group(opt, d + g, 1, &o));
    }
    snn_lr_scheduler *s = NULL;
    const gt_attrs *a = &c->a;
    snn_status st;
    if (strcmp(c->kind, "step_lr") == 0) {
        st = snn_lr_scheduler_step_lr(&s, opt, attr_int(a, "step_size", 1), attr_double(a, "gamma", 0.1));
    } else if (strcmp(c->kind, "multi_step_lr") == 0) {
        int64_t ms[16];
        size_t n = attr_ints(a, "milestones", ms, 16);
        st = snn_lr_scheduler_multi_step_lr(&s, opt, ms, n, attr_double(a, "gamma", 0.1));
    } else if (strcmp(c->kind, "cosine") == 0) {
        st = snn_lr_scheduler_cosine(&s, opt, attr_int(a, "T_max", 1), attr_double(a, "eta_min", 0));
    } else {
        st = snn_lr_scheduler_linear(&s, opt, attr_double(a, "start_factor", 1.0 / 3), attr_double(a, "end_factor", 1),
                                     attr_int(a, "total_iters", 5));
    }
    CHECK(st == SNN_OK, "%s: %s", c->name, snn_last_error());
    float seq[31 * 4];
    for (int step = 0; step <= 30 && st == SNN_OK; step++) {
        if (step > 0) {
            CHECK_OK(snn_optimizer_step(opt));
            CHECK_OK(snn_lr_scheduler_step(s));
        }
        int64_t epoch = -1;
        CHECK_OK(snn_lr_scheduler_last_epoch(&epoch, s));
        CHECK(epoch == step, "%s: last_epoch %lld, expected %d", c->name, (long long)epoch, step);
        for (size_t g = 0; g < G_; g++) {
            double lr = -1, last = -2;
            CHECK_OK(snn_optimizer_get_lr(&lr, opt, g));
            CHECK_OK(snn_lr_scheduler_get_lr(&last, s, g));
            CHECK(lr == last, "%s: optimizer lr %g != scheduler's last lr %g", c->name, lr, last);
            seq[step * G_ + g] = (float)lr;
        }
    }
    snn_tensor *t = NULL;
    int64_t shape[2] = {31, (int64_t)G_};
    CHECK_OK(snn_tensor_from_data(&t, seq, 31 * G_, shape, 2));
    const char *why = compare(t, find("%s.lr", c->name, 0, 0));
    CHECK(why == NULL, "%s lr sequence: %s", c->name, why);
    snn_tensor_free(t);
    CHECK_OK(snn_lr_scheduler_free(s));
    CHECK_OK(snn_optimizer_free(opt));
    for (size_t g = 0; g < G_; g++) snn_tensor_free(d[g]);
    CHECK(live_handles() == baseline, "%s leaked handles", c->name);
}

#define CHECK_STATUS(call, want) do { snn_status s_ = (call); CHECK(s_ == (want), "%s -> %s, expected %s (%s)", #call, \
    snn_status_string(s_), snn_status_string(want), snn_last_error()); } while (0)

static snn_tensor *vec(const float *v, int64_t n) {
    snn_tensor *t = NULL;
    CHECK_OK(snn_tensor_from_data(&t, v, (size_t)n, &n, 1));
    return t;
}

static void handle_kinds(void) {
    int64_t baseline = live_handles();
    const float one[2] = {1, 1};
    snn_tensor *p = vec(one, 2), *g = vec(one, 2), *out = NULL;
    CHECK_OK(snn_tensor_set_grad(p, g));
    snn_optimizer *opt = NULL;
    snn_lr_scheduler *s = NULL;
    CHECK_OK(snn_optimizer_sgd(&opt, &p, 1, NULL));
    CHECK_OK(snn_lr_scheduler_step_lr(&s, opt, 1, 0.5));
    /* Wrong kinds fail cleanly and leave the handles alive. */
    CHECK_STATUS(snn_tensor_free((snn_tensor *)opt), SNN_ERR_INVALID_HANDLE);
    CHECK_STATUS(snn_tensor_free((snn_tensor *)s), SNN_ERR_INVALID_HANDLE);
    CHECK_STATUS(snn_tensor_add(&out, (snn_tensor *)opt, p), SNN_ERR_INVALID_HANDLE);
    CHECK(out == NULL, "out not cleared");
    CHECK_STATUS(snn_optimizer_free((snn_optimizer *)p), SNN_ERR_INVALID_HANDLE);
    CHECK_STATUS(snn_optimizer_step((snn_optimizer *)s), SNN_ERR_INVALID_HANDLE);
    CHECK_STATUS(snn_lr_scheduler_step((snn_lr_scheduler *)opt), SNN_ERR_INVALID_HANDLE);
    CHECK_STATUS(snn_lr_scheduler_free((snn_lr_scheduler *)opt), SNN_ERR_INVALID_HANDLE);
    CHECK_STATUS(snn_optimizer_step((snn_optimizer *)(uintptr_t)0x1234), SNN_ERR_INVALID_HANDLE);
    CHECK_STATUS(snn_optimizer_step(NULL), SNN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(snn_last_error(), "snn_optimizer_step") != NULL, "message names the function: %s", snn_last_error());
    snn_tensor *mixed[2] = {p, (snn_tensor *)opt};
    snn_optimizer *bad = (snn_optimizer *)(uintptr_t)1;
    CHECK_STATUS(snn_optimizer_adam(&bad, mixed, 2, NULL), SNN_ERR_INVALID_HANDLE);
    CHECK(bad == NULL, "out not cleared on failure");
    CHECK_STATUS(snn_clip_grad_norm(NULL, &p, 1, 1, 2), SNN_ERR_INVALID_ARGUMENT);
    CHECK_OK(snn_optimizer_step(opt));
    CHECK_OK(snn_lr_scheduler_step(s));
    double lr = 0;
    CHECK_OK(snn_optimizer_get_lr(&lr, opt, 0));
    CHECK(lr == 5e-4, "lr after one StepLR step: %g", lr);
    CHECK_OK(snn_lr_scheduler_free(s));
    CHECK_OK(snn_optimizer_free(opt));
    CHECK_STATUS(snn_optimizer_free(opt), SNN_ERR_INVALID_HANDLE); /* already freed */
    CHECK_STATUS(snn_optimizer_step(opt), SNN_ERR_INVALID_HANDLE);
    CHECK_OK(snn_optimizer_free(NULL));
    CHECK_OK(snn_lr_scheduler_free(NULL));
    snn_tensor_free(p);
    snn_tensor_free(g);
    CHECK(live_handles() == baseline, "handle kinds leaked handles");
}

static void options_validation(void) {
    int64_t baseline = live_handles();
    const float one[1] = {1}, zero[1] = {0};
    snn_tensor *p = vec(one, 1), *g = vec(zero, 1);
    CHECK_OK(snn_tensor_set_grad(p, g));
    snn_optimizer *opt = NULL;
    snn_sgd_options so = {0};
    CHECK_STATUS(snn_optimizer_sgd(&opt, &p, 1, &so), SNN_ERR_INVALID_ARGUMENT); /* struct_size 0 */
    so.struct_size = sizeof so - 1;
    CHECK_STATUS(snn_optimizer_sgd(&opt, &p, 1, &so), SNN_ERR_INVALID_ARGUMENT);
    so.struct_size = (size_t)1 << 40;
    CHECK_STATUS(snn_optimizer_sgd(&opt, &p, 1, &so), SNN_ERR_UNSUPPORTED);
    /* A struct from a newer header is refused without reading past this library's sizeof. */
    struct { snn_sgd_options o; uint64_t future; } bigger;
    memset(&bigger, 0, sizeof bigger);
    bigger.o.struct_size = sizeof bigger;
    CHECK_STATUS(snn_optimizer_sgd(&opt, &p, 1, &bigger.o), SNN_ERR_UNSUPPORTED);
    CHECK(opt == NULL, "out not cleared");

    /* The _init functions give PyTorch's defaults; every field is then taken as given. */
    double lr = 0;
    snn_sgd_options sz;
    CHECK_STATUS(snn_sgd_options_init(NULL), SNN_ERR_INVALID_ARGUMENT);
    CHECK_OK(snn_sgd_options_init(&sz));
    CHECK(sz.struct_size == sizeof sz && sz.lr == 1e-3 && sz.momentum == 0 && !sz.nesterov, "SGD defaults");
    CHECK_OK(snn_optimizer_sgd(&opt, &p, 1, &sz));
    CHECK_OK(snn_optimizer_get_lr(&lr, opt, 0));
    CHECK(lr == 1e-3, "SGD default lr %g", lr);
    CHECK_OK(snn_optimizer_free(opt));
    snn_adam_options az;
    CHECK_OK(snn_adam_options_init(&az));
    CHECK(az.struct_size == sizeof az && az.lr == 1e-3 && az.beta1 == 0.9 && az.beta2 == 0.999 && az.eps == 1e-8 &&
          az.weight_decay == 0, "Adam defaults");
    CHECK_OK(snn_adamw_options_init(&az));
    CHECK(az.struct_size == sizeof az && az.weight_decay == 1e-2, "AdamW defaults: weight_decay %g", az.weight_decay);
    CHECK_OK(snn_optimizer_adamw(&opt, &p, 1, &az)); /* weight_decay 1e-2, lr 1e-3 */
    CHECK_OK(snn_optimizer_step(opt));                 /* zero grad: only the decay acts */
    float v = 0;
    CHECK_OK(snn_tensor_copy_data(&v, 1, p));
    CHECK(v == (float)(1 - 1e-3 * 1e-2), "AdamW default decay: %.9g", v);
    CHECK_OK(snn_optimizer_free(opt));
    az.weight_decay = 0;
    CHECK_OK(snn_optimizer_adamw(&opt, &p, 1, &az)); /* weight_decay 0 is taken as given */
    CHECK_OK(snn_optimizer_step(opt));
    float w = 0;
    CHECK_OK(snn_tensor_copy_data(&w, 1, p));
    CHECK(w == v, "AdamW with weight_decay 0 changed the parameter: %.9g -> %.9g", v, w);
    CHECK_STATUS(snn_optimizer_add_sgd_group(opt, &g, 1, NULL), SNN_ERR_INVALID_ARGUMENT); /* Adam, not SGD */
    CHECK_STATUS(snn_optimizer_add_adam_group(opt, &p, 1, NULL), SNN_ERR_INVALID_ARGUMENT); /* duplicate */
    CHECK_OK(snn_optimizer_add_adam_group(opt, &g, 1, NULL));
    CHECK_STATUS(snn_optimizer_get_lr(&lr, opt, 2), SNN_ERR_OUT_OF_RANGE);
    CHECK_STATUS(snn_optimizer_set_lr(opt, 0, -1), SNN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(snn_optimizer_set_lr(opt, 0, NAN), SNN_ERR_INVALID_ARGUMENT);
    CHECK_OK(snn_optimizer_set_lr(opt, 1, 0.5));
    CHECK_OK(snn_optimizer_get_lr(&lr, opt, 1));
    CHECK(lr == 0.5, "set_lr: %g", lr);
    snn_lr_scheduler *s = NULL;
    CHECK_STATUS(snn_lr_scheduler_step_lr(&s, opt, 0, 0.1), SNN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(snn_lr_scheduler_cosine(&s, opt, 0, 0), SNN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(snn_lr_scheduler_linear(&s, opt, 0, 1, 5), SNN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(snn_lr_scheduler_multi_step_lr(&s, opt, NULL, 2, 0.1), SNN_ERR_INVALID_ARGUMENT);
    CHECK(s == NULL, "out not cleared");
    CHECK_OK(snn_lr_scheduler_cosine(&s, opt, 10, 0));
    CHECK_STATUS(snn_lr_scheduler_get_lr(&lr, s, 2), SNN_ERR_OUT_OF_RANGE);
    CHECK_OK(snn_lr_scheduler_free(s));
    CHECK_OK(snn_optimizer_free(opt));

    snn_sgd_options bad;
    snn_sgd_options_init(&bad);
    bad.lr = 0.1;
    bad.nesterov = true; /* without momentum */
    CHECK_STATUS(snn_optimizer_sgd(&opt, &p, 1, &bad), SNN_ERR_INVALID_ARGUMENT);
    bad.nesterov = false;
    bad.lr = -0.1;
    CHECK_STATUS(snn_optimizer_sgd(&opt, &p, 1, &bad), SNN_ERR_INVALID_ARGUMENT);
    snn_adam_options ab;
    snn_adam_options_init(&ab);
    ab.lr = 0.1;
    ab.beta1 = 1.0;
    CHECK_STATUS(snn_optimizer_adam(&opt, &p, 1, &ab), SNN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(snn_optimizer_sgd(&opt, NULL, 0, NULL), SNN_ERR_INVALID_ARGUMENT); /* empty */
    CHECK_STATUS(snn_optimizer_sgd(&opt, NULL, 1, NULL), SNN_ERR_INVALID_ARGUMENT);
    snn_tensor *sq = NULL;
    CHECK_OK(snn_tensor_set_requires_grad(p, true));
    CHECK_OK(snn_tensor_mul(&sq, p, p));
    CHECK_STATUS(snn_optimizer_sgd(&opt, &sq, 1, NULL), SNN_ERR_INVALID_ARGUMENT); /* non-leaf */
    snn_tensor_free(sq);
    int64_t li = 3, lshape = 1;
    snn_tensor *ints = NULL;
    CHECK_OK(snn_tensor_from_int64(&ints, &li, 1, &lshape, 1));
    CHECK_STATUS(snn_optimizer_sgd(&opt, &ints, 1, NULL), SNN_ERR_DTYPE);
    snn_tensor_free(ints);

    float total = -1;
    CHECK_OK(snn_clip_grad_norm(&total, NULL, 0, 1, 2));
    CHECK(total == 0, "no parameters: total %g", total);
    CHECK_STATUS(snn_clip_grad_norm(&total, &p, 1, 1, 0), SNN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(snn_clip_grad_norm(&total, &p, 1, -1, 2), SNN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(snn_clip_grad_norm(&total, &p, 1, 1, NAN), SNN_ERR_INVALID_ARGUMENT);
    snn_tensor_free(p);
    snn_tensor_free(g);
    CHECK(live_handles() == baseline, "options validation leaked handles");
}

/* The optimizer keeps its parameters; updates land in shared storage; the scheduler keeps
 * the optimizer. */
static void lifetimes(void) {
    int64_t baseline = live_handles();
    const float v[3] = {1, 2, 3}, gv[3] = {1, 1, 1};
    snn_tensor *p = vec(v, 3), *g = vec(gv, 3), *view = NULL, *gh = NULL;
    CHECK_OK(snn_tensor_set_grad(p, g));
    CHECK_OK(snn_tensor_detach(&view, p));
    snn_optimizer *opt = NULL;
    snn_sgd_options o;
    snn_sgd_options_init(&o);
    o.lr = 0.5;
    CHECK_OK(snn_optimizer_sgd(&opt, &p, 1, &o));
    CHECK_OK(snn_tensor_grad(&gh, p));
    CHECK_OK(snn_tensor_free(p)); /* the optimizer still holds the parameter */
    snn_lr_scheduler *s = NULL;
    CHECK_OK(snn_lr_scheduler_step_lr(&s, opt, 1, 0.5));
    CHECK_OK(snn_optimizer_step(opt));
    float out[3];
    CHECK_OK(snn_tensor_copy_data(out, 3, view));
    CHECK(out[0] == 0.5f && out[1] == 1.5f && out[2] == 2.5f, "view sees %g %g %g", out[0], out[1], out[2]);
    CHECK_OK(snn_optimizer_zero_grad(opt, false)); /* zeros in place: the grad handle sees them */
    CHECK_OK(snn_tensor_copy_data(out, 3, gh));
    CHECK(out[0] == 0 && out[1] == 0 && out[2] == 0, "zero_grad(set_to_none=false) left %g", out[0]);
    CHECK_OK(snn_optimizer_free(opt)); /* the scheduler still holds the optimizer */
    CHECK_OK(snn_lr_scheduler_step(s));
    double lr = 0;
    CHECK_OK(snn_lr_scheduler_get_lr(&lr, s, 0));
    CHECK(lr == 0.25, "scheduler lr after the optimizer handle was freed: %g", lr);
    CHECK_OK(snn_lr_scheduler_free(s));
    CHECK_OK(snn_tensor_copy_data(out, 3, view));
    CHECK(out[2] == 2.5f, "view after free: %g", out[2]);
    snn_tensor_free(view);
    snn_tensor_free(gh);
    snn_tensor_free(g);
    CHECK(live_handles() == baseline, "lifetimes leaked handles");
}

/* SGD with momentum minimises sum((x - t)^2) through autograd and the C API alone. */
static void quadratic(void) {
    int64_t baseline = live_handles();
    const float tv[4] = {1.5f, -2, 0.25f, 3}, zv[4] = {0};
    snn_tensor *x = vec(zv, 4), *t = vec(tv, 4);
    CHECK_OK(snn_tensor_set_requires_grad(x, true));
    snn_optimizer *opt = NULL;
    snn_sgd_options o;
    snn_sgd_options_init(&o);
    o.lr = 0.1;
    o.momentum = 0.5;
    CHECK_OK(snn_optimizer_sgd(&opt, &x, 1, &o));
    double loss_value = -1;
    for (int step = 0; step < 200; step++) {
        snn_tensor *d = NULL, *sq = NULL, *loss = NULL;
        CHECK_OK(snn_optimizer_zero_grad(opt, true));
        CHECK_OK(snn_tensor_sub(&d, x, t));
        CHECK_OK(snn_tensor_mul(&sq, d, d));
        CHECK_OK(snn_tensor_sum(&loss, sq, NULL, 0, false));
        CHECK_OK(snn_tensor_backward(loss, NULL, false));
        CHECK_OK(snn_tensor_item(&loss_value, loss));
        CHECK_OK(snn_optimizer_step(opt));
        snn_tensor_free(d); snn_tensor_free(sq); snn_tensor_free(loss);
    }
    float xv[4];
    CHECK_OK(snn_tensor_copy_data(xv, 4, x));
    CHECK(loss_value < 1e-6, "SGD on a quadratic: final loss %g", loss_value);
    for (int i = 0; i < 4; i++) CHECK(fabsf(xv[i] - tv[i]) < 1e-3f, "x[%d] = %g, expected %g", i, xv[i], tv[i]);
    CHECK_OK(snn_optimizer_free(opt));
    snn_tensor_free(x);
    snn_tensor_free(t);
    CHECK(live_handles() == baseline, "quadratic leaked handles");
}

int main(void) {
    load();
    int runs[3] = {0, 0, 0};
    for (size_t i = 0; i < ncases; i++) {
        const optim_case *c = &cases[i];
        if (!strcmp(c->kind, "sgd") || !strcmp(c->kind, "adam") || !strcmp(c->kind, "adamw") ||
            !strcmp(c->kind, "rmsprop") || !strcmp(c->kind, "adagrad")) { run_optimizer(c); runs[0]++; }
        else if (!strcmp(c->kind, "clip")) { run_clip(c); runs[1]++; }
        else { run_scheduler(c); runs[2]++; }
    }
    CHECK(runs[0] == 16 && runs[1] == 5 && runs[2] == 7, "ran %d optimizer, %d clip, %d scheduler cases", runs[0], runs[1], runs[2]);
    handle_kinds();
    state_round_trip();
    options_validation();
    lifetimes();
    quadratic();
    gt_free(&G);
    CHECK(live_handles() == 0, "handles left at exit: %lld", (long long)live_handles());
    return report("test_optim");
}
