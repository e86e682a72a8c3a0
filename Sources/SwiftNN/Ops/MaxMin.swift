// Maxima and minima: max/min over one dimension with the index of the winner (torch.max(t, dim)),
// amax/amin over any dimensions, argmax/argmin. As in PyTorch, ties go to the first index and NaN
// wins. max/min send the gradient to the selected index; amax/amin (and max/min over all
// elements) split it evenly between equal extremes. float32 and float64 share generic kernels.

/// Whether `v` replaces the current best `b`: strictly better, or NaN (which then sticks).
@inline(__always)
func beats<T: BinaryFloatingPoint>(_ v: T, _ b: T, _ largest: Bool) -> Bool {
    (largest ? v > b : v < b) || (v.isNaN && !b.isNaN)
}

/// Rejects a reduction over an empty extent, which has no maximum (PyTorch's IndexError).
func requireNonEmptyReduction(_ t: Tensor, _ dims: [Int], _ n: Int, _ fn: String) throws {
    guard n > 0 else {
        let which = dims.isEmpty || dims.count == t.rank ? "all dimensions" : "dimension(s) \(fmt(dims))"
        throw SNNError.range("\(fn): cannot reduce over \(which) of a tensor of shape \(fmt(t.shape)): the reduced extent is empty (expected non-zero sizes)")
    }
}

/// Values and int64 indices of the extreme along the normalised dimension `d`.
func extremeAlongDim(_ t: Tensor, _ d: Int, largest: Bool, keepdim: Bool, _ fn: String) throws -> (values: Tensor, indices: Tensor) {
    t.dtype == .float64 ? try extremeAlongDim(t, d, Double.self, largest: largest, keepdim: keepdim, fn)
        : try extremeAlongDim(t, d, Float.self, largest: largest, keepdim: keepdim, fn)
}

func extremeAlongDim<T: TensorFloat>(_ t: Tensor, _ d: Int, _: T.Type, largest: Bool, keepdim: Bool, _ fn: String) throws -> (values: Tensor, indices: Tensor) {
    let layout = DimLayout(t.shape, d)
    try requireNonEmptyReduction(t, [d], layout.n, fn)
    let shape = reducedShape(t.shape, [d], keepdim: keepdim)
    let values = try Tensor(empty: shape, dtype: T.dtype, zeroed: false, fn)
    let indices = try Tensor(empty: shape, dtype: .int64, zeroed: false, fn)
    let px = t.typed(T.self), pv = values.typed(T.self), pi = indices.int64s
    let inner = layout.inner, n = layout.n
    if inner == 1 {
        // The last dimension: one contiguous row per output, best kept in registers.
        for o in 0..<layout.outer {
            let row = px + o * n
            var best = row[0], index = 0
            for k in 1..<n where beats(row[k], best, largest) {
                best = row[k]
                index = k
            }
            pv[o] = best
            pi[o] = Int64(index)
        }
        return (values, indices)
    }
    for o in 0..<layout.outer {
        // Running best across the dimension, `inner` positions at a time (reads stay in order).
        let base = px + o * n * inner, vb = pv + o * inner, ib = pi + o * inner
        for i in 0..<inner { vb[i] = base[i]; ib[i] = 0 }
        for k in 1..<n {
            let row = base + k * inner
            for i in 0..<inner where beats(row[i], vb[i], largest) {
                vb[i] = row[i]
                ib[i] = Int64(k)
            }
        }
    }
    return (values, indices)
}

/// Shared body of max(dim) and min(dim): values recorded, indices plain int64.
func extremeWithIndices(_ t: Tensor, dim: Int, keepdim: Bool, largest: Bool, _ fn: String) throws -> (values: Tensor, indices: Tensor) {
    try t.requireFloating(fn)
    let d = try wrapDim(dim, t.rank, fn)
    let (values, indices) = try extremeAlongDim(t, d, largest: largest, keepdim: keepdim, fn)
    let layout = DimLayout(t.shape, d)
    trace(largest ? .max : .min, [t], [values, indices], [("dim", .int(d)), ("keepdim", .bool(keepdim))])
    values.recorded(largest ? "MaxBackward" : "MinBackward", [t], readsOutput: false) { g in
        // forward: values[j] = x[o, indices[j], i]  =>  dx[o, indices[j], i] = g[j], 0 elsewhere
        let dx = try Tensor(empty: t.shape, dtype: t.dtype, zeroed: true, fn + "_backward")
        let pi = indices.int64s, size = t.dtype.byteSize
        for j in 0..<indices.count {
            (dx.rawBytes + layout.offset(j, Int(pi[j])) * size).copyMemory(from: g.rawBytes + j * size, byteCount: size)
        }
        return [dx]
    }
    return (values, indices)
}

/// torch.max(t, dim, keepdim): the largest values along `dim` and their (first) indices.
public func max(_ t: Tensor, dim: Int, keepdim: Bool = false) throws -> (values: Tensor, indices: Tensor) {
    try extremeWithIndices(t, dim: dim, keepdim: keepdim, largest: true, "max")
}

