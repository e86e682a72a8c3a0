// Reductions over dimensions with keepdim: sum and mean. The pullback broadcasts the gradient
// back over the reduced dimensions.

/// Normalised, sorted, de-duplicated reduction dimensions; empty `dims` means all of them.
func reductionDims(_ dims: [Int], _ rank: Int, _ fn: String) throws -> [Int] {
    if dims.isEmpty { return Array(0..<rank) }
    var seen = Set<Int>()
    for d in dims {
        let w = try wrapDim(d, rank, fn)
        guard seen.insert(w).inserted else {
            throw SNNError.invalid("\(fn): dimension \(d) appears more than once in dims \(fmt(dims))")
        }
    }
    return seen.sorted()
}

/// Shape after reducing `dims` (kept as size 1 when `keepdim`).
func reducedShape(_ shape: [Int], _ dims: [Int], keepdim: Bool) -> [Int] {
    var out: [Int] = []
    for (i, d) in shape.enumerated() {
        if dims.contains(i) { if keepdim { out.append(1) } } else { out.append(d) }
    }
    return out
}

/// Sum over `dims` (all when empty), into a tensor of the keepdim shape, then viewed.
func sumKernel(_ t: Tensor, _ dims: [Int], keepdim: Bool, _ fn: String) throws -> Tensor {
    let kept = reducedShape(t.shape, dims, keepdim: true)
    let out = try sumTo(t, kept)  // float32, float64 and int64 (TypedBinary.swift)
    let result = out === t ? try t.clone() : out
    return try result.view(as: reducedShape(t.shape, dims, keepdim: keepdim))
}

/// Gradient of a reduction: `g` (reduced shape) broadcast back to `shape`, times `scale`.
func expandGradient(_ g: Tensor, _ shape: [Int], _ dims: [Int], scale: Float, scale64: Double = 1) throws -> Tensor {
    let kept = try g.view(as: reducedShape(shape, dims, keepdim: true))
    if g.dtype == .float64 {
        let out = try Tensor(empty: shape, dtype: .float64, zeroed: false, "reduce_backward")
        let ps = kept.doubles, po = out.doubles
        forEachRun2(shape, broadcastStrides(kept.shape, to: shape), contiguousStrides(shape)) { os, oo, n, i, io in
            for k in 0..<n { po[oo + k * io] = ps[os + k * i] * scale64 }
        }
        return out
    }
    let out = try Tensor(empty: shape, dtype: .float32, zeroed: false, "reduce_backward")
    let ps = kept.floats, po = out.floats
    forEachRun2(shape, broadcastStrides(kept.shape, to: shape), contiguousStrides(shape)) { os, oo, n, i, io in
        for k in 0..<n { po[oo + k * io] = ps[os + k * i] * scale }
    }
    return out
}

/// torch.sum(t, dims, keepdim). Empty `dims` reduces everything.
public func sum(_ t: Tensor, dims: [Int] = [], keepdim: Bool = false) throws -> Tensor {
    let fn = "sum"
    // Integers and bool sum as int64, as in PyTorch (wrapping).
    let t = t.dtype.isFloatingPoint ? t : try to(t, .int64)
    let ds = try reductionDims(dims, t.rank, fn)
    let out = try sumKernel(t, ds, keepdim: keepdim, fn)
    return out.traced(.sum, [t], [("dims", .ints(ds)), ("keepdim", .bool(keepdim))]).recorded("SumBackward", [t], saves: [], readsOutput: false) { g in
        // forward: out = sum(t, dims)
        [try expandGradient(g, t.shape, ds, scale: 1)]
    }
}

