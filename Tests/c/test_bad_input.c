/* Bad input through the C API: NULL, freed and garbage handles, NULL out-pointers, impossible
 * shapes and sizes, misuse of autograd, and the thread-local error message. Every call must
 * return its documented status with a message naming the function; nothing may crash, and no
 * handle may leak. (bindings/python/tests/test_bad_input.py does the same generically for
 * every exported function, in child processes.) */
#include "harness.h"
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Expects `call` to return `want` and leave a message that contains `name` (the C function's
 * name or the engine op's) in snn_last_error(). A sentinel failure beforehand makes sure the
 * message is the call's own, not a stale one. */
#define EXPECT(want, name, call) do { \
    snn_set_num_threads(0); /* sentinel: "snn_set_num_threads: ..." */ \
    snn_status st_ = (call); \
    const char *m_ = snn_last_error(); \
    CHECK(st_ == (want), "%s -> %s, expected %s (%s)", #call, snn_status_string(st_), \
          snn_status_string(want), m_); \
    if ((want) != SNN_OK && st_ != SNN_OK) \
        CHECK(m_ && m_[0] && strstr(m_, (name)) && !strstr(m_, "snn_set_num_threads: n = 0"), \
              "%s: message \"%s\" does not name %s", #call, m_ ? m_ : "(null)", (name)); \
} while (0)

#define GARBAGE1 ((snn_tensor *)(uintptr_t)0x1234)
#define GARBAGE2 ((snn_tensor *)(uintptr_t)0xdeadbeef0ULL)
#define POISON ((snn_tensor *)(uintptr_t)0x5151)

static snn_tensor *tensor(const int64_t *shape, size_t ndim) {
    size_t n = 1;
    for (size_t i = 0; i < ndim; i++) n *= (size_t)shape[i];
    float *data = malloc(n * sizeof(float) + 1);
    for (size_t i = 0; i < n; i++) data[i] = 0.5f + (float)i;
    snn_tensor *t = NULL;
    CHECK_OK(snn_tensor_from_data(&t, data, n, shape, ndim));
    free(data);
    return t;
}

/* Fixtures used by the handle tables below. */
static snn_tensor *g_f23;    /* float32 [2, 3] */
static snn_tensor *g_scalar; /* float32 [] */
static snn_tensor *g_i64;    /* int64 [2, 3] */

/* ---- every handle parameter of every function: NULL, freed, garbage ------------------ */

/* Calls one function with `h` in one handle position and good values elsewhere; *out receives
 * any new handle (prefilled with POISON to check that failures clear it). */
typedef snn_status (*hcall)(snn_tensor **out, snn_tensor *h);
typedef struct { const char *fn, *arg; hcall call; int has_out; } hcase;

#define H(NAME, HAS_OUT, EXPR) static snn_status NAME(snn_tensor **o, snn_tensor *h) { (void)o; return (EXPR); }
static float fbuf[16];
static int64_t ibuf[16];
static size_t zbuf;
static bool bbuf;
static double dbuf;
static snn_dtype dtbuf;
static const int64_t dims0[1] = {0};
H(h_free, 0, snn_tensor_free(h))
H(h_copy_data, 0, snn_tensor_copy_data(fbuf, 16, h))
H(h_copy_int64, 0, snn_tensor_copy_int64(ibuf, 16, h))
H(h_ndim, 0, snn_tensor_ndim(&zbuf, h))
H(h_shape, 0, snn_tensor_shape(ibuf, 16, h))
H(h_numel, 0, snn_tensor_numel(ibuf, h))
H(h_dtype, 0, snn_tensor_dtype(&dtbuf, h))
H(h_item, 0, snn_tensor_item(&dbuf, h))
H(h_clone, 1, snn_tensor_clone(o, h))
H(h_add_a, 1, snn_tensor_add(o, h, g_f23))
H(h_add_b, 1, snn_tensor_add(o, g_f23, h))
H(h_sub_a, 1, snn_tensor_sub(o, h, g_f23))
H(h_sub_b, 1, snn_tensor_sub(o, g_f23, h))
H(h_mul_a, 1, snn_tensor_mul(o, h, g_f23))
H(h_mul_b, 1, snn_tensor_mul(o, g_f23, h))
H(h_div_a, 1, snn_tensor_div(o, h, g_f23))
H(h_div_b, 1, snn_tensor_div(o, g_f23, h))
H(h_matmul_a, 1, snn_tensor_matmul(o, h, g_f23))
H(h_matmul_b, 1, snn_tensor_matmul(o, g_f23, h))
H(h_sum, 1, snn_tensor_sum(o, h, dims0, 1, false))
H(h_mean, 1, snn_tensor_mean(o, h, NULL, 0, true))
H(h_set_requires_grad, 0, snn_tensor_set_requires_grad(h, true))
H(h_requires_grad, 0, snn_tensor_requires_grad(&bbuf, h))
H(h_is_leaf, 0, snn_tensor_is_leaf(&bbuf, h))
H(h_backward, 0, snn_tensor_backward(h, NULL, false))
H(h_backward_gradient, 0, snn_tensor_backward(g_scalar, h, false))
H(h_grad, 1, snn_tensor_grad(o, h))
H(h_set_grad_t, 0, snn_tensor_set_grad(h, NULL))
H(h_set_grad_grad, 0, snn_tensor_set_grad(g_f23, h))
H(h_zero_grad, 0, snn_tensor_zero_grad(h))
H(h_retain_grad, 0, snn_tensor_retain_grad(h))
H(h_detach, 1, snn_tensor_detach(o, h))

static const hcase HCASES[] = {
    {"snn_tensor_free", "t", h_free, 0},
    {"snn_tensor_copy_data", "t", h_copy_data, 0},
    {"snn_tensor_copy_int64", "t", h_copy_int64, 0},
    {"snn_tensor_ndim", "t", h_ndim, 0},
    {"snn_tensor_shape", "t", h_shape, 0},
    {"snn_tensor_numel", "t", h_numel, 0},
    {"snn_tensor_dtype", "t", h_dtype, 0},
    {"snn_tensor_item", "t", h_item, 0},
    {"snn_tensor_clone", "t", h_clone, 1},
    {"snn_tensor_add", "a", h_add_a, 1},
    {"snn_tensor_add", "b", h_add_b, 1},
    {"snn_tensor_sub", "a", h_sub_a, 1},
    {"snn_tensor_sub", "b", h_sub_b, 1},
    {"snn_tensor_mul", "a", h_mul_a, 1},
    {"snn_tensor_mul", "b", h_mul_b, 1},
    {"snn_tensor_div", "a", h_div_a, 1},
    {"snn_tensor_div", "b", h_div_b, 1},
    {"snn_tensor_matmul", "a", h_matmul_a, 1},
    {"snn_tensor_matmul", "b", h_matmul_b, 1},
    {"snn_tensor_sum", "t", h_sum, 1},
    {"snn_tensor_mean", "t", h_mean, 1},
    {"snn_tensor_set_requires_grad", "t", h_set_requires_grad, 0},
    {"snn_tensor_requires_grad", "t", h_requires_grad, 0},
    {"snn_tensor_is_leaf", "t", h_is_leaf, 0},
    {"snn_tensor_backward", "t", h_backward, 0},
    {"snn_tensor_backward", "gradient", h_backward_gradient, 0},
    {"snn_tensor_grad", "t", h_grad, 1},
    {"snn_tensor_set_grad", "t", h_set_grad_t, 0},
    {"snn_tensor_set_grad", "grad", h_set_grad_grad, 0},
    {"snn_tensor_zero_grad", "t", h_zero_grad, 0},
    {"snn_tensor_retain_grad", "t", h_retain_grad, 0},
    {"snn_tensor_detach", "t", h_detach, 1},
};

/* Optional handles: NULL is valid there. */
static int null_allowed(const hcase *c) {
    return c->call == h_free || c->call == h_backward_gradient || c->call == h_set_grad_grad;
}

static void test_handles(void) {
    int64_t s1[1] = {4};
    snn_tensor *freed = tensor(s1, 1);
    CHECK_OK(snn_tensor_free(freed));
    int on_stack = 0;
    struct { const char *what; snn_tensor *h; } bad[] = {
        {"freed", freed}, {"0x1234", GARBAGE1}, {"0xdeadbeef0", GARBAGE2},
        {"(snn_tensor *)1", (snn_tensor *)(uintptr_t)1},
        {"pointer to a stack variable", (snn_tensor *)(void *)&on_stack},
        {"pointer to a heap block", (snn_tensor *)(void *)fbuf},
    };
    int64_t base = live_handles();
    for (size_t i = 0; i < sizeof HCASES / sizeof HCASES[0]; i++) {
        const hcase *c = &HCASES[i];
        for (size_t j = 0; j < sizeof bad / sizeof bad[0]; j++) {
            snn_tensor *o = POISON;
            EXPECT(SNN_ERR_INVALID_HANDLE, c->fn, c->call(&o, bad[j].h));
            if (c->has_out) CHECK(o == NULL, "%s(%s = %s): out not cleared on failure", c->fn, c->arg, bad[j].what);
        }
        snn_tensor *o = POISON;
        snn_status st = c->call(&o, NULL);
        if (null_allowed(c)) {
            CHECK(st == SNN_OK || st == SNN_ERR_AUTOGRAD, "%s(%s = NULL) -> %s: %s", c->fn, c->arg, snn_status_string(st), snn_last_error());
        } else {
            CHECK(st == SNN_ERR_INVALID_ARGUMENT, "%s(%s = NULL) -> %s, expected SNN_ERR_INVALID_ARGUMENT", c->fn, c->arg, snn_status_string(st));
            CHECK(strstr(snn_last_error(), c->fn) != NULL, "%s(NULL): message \"%s\" does not name it", c->fn, snn_last_error());
            if (c->has_out) CHECK(o == NULL, "%s(%s = NULL): out not cleared on failure", c->fn, c->arg);
        }
    }
    CHECK(live_handles() == base, "handle cases leaked %lld handles", (long long)(live_handles() - base));

    /* _free(NULL) is a no-op; a second free of the same handle is an invalid handle. */
    EXPECT(SNN_OK, "", snn_tensor_free(NULL));
    snn_tensor *t = tensor(s1, 1);
    EXPECT(SNN_OK, "", snn_tensor_free(t));
    EXPECT(SNN_ERR_INVALID_HANDLE, "snn_tensor_free", snn_tensor_free(t));
    EXPECT(SNN_ERR_INVALID_HANDLE, "snn_tensor_free", snn_tensor_free(t));
}

/* ---- NULL out-pointers -------------------------------------------------------------- */

static void test_null_outputs(void) {
    int64_t shape[2] = {2, 3};
    float data[6] = {1, 2, 3, 4, 5, 6};
    int64_t idata[6] = {1, 2, 3, 4, 5, 6};
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_live_handles", snn_live_handles(NULL));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_get_num_threads", snn_get_num_threads(NULL));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_memory_cached", snn_memory_cached(NULL));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_is_grad_enabled", snn_is_grad_enabled(NULL));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_from_data", snn_tensor_from_data(NULL, data, 6, shape, 2));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_from_int64", snn_tensor_from_int64(NULL, idata, 6, shape, 2));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_zeros", snn_tensor_zeros(NULL, shape, 2));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_ones", snn_tensor_ones(NULL, shape, 2));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_full", snn_tensor_full(NULL, shape, 2, 1.0f));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_rand", snn_tensor_rand(NULL, shape, 2));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_randn", snn_tensor_randn(NULL, shape, 2));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_arange", snn_tensor_arange(NULL, 0, 4, 1));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_clone", snn_tensor_clone(NULL, g_f23));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_detach", snn_tensor_detach(NULL, g_f23));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_grad", snn_tensor_grad(NULL, g_f23));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_add", snn_tensor_add(NULL, g_f23, g_f23));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_sub", snn_tensor_sub(NULL, g_f23, g_f23));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_mul", snn_tensor_mul(NULL, g_f23, g_f23));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_div", snn_tensor_div(NULL, g_f23, g_f23));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_matmul", snn_tensor_matmul(NULL, g_f23, g_f23));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_sum", snn_tensor_sum(NULL, g_f23, NULL, 0, false));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_mean", snn_tensor_mean(NULL, g_f23, NULL, 0, false));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_ndim", snn_tensor_ndim(NULL, g_f23));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_numel", snn_tensor_numel(NULL, g_f23));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_dtype", snn_tensor_dtype(NULL, g_f23));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_item", snn_tensor_item(NULL, g_scalar));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_requires_grad", snn_tensor_requires_grad(NULL, g_f23));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_is_leaf", snn_tensor_is_leaf(NULL, g_f23));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_copy_data", snn_tensor_copy_data(NULL, 6, g_f23));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_copy_int64", snn_tensor_copy_int64(NULL, 6, g_i64));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_shape", snn_tensor_shape(NULL, 2, g_f23));
    /* A NULL buffer is fine when nothing is to be written. */
    int64_t s0[1] = {0};
    snn_tensor *empty = tensor(s0, 1);
    EXPECT(SNN_OK, "", snn_tensor_copy_data(NULL, 0, empty));
    EXPECT(SNN_OK, "", snn_tensor_shape(NULL, 0, g_scalar));
    snn_tensor_free(empty);
}

