// Selection by a bool mask: where(cond, a, b) and masked_fill (both with gradients to the
// values they pass through), the reductions any/all, and nonzero/count_nonzero. Selection
// copies elements bytewise, so every dtype goes through unchanged.

/// Calls `body(offsetC, offsetA, offsetB, offsetOut)` for every element of `shape`, with each
/// operand's (broadcast) strides.
@inline(__always)
private func forEachElement4(_ shape: [Int], _ sc: [Int], _ sa: [Int], _ sb: [Int], _ body: (Int, Int, Int, Int) -> Void) {
    let so = contiguousStrides(shape)
    forEachRun3(shape, sa, sb, so) { oa, ob, oo, n, ia, ib, io in
        // The condition's offset follows the output's multi-index: recover it from oo.
        var oc = 0, rest = oo
        for d in 0..<shape.count {
            let q = so[d] == 0 ? 0 : rest / so[d]
            rest -= q * so[d]
            oc += q * sc[d]
        }
        let ic = shape.isEmpty ? 0 : sc[shape.count - 1]
        for k in 0..<n { body(oc + k * ic, oa + k * ia, ob + k * ib, oo + k * io) }
    }
}

/// out = cond ? a : b elementwise, broadcast to `shape`; a, b and out share one dtype.
private func selectKernel(_ cond: Tensor, _ a: Tensor, _ b: Tensor, _ shape: [Int], _ fn: String) throws -> Tensor {
    let out = try Tensor(empty: shape, dtype: a.dtype, zeroed: false, fn)
    let pc = cond.bytes, pa = a.elementBytes, pb = b.elementBytes, po = out.elementBytes
    let size = a.dtype.byteSize
    forEachElement4(shape, broadcastStrides(cond.shape, to: shape), broadcastStrides(a.shape, to: shape),
                    broadcastStrides(b.shape, to: shape)) { c, i, j, o in
        let (src, k) = pc[c] != 0 ? (pa, i) : (pb, j)
        switch size {
        case 1: po.storeBytes(of: src.load(fromByteOffset: k, as: UInt8.self), toByteOffset: o, as: UInt8.self)
        case 4: po.storeBytes(of: src.load(fromByteOffset: k * 4, as: UInt32.self), toByteOffset: o * 4, as: UInt32.self)
        default: po.storeBytes(of: src.load(fromByteOffset: k * 8, as: UInt64.self), toByteOffset: o * 8, as: UInt64.self)
        }
    }
    return out
}

/// The gradient of one branch of a selection: g where the branch was taken (`taken`), 0
/// elsewhere, summed back to the branch's shape and dtype.
private func branchGradient(_ g: Tensor, _ cond: Tensor, taken: Bool, _ target: Tensor, _ fn: String) throws -> Tensor {
    let zero = try Tensor(empty: [], dtype: g.dtype, zeroed: true, fn)
    let picked = try selectKernel(cond, taken ? g : zero, taken ? zero : g, g.shape, fn)
    return try converted(try sumToShape(picked, target.shape), to: target.dtype, fn)
}

/// torch.where(cond, a, b): a where cond is true, else b, broadcasting all three; the result
/// has a and b's result type (`operandsResultType`: a 0-d operand, such as a number wrapped
/// as a tensor, does not widen a dimensioned one of its category). cond must be bool.
/// Gradients: g where cond to a, g where not cond to b, each summed to its shape.
public func `where`(_ cond: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
    let fn = "where"
    try requireBool(cond, fn, "condition")
    let shape = try broadcastShapes(try broadcastShapes(cond.shape, a.shape, fn), b.shape, fn)
    let dtype = operandsResultType(a, b)
    let out = try selectKernel(cond, try converted(a, to: dtype, fn), try converted(b, to: dtype, fn), shape, fn)
    return out.traced(.whereSelect, [cond, a, b]).recorded("WhereBackward", [a, b]) { g in
        // forward: out = cond ? a : b
        [a.requiresGrad ? try branchGradient(g, cond, taken: true, a, "where_backward") : nil,
         b.requiresGrad ? try branchGradient(g, cond, taken: false, b, "where_backward") : nil]
    }
}

/// torch.masked_fill(t, mask, value): value where mask is true, else t, broadcasting t and the
/// bool mask; value is converted to t's dtype. Gradient: g where the mask is false.
public func maskedFill(_ t: Tensor, mask: Tensor, value: Double) throws -> Tensor {
    let fn = "masked_fill"
    try requireBool(mask, fn, "mask")
    let shape = try broadcastShapes(t.shape, mask.shape, fn)
    let fill = try Tensor(empty: [], dtype: t.dtype, zeroed: false, fn)
    fill.store(0, value)
    let out = try selectKernel(mask, fill, t, shape, fn)
    return out.traced(.maskedFill, [t, mask], [("value", .float(value))]).recorded("MaskedFillBackward", [t]) { g in
        // forward: out = mask ? value : t
        [try branchGradient(g, mask, taken: false, t, "masked_fill_backward")]
    }
}

// MARK: - any, all, nonzero

/// Shared body of any and all: over `dims` (all when empty), true when some (any) or every
/// (all) element is nonzero. bool result, uint8 for a uint8 input (as PyTorch).
private func truthReduction(_ t: Tensor, _ dims: [Int], keepdim: Bool, any: Bool, _ fn: String) throws -> Tensor {
    let ds = try reductionDims(dims, t.rank, fn)
    let kept = reducedShape(t.shape, ds, keepdim: true)
    let out = try Tensor(empty: reducedShape(t.shape, ds, keepdim: keepdim), dtype: t.dtype == .uint8 ? .uint8 : .bool, zeroed: false, fn)
    let po = out.bytes
    for i in 0..<out.count { po[i] = any ? 0 : 1 }
    var so = contiguousStrides(kept)
    for d in ds where d < so.count { so[d] = 0 }
    forEachRun2(t.shape, contiguousStrides(t.shape), so) { oi, oo, n, ii, io in
        for k in 0..<n where t.isNonzero(oi + k * ii) == any { po[oo + k * io] = any ? 1 : 0 }
    }
    return out.traced(any ? .any : .all, [t], [("dims", .ints(ds)), ("keepdim", .bool(keepdim))])
}

