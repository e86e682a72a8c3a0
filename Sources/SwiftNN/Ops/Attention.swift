// torch.nn.functional.scaled_dot_product_attention, composed of engine ops so autograd, the
// ONNX exporter (MatMul, Mul, Add, Softmax) and every dtype path come with them:
//   attention(q, k, v) = softmax(q k^T * scale + mask) v,  scale = 1 / sqrt(E) by default.
// A bool mask keeps the positions where it is true (the others get -inf before the softmax);
// a float mask is added; is_causal masks every key after the query's position.

/// The additive mask for `mask` (bool: 0 where true, -inf where false; float: itself) or the
/// causal mask of an [l, s] score matrix.
private func additiveMask(_ mask: Tensor?, causal: (Int, Int)?, _ fn: String) throws -> Tensor? {
    if let (l, s) = causal {
        let m = try Tensor(empty: [l, s], dtype: .float32, zeroed: false, fn)
        for i in 0..<l { for j in 0..<s { m.floats[i * s + j] = j <= i ? 0 : -.infinity } }
        return m
    }
    guard let mask else { return nil }
    switch mask.dtype {
    case .bool:
        let m = try Tensor(empty: mask.shape, dtype: .float32, zeroed: false, fn)
        for i in 0..<mask.count { m.floats[i] = mask.bytes[i] != 0 ? 0 : -.infinity }
        return m
    case .float32:
        return mask
    default:
        throw SNNError.dtype("\(fn): attn_mask has dtype \(mask.dtype.name); expected bool (true = attend) or float32 (added to the scores)")
    }
}

/// torch.nn.functional.scaled_dot_product_attention(query [..., L, E], key [..., S, E],
/// value [..., S, Ev], attn_mask broadcastable to [..., L, S], dropout_p, is_causal, scale):
/// [..., L, Ev]. Batch dimensions broadcast as in matmul.
public func scaledDotProductAttention(_ query: Tensor, _ key: Tensor, _ value: Tensor, attnMask: Tensor? = nil,
                                      dropoutP: Double = 0, isCausal: Bool = false, scale: Double? = nil) throws -> Tensor {
    let fn = "scaled_dot_product_attention"
    for (t, name) in [(query, "query"), (key, "key"), (value, "value")] {
        try t.requireFloat(fn, name)
        guard t.rank >= 2 else { throw SNNError.shape("\(fn): \(name) has shape \(fmt(t.shape)); expected [..., length, features]") }
    }
    let e = query.shape[query.rank - 1], l = query.shape[query.rank - 2], s = key.shape[key.rank - 2]
    guard key.shape[key.rank - 1] == e else {
        throw SNNError.shape("\(fn): query \(fmt(query.shape)) and key \(fmt(key.shape)) must have the same last dimension (the embedding size)")
    }
    guard value.shape[value.rank - 2] == s else {
        throw SNNError.shape("\(fn): key \(fmt(key.shape)) and value \(fmt(value.shape)) must have the same length (dimension -2)")
    }
    guard !(isCausal && attnMask != nil) else {
        throw SNNError.invalid("\(fn): Explicit attn_mask should not be set when is_causal=True")
    }
    guard dropoutP >= 0, dropoutP <= 1 else { throw SNNError.invalid("\(fn): dropout_p \(dropoutP) must be in [0, 1]") }
    let factor = scale ?? 1 / Double(max(e, 1)).squareRoot()
    var scores = try mul(try matmul(query, try transpose(key, key.rank - 2, key.rank - 1)), try Tensor([Float(factor)], shape: []))
    if let m = try additiveMask(attnMask, causal: isCausal ? (l, s) : nil, fn) {
        guard (try? broadcastShapes(m.shape, scores.shape, fn)) == scores.shape else {
            throw SNNError.shape("\(fn): attn_mask of shape \(fmt(m.shape)) does not broadcast to the scores' shape \(fmt(scores.shape)) ([..., L, S])")
        }
        scores = try add(scores, m)
    }
    var weights = try softmax(scores, dim: -1)
    if dropoutP > 0 { weights = try dropout(weights, p: dropoutP, training: true) }
    return try matmul(weights, value)
}