/* ---- shapes, counts and capacities -------------------------------------------------- */

typedef snn_status (*shape_fn)(snn_tensor **out, const int64_t *shape, size_t ndim);
static snn_status full_(snn_tensor **o, const int64_t *s, size_t n) { return snn_tensor_full(o, s, n, 2.0f); }
static snn_status from_data_(snn_tensor **o, const int64_t *s, size_t n) {
    static float d[4];
    return snn_tensor_from_data(o, d, 4, s, n);
}
static snn_status from_int64_(snn_tensor **o, const int64_t *s, size_t n) {
    static int64_t d[4];
    return snn_tensor_from_int64(o, d, 4, s, n);
}

static void test_shapes(void) {
    /* Names as messages give them: the engine op's where the engine validates. */
    static const struct { const char *name; shape_fn fn; } F[] = {
        {"zeros", snn_tensor_zeros}, {"ones", snn_tensor_ones},
        {"full", full_}, {"rand", snn_tensor_rand},
        {"randn", snn_tensor_randn}, {"snn_tensor_from_data", from_data_},
        {"snn_tensor_from_int64", from_int64_},
    };
    int64_t neg[2] = {2, -3}, big[2] = {(int64_t)1 << 40, (int64_t)1 << 40};
    int64_t huge[2] = {INT64_MAX, 2}, tb[2] = {(int64_t)1 << 20, (int64_t)1 << 20};
    int64_t mn[2] = {INT64_MIN, -1}, ones[17];
    for (int i = 0; i < 17; i++) ones[i] = 1;
    int64_t base = live_handles();
    for (size_t i = 0; i < sizeof F / sizeof F[0]; i++) {
        const char *fn = F[i].name;
        snn_tensor *o = POISON;
        EXPECT(SNN_ERR_INVALID_ARGUMENT, fn, F[i].fn(&o, neg, 2));
        CHECK(o == NULL, "%s: out not cleared on failure", fn);
        EXPECT(SNN_ERR_INVALID_ARGUMENT, fn, F[i].fn(&o, mn, 2));
        EXPECT(SNN_ERR_INVALID_ARGUMENT, fn, F[i].fn(&o, ones, 17));        /* ndim > SNN_MAX_NDIM */
        EXPECT(SNN_ERR_INVALID_ARGUMENT, fn, F[i].fn(&o, ones, SIZE_MAX));  /* "-1" */
        EXPECT(SNN_ERR_INVALID_ARGUMENT, fn, F[i].fn(&o, ones, (size_t)1 << 62));
        EXPECT(SNN_ERR_INVALID_ARGUMENT, fn, F[i].fn(&o, NULL, 2));
        /* Overflowing or absurd element counts: refused before any allocation. */
        EXPECT(SNN_ERR_OUT_OF_MEMORY, fn, F[i].fn(&o, big, 2));
        EXPECT(SNN_ERR_OUT_OF_MEMORY, fn, F[i].fn(&o, huge, 2));
        EXPECT(SNN_ERR_OUT_OF_MEMORY, fn, F[i].fn(&o, tb, 2));             /* 2^40 elements: 4 TB */
        CHECK(o == NULL, "%s: out not cleared on failure", fn);
    }
    CHECK(live_handles() == base, "shape cases leaked %lld handles", (long long)(live_handles() - base));

    /* count must equal the product of the shape. */
    int64_t s23[2] = {2, 3};
    float d[8] = {0};
    int64_t di[8] = {0};
    snn_tensor *o = POISON;
    EXPECT(SNN_ERR_SHAPE, "snn_tensor_from_data", snn_tensor_from_data(&o, d, 5, s23, 2));
    EXPECT(SNN_ERR_SHAPE, "snn_tensor_from_data", snn_tensor_from_data(&o, d, 7, s23, 2));
    EXPECT(SNN_ERR_SHAPE, "snn_tensor_from_data", snn_tensor_from_data(&o, d, SIZE_MAX, s23, 2));
    EXPECT(SNN_ERR_SHAPE, "snn_tensor_from_data", snn_tensor_from_data(&o, d, 2, NULL, 0)); /* scalar: 1 */
    EXPECT(SNN_ERR_SHAPE, "snn_tensor_from_int64", snn_tensor_from_int64(&o, di, 5, s23, 2));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_from_data", snn_tensor_from_data(&o, NULL, 6, s23, 2));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_from_int64", snn_tensor_from_int64(&o, NULL, 6, s23, 2));
    CHECK(o == NULL, "from_data: out not cleared on failure");
    /* Valid edge cases: empty and scalar tensors, rank 16. */
    int64_t s0[2] = {0, 3};
    EXPECT(SNN_OK, "", snn_tensor_from_data(&o, NULL, 0, s0, 2));
    snn_tensor_free(o);
    EXPECT(SNN_OK, "", snn_tensor_from_data(&o, d, 1, NULL, 0));
    snn_tensor_free(o);
    EXPECT(SNN_OK, "", snn_tensor_zeros(&o, ones, 16));
    snn_tensor_free(o);

    /* Copy-out capacities. */
    float out[8];
    int64_t iout[8];
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_copy_data", snn_tensor_copy_data(out, 5, g_f23));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_copy_data", snn_tensor_copy_data(out, 0, g_f23));
    EXPECT(SNN_ERR_DTYPE, "snn_tensor_copy_data", snn_tensor_copy_data(out, 8, g_i64));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_copy_int64", snn_tensor_copy_int64(iout, 5, g_i64));
    EXPECT(SNN_ERR_DTYPE, "snn_tensor_copy_int64", snn_tensor_copy_int64(iout, 8, g_f23));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_shape", snn_tensor_shape(iout, 1, g_f23));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_shape", snn_tensor_shape(iout, 0, g_f23));
    double item = 0;
    EXPECT(SNN_ERR_SHAPE, "snn_tensor_item", snn_tensor_item(&item, g_f23));
    EXPECT(SNN_OK, "", snn_tensor_item(&item, g_scalar));
    CHECK(item == 0.5, "item of the scalar fixture is %g, expected 0.5", item);

    /* arange: step 0, non-finite values, a step pointing away from end, too many elements. */
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "arange", snn_tensor_arange(&o, 0, 4, 0));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "arange", snn_tensor_arange(&o, 0, 4, -1));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "arange", snn_tensor_arange(&o, NAN, 4, 1));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "arange", snn_tensor_arange(&o, 0, INFINITY, 1));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "arange", snn_tensor_arange(&o, 0, 4, NAN));
    EXPECT(SNN_ERR_OUT_OF_MEMORY, "arange", snn_tensor_arange(&o, 0, 1, 1e-300));
    EXPECT(SNN_ERR_OUT_OF_MEMORY, "arange", snn_tensor_arange(&o, -1e308, 1e308, 1));
    CHECK(o == NULL, "arange: out not cleared on failure");

    /* Options and threads. */
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_set_num_threads", snn_set_num_threads(-1));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_set_num_threads", snn_set_num_threads(INT32_MAX));
}