/// torch.min(t, dim, keepdim): the smallest values along `dim` and their (first) indices.
public func min(_ t: Tensor, dim: Int, keepdim: Bool = false) throws -> (values: Tensor, indices: Tensor) {
    try extremeWithIndices(t, dim: dim, keepdim: keepdim, largest: false, "min")
}

/// Shared body of amax and amin.
func extremeOverDims(_ t: Tensor, _ dims: [Int], keepdim: Bool, largest: Bool, _ fn: String) throws -> Tensor {
    try t.requireFloating(fn)
    return t.dtype == .float64 ? try extremeOverDims(t, dims, Double.self, keepdim: keepdim, largest: largest, fn)
        : try extremeOverDims(t, dims, Float.self, keepdim: keepdim, largest: largest, fn)
}

func extremeOverDims<T: TensorFloat>(_ t: Tensor, _ dims: [Int], _: T.Type, keepdim: Bool, largest: Bool, _ fn: String) throws -> Tensor {
    let ds = try reductionDims(dims, t.rank, fn)
    let rows = try ReductionRows(t, ds, fn)
    try requireNonEmptyReduction(t, ds, rows.n, fn)
    let out = try Tensor(empty: reducedShape(t.shape, ds, keepdim: keepdim), dtype: T.dtype, zeroed: false, fn)
    let pr = rows.data.typed(T.self), po = out.typed(T.self), n = rows.n
    for r in 0..<rows.count {
        let row = pr + r * n
        var best = row[0]
        for k in 1..<n where beats(row[k], best, largest) { best = row[k] }
        po[r] = best
    }
    let y = out.detach()
    return out.traced(largest ? .amax : .amin, [t], [("dims", .ints(ds)), ("keepdim", .bool(keepdim))]).recorded(largest ? "AmaxBackward" : "AminBackward", [t]) { g in
        // forward: out[r] = max_k row[r][k]  =>  g[r] split evenly between the k where row[r][k] == out[r]
        let gr = try Tensor(empty: [rows.count, n], dtype: T.dtype, zeroed: false, fn + "_backward")
        let pg = g.typed(T.self), pd = gr.typed(T.self), py = y.typed(T.self)
        for r in 0..<rows.count {
            let row = pr + r * n, m = py[r]
            var ties = 0
            for k in 0..<n where row[k] == m { ties += 1 }
            let share = pg[r] / T(ties)
            for k in 0..<n { pd[r * n + k] = row[k] == m ? share : 0 }
        }
        return [try rows.unpermute(gr, t.shape, fn + "_backward")]
    }
}

/// torch.amax(t, dims, keepdim): largest value over `dims` (all when empty).
public func amax(_ t: Tensor, dims: [Int] = [], keepdim: Bool = false) throws -> Tensor {
    try extremeOverDims(t, dims, keepdim: keepdim, largest: true, "amax")
}

/// torch.amin(t, dims, keepdim): smallest value over `dims` (all when empty).
public func amin(_ t: Tensor, dims: [Int] = [], keepdim: Bool = false) throws -> Tensor {
    try extremeOverDims(t, dims, keepdim: keepdim, largest: false, "amin")
}

/// torch.max(t): the largest element, as a 0-d tensor (gradient split between equal maxima).
public func max(_ t: Tensor) throws -> Tensor { try extremeOverDims(t, [], keepdim: false, largest: true, "max") }

/// torch.min(t): the smallest element, as a 0-d tensor.
public func min(_ t: Tensor) throws -> Tensor { try extremeOverDims(t, [], keepdim: false, largest: false, "min") }

/// Shared body of argmax and argmin.
func extremeIndex(_ t: Tensor, dim: Int?, keepdim: Bool, largest: Bool, _ fn: String) throws -> Tensor {
    try t.requireFloating(fn)
    if let dim {
        let d = try wrapDim(dim, t.rank, fn)
        return try extremeAlongDim(t, d, largest: largest, keepdim: keepdim, fn).indices
            .traced(largest ? .argmax : .argmin, [t], [("dim", .int(d)), ("keepdim", .bool(keepdim))])
    }
    // No dim: the index into the flattened tensor.
    guard t.count > 0 else {
        throw SNNError.range("\(fn): the input of shape \(fmt(t.shape)) is empty; an index over all elements needs at least one (pass a dim)")
    }
    let index = t.dtype == .float64 ? flatExtreme(t.doubles, t.count, largest) : flatExtreme(t.floats, t.count, largest)
    return try Tensor(int64: [Int64(index)], shape: keepdim ? [Int](repeating: 1, count: t.rank) : [])
        .traced(largest ? .argmax : .argmin, [t], [("dim", .none), ("keepdim", .bool(keepdim))])
}

/// Index of the first extreme of `count` (> 0) elements.
private func flatExtreme<T: TensorFloat>(_ px: UnsafeMutablePointer<T>, _ count: Int, _ largest: Bool) -> Int {
    var best = px[0], index = 0
    for k in 1..<count where beats(px[k], best, largest) {
        best = px[k]
        index = k
    }
    return index
}

