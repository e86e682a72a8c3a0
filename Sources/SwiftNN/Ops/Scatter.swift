// Indexing by a tensor of positions along one dimension: gather, and its adjoints scatter,
// scatter_add and index_add (out-of-place here; the in-place `_` forms write through views on
// top of these kernels). Every index is checked before any element moves.

/// Checks an int64 `index` for gather/scatter along `d` of `t`: same rank as t, every value in
/// 0..<t.shape[d], and index.shape[k] <= limit[k] for every k (t's shape except at d, where
/// `limitAtDim` says whether it bounds too).
private func checkIndex(_ t: Tensor, _ d: Int, _ index: Tensor, _ fn: String, others: [(name: String, shape: [Int], everyDim: Bool)] = []) throws {
    guard index.dtype == .int64 else {
        throw SNNError.dtype("\(fn): index has dtype \(index.dtype.name), expected int64")
    }
    guard index.rank == t.rank || (index.rank <= 1 && t.rank <= 1) else {
        throw SNNError.shape("\(fn): index of shape \(fmt(index.shape)) must have the same rank as the input of shape \(fmt(t.shape))")
    }
    for k in 0..<index.rank where k != d && index.shape[k] > t.shape[k] {
        throw SNNError.shape("\(fn): index of shape \(fmt(index.shape)) is larger than the input of shape \(fmt(t.shape)) at dimension \(k) (only dimension \(d) may differ)")
    }
    for o in others {
        for k in 0..<index.rank where (o.everyDim || k != d) && (k >= o.shape.count || index.shape[k] > o.shape[k]) {
            throw SNNError.shape("\(fn): index of shape \(fmt(index.shape)) is larger than \(o.name) of shape \(fmt(o.shape)) at dimension \(k)")
        }
    }
    let size = t.rank == 0 ? 1 : t.shape[d]
    let p = index.int64s
    for j in 0..<index.count where p[j] < 0 || p[j] >= Int64(size) {
        throw SNNError.range("\(fn): index \(p[j]) is out of range for dimension \(d) of size \(size) (input of shape \(fmt(t.shape)))")
    }
}

/// Strides of `shape` (contiguous) with dimension d's set to 0, seen over `over` (index) dims.
private func stridesSkipping(_ shape: [Int], _ d: Int, rank: Int) -> [Int] {
    var s = contiguousStrides(shape)
    if s.count < rank { s = [Int](repeating: 0, count: rank) }  // a 0-d tensor seen as [1]
    if d < s.count { s[d] = 0 }
    return s
}

/// out = t.gather(d, index): out[..., j, ...] = t[..., index[..., j, ...], ...] along d, of
/// index's shape, bytewise for every dtype. The index must be checked (`checkIndex`).
func gatherKernel(_ t: Tensor, _ d: Int, _ index: Tensor, _ fn: String) throws -> Tensor {
    let out = try Tensor(empty: index.shape, dtype: t.dtype, zeroed: false, fn)
    if out.count == 0 { return out }
    let rank = index.rank
    let base = stridesSkipping(t.shape, d, rank: rank), along = t.rank == 0 ? 0 : contiguousStrides(t.shape)[d]
    let pi = index.int64s, src = t.elementBytes, dst = out.elementBytes, size = t.dtype.byteSize
    forEachRun2(index.shape, base, contiguousStrides(index.shape)) { ob, oo, n, ib, io in
        for k in 0..<n {
            let p = oo + k * io, s = ob + k * ib + Int(pi[p]) * along
            (dst + p * size).copyMemory(from: src + s * size, byteCount: size)
        }
    }
    return out
}

/// How a scatter combines a source value with the destination's: PyTorch's scatter_reduce and
/// ONNX ScatterElements' `reduction`.
enum ScatterReduction {
    case none, add, mul, max, min

    @inline(__always) func combine<T: Comparable & Numeric>(_ old: T, _ new: T) -> T {
        switch self {
        case .none: new
        case .add: old + new
        case .mul: old * new
        case .max: Swift.max(old, new)
        case .min: Swift.min(old, new)
        }
    }
}

/// dst[..., index[..., j, ...], ...] = src[..., j, ...] along d (or += with `accumulate`), in
/// place, for every position of index (src may be larger; a 0-d src is one value for all).
/// Float accumulation rounds once per add, as a float add does; integers wrap.
func scatterKernel(_ dst: Tensor, _ d: Int, _ index: Tensor, _ src: Tensor, accumulate: Bool, _ fn: String) throws {
    try scatterKernel(dst, d, index, src, reduction: accumulate ? .add : .none, fn)
}