/* ---- ops: shapes and dtypes that do not fit ----------------------------------------- */

static void test_ops(void) {
    int64_t s4[1] = {4}, s32[2] = {3, 2};
    snn_tensor *v4 = tensor(s4, 1), *m32 = tensor(s32, 2), *o = POISON;
    EXPECT(SNN_ERR_SHAPE, "add", snn_tensor_add(&o, g_f23, v4));
    EXPECT(SNN_ERR_SHAPE, "sub", snn_tensor_sub(&o, v4, g_f23));
    EXPECT(SNN_ERR_SHAPE, "mul", snn_tensor_mul(&o, g_f23, m32));
    EXPECT(SNN_ERR_SHAPE, "div", snn_tensor_div(&o, m32, g_f23));
    /* float32 + int64 promotes to float32, as in PyTorch (the dtype golden area has the
     * values); an unknown dtype is the dtype error. */
    EXPECT(SNN_OK, "", snn_tensor_add(&o, g_f23, g_i64));
    snn_tensor_free(o);
    EXPECT(SNN_ERR_DTYPE, "snn_tensor_to", snn_tensor_to(&o, g_f23, (snn_dtype)42));
    EXPECT(SNN_ERR_SHAPE, "matmul", snn_tensor_matmul(&o, g_f23, v4));
    EXPECT(SNN_ERR_SHAPE, "matmul", snn_tensor_matmul(&o, g_f23, g_f23));
    EXPECT(SNN_ERR_SHAPE, "matmul", snn_tensor_matmul(&o, g_scalar, g_f23));
    EXPECT(SNN_ERR_DTYPE, "matmul", snn_tensor_matmul(&o, g_i64, m32));
    CHECK(o == NULL, "ops: out not cleared on failure");
    EXPECT(SNN_OK, "", snn_tensor_matmul(&o, g_f23, m32));
    snn_tensor_free(o);

    int64_t d_out[1] = {2}, d_neg[1] = {-3}, d_dup[2] = {0, -2}, d_min[1] = {INT64_MIN}, d_ok[2] = {-1, 0};
    EXPECT(SNN_ERR_OUT_OF_RANGE, "sum", snn_tensor_sum(&o, g_f23, d_out, 1, false));
    EXPECT(SNN_ERR_OUT_OF_RANGE, "sum", snn_tensor_sum(&o, g_f23, d_neg, 1, false));
    EXPECT(SNN_ERR_OUT_OF_RANGE, "mean", snn_tensor_mean(&o, g_f23, d_min, 1, true));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "sum", snn_tensor_sum(&o, g_f23, d_dup, 2, false));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_sum", snn_tensor_sum(&o, g_f23, NULL, 1, false));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_sum", snn_tensor_sum(&o, g_f23, d_ok, SIZE_MAX, false));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_mean", snn_tensor_mean(&o, g_f23, d_ok, (size_t)1 << 62, false));
    EXPECT(SNN_ERR_DTYPE, "mean", snn_tensor_mean(&o, g_i64, NULL, 0, false));  /* sum of int64 is int64 */
    EXPECT(SNN_OK, "", snn_tensor_sum(&o, g_f23, d_ok, 2, true));
    snn_tensor_free(o);
    /* The dimension of a scalar may be 0 or -1, as in PyTorch. */
    EXPECT(SNN_OK, "", snn_tensor_sum(&o, g_scalar, d_ok, 1, false));
    snn_tensor_free(o);
    snn_tensor_free(v4);
    snn_tensor_free(m32);
}