/// torch.mean(t, dims, keepdim). Empty `dims` reduces everything.
public func mean(_ t: Tensor, dims: [Int] = [], keepdim: Bool = false) throws -> Tensor {
    let fn = "mean"
    guard t.dtype.isFloatingPoint else {
        // PyTorch's message (it refuses integer means rather than promoting them).
        throw SNNError.dtype("\(fn)(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: \(t.dtype.tensorTypeName.dropLast(6))")
    }
    let ds = try reductionDims(dims, t.rank, fn)
    let n = ds.reduce(1) { $0 * t.shape[$1] }
    let out = try sumKernel(t, ds, keepdim: keepdim, fn)
    let scale: Float = n == 0 ? .nan : 1 / Float(n), scale64: Double = n == 0 ? .nan : 1 / Double(n)
    if t.dtype == .float64 {
        for i in 0..<out.count { out.doubles[i] *= scale64 }
    } else {
        for i in 0..<out.count { out.floats[i] *= scale }
    }
    return out.traced(.mean, [t], [("dims", .ints(ds)), ("keepdim", .bool(keepdim))]).recorded("MeanBackward", [t], saves: [], readsOutput: false) { g in
        // forward: out = sum(t, dims) / n
        [try expandGradient(g, t.shape, ds, scale: scale, scale64: scale64)]
    }
}

// MARK: - registry

extension OpDef {
    static let sum = OpDef("sum", c: "snn_tensor_sum", python: "sum", export: { b, r in try b.reduction(r, "ReduceSum") },
                           imports: [
                               "ReduceSum": { n in try reduceImporter(n, axesInputFrom: 13) { x, d, k in try SwiftNN.sum(x, dims: d, keepdim: k) } },
                               // The other ONNX reductions are sums of something.
                               "ReduceL1": { n in try reduceImporter(n) { x, d, k in try SwiftNN.sum(try SwiftNN.abs(x), dims: d, keepdim: k) } },
                               "ReduceL2": { n in try reduceImporter(n) { x, d, k in try SwiftNN.sqrt(try SwiftNN.sum(try SwiftNN.mul(x, x), dims: d, keepdim: k)) } },
                               "ReduceSumSquare": { n in try reduceImporter(n) { x, d, k in try SwiftNN.sum(try SwiftNN.mul(x, x), dims: d, keepdim: k) } },
                               "ReduceLogSum": { n in try reduceImporter(n) { x, d, k in try SwiftNN.log(try SwiftNN.sum(x, dims: d, keepdim: k)) } },
                           ])
    static let mean = OpDef("mean", c: "snn_tensor_mean", python: "mean", export: { b, r in try b.reduction(r, "ReduceMean") },
                            imports: ["ReduceMean": { n in try reduceImporter(n) { x, d, k in try SwiftNN.mean(x, dims: d, keepdim: k) } }])
}

/// An ONNX reduction node: axes from the attribute before opset `axesInputFrom` (13 for
/// ReduceSum, 18 for the others) or from the second input, keepdims, noop_with_empty_axes.
/// `emptyFill` is what a reduction over an empty dimension gives (ONNX: -inf for max, +inf
/// for min).
func reduceImporter(_ n: ImportNode, axesInputFrom: Int64 = 18, emptyFill: Float? = nil,
                    _ f: @escaping (Tensor, [Int], Bool) throws -> Tensor) throws -> ImportKernel {
    let a = try n.attrs(["axes", "keepdims", "noop_with_empty_axes"])
    let axes = try axesSource(a, opset: n.opset, inputFrom: axesInputFrom)
    let keep = try a.int("keepdims", 1) != 0, noop = try a.int("noop_with_empty_axes", 0) != 0
    let op = n.op
    return { xs in
        let x = try input(xs, 0)
        let given = try axes(xs, 1) ?? []
        if given.isEmpty && noop { return [x] }
        let dims = given.isEmpty ? Array(0..<x.rank) : try given.map { try axis($0, x.rank, "axes") }
        if let emptyFill, dims.contains(where: { x.shape[$0] == 0 }) {
            return [try Tensor.full(reducedShape(x.shape, Array(Set(dims)), keepdim: keep), emptyFill, op)]
        }
        return [try f(x, dims, keep)]
    }
}
