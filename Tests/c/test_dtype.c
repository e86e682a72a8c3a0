/* Dtypes through the C API: bytes in and out of every dtype, snn_tensor_to's rules, zeros and
 * arange of a dtype, promotion with numbers, and the errors: unknown dtypes, integer division
 * by zero, bool subtraction, requires_grad on integers, NULL and freed handles. Each error
 * names its function; no handle leaks. (The values themselves are proven against PyTorch by
 * the golden "dtype" area.) */
#include "harness.h"
#include <math.h>
#include <string.h>

#define EXPECT(want, name, call) do { \
    snn_status st_ = (call); \
    const char *m_ = snn_last_error(); \
    CHECK(st_ == (want), "%s -> %s, expected %s (%s)", #call, snn_status_string(st_), snn_status_string(want), m_); \
    if ((want) != SNN_OK && st_ != SNN_OK) \
        CHECK(strstr(m_, (name)) != NULL, "%s: message \"%s\" does not name %s", #call, m_, (name)); \
} while (0)

static snn_dtype dtype_of(snn_tensor *t) {
    snn_dtype d = (snn_dtype)-1;
    CHECK_OK(snn_tensor_dtype(&d, t));
    return d;
}

static void bytes_round_trip(void) {
    int64_t shape[1] = {3};
    double d[3] = {1.5, -0.0, 1e300};
    uint8_t b[3] = {0, 7, 1}, back[24];
    snn_tensor *t = NULL;
    CHECK_OK(snn_tensor_from_bytes(&t, (const uint8_t *)d, 3, shape, 1, SNN_FLOAT64));
    CHECK(dtype_of(t) == SNN_FLOAT64, "from_bytes float64");
    CHECK_OK(snn_tensor_copy_bytes(back, sizeof back, t));
    CHECK(memcmp(back, d, 24) == 0, "float64 bytes come back unchanged");
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_copy_bytes", snn_tensor_copy_bytes(back, 23, t));
    snn_tensor_free(t);
    CHECK_OK(snn_tensor_from_bytes(&t, b, 3, shape, 1, SNN_BOOL));
    CHECK_OK(snn_tensor_copy_bytes(back, sizeof back, t));
    CHECK(back[0] == 0 && back[1] == 1 && back[2] == 1, "bool bytes are stored as 0/1 (got %d %d %d)", back[0], back[1], back[2]);
    snn_tensor_free(t);
}

static void conversions_and_factories(void) {
    int64_t shape[1] = {4};
    float f[4] = {2.9f, -2.9f, 300.5f, 0.0f};
    snn_tensor *x = NULL, *y = NULL;
    CHECK_OK(snn_tensor_from_data(&x, f, 4, shape, 1));
    CHECK_OK(snn_tensor_to(&y, x, SNN_INT32));
    int32_t i[4];
    CHECK_OK(snn_tensor_copy_bytes((uint8_t *)i, sizeof i, y));
    CHECK(i[0] == 2 && i[1] == -2 && i[2] == 300 && i[3] == 0, "float32 -> int32 truncates toward zero");
    snn_tensor_free(y);
    CHECK_OK(snn_tensor_to(&y, x, SNN_UINT8));
    uint8_t u[4];
    CHECK_OK(snn_tensor_copy_bytes(u, sizeof u, y));
    CHECK(u[0] == 2 && u[1] == 254 && u[2] == 44, "float32 -> uint8 keeps the low byte (got %d %d %d)", u[0], u[1], u[2]);
    snn_tensor_free(y);
    CHECK_OK(snn_tensor_to(&y, x, SNN_FLOAT32));  /* same dtype: a new handle to the same tensor */
    snn_tensor_free(y);
    EXPECT(SNN_ERR_DTYPE, "snn_tensor_to", snn_tensor_to(&y, x, (snn_dtype)99));
    CHECK(y == NULL, "a failed conversion leaves *out NULL");
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_to", snn_tensor_to(NULL, x, SNN_INT64));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_to", snn_tensor_to(&y, NULL, SNN_INT64));
    snn_tensor_free(x);
    EXPECT(SNN_ERR_INVALID_HANDLE, "snn_tensor_to", snn_tensor_to(&y, x, SNN_INT64));  /* freed */

    CHECK_OK(snn_tensor_arange_dtype(&x, 0, 5, 1, SNN_INT64));
    int64_t r[5];
    CHECK_OK(snn_tensor_copy_int64(r, 5, x));
    CHECK(dtype_of(x) == SNN_INT64 && r[4] == 4, "arange_dtype int64");
    EXPECT(SNN_ERR_DTYPE, "requires_grad_", snn_tensor_set_requires_grad(x, true));
    snn_tensor_free(x);
    CHECK_OK(snn_tensor_full_dtype(&x, shape, 1, -1.5, SNN_BOOL));
    CHECK(dtype_of(x) == SNN_BOOL, "full_dtype bool");
    snn_tensor_free(x);
    EXPECT(SNN_ERR_DTYPE, "snn_tensor_full_dtype", snn_tensor_full_dtype(&x, shape, 1, 0, (snn_dtype)6));
}

