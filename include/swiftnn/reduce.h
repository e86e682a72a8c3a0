/*
 * swiftnn/reduce.h -- reductions over dimensions. Included by swiftnn.h.
 *
 * `dims` lists the dimensions to reduce (negative values count from the end; no repeats);
 * ndims = 0 (dims may then be NULL) reduces every dimension. With keepdim the reduced
 * dimensions stay as size 1, otherwise they are removed (torch.sum(x, dim, keepdim)).
 */

/* Sum and mean over `dims`. The mean of zero elements is NaN, as in PyTorch. */
snn_status snn_tensor_sum(snn_tensor **out, const snn_tensor *t, const int64_t *dims,
                          size_t ndims, bool keepdim);
snn_status snn_tensor_mean(snn_tensor **out, const snn_tensor *t, const int64_t *dims,
                           size_t ndims, bool keepdim);