func scatterKernel(_ dst: Tensor, _ d: Int, _ index: Tensor, _ src: Tensor, reduction: ScatterReduction, _ fn: String) throws {
    if index.count == 0 { return }
    let rank = index.rank
    let base = stridesSkipping(dst.shape, d, rank: rank), along = dst.rank == 0 ? 0 : contiguousStrides(dst.shape)[d]
    let srcStrides = src.rank == 0 ? [Int](repeating: 0, count: rank) : contiguousStrides(src.shape)
    let pi = index.int64s, size = dst.dtype.byteSize
    let pd = dst.elementBytes, ps = src.elementBytes
    let floating = dst.dtype.isFloatingPoint
    forEachRun3(index.shape, base, srcStrides, contiguousStrides(index.shape)) { ob, os, oi, n, ib, isr, ii in
        for k in 0..<n {
            let t = ob + k * ib + Int(pi[oi + k * ii]) * along, s = os + k * isr
            if reduction == .none {
                (pd + t * size).copyMemory(from: ps + s * size, byteCount: size)
            } else if floating {
                dst.store(t, reduction.combine(dst.element(t), src.element(s)))
            } else if reduction == .add {
                dst.storeInteger(t, dst.integerElement(t) &+ src.integerElement(s))
            } else if reduction == .mul {
                dst.storeInteger(t, dst.integerElement(t) &* src.integerElement(s))
            } else {
                dst.storeInteger(t, reduction.combine(dst.integerElement(t), src.integerElement(s)))
            }
        }
    }
}

/// `g` (of index's shape) placed into zeros of `shape`: the gradient of a source larger than
/// the index it was read through.
private func padded(_ g: Tensor, to shape: [Int], _ fn: String) throws -> Tensor {
    if g.shape == shape { return g }
    let out = try Tensor(empty: shape, dtype: g.dtype, zeroed: true, fn)
    let so = contiguousStrides(shape), size = g.dtype.byteSize
    let src = g.elementBytes, dst = out.elementBytes
    forEachRun2(g.shape, contiguousStrides(g.shape), so) { og, oo, n, ig, io in
        for k in 0..<n { (dst + (oo + k * io) * size).copyMemory(from: src + (og + k * ig) * size, byteCount: size) }
    }
    return out
}

/// torch.gather(t, dim, index): out[i][j][k] = t[i][index[i][j][k]][k] for dim 1, of index's
/// shape. index is int64 of t's rank, no larger than t outside `dim`, every value in range
/// (no negative indices, as in PyTorch). Gradient: scatter-added back to the gathered positions.
public func gather(_ t: Tensor, dim: Int, index: Tensor) throws -> Tensor {
    let fn = "gather"
    let d = try wrapDim(dim, t.rank, fn)
    try checkIndex(t, d, index, fn)
    let out = try gatherKernel(t, d, index, fn)
    return out.traced(.gather, [t, index], [("dim", .int(d))]).recorded("GatherBackward", [t], saves: [], readsOutput: false) { g in
        // forward: out = t.gather(d, index)  =>  dt = zeros.scatter_add(d, index, g)
        let dt = try Tensor(empty: t.shape, dtype: g.dtype, zeroed: true, "gather_backward")
        try scatterKernel(dt, d, index, g, accumulate: true, "gather_backward")
        return [dt]
    }
}

/// Shared body of scatter and scatter_add with a tensor source.
private func scatterOp(_ t: Tensor, _ dim: Int, _ index: Tensor, _ src: Tensor, add: Bool) throws -> Tensor {
    let fn = add ? "scatter_add" : "scatter"
    let d = try wrapDim(dim, t.rank, fn)
    guard src.dtype == t.dtype else {
        throw SNNError.dtype("\(fn): src has dtype \(src.dtype.name), expected the input's dtype \(t.dtype.name)")
    }
    guard src.rank == index.rank else {
        throw SNNError.shape("\(fn): src of shape \(fmt(src.shape)) must have the index's rank (index of shape \(fmt(index.shape)))")
    }
    try checkIndex(t, d, index, fn, others: [("src", src.shape, true)])
    let out = try t.clone()
    try scatterKernel(out, d, index, src, accumulate: add, fn)
    return out.traced(add ? .scatterAdd : .scatter, [t, index, src], [("dim", .int(d))])
        .recorded(add ? "ScatterAddBackward" : "ScatterBackward", [t, src]) { g in
            // forward (scatter): out = t; out[index along d] = src  =>  dt = g with the written
            // positions zeroed, dsrc = g.gather(d, index)
            // forward (scatter_add): out = t; out[index along d] += src  =>  dt = g, dsrc = g.gather(d, index)
            var dt: Tensor? = nil
            if t.requiresGrad {
                if add { dt = g } else {
                    let kept = try g.clone()
                    try scatterKernel(kept, d, index, try Tensor(empty: [], dtype: g.dtype, zeroed: true, fn), accumulate: false, fn)
                    dt = kept
                }
            }
            let ds = src.requiresGrad ? try padded(try gatherKernel(g, d, index, fn + "_backward"), to: src.shape, fn) : nil
            return [dt, ds]
        }
}

