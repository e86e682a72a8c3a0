/*
 * swiftnn/shape.h -- reshaping, reordering, indexing and joining tensors. Included by
 * swiftnn.h.
 *
 * The semantics are PyTorch's (torch.reshape, torch.transpose, t[a:b:c], torch.cat, ...), for
 * float32 and int64 tensors alike. Every function returns a new handle; if the input requires
 * a gradient the op is recorded for snn_tensor_backward (see swiftnn/autograd.h), and the
 * gradient flows back to the input's shape.
 *
 * Storage. SwiftNN tensors are always contiguous and row-major. Where the result has the same
 * elements in the same order -- reshape, flatten, squeeze, unsqueeze, a slice or select that is
 * one contiguous block of the input (for example along dimension 0) -- it shares the input's
 * storage, like a PyTorch view. Otherwise (transpose, permute, strided slices, index_select,
 * cat, stack, expand) the result is a contiguous copy, as PyTorch's .contiguous() would give.
 * Nothing in the C API writes into a tensor's data in place except gradient accumulation, so
 * the difference is only one of memory.
 *
 * Dimensions. `dim` arguments may be negative and count from the end (-1 is the last). An
 * out-of-range dimension gives SNN_ERR_OUT_OF_RANGE. Results have at most SNN_MAX_NDIM
 * dimensions (SNN_ERR_INVALID_ARGUMENT otherwise).
 */

/* ---- Same elements, new shape (these share storage with t) -------------------------- */

/* torch.reshape / Tensor.view: t's elements, in order, in shape[0..ndim). One entry may be -1
 * and is inferred from the element count. Errors: the element counts differ
 * (SNN_ERR_SHAPE, the message names both shapes); more than one -1 or another negative size
 * (SNN_ERR_INVALID_ARGUMENT). ndim = 0 makes a scalar from a one-element tensor.
 *   [2, 3, 4] reshape {4, -1} -> [4, 6] */
snn_status snn_tensor_reshape(snn_tensor **out, const snn_tensor *t, const int64_t *shape,
                              size_t ndim);

/* torch.flatten: dimensions start_dim..end_dim (inclusive) merged into one. A 0-d tensor
 * becomes shape [1]. start_dim must not come after end_dim (SNN_ERR_INVALID_ARGUMENT).
 *   [2, 3, 4, 5] flatten(1, 2) -> [2, 12, 5];   flatten(0, -1) -> [120] */
snn_status snn_tensor_flatten(snn_tensor **out, const snn_tensor *t, int64_t start_dim,
                              int64_t end_dim);

/* torch.squeeze: removes the listed dimensions dims[0..ndims) that have size 1 (listed ones of
 * another size are kept, as in PyTorch); ndims = 0 (dims may be NULL) removes every size-1
 * dimension. A dimension listed twice gives SNN_ERR_INVALID_ARGUMENT.
 *   [1, 3, 1] squeeze all -> [3];   squeeze {0} -> [3, 1];   squeeze {1} -> [1, 3, 1] */
snn_status snn_tensor_squeeze(snn_tensor **out, const snn_tensor *t, const int64_t *dims,
                              size_t ndims);

/* torch.unsqueeze: a size-1 dimension inserted at dim, which ranges over -ndim-1 .. ndim.
 *   [3, 4] unsqueeze(0) -> [1, 3, 4];   unsqueeze(-1) -> [3, 4, 1] */
snn_status snn_tensor_unsqueeze(snn_tensor **out, const snn_tensor *t, int64_t dim);

/* ---- Reordering and repeating (contiguous copies) ------------------------------------ */

/* torch.transpose: dimensions dim0 and dim1 swapped. The copy is cache-blocked.
 *   [2, 3, 4] transpose(0, -1) -> [4, 3, 2] */
snn_status snn_tensor_transpose(snn_tensor **out, const snn_tensor *t, int64_t dim0,
                                int64_t dim1);

/* torch.permute: output dimension i is input dimension dims[i]. dims must be a permutation of
 * the input's dimensions: ndims equal to the rank (else SNN_ERR_SHAPE), each dimension exactly
 * once (a repeat gives SNN_ERR_INVALID_ARGUMENT).
 *   [2, 3, 4] permute {2, 0, 1} -> [4, 2, 3] */
