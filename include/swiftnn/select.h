/*
 * swiftnn/select.h -- sorting, top-k, gather/scatter by index tensors, and elementwise extremes
 * of tensors (maximum, minimum, clamp with tensor bounds). Included by swiftnn.h.
 *
 * `dim` may be negative (counting from the end); a 0-d tensor accepts dim 0 and -1 and acts as
 * [1]. Index tensors are SNN_INT64 and never negative (as in PyTorch's gather and scatter).
 * Every function checks every index before it moves an element. All results are new tensors;
 * *_add and scatter write into a copy of t (t itself is never modified).
 *
 * Errors (in addition to the conventions in swiftnn.h):
 *   SNN_ERR_INVALID_ARGUMENT  an out-pointer or a required handle is NULL; clamp_tensor with
 *                             neither bound
 *   SNN_ERR_INVALID_HANDLE    a tensor argument is not a live tensor handle
 *   SNN_ERR_SHAPE             index of another rank or larger than the input (or src) where it
 *                             may not be; shapes that do not broadcast
 *   SNN_ERR_DTYPE             an index that is not int64; src/source of another dtype than t;
 *                             maximum/minimum/clamp_tensor on a non-float32 tensor
 *   SNN_ERR_OUT_OF_RANGE      an index value, a dim or k out of range
 *
 * Example: the 3 largest scores of each row of s [N, C] and their classes:
 *     snn_tensor *v = NULL, *i = NULL;
 *     snn_tensor_topk(&v, &i, s, 3, -1, true, true);   // v [N, 3] float32, i [N, 3] int64
 */

/* ---- Sorting -------------------------------------------------------------------------- */

/* torch.sort(t, dim, descending, stable): *values (t's dtype and shape) in order along dim, and
 * *indices (int64) the positions they came from. Every sort is stable (stable is accepted for
 * PyTorch's signature): equal values keep their order. nan sorts as the largest value.
 *   gradient of *values: each element's g back to the position it came from */
snn_status snn_tensor_sort(snn_tensor **values, snn_tensor **indices, const snn_tensor *t,
                           int64_t dim, bool descending, bool stable);

/* out = torch.argsort(t, dim, descending, stable): the *indices of snn_tensor_sort. */
snn_status snn_tensor_argsort(snn_tensor **out, const snn_tensor *t, int64_t dim, bool descending,
                              bool stable);

/* torch.topk(t, k, dim, largest, sorted): the k largest (smallest if !largest) values along dim
 * in order, and their int64 positions; equal values in position order. 0 <= k <= size of dim
 * (else SNN_ERR_OUT_OF_RANGE). Results are always sorted (sorted = false is accepted).
 *   gradient of *values: back to the positions they came from */
snn_status snn_tensor_topk(snn_tensor **values, snn_tensor **indices, const snn_tensor *t,
                           int64_t k, int64_t dim, bool largest, bool sorted);

/* ---- Gather and scatter --------------------------------------------------------------- */

/* out = torch.gather(t, dim, index): out[i][j][k] = t[i][index[i][j][k]][k] for dim = 1 (the
 * same pattern for any rank), with index's shape. index has t's rank and is no larger than t
 * in every dimension but dim.     gradient of t: g added at the gathered positions */
snn_status snn_tensor_gather(snn_tensor **out, const snn_tensor *t, int64_t dim,
                             const snn_tensor *index);

/* out = torch.scatter(t, dim, index, src): a copy of t with out[i][index[i][j][k]][k] =
 * src[i][j][k] (dim = 1) for every position of index. src has t's dtype and is no smaller than
 * index; index is no larger than t outside dim. A position written twice keeps the last write
 * (PyTorch leaves it unspecified).
 *   gradient of t: g, 0 at the written positions; of src: g gathered at index (0 beyond it) */
snn_status snn_tensor_scatter(snn_tensor **out, const snn_tensor *t, int64_t dim,
                              const snn_tensor *index, const snn_tensor *src);

/* out = torch.scatter(t, dim, index, value): the same with one number (converted to t's dtype).
 *   gradient of t: g, 0 at the written positions */
snn_status snn_tensor_scatter_value(snn_tensor **out, const snn_tensor *t, int64_t dim,
                                    const snn_tensor *index, double value);

/* out = torch.scatter_add(t, dim, index, src): a copy of t with src[i][j][k] added at
 * out[i][index[i][j][k]][k] (dim = 1); repeated positions accumulate.
 *   gradient of t: g; of src: g gathered at index */
snn_status snn_tensor_scatter_add(snn_tensor **out, const snn_tensor *t, int64_t dim,
                                  const snn_tensor *index, const snn_tensor *src);

/* out = torch.index_add(t, dim, index, source, alpha): a copy of t with alpha * (slice j of
 * source along dim) added to slice index[j] of t. index is 1-D (or 0-d) int64 with
 * source.shape[dim] entries; source has t's dtype and t's shape outside dim.
 *   gradient of t: g; of source: alpha * g.index_select(dim, index) */
snn_status snn_tensor_index_add(snn_tensor **out, const snn_tensor *t, int64_t dim,
                                const snn_tensor *index, const snn_tensor *source, double alpha);

/* ---- Elementwise extremes of tensors (float32) ----------------------------------------- */

/* out = torch.maximum(a, b) / torch.minimum, broadcasting; nan if either is nan.
 *   gradient: g to the larger (smaller) operand, g / 2 to each where they are equal */
snn_status snn_tensor_maximum(snn_tensor **out, const snn_tensor *a, const snn_tensor *b);
snn_status snn_tensor_minimum(snn_tensor **out, const snn_tensor *a, const snn_tensor *b);

/* out = torch.clamp(t, min, max) with tensor bounds, broadcasting all three; min or max may be
 * NULL (not both). min > max gives max; nan anywhere gives nan.
 *   gradient of t: g where min <= t <= max; of min: g where t < min (and min < max when max is
 *   given); of max: g where t > max (or max < min); each summed to its shape (PyTorch's rules) */
snn_status snn_tensor_clamp_tensor(snn_tensor **out, const snn_tensor *t, const snn_tensor *min,
                                   const snn_tensor *max);
