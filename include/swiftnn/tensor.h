/*
 * swiftnn/tensor.h -- creating tensors, moving data in and out, and reading their shape.
 * Included by swiftnn.h; do not include it alone.
 *
 * A tensor is an array of one dtype (snn_dtype: float32, float64, int64, int32, uint8, bool)
 * with a shape. Every tensor handle from these functions is new and must be released with
 * snn_tensor_free.
 */

typedef struct snn_tensor snn_tensor;

/* Releases a tensor handle. NULL is a no-op (returns SNN_OK). A freed or garbage handle gives
 * SNN_ERR_INVALID_HANDLE. Memory is released when the last handle and the last graph
 * reference to the tensor are gone. */
snn_status snn_tensor_free(snn_tensor *t);

/* Creates a float32 tensor of shape `shape[0..ndim)` by copying `count` floats from `data`.
 * `count` must equal the product of the shape (it states the buffer's length, so a wrong
 * shape is caught instead of read out of bounds). ndim = 0 makes a scalar (count 1);
 * `data` may be NULL only when count is 0. */
snn_status snn_tensor_from_data(snn_tensor **out, const float *data, size_t count,
                                const int64_t *shape, size_t ndim);

/* The same for int64 data (class labels, indices). */
snn_status snn_tensor_from_int64(snn_tensor **out, const int64_t *data, size_t count,
                                 const int64_t *shape, size_t ndim);

/* Copies the elements of a float32 tensor, row-major, into `dst`, which holds `capacity`
 * floats; capacity must be at least the tensor's element count. */
snn_status snn_tensor_copy_data(float *dst, size_t capacity, const snn_tensor *t);

/* Copies the elements of an int64 tensor into `dst` (capacity in elements). */
snn_status snn_tensor_copy_int64(int64_t *dst, size_t capacity, const snn_tensor *t);

/* Any dtype, by raw little-endian bytes: creates a tensor of `dtype` and shape
 * `shape[0..ndim)` by copying `count` elements (count * element size bytes: 1 for bool and
 * uint8, 4 for int32 and float32, 8 for int64 and float64) from `data`. count must equal the
 * product of the shape; `data` may be NULL only when count is 0. A bool byte other than 0
 * is stored as 1. An unknown dtype gives SNN_ERR_DTYPE. */
snn_status snn_tensor_from_bytes(snn_tensor **out, const uint8_t *data, size_t count,
                                 const int64_t *shape, size_t ndim, snn_dtype dtype);

/* Copies the elements of a tensor of any dtype, row-major, as raw little-endian bytes into
 * `dst`; `capacity` is in bytes and must be at least numel * element size (see
 * snn_tensor_from_bytes; snn_tensor_dtype says how to read them). */
snn_status snn_tensor_copy_bytes(uint8_t *dst, size_t capacity, const snn_tensor *t);

/* torch.Tensor.to(dtype): a tensor of `dtype` with t's values converted as PyTorch converts
 * them: float -> integer truncates toward zero (NaN, +-inf and out-of-range values give the
 * integer type's minimum, uint8 the low byte of the int64 result), integer narrowing wraps,
 * -> bool is `!= 0` (NaN is true), float -> float rounds to nearest. When t already has
 * `dtype`, *out is a new handle to the same tensor (as PyTorch returns self). A float ->
 * float conversion is differentiable (the gradient is converted back); other conversions
 * give a tensor that does not require grad. Unknown dtype: SNN_ERR_DTYPE. */
snn_status snn_tensor_to(snn_tensor **out, const snn_tensor *t, snn_dtype dtype);

/* Rank (number of dimensions); 0 for a scalar. */
snn_status snn_tensor_ndim(size_t *out, const snn_tensor *t);

/* Writes the shape into dst[0..ndim); capacity (in elements) must be >= the rank. */
snn_status snn_tensor_shape(int64_t *dst, size_t capacity, const snn_tensor *t);

/* Number of elements (product of the shape; 1 for a scalar). */
snn_status snn_tensor_numel(int64_t *out, const snn_tensor *t);

/* Element type. */
snn_status snn_tensor_dtype(snn_dtype *out, const snn_tensor *t);

/* The single element of a one-element tensor, converted to double (PyTorch's item()). */
snn_status snn_tensor_item(double *out, const snn_tensor *t);