/// torch.any(t) / torch.any(t, dim, keepdim): whether some element is nonzero (nan counts).
public func any(_ t: Tensor, dims: [Int] = [], keepdim: Bool = false) throws -> Tensor {
    try truthReduction(t, dims, keepdim: keepdim, any: true, "any")
}

/// torch.all(t) / torch.all(t, dim, keepdim): whether every element is nonzero (true when empty).
public func all(_ t: Tensor, dims: [Int] = [], keepdim: Bool = false) throws -> Tensor {
    try truthReduction(t, dims, keepdim: keepdim, any: false, "all")
}

/// torch.nonzero(t): the indices of the nonzero elements, int64 of shape [count, rank], in
/// row-major order (a 0-d input gives [count, 0]).
public func nonzero(_ t: Tensor) throws -> Tensor {
    let fn = "nonzero"
    var hits: [Int] = []
    for i in 0..<t.count where t.isNonzero(i) { hits.append(i) }
    let out = try Tensor(empty: [hits.count, t.rank], dtype: .int64, zeroed: false, fn)
    let strides = contiguousStrides(t.shape), po = out.int64s
    for (r, flat) in hits.enumerated() {
        var rest = flat
        for d in 0..<t.rank {
            po[r * t.rank + d] = Int64(rest / strides[d])
            rest %= strides[d]
        }
    }
    return out.traced(.nonzero, [t])
}

/// torch.count_nonzero(t, dims): how many elements are nonzero over `dims` (all when empty),
/// int64, the dimensions removed.
public func countNonzero(_ t: Tensor, dims: [Int] = []) throws -> Tensor {
    let fn = "count_nonzero"
    let ds = try reductionDims(dims, t.rank, fn)
    let out = try Tensor(empty: reducedShape(t.shape, ds, keepdim: false), dtype: .int64, zeroed: true, fn)
    var so = contiguousStrides(reducedShape(t.shape, ds, keepdim: true))
    for d in ds where d < so.count { so[d] = 0 }
    let po = out.int64s
    forEachRun2(t.shape, contiguousStrides(t.shape), so) { oi, oo, n, ii, io in
        for k in 0..<n where t.isNonzero(oi + k * ii) { po[oo + k * io] += 1 }
    }
    return out.traced(.countNonzero, [t], [("dims", .ints(ds))])
}

// MARK: - registry

extension OpDef {
    /// ONNX Where wants a bool condition: an imported one of another dtype (ONNX bool
    /// initializers load as int64) is compared with zero.
    static let whereSelect = OpDef("where", c: "snn_tensor_where", python: "where",
                               export: { b, r in
                                   let c = try b.value(try r.input(0)), x = try r.input(1), y = try r.input(2)
                                   let t = operandsResultType(x, y)
                                   let vs = [try b.value(x), try b.value(y)]
                                   let names = vs.map { v in v.dtype == t ? v.name : b.node1("Cast", [v.name], [ONNXAttribute("to", .int(Int64(t.onnxType)))]) }
                                   b.define(r.outputs[0], b.node1("Where", [c.name] + names), batch: b.broadcastBatch([c] + vs, r.outputs[0].rank))
                               },
                               imports: ["Where": { n in
                                   _ = try n.attrs([])
                                   return { xs in
                                       let c = try input(xs, 0)
                                       return [try SwiftNN.where(c.dtype == .bool ? c : try SwiftNN.ne(c, try scalarOperand(0, like: c, "Where")), try input(xs, 1), try input(xs, 2))]
                                   }
                               }])
    static let maskedFill = OpDef("masked_fill", c: "snn_tensor_masked_fill", python: "masked_fill",
                                  export: { b, r in
                                      let x = try b.value(try r.input(0)), m = try b.value(try r.input(1))
                                      let fill = try Tensor(empty: [], dtype: x.dtype, zeroed: false, "onnx export")
                                      fill.store(0, r.float("value") ?? 0)
                                      b.define(r.outputs[0], b.node1("Where", [m.name, b.constant(fill, "value"), x.name]),
                                               batch: b.broadcastBatch([x, m], r.outputs[0].rank))
                                  })
    static let any = OpDef("any", c: "snn_tensor_any", python: "any", differentiable: false)
    static let all = OpDef("all", c: "snn_tensor_all", python: "all", differentiable: false)
    /// ONNX NonZero gives [rank, count]: torch's layout is its transpose.
    static let nonzero = OpDef("nonzero", c: "snn_tensor_nonzero", python: "nonzero", differentiable: false,
                               export: { b, r in
                                   let x = try b.value(try r.input(0))
                                   let nz = b.node1("NonZero", [x.name])
                                   b.define(r.outputs[0], b.node1("Transpose", [nz], [ONNXAttribute("perm", .ints([1, 0]))]), batch: .unknown)
                               },
                               imports: ["NonZero": { n in try n.unary { x in try SwiftNN.transpose(try SwiftNN.nonzero(x), 0, 1) } }])
    static let countNonzero = OpDef("count_nonzero", c: "snn_tensor_count_nonzero", python: "count_nonzero", differentiable: false)
}