/* ---- autograd misuse ---------------------------------------------------------------- */

static void test_autograd(void) {
    bool on = false;
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_no_grad_end", snn_no_grad_end());
    CHECK_OK(snn_no_grad_begin());
    CHECK_OK(snn_no_grad_begin());
    CHECK_OK(snn_is_grad_enabled(&on));
    CHECK(!on, "grad enabled inside no_grad");
    CHECK_OK(snn_no_grad_end());
    CHECK_OK(snn_no_grad_end());
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_no_grad_end", snn_no_grad_end());
    CHECK_OK(snn_is_grad_enabled(&on));
    CHECK(on, "grad disabled after balanced no_grad");

    int64_t s23[2] = {2, 3}, s3[1] = {3};
    snn_tensor *x = tensor(s23, 2), *y = NULL, *loss = NULL, *g = NULL, *o = POISON;
    EXPECT(SNN_ERR_DTYPE, "requires_grad", snn_tensor_set_requires_grad(g_i64, true));
    EXPECT(SNN_OK, "", snn_tensor_set_requires_grad(g_i64, false));
    EXPECT(SNN_ERR_AUTOGRAD, "backward", snn_tensor_backward(x, NULL, false)); /* no grad */
    CHECK_OK(snn_tensor_set_requires_grad(x, true));
    CHECK_OK(snn_tensor_mul(&y, x, x));
    EXPECT(SNN_ERR_AUTOGRAD, "requires_grad", snn_tensor_set_requires_grad(y, false)); /* non-leaf */
    /* Non-scalar output without a gradient; gradients of the wrong shape or dtype. */
    EXPECT(SNN_ERR_AUTOGRAD, "backward", snn_tensor_backward(y, NULL, true));
    snn_tensor *g3 = tensor(s3, 1);
    EXPECT(SNN_ERR_SHAPE, "backward", snn_tensor_backward(y, g3, true));
    EXPECT(SNN_ERR_DTYPE, "backward", snn_tensor_backward(y, g_i64, true));
    EXPECT(SNN_ERR_SHAPE, "snn_tensor_set_grad", snn_tensor_set_grad(x, g3));
    EXPECT(SNN_ERR_DTYPE, "snn_tensor_set_grad", snn_tensor_set_grad(x, g_i64));
    snn_tensor_free(g3);
    /* No gradient yet: SNN_OK and *out = NULL. */
    EXPECT(SNN_OK, "", snn_tensor_grad(&o, x));
    CHECK(o == NULL, "grad before backward is not NULL");

    /* backward twice: fine with retain_graph, SNN_ERR_AUTOGRAD after the graph was freed. */
    CHECK_OK(snn_tensor_sum(&loss, y, NULL, 0, false));
    EXPECT(SNN_OK, "", snn_tensor_backward(loss, NULL, true));
    EXPECT(SNN_OK, "", snn_tensor_backward(loss, NULL, false));
    EXPECT(SNN_ERR_AUTOGRAD, "backward", snn_tensor_backward(loss, NULL, false));
    EXPECT(SNN_ERR_AUTOGRAD, "backward", snn_tensor_backward(y, g_f23, false));
    CHECK_OK(snn_tensor_grad(&g, x));
    float gv[6] = {0}, xv[6] = {0};
    CHECK_OK(snn_tensor_copy_data(gv, 6, g));
    CHECK_OK(snn_tensor_copy_data(xv, 6, x));
    for (int i = 0; i < 6; i++) CHECK(gv[i] == 4 * xv[i], "grad[%d] = %g after two backwards, expected 2 * 2x = %g", i, gv[i], 4 * xv[i]);
    /* Freeing the gradient handle does not clear the stored gradient; zero_grad does. */
    snn_tensor_free(g);
    g = NULL;
    CHECK_OK(snn_tensor_grad(&g, x));
    CHECK(g != NULL, "gradient gone after freeing its handle");
    snn_tensor_free(g);
    CHECK_OK(snn_tensor_zero_grad(x));
    CHECK_OK(snn_tensor_grad(&g, x));
    CHECK(g == NULL, "gradient still there after zero_grad");
    snn_tensor_free(loss);
    snn_tensor_free(y);
    snn_tensor_free(x);
}

