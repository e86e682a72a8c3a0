/* LambdaLR, MultiplicativeLR, ExponentialLR, OneCycleLR and ReduceLROnPlateau through
 * swiftnn/optim.h against the lr and momentum sequences PyTorch set in
 * Tests/golden/schedulers.json (tools/gen_golden_schedulers.py; the Swift and Python tests
 * replay the same cases); then a state round trip that resumes mid-run, the lr_lambda
 * callback's failure and release contract, and bad arguments. Live handles return to their
 * baseline after each part. */
#include "harness.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- a small JSON reader (the golden file is the generator's json.dump) ---------------- */

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jkind;
typedef struct jv {
    jkind kind;
    double num;        /* J_NUM, J_BOOL (0 or 1) */
    char *str;         /* J_STR */
    struct jv *items;  /* J_ARR, J_OBJ values */
    char **keys;       /* J_OBJ */
    size_t n;
} jv;

typedef struct { const char *p; } jscan;

static void jws(jscan *s) { while (*s->p == ' ' || *s->p == '\n' || *s->p == '\t' || *s->p == '\r') s->p++; }

static char *jstring(jscan *s) {
    s->p++;  /* the opening quote */
    const char *start = s->p;
    while (*s->p && *s->p != '"') s->p += (*s->p == '\\' && s->p[1]) ? 2 : 1;
    size_t n = (size_t)(s->p - start);
    char *out = malloc(n + 1);
    memcpy(out, start, n);  /* the golden strings have no escapes worth decoding */
    out[n] = 0;
    if (*s->p) s->p++;
    return out;
}

static int jparse(jscan *s, jv *v) {
    jws(s);
    memset(v, 0, sizeof *v);
    char c = *s->p;
    if (c == '{' || c == '[') {
        v->kind = c == '{' ? J_OBJ : J_ARR;
        s->p++;
        jws(s);
        if (*s->p == (c == '{' ? '}' : ']')) { s->p++; return 1; }
        for (;;) {
            v->items = realloc(v->items, (v->n + 1) * sizeof *v->items);
            if (v->kind == J_OBJ) {
                jws(s);
                if (*s->p != '"') return 0;
                v->keys = realloc(v->keys, (v->n + 1) * sizeof *v->keys);
                v->keys[v->n] = jstring(s);
                jws(s);
                if (*s->p++ != ':') return 0;
            }
            if (!jparse(s, &v->items[v->n++])) return 0;
            jws(s);
            if (*s->p == ',') { s->p++; continue; }
            if (*s->p++ != (c == '{' ? '}' : ']')) return 0;
            return 1;
        }
    }
    if (c == '"') { v->kind = J_STR; v->str = jstring(s); return 1; }
    if (strncmp(s->p, "true", 4) == 0) { v->kind = J_BOOL; v->num = 1; s->p += 4; return 1; }
    if (strncmp(s->p, "false", 5) == 0) { v->kind = J_BOOL; s->p += 5; return 1; }
    if (strncmp(s->p, "null", 4) == 0) { v->kind = J_NULL; s->p += 4; return 1; }
    if (strncmp(s->p, "Infinity", 8) == 0) { v->kind = J_NUM; v->num = INFINITY; s->p += 8; return 1; }
    if (strncmp(s->p, "-Infinity", 9) == 0) { v->kind = J_NUM; v->num = -INFINITY; s->p += 9; return 1; }
    char *e;
    v->num = strtod(s->p, &e);  /* json.dump writes repr(float): strtod reads it back exactly */
    if (e == s->p) return 0;
    v->kind = J_NUM;
    s->p = e;
    return 1;
}

