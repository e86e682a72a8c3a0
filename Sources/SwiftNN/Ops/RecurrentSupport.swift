// Small ops the recurrent layers compose with: a block of leading rows (one layer's slice of
// h0), concatenation along the first dimension (h_n of all layers) and inter-layer dropout.
// Internal, and named so that they cannot clash with the general shape ops.

/// Rows `start ..< start + count` of `t` along its first dimension, as a tensor of `shape`
/// sharing `t`'s storage; the gradient flows back into those rows.
func leadingRows(_ t: Tensor, start: Int, count: Int, shape: [Int]) throws -> Tensor {
    let fn = "leading_rows"
    guard t.rank >= 1, start >= 0, count >= 0, start + count <= t.shape[0] else {
        throw SNNError.range("\(fn): rows \(start)..<\(start + count) out of range for shape \(fmt(t.shape))")
    }
    let rowSize = t.shape[0] == 0 ? 0 : t.count / t.shape[0]
    let n = try elementCount(shape, fn)
    guard n == count * rowSize else {
        throw SNNError.shape("\(fn): \(count) rows of \(rowSize) elements cannot have shape \(fmt(shape))")
    }
    let base = try t.packed(fn)  // rows of a strided view are not one block of its storage
    let v = Tensor(shape: shape, dtype: t.dtype, storage: base.storage, offset: base.offset + start * rowSize, count: n)
    return v.recorded("SliceBackward", [t], saves: [], readsOutput: false) { g in
        // forward: v = t[start ..< start + count]
        let full = try Tensor(empty: t.shape, dtype: .float32, zeroed: true, fn)
        (full.floats + start * rowSize).update(from: g.floats, count: n)
        return [full]
    }
}

/// The tensors' elements one after another, as a tensor of `shape` (concatenation along the
/// first dimension of tensors that share their trailing dimensions).
func concatenatingRows(_ parts: [Tensor], shape: [Int]) throws -> Tensor {
    let fn = "concatenate_rows"
    let n = try elementCount(shape, fn)
    guard parts.reduce(0, { $0 + $1.count }) == n, parts.allSatisfy({ $0.dtype == .float32 }) else {
        throw SNNError.shape("\(fn): parts of shapes \(parts.map { fmt($0.shape) }) do not fill shape \(fmt(shape))")
    }
    let out = try Tensor(empty: shape, dtype: .float32, zeroed: false, fn)
    var offset = 0
    for p in parts {
        (out.floats + offset).update(from: p.floats, count: p.count)
        offset += p.count
    }
    return out.recorded("CatBackward", parts, saves: [], readsOutput: false) { g in
        // forward: out = cat(parts, dim 0)
        var grads: [Tensor?] = []
        var o = 0
        let g = try g.packed(fn)
        for p in parts {
            grads.append(p.requiresGrad ? Tensor(shape: p.shape, dtype: .float32, storage: g.storage, offset: g.offset + o, count: p.count) : nil)
            o += p.count
        }
        return grads
    }
}

/// Dropout between recurrent layers: zeroes each element with probability p (mask from the
/// global Philox generator) and scales the rest by 1 / (1 - p).
func recurrentDropout(_ x: Tensor, p: Double) throws -> Tensor {
    let fn = "dropout"
    guard p > 0 else { return x }
    let out = try Tensor(empty: x.shape, dtype: .float32, zeroed: false, fn)
    let mask = try Tensor(empty: x.shape, dtype: .float32, zeroed: false, fn)
    Generator.global.fillUniform(mask.floats, mask.count)
    let scale: Float = p >= 1 ? 0 : Float(1 / (1 - p))
    let keep = Float(p)
    for i in 0..<x.count {
        let m: Float = mask.floats[i] >= keep ? scale : 0
        mask.floats[i] = m
        out.floats[i] = x.floats[i] * m
    }
    return out.recorded("DropoutBackward", [x], saves: [], readsOutput: false) { g in
        // forward: out = x * mask / (1 - p)
        let gx = try Tensor(empty: x.shape, dtype: .float32, zeroed: false, fn)
        for i in 0..<x.count { gx.floats[i] = g.floats[i] * mask.floats[i] }
        return [gx]
    }
}
