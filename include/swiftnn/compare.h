/*
 * swiftnn/compare.h -- comparisons, logic and selection by mask: ==, <, &, where, masked_fill,
 * any/all, isnan, isclose, nonzero. Included by swiftnn.h.
 *
 * Comparisons and logic return new SNN_BOOL tensors (one byte per element, 0 or 1; read them
 * with snn_tensor_copy_bytes, swiftnn/tensor.h). Two operands broadcast as in
 * NumPy (see swiftnn/ops.h) and may have different dtypes: they meet in PyTorch's result type
 * (bool < uint8 < int32 < int64 < float32 < float64, where a 0-d operand widens a dimensioned
 * one only if its category -- bool, integer, floating -- is higher), so integers compare
 * exactly and float32 compares in float32. nan compares unequal to everything (only ne is
 * true), as in IEEE and PyTorch. Nothing here has a gradient except where and masked_fill.
 *
 * Errors (in addition to the conventions in swiftnn.h):
 *   SNN_ERR_INVALID_ARGUMENT  an out-pointer or a required handle is NULL; rtol/atol negative
 *   SNN_ERR_INVALID_HANDLE    a tensor argument is not a live tensor handle
 *   SNN_ERR_SHAPE             operands cannot be broadcast
 *   SNN_ERR_DTYPE             a mask or condition that is not SNN_BOOL; a float operand of a
 *                             bitwise op; isclose operands of different dtypes
 *   SNN_ERR_OUT_OF_RANGE      a dimension out of range
 *
 * Example: zero the negative entries of x (float32) and count them:
 *     snn_tensor *neg = NULL, *y = NULL, *n = NULL;
 *     snn_tensor_lt_scalar(&neg, x, 0.0);           // neg = x < 0      (bool)
 *     snn_tensor_masked_fill(&y, x, neg, 0.0);       // y = x.masked_fill(neg, 0)
 *     snn_tensor_count_nonzero(&n, neg, NULL, 0);    // n = count_nonzero(neg) (int64, 0-d)
 */

/* ---- Comparisons ----------------------------------------------------------------------- */

/* out = a == b, a != b, a < b, a <= b, a > b, a >= b elementwise (torch.eq, ne, lt, le, gt, ge). */
snn_status snn_tensor_eq(snn_tensor **out, const snn_tensor *a, const snn_tensor *b);
snn_status snn_tensor_ne(snn_tensor **out, const snn_tensor *a, const snn_tensor *b);
snn_status snn_tensor_lt(snn_tensor **out, const snn_tensor *a, const snn_tensor *b);
snn_status snn_tensor_le(snn_tensor **out, const snn_tensor *a, const snn_tensor *b);
snn_status snn_tensor_gt(snn_tensor **out, const snn_tensor *a, const snn_tensor *b);
snn_status snn_tensor_ge(snn_tensor **out, const snn_tensor *a, const snn_tensor *b);

/* The same against a number, with PyTorch's rules for a Python scalar: compared in t's dtype
 * when t is floating (so float32 x == 0.1 rounds 0.1 to float32 first, as torch does); against
 * an integer or bool t, an integral value compares exactly as an integer and a fractional one
 * in float32 (PyTorch's default dtype). */
snn_status snn_tensor_eq_scalar(snn_tensor **out, const snn_tensor *t, double value);
snn_status snn_tensor_ne_scalar(snn_tensor **out, const snn_tensor *t, double value);
snn_status snn_tensor_lt_scalar(snn_tensor **out, const snn_tensor *t, double value);
snn_status snn_tensor_le_scalar(snn_tensor **out, const snn_tensor *t, double value);
snn_status snn_tensor_gt_scalar(snn_tensor **out, const snn_tensor *t, double value);
snn_status snn_tensor_ge_scalar(snn_tensor **out, const snn_tensor *t, double value);

/* ---- Special values and closeness ----------------------------------------------------- */

/* out = isnan(t), isinf(t) (either sign), isfinite(t) elementwise. Integer and bool tensors
 * have no nan or inf: isnan and isinf are all false, isfinite all true. */
snn_status snn_tensor_isnan(snn_tensor **out, const snn_tensor *t);
snn_status snn_tensor_isinf(snn_tensor **out, const snn_tensor *t);
snn_status snn_tensor_isfinite(snn_tensor **out, const snn_tensor *t);

