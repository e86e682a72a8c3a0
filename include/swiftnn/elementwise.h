/*
 * swiftnn/elementwise.h -- elementwise math and activations of one tensor, and powers.
 * Included by swiftnn.h.
 *
 * Every function writes a new tensor of its input's dtype to *out (free it with
 * snn_tensor_free) with the shape of its input (pow: the broadcast shape and promoted dtype
 * of its operands, see swiftnn/ops.h). float32 inputs run the float32 kernels; float64
 * inputs of neg, abs, exp, log, sqrt, tanh, sigmoid, relu, pow, the trigonometric and
 * rounding functions, erf and reciprocal compute in double, gradients included. If an
 * input requires a gradient, the op is recorded for snn_tensor_backward; the gradient rules
 * below are PyTorch's, including at kinks and for nan, so results match torch's.
 *
 * Special values follow IEEE arithmetic as in PyTorch: nan in gives nan out (except where a
 * function below says otherwise), log(0) = -inf, log and sqrt of a negative number are nan,
 * exp overflows to inf above about 88.72 and underflows to 0 below about -103.9.
 *
 * Errors (in addition to the conventions in swiftnn.h):
 *   SNN_ERR_INVALID_ARGUMENT  out is NULL, t is NULL, or clamp got neither bound
 *   SNN_ERR_INVALID_HANDLE    t (or a, b) is not a live tensor handle
 *   SNN_ERR_DTYPE             an integer or bool input (neg and abs take integers too), or
 *                             a float64 input to a function not listed above
 *   SNN_ERR_SHAPE             pow: the shapes of a and b cannot be broadcast
 *   SNN_ERR_OUT_OF_MEMORY     the result cannot be allocated
 *
 * Example: y = relu(x) ** 2, then the gradient of y.sum() with respect to x:
 *     snn_tensor *r = NULL, *y = NULL;
 *     snn_tensor_relu(&r, x);
 *     snn_tensor_pow_scalar(&y, r, 2.0f);
 */

/* ---- Math ---------------------------------------------------------------------------- */

/* out = -t.                                  gradient: -g */
snn_status snn_tensor_neg(snn_tensor **out, const snn_tensor *t);

/* out = e^t.                                 gradient: g * out */
snn_status snn_tensor_exp(snn_tensor **out, const snn_tensor *t);

/* out = ln(t).                               gradient: g / t */
snn_status snn_tensor_log(snn_tensor **out, const snn_tensor *t);

/* out = sqrt(t).                             gradient: g / (2 out); inf at t = 0 */
snn_status snn_tensor_sqrt(snn_tensor **out, const snn_tensor *t);

/* out = |t|.                                 gradient: g * sign(t); 0 at t = 0 and at nan */
snn_status snn_tensor_abs(snn_tensor **out, const snn_tensor *t);

/* out = tanh(t).                             gradient: g * (1 - out^2) */
snn_status snn_tensor_tanh(snn_tensor **out, const snn_tensor *t);

/* out = 1 / (1 + e^-t), as PyTorch computes it (so exactly 0 below about -88.72).
 *                                            gradient: g * (1 - out) * out */
snn_status snn_tensor_sigmoid(snn_tensor **out, const snn_tensor *t);

/* exp, tanh and sigmoid use SIMD approximations that stay within 1e-6 relative error of
 * glibc's expf/tanhf (about 2 units in the last place); the others use libm or exact IEEE
 * operations. Results are identical from C, Python and Swift and for any tensor size. */

/* ---- Activations ---------------------------------------------------------------------- */

/* out = max(t, 0); nan stays nan.            gradient: g where out > 0, else 0 (0 at t = 0) */
snn_status snn_tensor_relu(snn_tensor **out, const snn_tensor *t);

/* out = t where t > 0, else t * negative_slope (torch.nn.functional.leaky_relu; PyTorch's
 * default slope is 0.01).                    gradient: g where t > 0, else g * negative_slope */
snn_status snn_tensor_leaky_relu(snn_tensor **out, const snn_tensor *t, float negative_slope);

/* out = min(max(t, 0), 6) (torch.nn.functional.relu6, i.e. hardtanh to [0, 6]).
 *                                            gradient: g where 0 < t < 6 (strict), else 0 */
snn_status snn_tensor_relu6(snn_tensor **out, const snn_tensor *t);

/* out = min(max(t, min), max) (torch.clamp). A bound is used only if its has_ flag is true;
 * at least one must be (else SNN_ERR_INVALID_ARGUMENT). As in PyTorch: min > max gives max
 * everywhere; a nan bound gives nan everywhere; nan in t stays nan.
 *                                            gradient: g where min <= t <= max (inclusive;
 *                                            an absent bound is no condition), else 0 */
snn_status snn_tensor_clamp(snn_tensor **out, const snn_tensor *t, float min, float max,
                            bool has_min, bool has_max);

/* ---- Powers --------------------------------------------------------------------------- */

/* out = a ^ b elementwise, broadcasting a and b (torch.pow(a, b)); a scalar base or exponent
 * is a tensor of ndim 0. A negative base with a non-integer exponent gives nan.
 *   gradient of a: g * b * a^(b-1), 0 where b = 0
 *   gradient of b: g * out * ln(a), 0 where a = 0 and b >= 0 (nan for a negative base)
 * each summed back to its operand's shape. */
snn_status snn_tensor_pow(snn_tensor **out, const snn_tensor *a, const snn_tensor *b);

/* out = t ^ exponent (torch.pow(t, exponent) for a number). Exponents 0, 1, 2, 3, 0.5, -0.5,
 * -1 and -2 are computed exactly as PyTorch does (1, copy, t*t, t*t*t, sqrt, 1/sqrt, 1/t,
 * 1/(t*t)), others with powf: pow(-8, 1/3.) is nan, as in PyTorch.
 *                                            gradient: g * exponent * t^(exponent-1); 0 if
 *                                            exponent = 0 */
snn_status snn_tensor_pow_scalar(snn_tensor **out, const snn_tensor *t, float exponent);