/* ---- status strings ----------------------------------------------------------------- */

static void test_status_strings(void) {
    static const char *names[] = {
        "SNN_OK", "SNN_ERR_INVALID_ARGUMENT", "SNN_ERR_INVALID_HANDLE", "SNN_ERR_SHAPE",
        "SNN_ERR_DTYPE", "SNN_ERR_OUT_OF_RANGE", "SNN_ERR_OUT_OF_MEMORY", "SNN_ERR_IO",
        "SNN_ERR_FORMAT", "SNN_ERR_UNSUPPORTED", "SNN_ERR_AUTOGRAD", "SNN_ERR_INTERNAL"};
    for (int i = 0; i < 12; i++) {
        const char *s = snn_status_string((snn_status)i);
        CHECK(s && strcmp(s, names[i]) == 0, "snn_status_string(%d) = %s, expected %s", i, s ? s : "(null)", names[i]);
    }
    int unknown[] = {12, 99, -1, INT32_MAX, INT32_MIN};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        const char *s = snn_status_string((snn_status)unknown[i]);
        CHECK(s && strncmp(s, "SNN_", 4) == 0, "snn_status_string(%d) = %s", unknown[i], s ? s : "(null)");
    }
    const char *v = snn_version();
    CHECK(v && v[0], "snn_version() is empty");
    CHECK(snn_abi_version() == SNN_ABI_VERSION, "snn_abi_version() = %d, header says %d", snn_abi_version(), SNN_ABI_VERSION);
    const char *cpu = snn_cpu_capability();
    CHECK(cpu && (strcmp(cpu, "AVX512") == 0 || strcmp(cpu, "AVX2") == 0 || strcmp(cpu, "DEFAULT") == 0),
          "snn_cpu_capability() = %s, expected AVX512, AVX2 or DEFAULT", cpu ? cpu : "(null)");
    CHECK(snn_cpu_capability() == cpu, "snn_cpu_capability() changed between calls");
}

