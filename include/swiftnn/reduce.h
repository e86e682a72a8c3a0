/*
 * swiftnn/reduce.h -- reductions over dimensions, maxima and their indices, softmax.
 * Included by swiftnn.h.
 *
 * `dims` lists the dimensions to reduce (negative values count from the end; no repeats);
 * ndims = 0 (dims may then be NULL) reduces every dimension. With keepdim the reduced
 * dimensions stay as size 1, otherwise they are removed (torch.sum(x, dim, keepdim)).
 * A single `dim` may be negative too; a 0-d tensor accepts dim 0 and -1 and acts as [1].
 * Inputs are float32 (SNN_ERR_DTYPE otherwise); an out-of-range dim gives
 * SNN_ERR_OUT_OF_RANGE. Every op except argmax/argmin is recorded for autograd.
 */

/* Sum and mean over `dims`. The mean of zero elements is NaN, as in PyTorch. Both take
 * float32 and float64 (with gradients); sum also takes integer and bool tensors and returns
 * int64 (wrapping), as PyTorch. */
snn_status snn_tensor_sum(snn_tensor **out, const snn_tensor *t, const int64_t *dims,
                          size_t ndims, bool keepdim);
snn_status snn_tensor_mean(snn_tensor **out, const snn_tensor *t, const int64_t *dims,
                           size_t ndims, bool keepdim);

/* ---- Maxima and minima -------------------------------------------------------------- */
/* As PyTorch: among equal extremes the first index wins; NaN counts as the extreme (the first
 * NaN is selected and the value is NaN). Reducing over an empty extent (a reduced dimension
 * of size 0) gives SNN_ERR_OUT_OF_RANGE: an empty set has no maximum. */

/* torch.max(t, dim, keepdim) / torch.min: along `dim`, the extreme value (*values, float32)
 * and its index along dim (*indices, int64), both of shape t.shape without dim (size 1 with
 * keepdim). The gradient of *values flows to the selected element only. Both out-pointers are
 * required; each receives a new handle. */
snn_status snn_tensor_max_dim(snn_tensor **values, snn_tensor **indices, const snn_tensor *t,
                              int64_t dim, bool keepdim);
snn_status snn_tensor_min_dim(snn_tensor **values, snn_tensor **indices, const snn_tensor *t,
                              int64_t dim, bool keepdim);

/* torch.amax(t, dims, keepdim) / torch.amin: the extreme over `dims` (all when ndims = 0, which
 * is also torch.max(t) / torch.min(t)). The gradient is split evenly between elements equal
 * to the extreme. */
snn_status snn_tensor_amax(snn_tensor **out, const snn_tensor *t, const int64_t *dims,
                           size_t ndims, bool keepdim);
snn_status snn_tensor_amin(snn_tensor **out, const snn_tensor *t, const int64_t *dims,
                           size_t ndims, bool keepdim);

/* torch.argmax(t, dim, keepdim) / torch.argmin: int64 indices of the first extreme along
 * `dim` when has_dim; otherwise (dim ignored) the index into the flattened tensor, a 0-d
 * tensor (shape [1, ..., 1] with keepdim). Without a dim the input must not be empty
 * (SNN_ERR_OUT_OF_RANGE). Not differentiable. */
snn_status snn_tensor_argmax(snn_tensor **out, const snn_tensor *t, int64_t dim, bool has_dim,
                             bool keepdim);
snn_status snn_tensor_argmin(snn_tensor **out, const snn_tensor *t, int64_t dim, bool has_dim,
                             bool keepdim);

/* ---- Softmax and log-sum-exp -------------------------------------------------------- */
/* All subtract the maximum before exponentiating, so any finite input is safe (logits of
 * +/-1000 included). Fastest along the last dimension (contiguous rows); any dim works. */

/* torch.softmax(t, dim): exp(x - max) / sum(exp(x - max)) along `dim`; same shape as t.
 * Backward: dx = y * (g - sum(g * y)) along dim. */
snn_status snn_tensor_softmax(snn_tensor **out, const snn_tensor *t, int64_t dim);

/* torch.log_softmax(t, dim): x - max - log(sum(exp(x - max))) along `dim`. More accurate than
 * log(softmax) for very negative values. Backward: dx = g - exp(y) * sum(g). */
snn_status snn_tensor_log_softmax(snn_tensor **out, const snn_tensor *t, int64_t dim);

/* torch.logsumexp(t, dims, keepdim): log(sum(exp(x))) over `dims` (all when ndims = 0),
 * computed as m + log(sum(exp(x - m))). A reduction over zero elements gives -inf. */
snn_status snn_tensor_logsumexp(snn_tensor **out, const snn_tensor *t, const int64_t *dims,
                                size_t ndims, bool keepdim);

/* ---- Variance and standard deviation ------------------------------------------------ */
/* torch.var(t, dims, correction=, keepdim) / torch.std: sum((x - mean)^2) / max(0, N - correction)
 * over `dims` (all when ndims = 0), N the number of reduced elements; std is its square root.
 * correction = 1 is the unbiased estimate (PyTorch's default, unbiased=True), 0 the population
 * variance. N <= correction gives inf or NaN, as in PyTorch. correction must be finite. */
snn_status snn_tensor_var(snn_tensor **out, const snn_tensor *t, const int64_t *dims,
                          size_t ndims, double correction, bool keepdim);
snn_status snn_tensor_std(snn_tensor **out, const snn_tensor *t, const int64_t *dims,
                          size_t ndims, double correction, bool keepdim);
