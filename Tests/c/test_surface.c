/* Issue 17's C functions: snn_tensor_einsum, snn_loss_ctc, snn_loss_cross_entropy_weighted,
 * snn_loss_nll_weighted, snn_optimizer_set_momentum and snn_tensor_rand_from / randn_from. Values small enough to check by hand
 * (their golden cases are in test_golden), then bad input: NULL, freed and garbage handles,
 * wrong dtypes and shapes, out-of-range lengths and groups. Every failure must return its
 * documented status with a message naming the function, and no handle may leak. */
#include "harness.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

#define EXPECT(want, name, call) do { \
    snn_status st_ = (call); \
    const char *m_ = snn_last_error(); \
    CHECK(st_ == (want), "%s -> %s, expected %s (%s)", #call, snn_status_string(st_), snn_status_string(want), m_); \
    if ((want) != SNN_OK && st_ != SNN_OK) \
        CHECK(m_ && strstr(m_, (name)), "%s: message \"%s\" does not name %s", #call, m_ ? m_ : "(null)", (name)); \
} while (0)

#define GARBAGE ((snn_tensor *)(uintptr_t)0xdeadbeef0ULL)

static snn_tensor *floats(const float *v, size_t n, const int64_t *shape, size_t ndim) {
    snn_tensor *t = NULL;
    CHECK_OK(snn_tensor_from_data(&t, v, n, shape, ndim));
    return t;
}

static snn_tensor *ints(const int64_t *v, size_t n, const int64_t *shape, size_t ndim) {
    snn_tensor *t = NULL;
    CHECK_OK(snn_tensor_from_int64(&t, v, n, shape, ndim));
    return t;
}

static float first(const snn_tensor *t) {
    float v[64] = {0};
    if (snn_tensor_copy_data(v, 64, t) != SNN_OK) return NAN;
    return v[0];
}

static void test_einsum(void) {
    const float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 0, 0, 1, 2, 3};
    const int64_t s23[2] = {2, 3}, s32[2] = {3, 2};
    snn_tensor *x = floats(a, 6, s23, 2), *y = floats(b, 6, s32, 2), *o = NULL;
    const snn_tensor *ops[2] = {x, y};
    CHECK_OK(snn_tensor_einsum(&o, "ij,jk->ik", ops, 2));
    float v[4] = {0};
    CHECK_OK(snn_tensor_copy_data(v, 4, o));
    /* [[1,2,3],[4,5,6]] @ [[1,0],[0,1],[2,3]] = [[7, 11], [16, 23]] */
    CHECK(v[0] == 7 && v[1] == 11 && v[2] == 16 && v[3] == 23, "einsum matmul gave %g %g %g %g", v[0], v[1], v[2], v[3]);
    snn_tensor_free(o);
    o = NULL;
    CHECK_OK(snn_tensor_einsum(&o, "ij->", ops, 1));
    CHECK(first(o) == 21, "einsum sum gave %g", first(o));
    snn_tensor_free(o);

    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_einsum", snn_tensor_einsum(NULL, "ij->", ops, 1));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_einsum", snn_tensor_einsum(&o, NULL, ops, 1));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_einsum", snn_tensor_einsum(&o, "ij->", NULL, 1));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "einsum", snn_tensor_einsum(&o, "ij->", ops, 0));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "einsum", snn_tensor_einsum(&o, "ij,jk->ik", ops, 1));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "einsum", snn_tensor_einsum(&o, "i-j", ops, 1));
    EXPECT(SNN_ERR_SHAPE, "einsum", snn_tensor_einsum(&o, "ij,ij->ij", ops, 2));  /* [2, 3] vs [3, 2] */
    EXPECT(SNN_ERR_SHAPE, "einsum", snn_tensor_einsum(&o, "ijk->i", ops, 1));
    const snn_tensor *garbage[1] = {GARBAGE};
    EXPECT(SNN_ERR_INVALID_HANDLE, "snn_tensor_einsum", snn_tensor_einsum(&o, "ij->ji", garbage, 1));
    snn_tensor *freed = floats(a, 6, s23, 2);
    snn_tensor_free(freed);
    const snn_tensor *gone[1] = {freed};
    EXPECT(SNN_ERR_INVALID_HANDLE, "snn_tensor_einsum", snn_tensor_einsum(&o, "ij->ji", gone, 1));
    const int64_t iv[2] = {1, 2}, s2[1] = {2};
    snn_tensor *it = ints(iv, 2, s2, 1);
    const snn_tensor *iops[1] = {it};
    const snn_tensor *iops2[2] = {it, it};
    EXPECT(SNN_ERR_DTYPE, "matmul", snn_tensor_einsum(&o, "i,i->", iops2, 2));
    (void)iops;
    snn_tensor_free(it);
    snn_tensor_free(x);
    snn_tensor_free(y);
}