/* A new tensor with a copy of the data and no autograd history (torch.clone().detach()). */
snn_status snn_tensor_clone(snn_tensor **out, const snn_tensor *t);

/* Copies src's values into dst in place through dst's strides (torch's dst.copy_(src)): src
 * broadcasts to dst's shape and converts to dst's dtype; every view of dst's storage sees the
 * values. An in-place op: the rules and the version counter of swiftnn/inplace.h apply (the
 * gradient flows to src when it requires grad). */
snn_status snn_tensor_copy_(snn_tensor *dst, const snn_tensor *src);

/* ---- Factories ---------------------------------------------------------------------- */

/* float32 tensors filled with 0, 1 or `value`. */
snn_status snn_tensor_zeros(snn_tensor **out, const int64_t *shape, size_t ndim);
snn_status snn_tensor_ones(snn_tensor **out, const int64_t *shape, size_t ndim);
snn_status snn_tensor_full(snn_tensor **out, const int64_t *shape, size_t ndim, float value);

/* 1-D float32 tensor start, start + step, ... stopping before `end` (torch.arange). step != 0
 * and its sign must lead from start towards end. */
snn_status snn_tensor_arange(snn_tensor **out, double start, double end, double step);

/* torch.full(shape, value, dtype=dtype): `value` converted to dtype as snn_tensor_to converts
 * (an integer dtype holds integers exactly up to 2^53). zeros and ones of any dtype are
 * full with 0 and 1. */
snn_status snn_tensor_full_dtype(snn_tensor **out, const int64_t *shape, size_t ndim, double value,
                                 snn_dtype dtype);

/* torch.arange(start, end, step, dtype=dtype): the values computed in double, then converted
 * (torch's default for integer arguments is SNN_INT64; the caller chooses). */
snn_status snn_tensor_arange_dtype(snn_tensor **out, double start, double end, double step, snn_dtype dtype);

/* Random tensors from the process-wide generator (torch.rand / torch.randn).
 *
 * The generator is Philox4x32-10, counter-based: the numbers depend only on the seed and on
 * how many blocks were drawn since snn_manual_seed, never on thread count or language.
 *   key = (seed & 0xffffffff, seed >> 32); block b -> counter (b & 0xffffffff, b >> 32, 0, 0)
 *   rand:  element i uses word i % 4 of block offset + i / 4, value (word >> 8) * 2^-24
 *   randn: element i uses block offset + i: u1 = (x0 + 1) / 2^32, u2 = x1 / 2^32,
 *          value = (float)(sqrt(-2 log u1) * cos(2 pi u2)), computed in double
 * after which the offset advances by the blocks used (ceil(n / 4) for rand, n for randn). */
snn_status snn_tensor_rand(snn_tensor **out, const int64_t *shape, size_t ndim);
snn_status snn_tensor_randn(snn_tensor **out, const int64_t *shape, size_t ndim);

/* The same draws from a generator the caller keeps (torch.rand(..., generator=g)): key `seed`,
 * starting at block *offset, which then advances by the blocks used. snn_tensor_rand_from(&t,
 * shape, n, s, &off) with off = 0 gives what snn_tensor_rand gives right after
 * snn_manual_seed(s). The process-wide generator is untouched. */
snn_status snn_tensor_rand_from(snn_tensor **out, const int64_t *shape, size_t ndim, uint64_t seed, uint64_t *offset);
snn_status snn_tensor_randn_from(snn_tensor **out, const int64_t *shape, size_t ndim, uint64_t seed, uint64_t *offset);

/* Seeds the process-wide generator and resets its offset to 0 (torch.manual_seed). */
snn_status snn_manual_seed(uint64_t seed);

/* ---- Type promotion ---------------------------------------------------------------- */

/* torch.promote_types(a, b): the dtype both convert to (bool < uint8 < int32 < int64 <
 * float32 < float64 by category, then width). Unknown dtypes: SNN_ERR_DTYPE. */
snn_status snn_dtype_promote(snn_dtype *out, snn_dtype a, snn_dtype b);

/* torch.result_type(a, b): the dtype snn_tensor_add(a, b) computes in (tensors with dimensions
 * over 0-dim tensors over numbers from snn_tensor_number; see swiftnn/ops.h). */
snn_status snn_tensor_result_type(snn_dtype *out, const snn_tensor *a, const snn_tensor *b);