static void promotion_and_errors(void) {
    int64_t shape[1] = {3}, v[3] = {7, -7, 3}, z[3] = {1, 0, 2};
    snn_tensor *a = NULL, *zero = NULL, *n = NULL, *out = NULL, *b = NULL;
    CHECK_OK(snn_tensor_from_int64(&a, v, 3, shape, 1));
    CHECK_OK(snn_tensor_from_int64(&zero, z, 3, shape, 1));
    double half = 2.5;
    CHECK_OK(snn_tensor_number(&n, (const uint8_t *)&half, SNN_FLOAT64));
    CHECK_OK(snn_tensor_mul(&out, a, n));
    CHECK(dtype_of(out) == SNN_FLOAT32, "int64 tensor * 2.5 is float32 (got %d)", dtype_of(out));
    snn_tensor_free(out);
    CHECK_OK(snn_tensor_div(&out, a, a));
    CHECK(dtype_of(out) == SNN_FLOAT32, "int64 / int64 is float32 (true division)");
    snn_tensor_free(out);
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "ZeroDivisionError", snn_tensor_floor_divide(&out, a, zero));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "remainder", snn_tensor_remainder(&out, a, zero));
    CHECK(out == NULL, "a failed op leaves *out NULL");
    uint8_t bits[3] = {1, 0, 1};
    CHECK_OK(snn_tensor_from_bytes(&b, bits, 3, shape, 1, SNN_BOOL));
    EXPECT(SNN_ERR_DTYPE, "sub", snn_tensor_sub(&out, b, b));
    EXPECT(SNN_ERR_DTYPE, "neg", snn_tensor_neg(&out, b));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_number", snn_tensor_number(&out, NULL, SNN_INT64));
    EXPECT(SNN_ERR_DTYPE, "snn_tensor_number", snn_tensor_number(&out, bits, (snn_dtype)-1));
    snn_dtype d = (snn_dtype)-1;
    CHECK_OK(snn_tensor_result_type(&d, a, n));
    CHECK(d == SNN_FLOAT32, "result_type(int64 tensor, 2.5) is float32 (got %d)", d);
    CHECK_OK(snn_tensor_result_type(&d, b, a));
    CHECK(d == SNN_INT64, "result_type(bool tensor, int64 tensor) is int64 (got %d)", d);
    CHECK_OK(snn_dtype_promote(&d, SNN_UINT8, SNN_INT32));
    CHECK(d == SNN_INT32, "promote_types(uint8, int32) is int32 (got %d)", d);
    CHECK_OK(snn_dtype_promote(&d, SNN_INT64, SNN_FLOAT32));
    CHECK(d == SNN_FLOAT32, "promote_types(int64, float32) is float32 (got %d)", d);
    EXPECT(SNN_ERR_DTYPE, "snn_dtype_promote", snn_dtype_promote(&d, SNN_BOOL, (snn_dtype)7));
    EXPECT(SNN_ERR_INVALID_ARGUMENT, "snn_tensor_result_type", snn_tensor_result_type(NULL, a, b));
    snn_tensor_free(a);
    snn_tensor_free(zero);
    snn_tensor_free(n);
    snn_tensor_free(b);
}

int main(void) {
    int64_t before = live_handles();
    bytes_round_trip();
    conversions_and_factories();
    promotion_and_errors();
    CHECK(live_handles() == before, "%lld handles leaked", (long long)(live_handles() - before));
    return report("test_dtype");
}