static void test_ctc(void) {
    /* T = 2, N = 1, C = 2, target [1]: paths (1,1), (0,1), (1,0). */
    const float p[4] = {logf(0.6f), logf(0.4f), logf(0.3f), logf(0.7f)};
    const int64_t s[3] = {2, 1, 2}, one[1] = {1}, s11[2] = {1, 1};
    const int64_t tv[1] = {1}, il[1] = {2}, tl[1] = {1}, big[1] = {3};
    snn_tensor *lp = floats(p, 4, s, 3), *t = ints(tv, 1, s11, 2), *in = ints(il, 1, one, 1), *tn = ints(tl, 1, one, 1);
    snn_tensor *o = NULL;
    CHECK_OK(snn_loss_ctc(&o, lp, t, in, tn, 0, SNN_REDUCTION_SUM, false));
    float want = -logf(0.4f * 0.7f + 0.6f * 0.7f + 0.4f * 0.3f);
    CHECK(fabsf(first(o) - want) < 1e-5f, "ctc by hand: %g, expected %g", first(o), want);
    snn_tensor_free(o);
    o = NULL;
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_loss_ctc", snn_loss_ctc(NULL, lp, t, in, tn, 0, SNN_REDUCTION_SUM, false));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_loss_ctc", snn_loss_ctc(&o, NULL, t, in, tn, 0, SNN_REDUCTION_SUM, false));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_loss_ctc", snn_loss_ctc(&o, lp, t, NULL, tn, 0, SNN_REDUCTION_SUM, false));
    EXPECT(SNN_ERR_INVALID_HANDLE, "snn_loss_ctc", snn_loss_ctc(&o, lp, t, in, GARBAGE, 0, SNN_REDUCTION_SUM, false));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_loss_ctc", snn_loss_ctc(&o, lp, t, in, tn, 0, (snn_reduction)9, false));
    EXPECT(SNN_ERR_DTYPE, "ctc_loss", snn_loss_ctc(&o, lp, lp, in, tn, 0, SNN_REDUCTION_SUM, false));
    EXPECT(SNN_ERR_DTYPE, "ctc_loss", snn_loss_ctc(&o, t, t, in, tn, 0, SNN_REDUCTION_SUM, false));
    EXPECT(SNN_ERR_OUT_OF_RANGE, "ctc_loss", snn_loss_ctc(&o, lp, t, in, tn, 2, SNN_REDUCTION_SUM, false));
    snn_tensor *too_long = ints(big, 1, one, 1);
    EXPECT(SNN_ERR_OUT_OF_RANGE, "ctc_loss", snn_loss_ctc(&o, lp, t, too_long, tn, 0, SNN_REDUCTION_SUM, false));
    EXPECT(SNN_ERR_SHAPE, "ctc_loss", snn_loss_ctc(&o, lp, t, in, too_long, 0, SNN_REDUCTION_SUM, false));
    snn_tensor_free(too_long);
    snn_tensor_free(lp);
    snn_tensor_free(t);
    snn_tensor_free(in);
    snn_tensor_free(tn);
}