/// torch.scatter(t, dim, index, src): a copy of t with out[i][index[i][j]] = src[i][j] (dim 1)
/// for every position of index. src has t's dtype and is no smaller than index. Duplicate
/// positions keep the last write (PyTorch leaves that order unspecified). Gradients: to t
/// where not overwritten; to src, gathered at index.
public func scatter(_ t: Tensor, dim: Int, index: Tensor, src: Tensor) throws -> Tensor {
    try scatterOp(t, dim, index, src, add: false)
}

/// torch.scatter(t, dim, index, value): a copy of t with `value` at the positions of index.
public func scatter(_ t: Tensor, dim: Int, index: Tensor, value: Double) throws -> Tensor {
    let fn = "scatter"
    let d = try wrapDim(dim, t.rank, fn)
    try checkIndex(t, d, index, fn)
    let fill = try Tensor(empty: [], dtype: t.dtype, zeroed: false, fn)
    fill.store(0, value)
    let out = try t.clone()
    try scatterKernel(out, d, index, fill, accumulate: false, fn)
    return out.traced(.scatterValue, [t, index], [("dim", .int(d)), ("value", .float(value))]).recorded("ScatterBackward", [t], saves: [], readsOutput: false) { g in
        // forward: out = t; out[index along d] = value  =>  dt = g with those positions zeroed
        let dt = try g.clone()
        try scatterKernel(dt, d, index, try Tensor(empty: [], dtype: g.dtype, zeroed: true, fn), accumulate: false, fn)
        return [dt]
    }
}

/// torch.scatter_add(t, dim, index, src): a copy of t with src[i][j] added at out[i][index[i][j]]
/// (dim 1); repeated positions accumulate. Gradients: g to t, g gathered at index to src.
public func scatterAdd(_ t: Tensor, dim: Int, index: Tensor, src: Tensor) throws -> Tensor {
    try scatterOp(t, dim, index, src, add: true)
}

/// torch.index_add(t, dim, index, source, alpha): a copy of t with alpha * source's slice i
/// added to slice index[i] along `dim`. index is a 1-D int64 tensor (0-d for one slice) of
/// source.shape[dim] values in range; source has t's dtype and shape outside `dim`.
/// Gradients: g to t; alpha * g.index_select(dim, index) to source.
public func indexAdd(_ t: Tensor, dim: Int, index: Tensor, source: Tensor, alpha: Double = 1) throws -> Tensor {
    let fn = "index_add"
    let d = try wrapDim(dim, t.rank, fn)
    guard index.dtype == .int64 else { throw SNNError.dtype("\(fn): index has dtype \(index.dtype.name), expected int64") }
    guard index.rank <= 1 else { throw SNNError.shape("\(fn): index must be a vector (rank 0 or 1), got shape \(fmt(index.shape))") }
    guard source.dtype == t.dtype else {
        throw SNNError.dtype("\(fn): source has dtype \(source.dtype.name), expected the input's dtype \(t.dtype.name)")
    }
    var expected = t.shape
    if t.rank > 0 { expected[d] = index.count }
    guard source.shape == expected || (t.rank == 0 && source.count == 1 && index.count == 1) else {
        throw SNNError.shape("\(fn): source has shape \(fmt(source.shape)), expected \(fmt(expected)) (the input's shape \(fmt(t.shape)) with dimension \(d) the index's length \(index.count))")
    }
    let size = t.rank == 0 ? 1 : t.shape[d]
    for j in 0..<index.count where index.int64s[j] < 0 || index.int64s[j] >= Int64(size) {
        throw SNNError.range("\(fn): index \(index.int64s[j]) (at position \(j)) is out of range for dimension \(d) of size \(size) (input of shape \(fmt(t.shape)))")
    }
    let out = try t.clone()
    let layout = DimLayout(source.shape, d), inner = layout.inner, n = layout.n
    let floating = t.dtype.isFloatingPoint, a = alpha
    for o in 0..<layout.outer {
        for j in 0..<n {
            let row = Int(index.int64s[j])
            for i in 0..<inner {
                let s = (o * n + j) * inner + i, p = (o * size + row) * inner + i
                if floating { out.store(p, out.element(p) + a * source.element(s)) }
                else { out.storeInteger(p, out.integerElement(p) &+ saturatingInt64(a) &* source.integerElement(s)) }
            }
        }
    }
    return out.traced(.indexAdd, [t, index, source], [("dim", .int(d)), ("alpha", .float(alpha))])
        .recorded("IndexAddBackward", [t, source]) { g in
            // forward: out = t; out.select(d, index[j]) += alpha * source.select(d, j)
            var ds: Tensor? = nil
            if source.requiresGrad {
                let picked = try indexSelect(g, dim: d, index: index.rank == 0 ? try SwiftNN.reshape(index, [1]) : index).view(as: source.shape)
                ds = alpha == 1 ? picked : try mul(picked, try scalarOperand(alpha, like: picked, "index_add_backward"))
            }
            return [t.requiresGrad ? g : nil, ds]
        }
}

