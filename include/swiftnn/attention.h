/*
 * swiftnn/attention.h -- scaled dot-product attention (torch.nn.functional.
 * scaled_dot_product_attention), the core of nn.MultiheadAttention and the Transformer
 * layers. Included by swiftnn.h.
 */

/* softmax(query key^T * scale + mask) value for query [..., L, E], key [..., S, E], value
 * [..., S, Ev] (batch dimensions broadcast as in matmul) -> [..., L, Ev]. attn_mask (may be
 * NULL) broadcasts to [..., L, S]: bool keeps the positions where it is true (the others get
 * -inf before the softmax; a row with nothing kept is NaN, as in PyTorch's math path), float32
 * is added to the scores. is_causal masks every key after the query's position (and excludes
 * attn_mask). scale <= 0 means 1 / sqrt(E). dropout_p > 0 applies dropout to the attention
 * weights (from the global generator). Composed of engine ops: gradients flow to query, key,
 * value and a float mask, and ONNX export writes MatMul, Mul, Add and Softmax. */
snn_status snn_tensor_scaled_dot_product_attention(snn_tensor **out, const snn_tensor *query, const snn_tensor *key,
                                                   const snn_tensor *value, const snn_tensor *attn_mask, double dropout_p,
                                                   bool is_causal, double scale);
