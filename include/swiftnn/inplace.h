/*
 * swiftnn/inplace.h -- strided views and in-place operations. Included by swiftnn.h.
 *
 * A tensor is a view of a storage: a shape, strides (in elements, 0 along an expanded
 * dimension) and an element offset. snn_tensor_transpose, _permute, _expand, _slice,
 * _select, _squeeze, _unsqueeze, _detach and snn_tensor_view return views that share the
 * input's storage (as in PyTorch); snn_tensor_reshape and _flatten return a view when the
 * strides allow and a copy otherwise. Data still crosses the boundary row-major:
 * snn_tensor_copy_data of a strided view copies its elements in row-major order.
 *
 * In-place ops (the functions ending in `_`) write through the tensor's strides, so every
 * view of the storage sees the change, and increment the storage's version counter (one
 * counter shared by all views). The rules are PyTorch's:
 * - on a leaf that requires grad, outside snn_no_grad_begin/_end: SNN_ERR_AUTOGRAD ("a leaf
 *   Variable that requires grad is being used in an in-place operation.");
 * - a result that would broadcast to a larger shape than t: SNN_ERR_SHAPE ("output with
 *   shape [3] doesn't match the broadcast shape [2, 3]");
 * - a floating result into an integer tensor, or a non-bool one into a bool tensor:
 *   SNN_ERR_DTYPE; other dtypes convert (copy_ from int64 into float32 is fine);
 * - on a tensor inside a graph, t's history moves onto the op: after x = a * 2,
 *   snn_tensor_add_scalar_(x, 1, 1) and a backward of sum(x), a's gradient is 2;
 * - on a view of a tensor that requires grad: SNN_ERR_UNSUPPORTED (SwiftNN does not rebase
 *   the base tensor's history, PyTorch's CopySlices; apply the op to the base or a clone);
 * - a tensor that a recorded op saved for its backward and that is then modified in place
 *   makes snn_tensor_backward fail with SNN_ERR_AUTOGRAD and PyTorch's message: "one of the
 *   variables needed for gradient computation has been modified by an inplace operation:
 *   [swiftnn.FloatTensor [4, 5]], which is output 0 of Relu, is at version 1; expected
 *   version 0 instead." SwiftNN checks every input of a recorded op (PyTorch only those its
 *   formula saves), so it refuses a few graphs PyTorch accepts (c = a + b; a.add_(1);
 *   backward of c), never computing a gradient from overwritten values.
 * On failure t is unchanged. Not thread-safe with respect to other calls that read or write
 * the same storage.
 */

/* ---- Layout ----------------------------------------------------------------------------- */

/* Writes t's strides (in elements) into dst[0..ndim); capacity must be >= the rank. */
snn_status snn_tensor_stride(int64_t *dst, size_t capacity, const snn_tensor *t);

/* The element offset of t's first element in its storage (torch's storage_offset()). */
snn_status snn_tensor_storage_offset(int64_t *out, const snn_tensor *t);

/* Whether t's elements lie row-major and adjacent in its storage (strides of size-1
 * dimensions do not matter, as in PyTorch). */
snn_status snn_tensor_is_contiguous(bool *out, const snn_tensor *t);

/* A contiguous tensor with t's values: a new handle to the same tensor when t already is
 * contiguous (both handles must be freed), else a row-major copy (gradient flows through). */
snn_status snn_tensor_contiguous(snn_tensor **out, const snn_tensor *t);

/* The version counter of t's storage (torch's t._version): 0 at creation, incremented by
 * every in-place op on any view of the storage. */
snn_status snn_tensor_version(int64_t *out, const snn_tensor *t);

/* Whether a and b are views of one storage. */
snn_status snn_tensor_shares_storage(bool *out, const snn_tensor *a, const snn_tensor *b);

/* torch's Tensor.view: t's elements in shape[0..ndim) (one size may be -1), always sharing
 * t's storage; SNN_ERR_SHAPE when t's strides cannot show them in that shape ("view size is
 * not compatible with input tensor's size and stride ... Use .reshape(...) instead."). */
snn_status snn_tensor_view(snn_tensor **out, const snn_tensor *t, const int64_t *shape, size_t ndim);

/* torch.as_strided: *out = a view of t's storage (shared, not copied) with sizes
 * size[0..ndim), strides stride[0..ndim) in elements (0 repeats an element; negative strides are
 * SNN_ERR_INVALID_ARGUMENT, as in PyTorch) and its first element at storage_offset (-1: t's own
 * offset). Every element the view can reach must lie inside the storage, or SNN_ERR_OUT_OF_RANGE
 * with PyTorch's "setStorage: ... out of bounds for storage of size ..." message. This is also
 * how strided caller memory is shared without a copy: snn_tensor_wrap the whole span the
 * layout covers as a 1-D tensor of span elements, then view it here (the Python binding's
 * from_numpy does this for a[::2], a.T and other non-negative strides). Writes through the view
 * reach the storage and bump its version. Differentiable when t is contiguous and the view stays
 * inside t's own elements (each element's gradient is the sum over the view elements aliasing
 * it); otherwise, with t requiring grad, SNN_ERR_UNSUPPORTED. Thread safety: as any view op. */
