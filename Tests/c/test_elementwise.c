/* swiftnn/elementwise.h by hand: values and gradients you can check in your head, and the
 * error contract (status codes, messages naming the function, no leaked handles). */
#include "harness.h"
#include <math.h>
#include <string.h>

static snn_tensor *vec(const float *v, int64_t n) {
    snn_tensor *t = NULL;
    int64_t shape[1] = {n};
    CHECK_OK(snn_tensor_from_data(&t, v, (size_t)n, shape, 1));
    return t;
}

/* Frees t after checking its n values against `want` (nan matches nan). */
static void expect(const char *what, snn_tensor *t, const float *want, size_t n) {
    float got[16] = {0};
    CHECK(t != NULL, "%s: no result", what);
    if (!t) return;
    CHECK_OK(snn_tensor_copy_data(got, 16, t));
    for (size_t i = 0; i < n; i++)
        CHECK(got[i] == want[i] || (isnan(got[i]) && isnan(want[i])), "%s[%zu] = %g, expected %g", what, i, got[i], want[i]);
    snn_tensor_free(t);
}

static void test_values(void) {
    const float xs[2] = {-1, 2};
    snn_tensor *x = vec(xs, 2), *y = NULL;
    CHECK_OK(snn_tensor_relu(&y, x));
    expect("relu", y, (const float[]){0, 2}, 2);
    CHECK_OK(snn_tensor_neg(&y, x));
    expect("neg", y, (const float[]){1, -2}, 2);
    CHECK_OK(snn_tensor_abs(&y, x));
    expect("abs", y, (const float[]){1, 2}, 2);
    CHECK_OK(snn_tensor_leaky_relu(&y, x, 0.5f));
    expect("leaky_relu", y, (const float[]){-0.5f, 2}, 2);
    CHECK_OK(snn_tensor_clamp(&y, x, 0, 0, true, false));
    expect("clamp min", y, (const float[]){0, 2}, 2);
    CHECK_OK(snn_tensor_clamp(&y, x, 0, 1, false, true));
    expect("clamp max", y, (const float[]){-1, 1}, 2);
    CHECK_OK(snn_tensor_pow_scalar(&y, x, 2));
    expect("pow_scalar", y, (const float[]){1, 4}, 2);
    snn_tensor_free(x);

    const float zs[3] = {0, 4, 9};
    snn_tensor *z = vec(zs, 3);
    CHECK_OK(snn_tensor_exp(&y, z));
    float e[3] = {1, expf(4), expf(9)};
    float got[3];
    CHECK_OK(snn_tensor_copy_data(got, 3, y));
    for (int i = 0; i < 3; i++) CHECK(fabsf(got[i] - e[i]) <= 1e-6f * e[i], "exp(%g) = %g", zs[i], got[i]);
    snn_tensor_free(y);
    CHECK_OK(snn_tensor_sqrt(&y, z));
    expect("sqrt", y, (const float[]){0, 2, 3}, 3);
    CHECK_OK(snn_tensor_sigmoid(&y, z));
    CHECK_OK(snn_tensor_copy_data(got, 3, y));
    CHECK(got[0] == 0.5f, "sigmoid(0) = %g", got[0]);
    snn_tensor_free(y);
    CHECK_OK(snn_tensor_tanh(&y, z));
    CHECK_OK(snn_tensor_copy_data(got, 3, y));
    CHECK(got[0] == 0 && fabsf(got[1] - tanhf(4)) < 1e-6f, "tanh = %g %g", got[0], got[1]);
    snn_tensor_free(y);
    snn_tensor_free(z);

    const float specials[4] = {-1, 0, INFINITY, NAN};
    snn_tensor *s = vec(specials, 4);
    CHECK_OK(snn_tensor_log(&y, s));
    expect("log", y, (const float[]){NAN, -INFINITY, INFINITY, NAN}, 4);
    CHECK_OK(snn_tensor_relu6(&y, s));
    expect("relu6", y, (const float[]){0, 0, 6, NAN}, 4);
    snn_tensor_free(s);

    /* [[2], [3]] ^ [1, 2] broadcasts to [[2, 4], [3, 9]]. */
    snn_tensor *a = NULL, *b = vec((const float[]){1, 2}, 2);
    int64_t shape[2] = {2, 1};
    CHECK_OK(snn_tensor_from_data(&a, (const float[]){2, 3}, 2, shape, 2));
    CHECK_OK(snn_tensor_pow(&y, a, b));
    expect("pow", y, (const float[]){2, 4, 3, 9}, 4);
    snn_tensor_free(a);
    snn_tensor_free(b);
}