static void test_weighted_losses(void) {
    const float x[6] = {0.5f, -1.0f, 2.0f, 1.0f, 0.0f, -0.5f}, w[3] = {0.5f, 1.0f, 3.0f};
    const int64_t s23[2] = {2, 3}, s3[1] = {3}, s2[1] = {2}, tv[2] = {2, 0};
    snn_tensor *logits = floats(x, 6, s23, 2), *weight = floats(w, 3, s3, 1), *t = ints(tv, 2, s2, 1), *o = NULL;
    CHECK_OK(snn_loss_cross_entropy_weighted(&o, logits, t, weight, SNN_REDUCTION_MEAN, -100, 0.0f));
    float l0 = logf(expf(0.5f) + expf(-1.0f) + expf(2.0f)) - 2.0f, l1 = logf(expf(1.0f) + 1.0f + expf(-0.5f)) - 1.0f;
    float want = (3.0f * l0 + 0.5f * l1) / 3.5f;
    CHECK(fabsf(first(o) - want) < 1e-5f, "weighted cross_entropy: %g, expected %g", first(o), want);
    snn_tensor_free(o);
    o = NULL;
    /* weight NULL is the unweighted function exactly. */
    snn_tensor *a = NULL, *b = NULL;
    CHECK_OK(snn_loss_nll_weighted(&a, logits, t, NULL, SNN_REDUCTION_SUM, -100));
    CHECK_OK(snn_loss_nll(&b, logits, t, SNN_REDUCTION_SUM, -100));
    CHECK(first(a) == first(b), "nll_weighted(NULL) %g != nll %g", first(a), first(b));
    snn_tensor_free(a);
    snn_tensor_free(b);
    snn_tensor *short_w = floats(w, 2, s2, 1);
    EXPECT(SNN_ERR_SHAPE, "cross_entropy", snn_loss_cross_entropy_weighted(&o, logits, t, short_w, SNN_REDUCTION_MEAN, -100, 0.0f));
    EXPECT(SNN_ERR_SHAPE, "nll_loss", snn_loss_nll_weighted(&o, logits, t, short_w, SNN_REDUCTION_MEAN, -100));
    snn_tensor *d = NULL;
    CHECK_OK(snn_tensor_to(&d, weight, SNN_FLOAT64));
    EXPECT(SNN_ERR_DTYPE, "cross_entropy", snn_loss_cross_entropy_weighted(&o, logits, t, d, SNN_REDUCTION_MEAN, -100, 0.0f));
    EXPECT(SNN_ERR_INVALID_HANDLE, "snn_loss_nll_weighted", snn_loss_nll_weighted(&o, logits, t, GARBAGE, SNN_REDUCTION_MEAN, -100));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_loss_cross_entropy_weighted",
           snn_loss_cross_entropy_weighted(NULL, logits, t, weight, SNN_REDUCTION_MEAN, -100, 0.0f));
    snn_tensor_free(d);
    snn_tensor_free(short_w);
    snn_tensor_free(logits);
    snn_tensor_free(weight);
    snn_tensor_free(t);
}

