/*
 * swiftnn/ops.h -- elementwise arithmetic with NumPy broadcasting, and matrix products.
 * Included by swiftnn.h. Every op returns a new tensor; if an input requires a gradient, the
 * op is recorded for snn_tensor_backward (see swiftnn/autograd.h).
 *
 * Broadcasting: shapes are aligned from the last dimension; each pair of sizes must be equal
 * or one of them 1; missing leading dimensions count as 1. [4, 1, 3] + [5, 1] -> [4, 5, 3].
 * A scalar operand is a tensor of ndim 0 (or any one-element tensor of lower rank).
 */

/* out = a + b, a - b, a * b, a / b (float32, broadcast). */
snn_status snn_tensor_add(snn_tensor **out, const snn_tensor *a, const snn_tensor *b);
snn_status snn_tensor_sub(snn_tensor **out, const snn_tensor *a, const snn_tensor *b);
snn_status snn_tensor_mul(snn_tensor **out, const snn_tensor *a, const snn_tensor *b);
snn_status snn_tensor_div(snn_tensor **out, const snn_tensor *a, const snn_tensor *b);

/* Matrix product with torch.matmul's rules:
 *   [k] @ [k] -> []            [n, k] @ [k] -> [n]          [k] @ [k, m] -> [m]
 *   [..., n, k] @ [..., k, m] -> [broadcast(...), n, m]   (batch dimensions broadcast)
 * Computed with OpenBLAS sgemm; each matrix dimension must fit in 32 bits. */
snn_status snn_tensor_matmul(snn_tensor **out, const snn_tensor *a, const snn_tensor *b);