/* ---- the error message and grad mode are per thread --------------------------------- */

static pthread_barrier_t barrier;
typedef struct { int which; int ok_fresh, ok_own, ok_grad_mode; char msg[256]; } thread_result;

static void *thread_body(void *arg) {
    thread_result *r = arg;
    r->ok_fresh = snn_last_error() != NULL && snn_last_error()[0] == 0; /* nothing failed here yet */
    if (r->which == 0) {
        snn_no_grad_begin();
        snn_set_num_threads(-5);
    } else {
        snn_tensor_free(GARBAGE1);
    }
    pthread_barrier_wait(&barrier); /* both have failed before either reads */
    bool on = false;
    snn_is_grad_enabled(&on);
    r->ok_grad_mode = r->which == 0 ? !on : on;
    snprintf(r->msg, sizeof r->msg, "%s", snn_last_error());
    r->ok_own = strstr(r->msg, r->which == 0 ? "snn_set_num_threads" : "snn_tensor_free") != NULL;
    pthread_barrier_wait(&barrier);
    if (r->which == 0) snn_no_grad_end();
    return NULL;
}

static void test_threads(void) {
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_zeros", snn_tensor_zeros(NULL, NULL, 0));
    pthread_barrier_init(&barrier, NULL, 2);
    pthread_t th[2];
    thread_result r[2] = {{.which = 0}, {.which = 1}};
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, thread_body, &r[i]);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    pthread_barrier_destroy(&barrier);
    for (int i = 0; i < 2; i++) {
        CHECK(r[i].ok_fresh, "thread %d: snn_last_error() not empty before any failure", i);
        CHECK(r[i].ok_own, "thread %d sees another thread's message: \"%s\"", i, r[i].msg);
        CHECK(r[i].ok_grad_mode, "thread %d: grad mode leaked between threads", i);
    }
    CHECK(strstr(snn_last_error(), "snn_tensor_zeros") != NULL, "main thread's message changed to \"%s\"", snn_last_error());
    bool on = false;
    CHECK_OK(snn_is_grad_enabled(&on));
    CHECK(on, "main thread's grad mode changed by another thread");
}

int main(void) {
    int64_t s23[2] = {2, 3};
    int64_t idata[6] = {0, 1, 2, 3, 4, 5};
    g_f23 = tensor(s23, 2);
    g_scalar = tensor(NULL, 0);
    CHECK_OK(snn_tensor_from_int64(&g_i64, idata, 6, s23, 2));
    test_status_strings();
    test_handles();
    test_null_outputs();
    test_shapes();
    test_ops();
    test_autograd();
    test_threads();
    snn_tensor_free(g_f23);
    snn_tensor_free(g_scalar);
    snn_tensor_free(g_i64);
    CHECK(live_handles() == 0, "%lld handles still live at exit", (long long)live_handles());
    return report("test_bad_input");
}