static void test_set_momentum(void) {
    const float v[2] = {1, 2};
    const int64_t s2[1] = {2};
    snn_tensor *p = floats(v, 2, s2, 1);
    snn_tensor *params[1] = {p};
    snn_optimizer *sgd = NULL, *adam = NULL, *rms = NULL;
    CHECK_OK(snn_optimizer_sgd(&sgd, params, 1, NULL));
    CHECK_OK(snn_optimizer_set_momentum(sgd, 0, 0.9));
    EXPECT(SNN_ERR_OUT_OF_RANGE, "SGD.setMomentum", snn_optimizer_set_momentum(sgd, 1, 0.9));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "SGD.setMomentum", snn_optimizer_set_momentum(sgd, 0, -0.5));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "SGD.setMomentum", snn_optimizer_set_momentum(sgd, 0, NAN));
    CHECK_OK(snn_optimizer_adam(&adam, params, 1, NULL));
    CHECK_OK(snn_optimizer_set_momentum(adam, 0, 0.85));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "Adam.setMomentum", snn_optimizer_set_momentum(adam, 0, 1.0));
    CHECK_OK(snn_optimizer_rmsprop(&rms, params, 1, NULL));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "RMSprop.setMomentum", snn_optimizer_set_momentum(rms, 0, 0.9));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_optimizer_set_momentum", snn_optimizer_set_momentum(NULL, 0, 0.9));
    EXPECT(SNN_ERR_INVALID_HANDLE, "snn_optimizer_set_momentum", snn_optimizer_set_momentum((snn_optimizer *)p, 0, 0.9));
    snn_optimizer_free(sgd);
    snn_optimizer_free(adam);
    snn_optimizer_free(rms);
    snn_tensor_free(p);
}

/* A caller-held generator: offset 0 under seed s draws what the global generator draws right
 * after snn_manual_seed(s), the offset advances by the blocks used, the global stream is
 * untouched; NULL offset and a negative dimension fail with a status. */
static void test_rand_from(void) {
    snn_tensor *a = NULL, *b = NULL, *g1 = NULL, *g2 = NULL, *bad = NULL;
    float va[10] = {0}, vb[10] = {0}, w1[3] = {0}, w2[3] = {0};
    uint64_t off = 0;
    CHECK_OK(snn_manual_seed(5));
    CHECK_OK(snn_tensor_rand(&g1, (int64_t[]){3}, 1));
    CHECK_OK(snn_tensor_rand_from(&a, (int64_t[]){2, 5}, 2, 99, &off));
    CHECK(off == 3, "10 uniform values use 3 blocks, offset %llu", (unsigned long long)off);
    CHECK_OK(snn_tensor_randn_from(&b, (int64_t[]){4}, 1, 99, &off));
    CHECK(off == 7, "4 normal values use 4 more blocks, offset %llu", (unsigned long long)off);
    CHECK_OK(snn_tensor_rand(&g2, (int64_t[]){3}, 1));  /* the global stream went on from g1 */
    CHECK_OK(snn_tensor_copy_data(w1, 3, g1));
    CHECK_OK(snn_tensor_copy_data(w2, 3, g2));
    CHECK(w1[0] != w2[0], "the global generator continued its own stream");
    CHECK_OK(snn_tensor_copy_data(va, 10, a));
    snn_tensor_free(g1); snn_tensor_free(g2); g1 = g2 = NULL;
    CHECK_OK(snn_manual_seed(99));
    CHECK_OK(snn_tensor_rand(&g1, (int64_t[]){10}, 1));
    CHECK_OK(snn_tensor_randn(&g2, (int64_t[]){4}, 1));
    float ga[10] = {0}, gb[4] = {0};
    CHECK_OK(snn_tensor_copy_data(ga, 10, g1));
    CHECK_OK(snn_tensor_copy_data(gb, 4, g2));
    CHECK_OK(snn_tensor_copy_data(vb, 4, b));
    CHECK(memcmp(va, ga, sizeof ga) == 0 && memcmp(vb, gb, sizeof gb) == 0, "the caller's stream is the global one's after manual_seed");
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "offset", snn_tensor_rand_from(&bad, (int64_t[]){2}, 1, 1, NULL));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "negative", snn_tensor_randn_from(&bad, (int64_t[]){-2}, 1, 1, &off));
    CHECK(bad == NULL, "no tensor on failure");
    snn_tensor_free(a); snn_tensor_free(b); snn_tensor_free(g1); snn_tensor_free(g2);
}

int main(void) {
    int64_t before = live_handles();
    test_rand_from();
    test_einsum();
    test_ctc();
    test_weighted_losses();
    test_set_momentum();
    CHECK(live_handles() == before, "handles leaked: %lld live, %lld before", (long long)live_handles(), (long long)before);
    return report("test_surface");
}
