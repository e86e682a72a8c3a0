/* How each golden op of the "inplace" area is called through the C API: the first input
 * copied into a non-leaf (x = a * 1), the in-place ops applied to x, x returned
 * (tools/golden/inplace.py). */
#include "harness.h"

#define OP(NAME) static snn_status NAME(snn_tensor **o, size_t *n, snn_tensor *const *x, size_t nin, const gt_attrs *a)
#define TRY(call) do { snn_status s_ = (call); if (s_ != SNN_OK) { snn_tensor_free(t); return s_; } } while (0)

/* *out = a * 1: a copy that autograd records, so in-place ops on it are allowed. */
static snn_status copy_of(snn_tensor **out, const snn_tensor *a) {
    snn_tensor *one = NULL;
    snn_status s = snn_tensor_full(&one, NULL, 0, 1.0f);
    if (s == SNN_OK) s = snn_tensor_mul(out, a, one);
    snn_tensor_free(one);
    return s;
}

/* Applies `body` (a statement using t, x and a) to a copy of x[0] and returns the copy. */
#define INPLACE(NAME, BODY) OP(NAME) { (void)nin; (void)a; snn_tensor *t = NULL; \
    snn_status s0 = copy_of(&t, x[0]); if (s0 != SNN_OK) return s0; BODY; *n = 1; o[0] = t; return SNN_OK; }

INPLACE(g_add_, TRY(snn_tensor_add_(t, x[1], attr_double(a, "alpha", 1))))
INPLACE(g_sub_, TRY(snn_tensor_sub_(t, x[1], attr_double(a, "alpha", 1))))
INPLACE(g_mul_, TRY(snn_tensor_mul_(t, x[1])))
INPLACE(g_div_, TRY(snn_tensor_div_(t, x[1])))
INPLACE(g_pow_, TRY(snn_tensor_pow_(t, x[1])))
INPLACE(g_pow_scalar_, TRY(snn_tensor_pow_scalar_(t, attr_double(a, "exponent", 1))))
INPLACE(g_clamp_, TRY(snn_tensor_clamp_(t, (float)attr_double(a, "min", 0), (float)attr_double(a, "max", 0), true, true)))
INPLACE(g_neg_, TRY(snn_tensor_neg_(t)))
INPLACE(g_exp_, TRY(snn_tensor_exp_(t)))
INPLACE(g_relu_, TRY(snn_tensor_relu_(t)))
INPLACE(g_sigmoid_, TRY(snn_tensor_sigmoid_(t)))
INPLACE(g_tanh_, TRY(snn_tensor_tanh_(t)))
INPLACE(g_fill_, TRY(snn_tensor_fill_(t, attr_double(a, "value", 0))))
INPLACE(g_zero_, TRY(snn_tensor_zero_(t)))
INPLACE(g_copy_, TRY(snn_tensor_copy_(t, x[1])))
INPLACE(g_chain, TRY(snn_tensor_mul_scalar_(t, 2)); TRY(snn_tensor_add_scalar_(t, 1, 1)); TRY(snn_tensor_mul_(t, x[1]));
                 TRY(snn_tensor_sub_(t, x[1], 0.25)); TRY(snn_tensor_tanh_(t)))

/* Writes through views: a column via a transposed view, a stepped slice, a row, and an
 * overlapping copy of column 3 into column 0. */
OP(g_view_write) {
    (void)nin; (void)a;
    snn_tensor *t = NULL, *tt = NULL, *v = NULL, *w = NULL;
    snn_status s = snn_tensor_clone(&t, x[0]);
#define STEP(call) if (s == SNN_OK) s = (call)
#define DROP(h) do { snn_tensor_free(h); h = NULL; } while (0)
    STEP(snn_tensor_transpose(&tt, t, 0, 1));
    STEP(snn_tensor_select(&v, tt, 0, 1));
    STEP(snn_tensor_mul_scalar_(v, 3));
    DROP(v);
    STEP(snn_tensor_slice(&v, t, 1, 0, INT64_MAX, 2));
    STEP(snn_tensor_add_(v, x[1], 1));
    DROP(v);
    STEP(snn_tensor_select(&v, t, 0, 2));
    STEP(snn_tensor_fill_(v, -1));
    DROP(v);
    STEP(snn_tensor_select(&v, tt, 0, 0));
    STEP(snn_tensor_select(&w, t, 1, 3));
    STEP(snn_tensor_copy_(v, w));
    DROP(v); DROP(w); DROP(tt);
#undef STEP
#undef DROP
    if (s != SNN_OK) { snn_tensor_free(t); return s; }
    *n = 1;
    o[0] = t;
    return SNN_OK;
}

OP(g_view_contiguous) {
    (void)nin; (void)a;
    snn_tensor *tt = NULL, *s1 = NULL, *s2 = NULL, *e = NULL;
    int64_t shape[3] = {2, 3, 4};
    snn_status s = snn_tensor_transpose(&tt, x[0], 0, 1);
    if (s == SNN_OK) s = snn_tensor_contiguous(&o[0], tt);
    if (s == SNN_OK) s = snn_tensor_slice(&s1, tt, 0, 1, INT64_MAX, 1);
    if (s == SNN_OK) s = snn_tensor_slice(&s2, s1, 1, 0, INT64_MAX, 2);
    if (s == SNN_OK) s = snn_tensor_contiguous(&o[1], s2);
    if (s == SNN_OK) s = snn_tensor_expand(&e, x[0], shape, 3);
    if (s == SNN_OK) s = snn_tensor_contiguous(&o[2], e);
    snn_tensor_free(tt); snn_tensor_free(s1); snn_tensor_free(s2); snn_tensor_free(e);
    if (s != SNN_OK) { snn_tensor_free(o[0]); snn_tensor_free(o[1]); o[0] = o[1] = NULL; return s; }
    *n = 3;
    return SNN_OK;
}

__attribute__((constructor)) static void register_inplace(void) {
    golden_register("add_", g_add_);
    golden_register("sub_", g_sub_);
    golden_register("mul_", g_mul_);
    golden_register("div_", g_div_);
    golden_register("pow_", g_pow_);
    golden_register("pow_scalar_", g_pow_scalar_);
    golden_register("clamp_", g_clamp_);
    golden_register("neg_", g_neg_);
    golden_register("exp_", g_exp_);
    golden_register("relu_", g_relu_);
    golden_register("sigmoid_", g_sigmoid_);
    golden_register("tanh_", g_tanh_);
    golden_register("fill_", g_fill_);
    golden_register("zero_", g_zero_);
    golden_register("copy_", g_copy_);
    golden_register("chain", g_chain);
    golden_register("view_write", g_view_write);
    golden_register("view_contiguous", g_view_contiguous);
}