// MARK: - registry

extension OpDef {
    static let gather = OpDef("gather", c: "snn_tensor_gather", python: "gather",
                              export: { b, r in try b.indexedNode(r, "GatherElements", [0, 1]) },
                              imports: ["GatherElements": { n in
                                  let ax = try n.attrs(["axis"]).int("axis", 0)
                                  return { xs in [try SwiftNN.gather(try input(xs, 0), dim: ax, index: try wrappedIndex(try input(xs, 1), try input(xs, 0), ax))] }
                              }])
    static let scatter = OpDef("scatter", c: "snn_tensor_scatter", python: "scatter",
                               export: { b, r in try b.indexedNode(r, "ScatterElements", [0, 1, 2]) },
                               imports: ["ScatterElements": { n in
                                   let a = try n.attrs(["axis", "reduction"])
                                   let ax = try a.int("axis", 0), name = try a.string("reduction", "none")
                                   let reductions: [String: ScatterReduction] = ["none": .none, "add": .add, "mul": .mul, "max": .max, "min": .min]
                                   guard let reduction = reductions[name] else {
                                       throw SNNError(.unsupported, "\(n.label): reduction '\(name)' is not supported (none, add, mul, max, min are)")
                                   }
                                   return { xs in
                                       let x = try input(xs, 0), idx = try wrappedIndex(try input(xs, 1), x, ax), src = try input(xs, 2)
                                       switch reduction {
                                       case .none: return [try SwiftNN.scatter(x, dim: ax, index: idx, src: src)]
                                       case .add: return [try SwiftNN.scatterAdd(x, dim: ax, index: idx, src: src)]
                                       default:
                                           // mul/max/min: inference only (ONNX), so no engine op or gradient.
                                           let d = try wrapDim(ax, x.rank, "ScatterElements")
                                           guard src.dtype == x.dtype else { throw SNNError.dtype("updates have dtype \(src.dtype.name), data \(x.dtype.name)") }
                                           try checkIndex(x, d, idx, "ScatterElements", others: [("updates", src.shape, true)])
                                           let out = try x.clone()
                                           try scatterKernel(out, d, idx, src, reduction: reduction, "ScatterElements")
                                           return [out]
                                       }
                                   }
                               }])
    static let scatterValue = OpDef("scatter_value", c: "snn_tensor_scatter_value", python: "scatter", golden: ["scatter_value"])
    static let scatterAdd = OpDef("scatter_add", c: "snn_tensor_scatter_add", python: "scatter_add",
                                  export: { b, r in try b.indexedNode(r, "ScatterElements", [0, 1, 2], [ONNXAttribute("reduction", .string("add"))]) })
    static let indexAdd = OpDef("index_add", c: "snn_tensor_index_add", python: "index_add")
}

/// ONNX indices may be negative (counting from the end); the engine's are not.
private func wrappedIndex(_ index: Tensor, _ x: Tensor, _ axisAttr: Int) throws -> Tensor {
    let d = try axis(axisAttr, x.rank, "axis")
    let size = Int64(x.rank == 0 ? 1 : x.shape[d])
    guard index.dtype == .int64 else { return index }
    let out = try index.clone()
    for i in 0..<out.count where out.int64s[i] < 0 && out.int64s[i] >= -size { out.int64s[i] += size }
    return out
}

extension GraphBuilder {
    /// GatherElements / ScatterElements on the record's inputs at `inputs`, axis = its dim.
    mutating func indexedNode(_ r: TraceRecord, _ op: String, _ inputs: [Int], _ extra: [ONNXAttribute] = []) throws {
        let vs = try inputs.map { try value(try r.input($0)) }
        let d = try r.int("dim")
        // gather's output has the index's shape, scatter's the input's.
        let shaped = op == "GatherElements" ? vs[1] : vs[0]
        let batch: BatchDim = shaped.batch.index == d ? .unknown : shaped.batch
        define(r.outputs[0], node1(op, vs.map(\.name), [ONNXAttribute("axis", .int(Int64(d)))] + extra), batch: batch)
    }
}