/* torch.isclose(a, b, rtol, atol, equal_nan): a == b, or |a - b| <= atol + |rtol * b| with the
 * difference finite, computed in the operands' dtype (float32 for integers); with equal_nan,
 * nan is close to nan. a and b must have the same dtype (SNN_ERR_DTYPE); rtol and atol must be
 * >= 0. PyTorch's defaults are rtol = 1e-5, atol = 1e-8. */
snn_status snn_tensor_isclose(snn_tensor **out, const snn_tensor *a, const snn_tensor *b,
                              double rtol, double atol, bool equal_nan);

/* *out = torch.allclose(a, b, rtol, atol, equal_nan): isclose holds for every element. */
snn_status snn_tensor_allclose(bool *out, const snn_tensor *a, const snn_tensor *b, double rtol,
                               double atol, bool equal_nan);

/* *out = torch.equal(a, b): the same shape and every element equal (in the result type; nan is
 * never equal). Different shapes give false, not an error. */
snn_status snn_tensor_equal(bool *out, const snn_tensor *a, const snn_tensor *b);

/* ---- Logic ---------------------------------------------------------------------------- */

/* out = logical_and / logical_or / logical_xor of a and b, logical_not of t: any dtype, an
 * element is true when nonzero (nan included); the result is bool. */
snn_status snn_tensor_logical_and(snn_tensor **out, const snn_tensor *a, const snn_tensor *b);
snn_status snn_tensor_logical_or(snn_tensor **out, const snn_tensor *a, const snn_tensor *b);
snn_status snn_tensor_logical_xor(snn_tensor **out, const snn_tensor *a, const snn_tensor *b);
snn_status snn_tensor_logical_not(snn_tensor **out, const snn_tensor *t);

/* out = a & b, a | b, a ^ b, ~t (torch.bitwise_and, _or, _xor, _not) of bool or integer
 * tensors (float: SNN_ERR_DTYPE), in the operands' result type: bool & bool is bool, ~ of a
 * bool tensor is logical not, of an integer tensor the two's complement not. */
snn_status snn_tensor_bitwise_and(snn_tensor **out, const snn_tensor *a, const snn_tensor *b);
snn_status snn_tensor_bitwise_or(snn_tensor **out, const snn_tensor *a, const snn_tensor *b);
snn_status snn_tensor_bitwise_xor(snn_tensor **out, const snn_tensor *a, const snn_tensor *b);
snn_status snn_tensor_bitwise_not(snn_tensor **out, const snn_tensor *t);

/* ---- Selection by mask ---------------------------------------------------------------- */

/* out = torch.where(cond, a, b): a where cond is true, else b, broadcasting all three; cond
 * must be SNN_BOOL. The result has a and b's result type (pass a number as a 0-d tensor: a 0-d
 * float32 against an int64 tensor gives float32, against a float64 one float64).
 *   gradient of a: g where cond, 0 elsewhere; of b: g where !cond; each summed to its shape. */
snn_status snn_tensor_where(snn_tensor **out, const snn_tensor *cond, const snn_tensor *a,
                            const snn_tensor *b);

/* out = torch.masked_fill(t, mask, value): value where mask is true, else t, broadcasting t and
 * mask (SNN_BOOL); value is converted to t's dtype.   gradient: g where mask is false */
snn_status snn_tensor_masked_fill(snn_tensor **out, const snn_tensor *t, const snn_tensor *mask,
                                  double value);

/* ---- Reductions of truth -------------------------------------------------------------- */

/* out = torch.any(t, dims, keepdim) / torch.all: whether some / every element over `dims` is
 * nonzero (ndims = 0, dims may be NULL: over all elements, a 0-d result). dims as in
 * swiftnn/reduce.h. bool result (uint8 for a uint8 input, as PyTorch); all of nothing is true. */
snn_status snn_tensor_any(snn_tensor **out, const snn_tensor *t, const int64_t *dims, size_t ndims,
                          bool keepdim);
snn_status snn_tensor_all(snn_tensor **out, const snn_tensor *t, const int64_t *dims, size_t ndims,
                          bool keepdim);

/* out = torch.nonzero(t): the indices of the nonzero elements in row-major order, an int64
 * tensor of shape [count, ndim(t)] ([count, 0] for a 0-d t). */
snn_status snn_tensor_nonzero(snn_tensor **out, const snn_tensor *t);

/* out = torch.count_nonzero(t, dims): the number of nonzero elements over `dims` (all when
 * ndims = 0), int64, the counted dimensions removed. */
snn_status snn_tensor_count_nonzero(snn_tensor **out, const snn_tensor *t, const int64_t *dims,
                                    size_t ndims);