/// torch.argmax(t, dim, keepdim): index of the (first) largest element along `dim`, or into
/// the flattened tensor when `dim` is nil. int64; not differentiable.
public func argmax(_ t: Tensor, dim: Int? = nil, keepdim: Bool = false) throws -> Tensor {
    try extremeIndex(t, dim: dim, keepdim: keepdim, largest: true, "argmax")
}

/// torch.argmin(t, dim, keepdim): index of the (first) smallest element.
public func argmin(_ t: Tensor, dim: Int? = nil, keepdim: Bool = false) throws -> Tensor {
    try extremeIndex(t, dim: dim, keepdim: keepdim, largest: false, "argmin")
}

// MARK: - registry

extension OpDef {
    static let amax = OpDef("amax", c: "snn_tensor_amax", python: "amax", export: { b, r in try b.reduction(r, "ReduceMax") },
                            imports: ["ReduceMax": { n in try reduceImporter(n, emptyFill: -.infinity) { x, d, k in try SwiftNN.amax(x, dims: d, keepdim: k) } }])
    static let amin = OpDef("amin", c: "snn_tensor_amin", python: "amin", export: { b, r in try b.reduction(r, "ReduceMin") },
                            imports: ["ReduceMin": { n in try reduceImporter(n, emptyFill: .infinity) { x, d, k in try SwiftNN.amin(x, dims: d, keepdim: k) } }])
    /// SwiftNN.max(dim) returns values and indices: ReduceMax and ArgMax.
    static let max = OpDef("max", c: "snn_tensor_max_dim", python: "max", export: { b, r in try b.extremeWithIndices(r, "ReduceMax", "ArgMax") })
    static let min = OpDef("min", c: "snn_tensor_min_dim", python: "min", export: { b, r in try b.extremeWithIndices(r, "ReduceMin", "ArgMin") })
    static let argmax = OpDef("argmax", c: "snn_tensor_argmax", python: "argmax", differentiable: false,
                              export: { b, r in try b.argExtreme(r, "ArgMax") },
                              imports: ["ArgMax": { n in try argImporter(n) { x, d, k in try SwiftNN.argmax(x, dim: d, keepdim: k) } }])
    static let argmin = OpDef("argmin", c: "snn_tensor_argmin", python: "argmin", differentiable: false,
                              export: { b, r in try b.argExtreme(r, "ArgMin") },
                              imports: ["ArgMin": { n in try argImporter(n) { x, d, k in try SwiftNN.argmin(x, dim: d, keepdim: k) } }])
}

extension GraphBuilder {
    mutating func extremeWithIndices(_ r: TraceRecord, _ reduceOp: String, _ argOp: String) throws {
        let x = try value(try r.input(0))
        let d = try r.int("dim"), keep = r.bool("keepdim")
        let batch = reducedBatch(x.batch, [d], keep)
        define(r.outputs[0], reduce(reduceOp, x.name, [d], keep), batch: batch)
        if r.outputs.count > 1 { define(r.outputs[1], argExtreme(argOp, x.name, d, keep), batch: batch) }
    }

    /// argmax/argmin over one dimension, or over the flattened tensor when dim is none.
    mutating func argExtreme(_ r: TraceRecord, _ op: String) throws {
        let x = try value(try r.input(0))
        let keep = r.bool("keepdim")
        if case let .int(d)? = r.attribute("dim") {
            return define(r.outputs[0], argExtreme(op, x.name, d, keep), batch: reducedBatch(x.batch, [d], keep))
        }
        let flat = node1("Reshape", [x.name, constInts([-1], "shape")])
        var y = argExtreme(op, flat, 0, false)
        if keep { y = node1("Reshape", [y, constInts([Int](repeating: 1, count: x.shape.count), "shape")]) }
        define(r.outputs[0], y, batch: .none)
    }
}

/// ONNX ArgMax/ArgMin; select_last_index picks the last extreme: the first one along the
/// reversed axis, counted from the end.
private func argImporter(_ n: ImportNode, _ pick: @escaping (Tensor, Int, Bool) throws -> Tensor) throws -> ImportKernel {
    let a = try n.attrs(["axis", "keepdims", "select_last_index"])
    let ax = try a.int("axis", 0), keep = try a.int("keepdims", 1) != 0
    let last = try a.int("select_last_index", 0) != 0
    let op = n.op
    return { xs in
        let x = try input(xs, 0)
        guard last, x.rank > 0 else { return [try pick(x, ax, keep)] }
        let d = try axis(ax, x.rank, "axis"), size = x.shape[d]
        let reversed = try indexSelect(x, dim: d, index: try Tensor(int64: (0..<size).reversed().map { Int64($0) }, shape: [size]))
        return [try intBinary(try Tensor(int64: [Int64(size - 1)], shape: []), try pick(reversed, ax, keep), op) { $0 &- $1 }]
    }
}