static void jfree(jv *v) {
    for (size_t i = 0; i < v->n; i++) {
        jfree(&v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->str);
}

static const jv *jget(const jv *o, const char *key) {
    if (!o || o->kind != J_OBJ) return NULL;
    for (size_t i = 0; i < o->n; i++) if (strcmp(o->keys[i], key) == 0) return &o->items[i];
    return NULL;
}

static double jnum(const jv *o, const char *key, double dflt) {
    const jv *v = jget(o, key);
    return v && (v->kind == J_NUM || v->kind == J_BOOL) ? v->num : dflt;
}

static const char *jstr(const jv *o, const char *key, const char *dflt) {
    const jv *v = jget(o, key);
    return v && v->kind == J_STR ? v->str : dflt;
}

/* A number or a list of numbers (PyTorch's "one value or one per group") into out. */
static size_t jnums(const jv *o, const char *key, double *out, size_t cap, double dflt) {
    const jv *v = jget(o, key);
    if (!v || v->kind == J_NULL) { out[0] = dflt; return 1; }
    if (v->kind == J_NUM) { out[0] = v->num; return 1; }
    size_t n = 0;
    for (; n < v->n && n < cap; n++) out[n] = v->items[n].num;
    return n;
}

/* ---- the cases ----------------------------------------------------------------------- */

#define MAXG 4

/* The generator writes each lambda as a Python expression of `epoch`; these are those. */
typedef struct {
    int expr[MAXG];  /* per group: index into lambda_value's forms */
    int ngroups;
    int released;    /* how many times release ran */
    int fail_at;     /* an epoch at which to return NAN (-1: never) */
} lambda_ctx;

static int lambda_form(const char *expr) {
    if (strcmp(expr, "0.95 ** epoch") == 0) return 0;
    if (strcmp(expr, "1.0 / (epoch + 1)") == 0) return 1;
    if (strcmp(expr, "min(1.0, (epoch + 1) / 5)") == 0) return 2;
    if (strcmp(expr, "0.9 if epoch % 3 else 0.5") == 0) return 3;
    return -1;
}

static double lambda_value(int64_t epoch, int group, void *user) {
    lambda_ctx *c = user;
    if (epoch == c->fail_at || group < 0 || group >= c->ngroups) return NAN;
    switch (c->expr[group]) {
    case 0: return pow(0.95, (double)epoch);
    case 1: return 1.0 / (double)(epoch + 1);
    case 2: return fmin(1.0, (double)(epoch + 1) / 5);
    case 3: return epoch % 3 ? 0.9 : 0.5;
    default: return NAN;
    }
}

static void lambda_release(void *user) { ((lambda_ctx *)user)->released++; }

typedef struct {
    const jv *c;
    snn_optimizer *opt;
    snn_tensor *p[MAXG];
    size_t groups;
    snn_lr_scheduler *s;
    lambda_ctx ctx;
    int has_momentum;  /* SGD, Adam, AdamW: snn_optimizer_get_momentum answers */
} run;

static const char *case_name(const jv *c) { return jstr(c, "name", "?"); }
static int is_plateau(const jv *c) { return strcmp(jstr(c, "scheduler", ""), "ReduceLROnPlateau") == 0; }
static int is_one_cycle(const jv *c) { return strcmp(jstr(c, "scheduler", ""), "OneCycleLR") == 0; }
/* OneCycleLR allows total_steps - 1 steps after the one its construction makes. */
static int steps_of(const jv *c) { return (int)jnum(c, "steps", 0) - (is_one_cycle(c) ? 1 : 0); }

static int build(run *r, const jv *c) {
    memset(r, 0, sizeof *r);
    r->c = c;
    r->ctx.fail_at = -1;
    double lrs[MAXG];
    r->groups = jnums(c, "lrs", lrs, MAXG, 0);
    const char *kind = jstr(c, "optimizer", "");
    const jv *kw = jget(c, "optimizer_kwargs");
    int64_t two = 2;
    for (size_t g = 0; g < r->groups; g++) {
        CHECK_OK(snn_tensor_zeros(&r->p[g], &two, 1));
        CHECK_OK(snn_tensor_set_requires_grad(r->p[g], true));
        snn_status st;
        if (strcmp(kind, "sgd") == 0) {
            snn_sgd_options o;
            snn_sgd_options_init(&o);
            o.lr = lrs[g];
            o.momentum = jnum(kw, "momentum", 0);
            st = g == 0 ? snn_optimizer_sgd(&r->opt, r->p, 1, &o) : snn_optimizer_add_sgd_group(r->opt, r->p + g, 1, &o);
            r->has_momentum = 1;
        } else if (strcmp(kind, "adam") == 0 || strcmp(kind, "adamw") == 0) {
            int w = strcmp(kind, "adamw") == 0;
            snn_adam_options o;
            (w ? snn_adamw_options_init : snn_adam_options_init)(&o);
            o.lr = lrs[g];
            st = g > 0 ? snn_optimizer_add_adam_group(r->opt, r->p + g, 1, &o)
                       : (w ? snn_optimizer_adamw : snn_optimizer_adam)(&r->opt, r->p, 1, &o);
            r->has_momentum = 1;
        } else {
            snn_rmsprop_options o;
            snn_rmsprop_options_init(&o);
            o.lr = lrs[g];
            st = g == 0 ? snn_optimizer_rmsprop(&r->opt, r->p, 1, &o) : snn_optimizer_add_rmsprop_group(r->opt, r->p + g, 1, &o);
        }
        CHECK(st == SNN_OK, "%s: optimizer: %s", case_name(c), snn_last_error());
        if (st != SNN_OK) return 0;
    }
    const char *sched = jstr(c, "scheduler", "");
    const jv *a = jget(c, "kwargs");
    snn_status st;
    if (strcmp(sched, "LambdaLR") == 0 || strcmp(sched, "MultiplicativeLR") == 0) {
        const jv *l = jget(a, "lr_lambda");
        r->ctx.ngroups = (int)r->groups;
        for (size_t g = 0; g < r->groups; g++) {
            r->ctx.expr[g] = lambda_form(l->kind == J_ARR ? l->items[g].str : l->str);
            CHECK(r->ctx.expr[g] >= 0, "%s: no C form of its lambda", case_name(c));
        }
        st = (sched[0] == 'L' ? snn_lr_scheduler_lambda : snn_lr_scheduler_multiplicative)(
            &r->s, r->opt, lambda_value, &r->ctx, lambda_release);
    } else if (strcmp(sched, "ExponentialLR") == 0) {
        st = snn_lr_scheduler_exponential(&r->s, r->opt, jnum(a, "gamma", 0));
    } else if (is_one_cycle(c)) {
        snn_one_cycle_options o;
        CHECK_OK(snn_one_cycle_options_init(&o));
        o.total_steps = (int64_t)jnum(a, "total_steps", 0);
        o.epochs = (int64_t)jnum(a, "epochs", 0);
        o.steps_per_epoch = (int64_t)jnum(a, "steps_per_epoch", 0);
        o.pct_start = jnum(a, "pct_start", o.pct_start);
        o.anneal_strategy = strcmp(jstr(a, "anneal_strategy", "cos"), "linear") == 0 ? SNN_ANNEAL_LINEAR : SNN_ANNEAL_COS;
        o.cycle_momentum = jnum(a, "cycle_momentum", 1) != 0;
        o.base_momentum = jnum(a, "base_momentum", o.base_momentum);
        o.max_momentum = jnum(a, "max_momentum", o.max_momentum);
        o.div_factor = jnum(a, "div_factor", o.div_factor);
        o.final_div_factor = jnum(a, "final_div_factor", o.final_div_factor);
        o.three_phase = jnum(a, "three_phase", 0) != 0;
        double max_lr[MAXG];
        size_t n = jnums(a, "max_lr", max_lr, MAXG, 0);
        st = snn_lr_scheduler_one_cycle(&r->s, r->opt, max_lr, n, &o);
    } else {
        snn_plateau_options o;
        CHECK_OK(snn_plateau_options_init(&o));
        o.mode = strcmp(jstr(a, "mode", "min"), "max") == 0 ? SNN_PLATEAU_MAX : SNN_PLATEAU_MIN;
        o.factor = jnum(a, "factor", o.factor);
        o.patience = (int64_t)jnum(a, "patience", (double)o.patience);
        o.threshold = jnum(a, "threshold", o.threshold);
        o.threshold_mode = strcmp(jstr(a, "threshold_mode", "rel"), "abs") == 0 ? SNN_THRESHOLD_ABS : SNN_THRESHOLD_REL;
        o.cooldown = (int64_t)jnum(a, "cooldown", (double)o.cooldown);
        o.eps = jnum(a, "eps", o.eps);
        double floors[MAXG];
        size_t n = jnums(a, "min_lr", floors, MAXG, 0);
        if (n == r->groups && n > 1) o.min_lrs = floors; else o.min_lr = floors[0];
        st = snn_lr_scheduler_reduce_on_plateau(&r->s, r->opt, &o);
    }
    CHECK(st == SNN_OK, "%s: scheduler: %s", case_name(c), snn_last_error());
    return st == SNN_OK;
}

static void teardown(run *r) {
    CHECK_OK(snn_lr_scheduler_free(r->s));
    CHECK_OK(snn_optimizer_free(r->opt));
    for (size_t g = 0; g < r->groups; g++) CHECK_OK(snn_tensor_free(r->p[g]));
    int lambda = r->ctx.ngroups > 0;
    CHECK(r->ctx.released == lambda, "%s: release ran %d times, expected %d", case_name(r->c), r->ctx.released, lambda);
}

static void advance(run *r, int i) {
    int64_t two = 2;
    for (size_t g = 0; g < r->groups; g++) {
        snn_tensor *ones = NULL;
        CHECK_OK(snn_tensor_ones(&ones, &two, 1));
        CHECK_OK(snn_tensor_set_grad(r->p[g], ones));
        CHECK_OK(snn_tensor_free(ones));
    }
    CHECK_OK(snn_optimizer_step(r->opt));
    if (is_plateau(r->c)) CHECK_OK(snn_lr_scheduler_step_metric(r->s, jget(r->c, "metrics")->items[i].num));
    else CHECK_OK(snn_lr_scheduler_step(r->s));
}

static int close_to(double a, double e) { return fabs(a - e) <= 1e-12 * fabs(e); }

/* The rates and momenta after step `i` against PyTorch's row i. */
static void compare_row(run *r, int i, const char *when) {
    const jv *lr = &jget(r->c, "lr")->items[i], *mom = &jget(r->c, "momentum")->items[i];
    for (size_t g = 0; g < r->groups; g++) {
        double v = 0, last = 0, m = 0;
        CHECK_OK(snn_optimizer_get_lr(&v, r->opt, g));
        CHECK_OK(snn_lr_scheduler_get_lr(&last, r->s, g));
        CHECK(close_to(v, lr->items[g].num), "%s%s: lr of group %zu at step %d is %.17g, PyTorch's %.17g",
              case_name(r->c), when, g, i, v, lr->items[g].num);
        CHECK(last == v, "%s: get_lr %.17g differs from the optimizer's %.17g", case_name(r->c), last, v);
        if (r->has_momentum) CHECK_OK(snn_optimizer_get_momentum(&m, r->opt, g));
        CHECK(close_to(m, mom->items[g].num), "%s%s: momentum of group %zu at step %d is %.17g, PyTorch's %.17g",
              case_name(r->c), when, g, i, m, mom->items[g].num);
    }
}

static void sequence_matches_pytorch(const jv *c) {
    int64_t baseline = live_handles();
    run r;
    if (build(&r, c)) {
        compare_row(&r, 0, "");
        for (int i = 0; i < steps_of(c); i++) {
            advance(&r, i);
            compare_row(&r, i + 1, "");
        }
        int64_t epoch = -1;
        CHECK_OK(snn_lr_scheduler_last_epoch(&epoch, r.s));
        CHECK(epoch == steps_of(c), "%s: last_epoch %lld", case_name(c), (long long)epoch);
    }
    teardown(&r);
    CHECK(live_handles() == baseline, "%s: handles leaked", case_name(c));
}

/* Half the steps, then a second run built the same way takes the optimizer's rates and
 * momenta and every state entry of the scheduler, and continues with PyTorch's sequence. */
static void state_resumes(const jv *c) {
    int64_t baseline = live_handles();
    run a, b;
    int half = steps_of(c) / 2;
    int ok = build(&a, c) && build(&b, c);
    if (ok) {
        for (int i = 0; i < half; i++) advance(&a, i);
        for (size_t g = 0; g < a.groups; g++) {
            double v;
            CHECK_OK(snn_optimizer_get_lr(&v, a.opt, g));
            CHECK_OK(snn_optimizer_set_lr(b.opt, g, v));
            if (a.has_momentum) {
                CHECK_OK(snn_optimizer_get_momentum(&v, a.opt, g));
                CHECK_OK(snn_optimizer_set_momentum(b.opt, g, v));
            }
        }
        size_t n = 0;
        CHECK_OK(snn_lr_scheduler_state_count(&n, a.s));
        CHECK(n >= 3, "%s: %zu state entries", case_name(c), n);
        for (size_t k = 0; k < n; k++) {
            char key[32];
            double values[MAXG];
            size_t count = 0;
            CHECK_OK(snn_lr_scheduler_state_get(&count, key, sizeof key, values, MAXG, a.s, k));
            CHECK_OK(snn_lr_scheduler_state_set(b.s, key, values, count));
        }
        for (int i = half; i < steps_of(c); i++) {
            advance(&b, i);
            compare_row(&b, i + 1, " (resumed)");
        }
    }
    teardown(&a);
    teardown(&b);
    CHECK(live_handles() == baseline, "%s: handles leaked (resume)", case_name(c));
}

/* ---- the callback contract and bad arguments ---------------------------------------------- */

static int expect_error(snn_status st, snn_status want, const char *fn, const char *needle) {
    const char *msg = snn_last_error();
    CHECK(st == want, "%s: %s, expected %s (%s)", fn, snn_status_string(st), snn_status_string(want), msg);
    CHECK(strstr(msg, fn) != NULL, "%s: the message does not name the function: %s", fn, msg);
    CHECK(!needle || strstr(msg, needle) != NULL, "%s: the message does not mention '%s': %s", fn, needle, msg);
    return st == want;
}

static void lambda_contract(void) {
    int64_t baseline = live_handles(), one = 1;
    snn_tensor *p = NULL;
    snn_optimizer *opt = NULL;
    snn_sgd_options o;
    snn_sgd_options_init(&o);
    o.lr = 0.1;
    CHECK_OK(snn_tensor_zeros(&p, &one, 1));
    CHECK_OK(snn_optimizer_sgd(&opt, &p, 1, &o));

    /* A NAN at epoch 2 fails that step and changes nothing; the retry succeeds. */
    lambda_ctx ctx = {.expr = {3}, .ngroups = 1, .fail_at = 2};
    snn_lr_scheduler *s = NULL;
    CHECK_OK(snn_lr_scheduler_multiplicative(&s, opt, lambda_value, &ctx, lambda_release));
    CHECK_OK(snn_lr_scheduler_step(s));  /* epoch 1: 0.9 */
    double lr = 0;
    int64_t epoch = 0;
    expect_error(snn_lr_scheduler_step(s), SNN_ERR_INVALID_ARGUMENT, "snn_lr_scheduler_step", "epoch 2");
    CHECK_OK(snn_optimizer_get_lr(&lr, opt, 0));
    CHECK_OK(snn_lr_scheduler_last_epoch(&epoch, s));
    CHECK(close_to(lr, 0.1 * 0.9) && epoch == 1, "a failed step changed lr %.17g or epoch %lld", lr, (long long)epoch);
    ctx.fail_at = -1;
    CHECK_OK(snn_lr_scheduler_step(s));
    CHECK_OK(snn_optimizer_get_lr(&lr, opt, 0));
    CHECK(close_to(lr, 0.1 * 0.9 * 0.9), "retried step: lr %.17g", lr);

    /* A second handle keeps the callback: release runs once, when the last handle goes. */
    snn_lr_scheduler *ref = NULL;
    CHECK_OK(snn_lr_scheduler_ref(&ref, s));
    CHECK_OK(snn_lr_scheduler_free(s));
    CHECK(ctx.released == 0, "release ran while a handle was live");
    CHECK_OK(snn_lr_scheduler_free(ref));
    CHECK(ctx.released == 1, "release ran %d times after the last free", ctx.released);

    /* A constructor that fails releases at once: NULL function, NULL out, a freed optimizer,
     * and LambdaLR's initial call failing. */
    lambda_ctx bad = {.expr = {0}, .ngroups = 1, .fail_at = 0};
    expect_error(snn_lr_scheduler_lambda(&s, opt, NULL, &bad, lambda_release), SNN_ERR_INVALID_ARGUMENT,
                 "snn_lr_scheduler_lambda", "lr_lambda is NULL");
    CHECK(bad.released == 1, "NULL lr_lambda: release ran %d times", bad.released);
    expect_error(snn_lr_scheduler_lambda(NULL, opt, lambda_value, &bad, lambda_release), SNN_ERR_INVALID_ARGUMENT,
                 "snn_lr_scheduler_lambda", NULL);
    CHECK(bad.released == 2, "NULL out: release ran %d times", bad.released);
    expect_error(snn_lr_scheduler_lambda(&s, opt, lambda_value, &bad, lambda_release), SNN_ERR_INVALID_ARGUMENT,
                 "snn_lr_scheduler_lambda", "group 0 at epoch 0");
    CHECK(bad.released == 3 && s == NULL, "failed initial call: release ran %d times", bad.released);
    snn_optimizer *gone = NULL;
    CHECK_OK(snn_optimizer_sgd(&gone, &p, 1, &o));
    CHECK_OK(snn_optimizer_free(gone));
    expect_error(snn_lr_scheduler_multiplicative(&s, gone, lambda_value, &bad, lambda_release), SNN_ERR_INVALID_HANDLE,
                 "snn_lr_scheduler_multiplicative", NULL);
    CHECK(bad.released == 4, "freed optimizer: release ran %d times", bad.released);
    /* release may be NULL */
    lambda_ctx quiet = {.expr = {1}, .ngroups = 1, .fail_at = -1};
    CHECK_OK(snn_lr_scheduler_lambda(&s, opt, lambda_value, &quiet, NULL));
    CHECK_OK(snn_lr_scheduler_free(s));

    CHECK_OK(snn_optimizer_free(opt));
    CHECK_OK(snn_tensor_free(p));
    CHECK(live_handles() == baseline, "handles leaked (lambda contract)");
}

static void bad_arguments(void) {
    int64_t baseline = live_handles(), one = 1;
    snn_tensor *p = NULL;
    snn_optimizer *sgd = NULL, *rms = NULL;
    snn_sgd_options o;
    snn_sgd_options_init(&o);
    o.lr = 0.1;
    o.momentum = 0.9;
    snn_rmsprop_options ro;
    snn_rmsprop_options_init(&ro);
    CHECK_OK(snn_tensor_zeros(&p, &one, 1));
    CHECK_OK(snn_optimizer_sgd(&sgd, &p, 1, &o));
    CHECK_OK(snn_optimizer_rmsprop(&rms, &p, 1, &ro));
    snn_lr_scheduler *s = NULL;
    double max_lr = 0.1;

    snn_one_cycle_options oc;
    CHECK_OK(snn_one_cycle_options_init(&oc));
    CHECK(oc.total_steps == 0 && oc.pct_start == 0.3 && oc.anneal_strategy == SNN_ANNEAL_COS && oc.cycle_momentum &&
          oc.base_momentum == 0.85 && oc.max_momentum == 0.95 && oc.div_factor == 25 && oc.final_div_factor == 1e4 &&
          !oc.three_phase && !oc.base_momentums && !oc.max_momentums, "snn_one_cycle_options_init: not PyTorch's defaults");
    expect_error(snn_lr_scheduler_one_cycle(&s, sgd, &max_lr, 1, &oc), SNN_ERR_INVALID_ARGUMENT,
                 "snn_lr_scheduler_one_cycle", "total_steps");  /* neither total_steps nor epochs given */
    oc.total_steps = -3;
    expect_error(snn_lr_scheduler_one_cycle(&s, sgd, &max_lr, 1, &oc), SNN_ERR_INVALID_ARGUMENT,
                 "snn_lr_scheduler_one_cycle", "-3");
    oc.total_steps = 10;
    expect_error(snn_lr_scheduler_one_cycle(&s, sgd, &max_lr, 1, NULL), SNN_ERR_INVALID_ARGUMENT,
                 "snn_lr_scheduler_one_cycle", "opts is NULL");
    expect_error(snn_lr_scheduler_one_cycle(&s, sgd, NULL, 1, &oc), SNN_ERR_INVALID_ARGUMENT,
                 "snn_lr_scheduler_one_cycle", "max_lr");
    oc.pct_start = 1.5;
    expect_error(snn_lr_scheduler_one_cycle(&s, sgd, &max_lr, 1, &oc), SNN_ERR_INVALID_ARGUMENT,
                 "snn_lr_scheduler_one_cycle", "1.5");
    oc.pct_start = 0.3;
    oc.anneal_strategy = (snn_anneal_strategy)7;
    expect_error(snn_lr_scheduler_one_cycle(&s, sgd, &max_lr, 1, &oc), SNN_ERR_INVALID_ARGUMENT,
                 "snn_lr_scheduler_one_cycle", "anneal_strategy = 7");
    oc.anneal_strategy = SNN_ANNEAL_LINEAR;
    expect_error(snn_lr_scheduler_one_cycle(&s, rms, &max_lr, 1, &oc), SNN_ERR_INVALID_ARGUMENT,
                 "snn_lr_scheduler_one_cycle", "RMSprop");
    oc.total_steps = 2;
    CHECK_OK(snn_lr_scheduler_one_cycle(&s, sgd, &max_lr, 1, &oc));
    CHECK_OK(snn_lr_scheduler_step(s));
    CHECK_OK(snn_lr_scheduler_step(s));
    expect_error(snn_lr_scheduler_step(s), SNN_ERR_INVALID_ARGUMENT, "snn_lr_scheduler_step", "Tried to step 3 times");
    expect_error(snn_lr_scheduler_step_metric(s, 1.0), SNN_ERR_INVALID_ARGUMENT, "snn_lr_scheduler_step_metric", "OneCycleLR");
    CHECK_OK(snn_lr_scheduler_free(s));

    snn_plateau_options po;
    CHECK_OK(snn_plateau_options_init(&po));
    CHECK(po.mode == SNN_PLATEAU_MIN && po.factor == 0.1 && po.patience == 10 && po.threshold == 1e-4 &&
          po.threshold_mode == SNN_THRESHOLD_REL && po.cooldown == 0 && po.min_lr == 0 && !po.min_lrs && po.eps == 1e-8,
          "snn_plateau_options_init: not PyTorch's defaults");
    po.factor = 1.0;
    expect_error(snn_lr_scheduler_reduce_on_plateau(&s, sgd, &po), SNN_ERR_INVALID_ARGUMENT,
                 "snn_lr_scheduler_reduce_on_plateau", "factor 1");
    po.factor = 0.5;
    po.patience = -1;
    expect_error(snn_lr_scheduler_reduce_on_plateau(&s, sgd, &po), SNN_ERR_INVALID_ARGUMENT,
                 "snn_lr_scheduler_reduce_on_plateau", "patience -1");
    po.patience = 0;
    po.mode = (snn_plateau_mode)2;
    expect_error(snn_lr_scheduler_reduce_on_plateau(&s, sgd, &po), SNN_ERR_INVALID_ARGUMENT,
                 "snn_lr_scheduler_reduce_on_plateau", "mode = 2");
    po.mode = SNN_PLATEAU_MIN;
    CHECK_OK(snn_optimizer_set_lr(sgd, 0, 0.1));  /* OneCycleLR's extrapolated last step left it below 0 */
    CHECK_OK(snn_lr_scheduler_reduce_on_plateau(&s, sgd, &po));
    expect_error(snn_lr_scheduler_step(s), SNN_ERR_INVALID_ARGUMENT, "snn_lr_scheduler_step", "snn_lr_scheduler_step_metric");
    CHECK_OK(snn_lr_scheduler_step_metric(s, 1.0));
    CHECK_OK(snn_lr_scheduler_step_metric(s, 2.0));  /* worse, patience 0: lr 0.1 -> 0.05 */
    double lr = 0;
    CHECK_OK(snn_optimizer_get_lr(&lr, sgd, 0));
    CHECK(lr == 0.05, "plateau: lr %.17g after a bad epoch with patience 0", lr);
    double v = -1;
    expect_error(snn_lr_scheduler_state_set(s, "num_bad_epochs", &v, 1), SNN_ERR_INVALID_ARGUMENT,
                 "snn_lr_scheduler_state_set", "num_bad_epochs");
    expect_error(snn_lr_scheduler_state_set(s, "gamma", &v, 1), SNN_ERR_INVALID_ARGUMENT,
                 "snn_lr_scheduler_state_set", "cooldown_counter");  /* lists the keys it keeps */
    size_t count = 0;
    char key[32];
    double values[1];
    expect_error(snn_lr_scheduler_state_get(&count, key, sizeof key, values, 1, s, 99), SNN_ERR_OUT_OF_RANGE,
                 "snn_lr_scheduler_state_get", "99");
    CHECK_OK(snn_lr_scheduler_free(s));
    CHECK(snn_lr_scheduler_step(s) == SNN_ERR_INVALID_HANDLE, "a freed scheduler is refused");

    expect_error(snn_lr_scheduler_exponential(&s, sgd, -0.5), SNN_ERR_INVALID_ARGUMENT,
                 "snn_lr_scheduler_exponential", "-0.5");
    expect_error(snn_lr_scheduler_exponential(&s, NULL, 0.5), SNN_ERR_INVALID_ARGUMENT, "snn_lr_scheduler_exponential",
                 "opt is NULL");
    double m = 0;
    expect_error(snn_optimizer_get_momentum(&m, rms, 0), SNN_ERR_INVALID_ARGUMENT, "snn_optimizer_get_momentum", "RMSprop");
    expect_error(snn_optimizer_get_momentum(&m, sgd, 5), SNN_ERR_OUT_OF_RANGE, "snn_optimizer_get_momentum", "5");

    CHECK_OK(snn_optimizer_free(sgd));
    CHECK_OK(snn_optimizer_free(rms));
    CHECK_OK(snn_tensor_free(p));
    CHECK(live_handles() == baseline, "handles leaked (bad arguments)");
}

int main(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/schedulers.json", golden_dir());
    FILE *f = fopen(path, "rb");
    if (!f) { fprintf(stderr, "cannot open %s\n", path); return 2; }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)size + 1);
    size_t got = fread(text, 1, (size_t)size, f);
    fclose(f);
    text[got] = 0;
    jv root;
    jscan s = {text};
    if (!jparse(&s, &root)) { fprintf(stderr, "%s: malformed JSON\n", path); return 2; }
    const jv *cases = jget(&root, "cases");
    CHECK(cases && cases->n == 12, "schedulers.json: expected 12 cases");
    for (size_t i = 0; cases && i < cases->n; i++) {
        sequence_matches_pytorch(&cases->items[i]);
        state_resumes(&cases->items[i]);
    }
    lambda_contract();
    bad_arguments();
    jfree(&root);
    free(text);
    return report("test_schedulers");
}
