// Joining tensors along a dimension: cat (an existing dimension) and stack (a new one). Each
// input is one block of the output along that dimension; the pullback cuts the gradient back
// into those blocks.

/// Writes `parts` one after another along dimension `d` of a new tensor of `shape`.
private func joined(_ parts: [Tensor], _ d: Int, _ shape: [Int], _ fn: String) throws -> Tensor {
    let out = try Tensor(empty: shape, dtype: parts[0].dtype, zeroed: false, fn)
    if out.count == 0 { return out }
    let outer = product(shape[..<d]), inner = product(shape[(d + 1)...])
    let row = shape[d] * inner
    var at = 0
    for p in parts {
        let chunk = p.shape[d] * inner
        let src = try p.packed(fn)
        copyStrided([outer, chunk], from: src.storage, src.offset, [chunk, 1], to: out.storage, at * inner, [row, 1], out.dtype.byteSize)
        at += p.shape[d]
    }
    return out
}

/// torch.cat: `tensors` (same dtype, same shape except along `dim`) concatenated along `dim`.
/// As in PyTorch, 1-D empty tensors (shape [0]) are skipped whatever the others' shapes.
public func cat(_ tensors: [Tensor], dim: Int = 0) throws -> Tensor {
    let fn = "cat"
    guard let first = tensors.first else {
        throw SNNError.invalid("\(fn): expected a non-empty list of tensors")
    }
    for (i, t) in tensors.enumerated() {
        guard t.dtype == first.dtype else {
            throw SNNError.dtype("\(fn): tensor \(i) has dtype \(t.dtype.name) but tensor 0 has \(first.dtype.name)")
        }
        guard t.rank >= 1 else {
            throw SNNError.shape("\(fn): tensor \(i) is 0-dimensional (shape []) and cannot be concatenated")
        }
    }
    let used = tensors.indices.filter { tensors[$0].shape != [0] }
    guard let r = used.first else {
        let out = try Tensor(empty: [0], dtype: first.dtype, zeroed: false, fn)
        return out.traced(.cat, tensors, [("dim", .int(0))]).recorded("CatBackward", tensors, saves: [], readsOutput: false) { _ in
            // forward: out = cat of empty tensors  =>  empty gradients
            try tensors.map { $0.requiresGrad ? try Tensor(empty: $0.shape, dtype: $0.dtype, zeroed: false, "cat_backward") : nil }
        }
    }
    let ref = tensors[r]
    let d = try wrapDim(dim, ref.rank, fn)
    var total = 0
    for i in used {
        let t = tensors[i]
        guard t.rank == ref.rank else {
            throw SNNError.shape("\(fn): tensors must have the same rank: tensor \(r) has shape \(fmt(ref.shape)), tensor \(i) has shape \(fmt(t.shape))")
        }
        for k in 0..<t.rank where k != d && t.shape[k] != ref.shape[k] {
            throw SNNError.shape("\(fn): sizes must match except in dimension \(d): tensor \(r) has shape \(fmt(ref.shape)), tensor \(i) has shape \(fmt(t.shape))")
        }
        total += t.shape[d]
    }
    var shape = ref.shape
    shape[d] = total
    let out = try joined(used.map { tensors[$0] }, d, shape, fn)
    return out.traced(.cat, used.map { tensors[$0] }, [("dim", .int(d))]).recorded("CatBackward", tensors, saves: [], readsOutput: false) { g in
        // forward: out = cat(tensors, dim)  =>  grad of tensor i = its block of g along dim
        var at = 0
        var grads: [Tensor?] = []
        for t in tensors {
            if t.shape == [0] {
                grads.append(t.requiresGrad ? try Tensor(empty: [0], dtype: t.dtype, zeroed: false, "cat_backward") : nil)
                continue
            }
            grads.append(t.requiresGrad ? try narrowed(g, d, at, t.shape[d], 1, "cat_backward") : nil)
            at += t.shape[d]
        }
        return grads
    }
}

/// torch.stack: `tensors` (same dtype and shape) joined along a new dimension `dim`
/// (-rank-1 ... rank).
public func stack(_ tensors: [Tensor], dim: Int = 0) throws -> Tensor {
    let fn = "stack"
    guard let first = tensors.first else {
        throw SNNError.invalid("\(fn): expected a non-empty list of tensors")
    }
    for (i, t) in tensors.enumerated() {
        guard t.dtype == first.dtype else {
            throw SNNError.dtype("\(fn): tensor \(i) has dtype \(t.dtype.name) but tensor 0 has \(first.dtype.name)")
        }
        guard t.shape == first.shape else {
            throw SNNError.shape("\(fn): expects tensors of equal shape, but tensor 0 has shape \(fmt(first.shape)) and tensor \(i) has shape \(fmt(t.shape))")
        }
    }
    let rank = first.rank
    guard dim >= -(rank + 1), dim <= rank else {
        throw SNNError.range("\(fn): dimension \(dim) out of range for tensors of shape \(fmt(first.shape)) (expected \(-(rank + 1))...\(rank))")
    }
    let d = dim < 0 ? dim + rank + 1 : dim
    var one = first.shape
    one.insert(1, at: d)
    try checkResultRank(one.count, fn, one)
    var shape = one
    shape[d] = tensors.count
    let out = try joined(tensors.map { try $0.view(as: one) }, d, shape, fn)
    return out.traced(.stack, tensors, [("dim", .int(d))]).recorded("StackBackward", tensors, saves: [], readsOutput: false) { g in
        // forward: out = stack(tensors, dim)  =>  grad of tensor i = g.select(dim, i)
        try tensors.enumerated().map { i, t in
            t.requiresGrad ? try narrowed(g, d, i, 1, 1, "stack_backward").view(as: t.shape) : nil
        }
    }
}

// MARK: - registry

extension OpDef {
    static let cat = OpDef("cat", c: "snn_tensor_cat", python: "cat", export: { b, r in try b.concat(r, stacked: false) },
                           imports: ["Concat": { n in
                               let ax = try n.attrs(["axis"]).int("axis", 0)
                               return { xs in
                                   let ts = try xs.indices.map { try input(xs, $0) }
                                   guard let first = ts.first else { throw SNNError.invalid("Concat has no inputs") }
                                   return [try SwiftNN.cat(ts, dim: try axis(ax, first.rank, "axis"))]
                               }
                           }])
    static let stack = OpDef("stack", c: "snn_tensor_stack", python: "stack", export: { b, r in try b.concat(r, stacked: true) })
}

extension GraphBuilder {
    /// cat is one Concat; stack unsqueezes each input at `dim` first.
    mutating func concat(_ r: TraceRecord, stacked: Bool) throws {
        var xs: [GraphValue] = []
        for i in r.inputs.indices { xs.append(try value(try r.input(i))) }
        let d = try r.int("dim")
        var parts = xs.map(\.name)
        if stacked { parts = parts.map { node1("Unsqueeze", [$0, constInts([d], "axes")]) } }
        var batch = xs.first { $0.batch != .none }?.batch ?? .none
        if stacked, let i = batch.index, i >= d { batch = shifted(batch, 1) }
        if !stacked, batch.index == d { batch = .unknown }
        define(r.outputs[0], node1("Concat", parts, [ONNXAttribute("axis", .int(Int64(d)))]), batch: batch)
    }
}