static void test_gradients(void) {
    /* clamp's bounds are inclusive, relu6's kinks pass nothing: PyTorch's rules. */
    snn_tensor *x = vec((const float[]){-1, 0, 1, 6}, 4), *y = NULL, *s = NULL, *g = NULL;
    snn_tensor_set_requires_grad(x, true);
    CHECK_OK(snn_tensor_clamp(&y, x, 0, 1, true, true));
    CHECK_OK(snn_tensor_sum(&s, y, NULL, 0, false));
    CHECK_OK(snn_tensor_backward(s, NULL, false));
    CHECK_OK(snn_tensor_grad(&g, x));
    expect("clamp grad", g, (const float[]){0, 1, 1, 0}, 4);
    snn_tensor_free(s);
    snn_tensor_free(y);
    CHECK_OK(snn_tensor_zero_grad(x));
    CHECK_OK(snn_tensor_relu6(&y, x));
    CHECK_OK(snn_tensor_sum(&s, y, NULL, 0, false));
    CHECK_OK(snn_tensor_backward(s, NULL, false));
    CHECK_OK(snn_tensor_grad(&g, x));
    expect("relu6 grad", g, (const float[]){0, 0, 1, 0}, 4);
    snn_tensor_free(s);
    snn_tensor_free(y);
    snn_tensor_free(x);
}

/* Expects `st` to be `want` with a message starting with `prefix`. */
static void expect_error(snn_status st, snn_status want, const char *prefix, const char *what) {
    CHECK(st == want, "%s: got %s, expected %s", what, snn_status_string(st), snn_status_string(want));
    CHECK(strncmp(snn_last_error(), prefix, strlen(prefix)) == 0, "%s: message \"%s\" should start with \"%s\"",
          what, snn_last_error(), prefix);
}

static void test_errors(void) {
    snn_tensor *x = vec((const float[]){1, 2}, 2), *y = (snn_tensor *)1, *ints = NULL;
    int64_t shape[1] = {2};
    CHECK_OK(snn_tensor_from_int64(&ints, (const int64_t[]){1, 2}, 2, shape, 1));

    expect_error(snn_tensor_exp(NULL, x), SNN_ERR_INVALID_ARGUMENT, "snn_tensor_exp: out is NULL", "NULL out");
    expect_error(snn_tensor_exp(&y, NULL), SNN_ERR_INVALID_ARGUMENT, "snn_tensor_exp: t is NULL", "NULL t");
    CHECK(y == NULL, "out is set to NULL on failure");
    expect_error(snn_tensor_tanh(&y, (snn_tensor *)0xdeadbeef), SNN_ERR_INVALID_HANDLE, "snn_tensor_tanh: t is not a live",
                 "garbage handle");
    /* log of an integer tensor is float32, as PyTorch's int-to-float unary ops (log([1, 2])). */
    snn_tensor *logs = NULL;
    snn_dtype log_dtype = SNN_INT64;
    float lv[2] = {-1, -1};
    CHECK_OK(snn_tensor_log(&logs, ints));
    CHECK_OK(snn_tensor_dtype(&log_dtype, logs));
    CHECK_OK(snn_tensor_copy_data(lv, 2, logs));
    CHECK(log_dtype == SNN_FLOAT32 && lv[0] == 0.0f && fabsf(lv[1] - 0.69314718f) < 1e-6f, "int64 log: dtype %d, values %g %g",
          (int)log_dtype, lv[0], lv[1]);
    snn_tensor_free(logs);
    expect_error(snn_tensor_relu(&y, ints), SNN_ERR_DTYPE, "relu: ", "int64 relu");
    /* Integer powers stay integer, as PyTorch's; a negative integer exponent is an error. */
    snn_tensor *squares = NULL;
    int64_t sq[2] = {0, 0};
    snn_dtype sq_dtype = SNN_FLOAT32;
    CHECK_OK(snn_tensor_pow_scalar(&squares, ints, 2));
    CHECK_OK(snn_tensor_dtype(&sq_dtype, squares));
    CHECK_OK(snn_tensor_copy_int64(sq, 2, squares));
    CHECK(sq_dtype == SNN_INT64 && sq[0] == 1 && sq[1] == 4, "int64 pow_scalar: dtype %d, values %lld %lld", (int)sq_dtype,
          (long long)sq[0], (long long)sq[1]);
    snn_tensor_free(squares);
    expect_error(snn_tensor_pow_scalar(&y, ints, -1), SNN_ERR_INVALID_ARGUMENT,
                 "pow: Integers to negative integer powers are not allowed.", "int64 pow_scalar negative");
    expect_error(snn_tensor_clamp(&y, x, 0, 0, false, false), SNN_ERR_INVALID_ARGUMENT,
                 "clamp: at least one of min or max", "clamp without bounds");
    snn_tensor *three = vec((const float[]){1, 2, 3}, 3);
    expect_error(snn_tensor_pow(&y, x, three), SNN_ERR_SHAPE, "pow: shapes [2] and [3] cannot be broadcast", "pow shapes");
    expect_error(snn_tensor_pow(&y, x, NULL), SNN_ERR_INVALID_ARGUMENT, "snn_tensor_pow: b is NULL", "pow NULL b");
    CHECK(y == NULL, "out stays NULL after failures");
    snn_tensor_free(three);
    snn_tensor_free(ints);
    snn_tensor_free(x);
}

int main(void) {
    test_values();
    test_gradients();
    test_errors();
    CHECK(live_handles() == 0, "%lld handles still live at exit", (long long)live_handles());
    return report("test_elementwise");
}
