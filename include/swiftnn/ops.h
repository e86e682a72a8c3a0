/*
 * swiftnn/ops.h -- elementwise arithmetic with NumPy broadcasting, and matrix products.
 * Included by swiftnn.h. Every op returns a new tensor; if an input requires a gradient, the
 * op is recorded for snn_tensor_backward (see swiftnn/autograd.h).
 *
 * Broadcasting: shapes are aligned from the last dimension; each pair of sizes must be equal
 * or one of them 1; missing leading dimensions count as 1. [4, 1, 3] + [5, 1] -> [4, 5, 3].
 * A scalar operand is a tensor of ndim 0 (or any one-element tensor of lower rank).
 */

/* out = a + b, a - b, a * b, a / b (broadcast), on every dtype with PyTorch's type promotion
 * (torch.result_type): operands are converted to one dtype first. Tensors with dimensions
 * decide over 0-dim tensors, which decide over numbers (snn_tensor_number), unless the lower
 * tier has a higher category (bool < integer < floating): int32 tensor * 2.5 is float32,
 * uint8 tensor + 300 is uint8 (wrapping), bool tensor + 1 is int64, an int64 tensor plus a
 * 0-dim float64 tensor is float64. Integer arithmetic wraps; bool + is or, * is and, bool - bool
 * (and a - b with any bool operand) is SNN_ERR_DTYPE, neg of bool too. a / b is true
 * division: integer and bool operands give float32. float32 and float64 results are
 * differentiable; a conversion on the way carries the gradient back to the input's dtype. */
snn_status snn_tensor_add(snn_tensor **out, const snn_tensor *a, const snn_tensor *b);
snn_status snn_tensor_sub(snn_tensor **out, const snn_tensor *a, const snn_tensor *b);
snn_status snn_tensor_mul(snn_tensor **out, const snn_tensor *a, const snn_tensor *b);
snn_status snn_tensor_div(snn_tensor **out, const snn_tensor *a, const snn_tensor *b);

/* torch.floor_divide (Python's a // b) and torch.remainder (Python's a % b: the sign of b),
 * with the promotion above. Integer division by zero is SNN_ERR_INVALID_ARGUMENT ("...
 * ZeroDivisionError ..."); float division by zero gives inf or nan. floor_divide has no
 * derivative (PyTorch defines none): its result does not require grad. remainder's gradient
 * is 1 for a and -floor(a / b) for b. */
snn_status snn_tensor_floor_divide(snn_tensor **out, const snn_tensor *a, const snn_tensor *b);
snn_status snn_tensor_remainder(snn_tensor **out, const snn_tensor *a, const snn_tensor *b);

/* A 0-dim tensor standing for a host-language number (PyTorch's "wrapped number"): `value`
 * points to one element of `dtype` (a double for SNN_FLOAT64, an int64_t for SNN_INT64, one
 * byte for SNN_BOOL, ...). In promotion only its category counts: a floating number next to
 * an integer tensor gives float32 (the default dtype), an integer number never widens an
 * integer tensor. Bindings pass Python's bool, int and float as SNN_BOOL, SNN_INT64 and
 * SNN_FLOAT64. */
snn_status snn_tensor_number(snn_tensor **out, const uint8_t *value, snn_dtype dtype);

/* Matrix product with torch.matmul's rules:
 *   [k] @ [k] -> []            [n, k] @ [k] -> [n]          [k] @ [k, m] -> [m]
 *   [..., n, k] @ [..., k, m] -> [broadcast(...), n, m]   (batch dimensions broadcast)
 * Both operands float32 (OpenBLAS sgemm) or both float64 (dgemm), as PyTorch requires one
 * dtype; each matrix dimension must fit in 32 bits. */
snn_status snn_tensor_matmul(snn_tensor **out, const snn_tensor *a, const snn_tensor *b);

/* torch.einsum(equation, operands): the sum over the labels the output omits of the products
 * of the operands' elements, e.g. "ij,jk->ik" (matmul), "bij,bjk->bik", "i,i->" (dot),
 * "i,j->ij" (outer), "ii->i" (diagonal), "ij->ji", "...ij->...ji". Subscripts are letters
 * [a-zA-Z] (spaces ignored); "..." stands for broadcast dimensions; without "->" the output is
 * the broadcast dimensions, then the letters used exactly once, sorted (PyTorch's rule). A
 * label's size must agree across operands or be 1. operands[0..count) are float32 or float64,
 * one dtype; they are only read during the call (the caller keeps ownership). Lowered to
 * engine ops (diagonal masks, sums, permutes, batched matmuls): the gradient flows to every
 * operand that requires it; ONNX export writes those ops, and ONNX Einsum nodes import.
 * Errors: SNN_ERR_INVALID_ARGUMENT (NULL or malformed equation, operand count differs from the
 * equation's), SNN_ERR_SHAPE (subscript count differs from an operand's rank, sizes disagree),
 * SNN_ERR_DTYPE. Thread-safe as every op (operands may be shared for reading). */
snn_status snn_tensor_einsum(snn_tensor **out, const char *equation, const snn_tensor *const *operands, size_t count);