snn_status snn_tensor_permute(snn_tensor **out, const snn_tensor *t, const int64_t *dims,
                              size_t ndims);

/* Tensor.expand / torch.broadcast_to: t repeated along its size-1 dimensions, and along new
 * leading dimensions, to shape[0..ndim). -1 keeps the input's size (not allowed in a new
 * leading dimension). A size that differs from a non-1 input size gives SNN_ERR_SHAPE. The
 * gradient sums over the repeated dimensions.
 *   [3, 1] expand {2, 3, 4} -> [2, 3, 4];   expand {-1, 5} -> [3, 5] */
snn_status snn_tensor_expand(snn_tensor **out, const snn_tensor *t, const int64_t *shape,
                             size_t ndim);

/* ---- Indexing -------------------------------------------------------------------------- */

/* t[..., start:end:step, ...] along dim, with Python's rules: a negative start or end counts
 * from the end (adds the size), then both are clamped into 0..size, and end is at least start,
 * so out-of-range bounds give a shorter (possibly empty) result rather than an error. Use
 * start = 0 and end = INT64_MAX for "from the beginning" and "to the end". step >= 1
 * (PyTorch has no negative steps; SNN_ERR_INVALID_ARGUMENT). A 0-d tensor cannot be sliced
 * (SNN_ERR_OUT_OF_RANGE). The result has ceil((end - start) / step) entries along dim.
 *   size 10: (2, 8, 3) -> 2, 5;  (-3, INT64_MAX, 1) -> 7, 8, 9;  (-20, 2, 1) -> 0, 1;  (8, 3, 1) -> none */
snn_status snn_tensor_slice(snn_tensor **out, const snn_tensor *t, int64_t dim, int64_t start,
                            int64_t end, int64_t step);

/* torch.select / t[..., index, ...]: the entries at `index` along dim, that dimension removed.
 * A negative index counts from the end; outside -size .. size-1 gives SNN_ERR_OUT_OF_RANGE,
 * as does a 0-d t.
 *   [3, 4] select(0, -1) -> [4] (the last row) */
snn_status snn_tensor_select(snn_tensor **out, const snn_tensor *t, int64_t dim, int64_t index);

/* torch.index_select: the entries at positions index[0..n) along dim, in that order; repeats
 * allowed. `index` is an int64 tensor of rank 0 or 1 (else SNN_ERR_DTYPE / SNN_ERR_SHAPE);
 * every value must lie in 0 .. size-1 -- negative values are out of range, as in PyTorch
 * (SNN_ERR_OUT_OF_RANGE, the message names the index and the shape). The result has size n
 * along dim. In the gradient, repeated indices accumulate.
 *   [3, 4] index_select(1, {0, 3, 0}) -> [3, 3] */
snn_status snn_tensor_index_select(snn_tensor **out, const snn_tensor *t, int64_t dim,
                                   const snn_tensor *index);

/* ---- Joining --------------------------------------------------------------------------- */

/* torch.cat: ts[0..n) concatenated along dim. n >= 1; the tensors have one dtype
 * (SNN_ERR_DTYPE), rank >= 1, and equal sizes except along dim (SNN_ERR_SHAPE, the message
 * names the shapes). As in PyTorch, 1-D empty tensors (shape [0]) are skipped.
 *   [2, 3, 4] + [2, 1, 4] + [2, 5, 4] along 1 -> [2, 9, 4] */
snn_status snn_tensor_cat(snn_tensor **out, const snn_tensor *const *ts, size_t n, int64_t dim);

/* torch.stack: ts[0..n) (n >= 1, equal shapes and dtype) joined along a new dimension dim,
 * which ranges over -ndim-1 .. ndim.
 *   three [2, 3] along -1 -> [2, 3, 3];   along 0 -> [3, 2, 3] */
snn_status snn_tensor_stack(snn_tensor **out, const snn_tensor *const *ts, size_t n, int64_t dim);
