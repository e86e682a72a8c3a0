// Embedding lookup (torch.nn.functional.embedding): rows of a weight table selected by int64
// indices; the backward pass index-adds the output gradient into the table's rows.
import SwiftNNKernels

/// out[..., :] = weight[indices[...], :]: indices int64 of any shape, weight [V, D], out
/// [..., D]. Indices must lie in 0..<V. The row `paddingIdx` (negative counts from the end, as
/// in PyTorch) receives no gradient.
public func embedding(_ indices: Tensor, _ weight: Tensor, paddingIdx: Int? = nil) throws -> Tensor {
    let fn = "embedding"
    guard indices.dtype == .int64 else {
        throw SNNError.dtype("\(fn): indices have dtype \(indices.dtype.name), expected int64")
    }
    try weight.requireFloating(fn, "weight")
    guard weight.rank == 2 else {
        throw SNNError.shape("\(fn): weight must be [num_embeddings, embedding_dim], got shape \(fmt(weight.shape))")
    }
    let V = weight.shape[0], D = weight.shape[1]
    var pad: Int? = nil
    if let p = paddingIdx {
        guard p >= -V, p < V else {
            throw SNNError.range("\(fn): padding_idx \(p) is out of range for \(V) embeddings (expected \(-V)..<\(V))")
        }
        pad = p < 0 ? p + V : p
    }
    let n = indices.count
    let idx = indices.int64s
    for k in 0..<n where idx[k] < 0 || idx[k] >= Int64(V) {
        throw SNNError.range("\(fn): index \(idx[k]) (at position \(k)) is out of range for \(V) embeddings (valid 0..<\(V))")
    }
    let out = try Tensor(empty: indices.shape + [D], dtype: weight.dtype, zeroed: false, fn)
    let rowBytes = D * weight.dtype.byteSize, pw = weight.rawBytes
    for k in 0..<n { (out.rawBytes + k * rowBytes).copyMemory(from: pw + Int(idx[k]) * rowBytes, byteCount: rowBytes) }
    // The caller may overwrite its index tensor before backward: keep a copy when recording.
    let saved = GradMode.isEnabled && weight.requiresGrad ? try indices.clone() : indices
    return out.recorded("EmbeddingBackward", [weight], saves: [], readsOutput: false) { g in
        // forward: out[k] = weight[indices[k]]
        let gw = try Tensor(empty: weight.shape, dtype: weight.dtype, zeroed: true, "embedding_backward")
        let ix = saved.int64s
        if weight.dtype == .float64 {
            let pg = g.doubles, pd = gw.doubles
            for k in 0..<n where Int(ix[k]) != pad {
                let row = pd + Int(ix[k]) * D, src = pg + k * D
                for j in 0..<D { row[j] += src[j] }
            }
            return [gw]
        }
        for k in 0..<n where Int(ix[k]) != pad {
            axpy(gw.floats + Int(ix[k]) * D, g.floats + k * D, D)
        }
        return [gw]
    }.traced(.embedding, [indices, weight])
}

// MARK: - registry

extension OpDef {
    static let embedding = OpDef("embedding", c: "snn_tensor_embedding", python: "embedding",
                                 export: { b, r in
                                     let idx = try b.value(try r.input(0)), w = try b.value(try r.input(1))
                                     b.define(r.outputs[0], b.node1("Gather", [w.name, idx.name], [ONNXAttribute("axis", .int(0))]), batch: idx.batch)
                                 })
}
