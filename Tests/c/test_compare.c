/* Comparisons, masks, sorting and gather/scatter through the C API: a hand-checked use (the
 * bool result read as bytes), then bad input -- a mask of the wrong shape or dtype, an index out
 * of range or of the wrong dtype, k larger than the dimension, NULL and freed handles, NULL
 * out-pointers. Each must return its documented status with a message naming the function,
 * clear its out handles, and leak nothing. (Forward and gradients against PyTorch: the
 * "compare" golden area in test_golden.c.) */
#include "harness.h"
#include <string.h>

#define EXPECT(want, name, call) do { \
    snn_set_num_threads(0); /* sentinel: a stale message would name snn_set_num_threads */ \
    snn_status st_ = (call); \
    const char *m_ = snn_last_error(); \
    CHECK(st_ == (want), "%s -> %s, expected %s (%s)", #call, snn_status_string(st_), snn_status_string(want), m_); \
    if ((want) != SNN_OK && st_ != SNN_OK) \
        CHECK(m_ && strstr(m_, (name)), "%s: message \"%s\" does not name %s", #call, m_ ? m_ : "(null)", (name)); \
} while (0)

static snn_tensor *floats(const float *v, const int64_t *shape, size_t ndim, size_t n) {
    snn_tensor *t = NULL;
    CHECK_OK(snn_tensor_from_data(&t, v, n, shape, ndim));
    return t;
}

static snn_tensor *longs(const int64_t *v, const int64_t *shape, size_t ndim, size_t n) {
    snn_tensor *t = NULL;
    CHECK_OK(snn_tensor_from_int64(&t, v, n, shape, ndim));
    return t;
}

static void test_masks_by_hand(void) {
    const int64_t s4[1] = {4};
    const float xv[4] = {-2, 0.5f, 3, -0.25f};
    snn_tensor *x = floats(xv, s4, 1, 4), *m = NULL, *y = NULL, *n = NULL, *w = NULL, *zero = NULL;
    CHECK_OK(snn_tensor_lt_scalar(&m, x, 0.0));
    snn_dtype dt;
    CHECK_OK(snn_tensor_dtype(&dt, m));
    CHECK(dt == SNN_BOOL, "x < 0 has dtype %d, expected SNN_BOOL", (int)dt);
    uint8_t bytes[4];
    CHECK_OK(snn_tensor_copy_bytes(bytes, sizeof bytes, m));
    CHECK(bytes[0] == 1 && bytes[1] == 0 && bytes[2] == 0 && bytes[3] == 1, "x < 0 = %d %d %d %d", bytes[0], bytes[1], bytes[2], bytes[3]);
    CHECK_OK(snn_tensor_masked_fill(&y, x, m, 0.0));
    float out[4];
    CHECK_OK(snn_tensor_copy_data(out, 4, y));
    CHECK(out[0] == 0 && out[1] == 0.5f && out[2] == 3 && out[3] == 0, "masked_fill = %g %g %g %g", out[0], out[1], out[2], out[3]);
    CHECK_OK(snn_tensor_count_nonzero(&n, m, NULL, 0));
    double count = 0;
    CHECK_OK(snn_tensor_item(&count, n));
    CHECK(count == 2, "count_nonzero(x < 0) = %g, expected 2", count);
    const float zv[1] = {9};
    zero = floats(zv, NULL, 0, 1);
    CHECK_OK(snn_tensor_where(&w, m, zero, x));
    CHECK_OK(snn_tensor_copy_data(out, 4, w));
    CHECK(out[0] == 9 && out[1] == 0.5f && out[3] == 9, "where = %g %g %g %g", out[0], out[1], out[2], out[3]);
    bool same = true;
    CHECK_OK(snn_tensor_equal(&same, x, y));
    CHECK(!same, "equal(x, masked) is true");
    snn_tensor_free(x); snn_tensor_free(m); snn_tensor_free(y); snn_tensor_free(n); snn_tensor_free(w); snn_tensor_free(zero);
}

static void test_bad_input(void) {
    const int64_t s23[2] = {2, 3}, s3[1] = {3}, s2[1] = {2}, s11[2] = {1, 1}, s1[1] = {1};
    const float v[6] = {1, 2, 3, 4, 5, 6};
    const int64_t i0[1] = {0}, big[1] = {3}, neg[1] = {-1};
    snn_tensor *x = floats(v, s23, 2, 6), *x2 = floats(v, s2, 1, 2), *fmask = floats(v, s3, 1, 3);
    snn_tensor *mask = NULL, *wrong_mask = NULL, *o = NULL, *o2 = NULL;
    CHECK_OK(snn_tensor_gt_scalar(&mask, x, 2.5));
    CHECK_OK(snn_tensor_gt_scalar(&wrong_mask, x2, 0));
    snn_tensor *idx_big = longs(big, s11, 2, 1), *idx_neg = longs(neg, s11, 2, 1), *idx_1d = longs(i0, s1, 1, 1);
    snn_tensor *idx_float = floats(v, s11, 2, 1), *idx_ok = longs(i0, s11, 2, 1);
    int64_t base = live_handles();

    /* Masks: wrong shape, not bool. */
    o = (snn_tensor *)(uintptr_t)0x5151;
    EXPECT(SNN_ERR_SHAPE, "masked_fill", snn_tensor_masked_fill(&o, x, wrong_mask, 0));
    CHECK(o == NULL, "masked_fill: out not cleared on failure");
    EXPECT(SNN_ERR_DTYPE, "masked_fill", snn_tensor_masked_fill(&o, x, fmask, 0));
    EXPECT(SNN_ERR_DTYPE, "where", snn_tensor_where(&o, x, x, x));
    EXPECT(SNN_ERR_SHAPE, "where", snn_tensor_where(&o, wrong_mask, x, x));
    /* Indices: out of range, negative, wrong rank, wrong dtype. */
    EXPECT(SNN_ERR_OUT_OF_RANGE, "gather", snn_tensor_gather(&o, x, 1, idx_big));
    EXPECT(SNN_ERR_OUT_OF_RANGE, "gather", snn_tensor_gather(&o, x, 1, idx_neg));
    EXPECT(SNN_ERR_SHAPE, "gather", snn_tensor_gather(&o, x, 1, idx_1d));
    EXPECT(SNN_ERR_DTYPE, "gather", snn_tensor_gather(&o, x, 1, idx_float));
    EXPECT(SNN_ERR_OUT_OF_RANGE, "gather", snn_tensor_gather(&o, x, 2, idx_ok));
    EXPECT(SNN_ERR_OUT_OF_RANGE, "scatter", snn_tensor_scatter(&o, x, 1, idx_big, x));
    EXPECT(SNN_ERR_DTYPE, "scatter", snn_tensor_scatter(&o, x, 1, idx_ok, mask));  /* src of another dtype */
    EXPECT(SNN_ERR_OUT_OF_RANGE, "scatter", snn_tensor_scatter_value(&o, x, 0, idx_big, 1));
    EXPECT(SNN_ERR_OUT_OF_RANGE, "scatter_add", snn_tensor_scatter_add(&o, x, 1, idx_neg, x));
    snn_tensor *idx_big1d = longs(big, s1, 1, 1), *src1 = floats(v, s1, 1, 1);
    EXPECT(SNN_ERR_OUT_OF_RANGE, "index_add", snn_tensor_index_add(&o, x2, 0, idx_big1d, src1, 1));
    EXPECT(SNN_ERR_SHAPE, "index_add", snn_tensor_index_add(&o, x2, 0, idx_1d, x2, 1));  /* source [2] for 1 index */
    snn_tensor_free(idx_big1d); snn_tensor_free(src1);
    /* k larger than the dimension, a dim out of range. */
    o2 = (snn_tensor *)(uintptr_t)0x5151;
    EXPECT(SNN_ERR_OUT_OF_RANGE, "topk", snn_tensor_topk(&o, &o2, x, 4, -1, true, true));
    CHECK(o == NULL && o2 == NULL, "topk: out handles not cleared on failure");
    EXPECT(SNN_ERR_OUT_OF_RANGE, "topk", snn_tensor_topk(&o, &o2, x, -1, -1, true, true));
    EXPECT(SNN_ERR_OUT_OF_RANGE, "sort", snn_tensor_sort(&o, &o2, x, 5, false, false));
    /* Dtypes: bitwise on floats, isclose across dtypes, maximum of a bool and a float. */
    EXPECT(SNN_ERR_DTYPE, "bitwise_and", snn_tensor_bitwise_and(&o, x, mask));
    EXPECT(SNN_ERR_DTYPE, "isclose", snn_tensor_isclose(&o, x, mask, 1e-5, 1e-8, false));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "isclose", snn_tensor_isclose(&o, x, x, -1, 0, false));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "clamp", snn_tensor_clamp_tensor(&o, x, NULL, NULL));
    /* NULL and freed handles, NULL out-pointers. */
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_eq", snn_tensor_eq(&o, x, NULL));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_where", snn_tensor_where(NULL, mask, x, x));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_allclose", snn_tensor_allclose(NULL, x, x, 1e-5, 1e-8, false));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_sort", snn_tensor_sort(&o, NULL, x, 0, false, false));
    snn_tensor *freed = NULL;
    CHECK_OK(snn_tensor_clone(&freed, x));
    CHECK_OK(snn_tensor_free(freed));
    EXPECT(SNN_ERR_INVALID_HANDLE, "snn_tensor_masked_fill", snn_tensor_masked_fill(&o, x, freed, 0));
    EXPECT(SNN_ERR_INVALID_HANDLE, "snn_tensor_gather", snn_tensor_gather(&o, x, 0, freed));
    EXPECT(SNN_ERR_INVALID_HANDLE, "snn_tensor_clamp_tensor", snn_tensor_clamp_tensor(&o, x, freed, NULL));
    CHECK(live_handles() == base, "bad input leaked %lld handles", (long long)(live_handles() - base));

    snn_tensor_free(x); snn_tensor_free(x2); snn_tensor_free(fmask); snn_tensor_free(mask); snn_tensor_free(wrong_mask);
    snn_tensor_free(idx_big); snn_tensor_free(idx_neg); snn_tensor_free(idx_1d); snn_tensor_free(idx_float); snn_tensor_free(idx_ok);
}

int main(void) {
    test_masks_by_hand();
    test_bad_input();
    CHECK(live_handles() == 0, "%lld handles still live at exit", (long long)live_handles());
    return report("test_compare");
}