snn_status snn_tensor_as_strided(snn_tensor **out, const snn_tensor *t, const int64_t *size, const int64_t *stride,
                                 size_t ndim, int64_t storage_offset);

/* ---- In-place arithmetic ------------------------------------------------------------------ */

/* t += alpha * other; other broadcasts to t's shape (torch's t.add_(other, alpha=alpha)). */
snn_status snn_tensor_add_(snn_tensor *t, const snn_tensor *other, double alpha);
/* t -= alpha * other. */
snn_status snn_tensor_sub_(snn_tensor *t, const snn_tensor *other, double alpha);
/* t *= other. */
snn_status snn_tensor_mul_(snn_tensor *t, const snn_tensor *other);
/* t /= other. */
snn_status snn_tensor_div_(snn_tensor *t, const snn_tensor *other);
/* t = t ^ exponent. */
snn_status snn_tensor_pow_(snn_tensor *t, const snn_tensor *exponent);

/* The same with a scalar operand: t += alpha * value, t -= alpha * value, t *= value,
 * t /= value, t = t ^ value. */
snn_status snn_tensor_add_scalar_(snn_tensor *t, double value, double alpha);
snn_status snn_tensor_sub_scalar_(snn_tensor *t, double value, double alpha);
snn_status snn_tensor_mul_scalar_(snn_tensor *t, double value);
snn_status snn_tensor_div_scalar_(snn_tensor *t, double value);
snn_status snn_tensor_pow_scalar_(snn_tensor *t, double value);

/* ---- In-place elementwise functions ------------------------------------------------------ */

/* t = min(max(t, min), max); a bound is used only if its has_ flag is true (at least one). */
snn_status snn_tensor_clamp_(snn_tensor *t, float min, float max, bool has_min, bool has_max);
/* t = -t, exp(t), max(t, 0), 1 / (1 + exp(-t)), tanh(t). */
snn_status snn_tensor_neg_(snn_tensor *t);
snn_status snn_tensor_exp_(snn_tensor *t);
snn_status snn_tensor_relu_(snn_tensor *t);
snn_status snn_tensor_sigmoid_(snn_tensor *t);
snn_status snn_tensor_tanh_(snn_tensor *t);

/* ---- Filling ------------------------------------------------------------------------------ */

/* Every element of t set to value (converted to t's dtype); gradient to t's old value: 0. */
snn_status snn_tensor_fill_(snn_tensor *t, double value);
/* Every element of t set to 0. */
snn_status snn_tensor_zero_(snn_tensor *t);

/* ---- Indexed writes (Python's t[index] = values) -------------------------------------- */

/* The elements of t where the bool tensor mask (t's shape exactly, else SNN_ERR_SHAPE) is
 * true take source's elements in row-major order (torch's masked_scatter_); source has one
 * element (written everywhere the mask is true) or at least as many as the mask's true count.
 * Not differentiable: SNN_ERR_UNSUPPORTED when t or source requires grad and grad mode is on. */
snn_status snn_tensor_masked_scatter_(snn_tensor *t, const snn_tensor *mask, const snn_tensor *source);

/* t.index_put_ along one dimension: for each j, the slice of t at index[j] along dim takes
 * values' slice j (values broadcasts to t.index_select(dim, index)'s shape). index is int64,
 * rank 0 or 1, entries in -size..size-1; a repeated index takes the last write. Not
 * differentiable, as snn_tensor_masked_scatter_. */
snn_status snn_tensor_index_put_(snn_tensor *t, int64_t dim, const snn_tensor *index, const snn_tensor *values);

/* The in-place forms of the selection ops of swiftnn/compare.h and swiftnn/select.h (same
 * arguments, t is the destination, the same rules as the ops above): masked_fill_, scatter_
 * (a tensor src or, _value_, one number), scatter_add_ and index_add_. */
snn_status snn_tensor_masked_fill_(snn_tensor *t, const snn_tensor *mask, double value);
snn_status snn_tensor_scatter_(snn_tensor *t, int64_t dim, const snn_tensor *index, const snn_tensor *src);
snn_status snn_tensor_scatter_value_(snn_tensor *t, int64_t dim, const snn_tensor *index, double value);
snn_status snn_tensor_scatter_add_(snn_tensor *t, int64_t dim, const snn_tensor *index, const snn_tensor *src);
snn_status snn_tensor_index_add_(snn_tensor *t, int64_t dim, const snn_tensor *index, const snn_tensor *source, double alpha);
