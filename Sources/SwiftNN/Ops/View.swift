// Shape ops that only reinterpret the shape: reshape/view, flatten, squeeze, unsqueeze. Each is
// a view sharing the input's storage when the strides allow (always for squeeze/unsqueeze and
// contiguous input); reshape and flatten copy otherwise, view refuses as PyTorch's does. Each
// pullback reinterprets the gradient back to the input's shape.

/// Largest rank a shape op may produce (SNN_MAX_NDIM in the C header).
let maxShapeOpRank = 16

func checkResultRank(_ rank: Int, _ fn: String, _ shape: [Int]) throws {
    guard rank <= maxShapeOpRank else {
        throw SNNError.invalid("\(fn): the result would have rank \(rank) (from shape \(fmt(shape))); at most \(maxShapeOpRank) dimensions are supported")
    }
}

/// Product of part of a shape, for strides and block sizes. Exact whenever the whole tensor
/// has elements (then every partial product is at most its count); saturates at Int.max for
/// the dimensions of an empty tensor, whose products callers never use.
func product(_ dims: ArraySlice<Int>) -> Int {
    if dims.contains(0) { return 0 }
    var n = 1
    for d in dims {
        let (m, o) = n.multipliedReportingOverflow(by: d)
        if o { return .max }
        n = m
    }
    return n
}

/// `shape` with its single -1 (if any) inferred so that it holds `count` elements.
func inferShape(_ shape: [Int], count: Int, of input: [Int], _ fn: String) throws -> [Int] {
    try checkResultRank(shape.count, fn, shape)
    var inferred: Int? = nil
    var known = 1
    for (i, d) in shape.enumerated() {
        if d == -1 {
            guard inferred == nil else {
                throw SNNError.invalid("\(fn): only one dimension can be inferred (-1), got shape \(fmt(shape))")
            }
            inferred = i
        } else if d < 0 {
            throw SNNError.invalid("\(fn): invalid size \(d) at index \(i) of shape \(fmt(shape)) (sizes are >= 0, or -1 to infer one)")
        } else {
            let (m, o) = known.multipliedReportingOverflow(by: d)
            guard !o, m <= maxElementCount else {
                throw SNNError.shape("\(fn): shape \(fmt(shape)) is invalid for an input of shape \(fmt(input)) (\(count) elements)")
            }
            known = m
        }
    }
    guard let i = inferred else {
        guard known == count else {
            throw SNNError.shape("\(fn): shape \(fmt(shape)) is invalid for an input of shape \(fmt(input)) (\(count) elements)")
        }
        return shape
    }
    guard known != 0 else {
        throw SNNError.shape(count == 0
            ? "\(fn): cannot reshape an input of shape \(fmt(input)) (0 elements) into shape \(fmt(shape)): the -1 could be any size"
            : "\(fn): shape \(fmt(shape)) is invalid for an input of shape \(fmt(input)) (\(count) elements)")
    }
    guard count % known == 0 else {
        throw SNNError.shape("\(fn): shape \(fmt(shape)) is invalid for an input of shape \(fmt(input)) (\(count) elements)")
    }
    var out = shape
    out[i] = count / known
    return out
}

/// torch.reshape: the same elements, in the same order, in `shape`; one size may be -1 (inferred).
/// The element counts must agree. The result shares storage with `t` when the strides allow.
public func reshape(_ t: Tensor, _ shape: [Int]) throws -> Tensor {
    let out = try t.view(as: try inferShape(shape, count: t.count, of: t.shape, "reshape"))
    return out.traced(.reshape, [t]).recorded("ViewBackward", [t], saves: [], readsOutput: false) { g in
        // forward: out = t.reshape(shape), the same elements in the same order
        [try g.view(as: t.shape)]
    }
}

/// Tensor.view: `reshape` that always shares storage; an error when `t`'s strides cannot show
/// its elements in `shape` without moving them (as PyTorch's view).
public func view(_ t: Tensor, _ shape: [Int]) throws -> Tensor {
    let target = try inferShape(shape, count: t.count, of: t.shape, "view")
    guard t.isContiguous || t.viewStrides(target) != nil else {
        throw SNNError.shape("view: view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces); input of shape \(fmt(t.shape)) and strides \(fmt(t.strides)), requested shape \(fmt(target)). Use .reshape(...) instead.")
    }
    let out = try t.view(as: target)
    return out.traced(.view, [t]).recorded("ViewBackward", [t], saves: [], readsOutput: false) { g in
        // forward: out = t.view(shape), the same elements in the same order
        [try g.view(as: t.shape)]
    }
}

/// torch.flatten: dimensions startDim...endDim merged into one. A 0-d tensor becomes shape [1].
public func flatten(_ t: Tensor, startDim: Int = 0, endDim: Int = -1) throws -> Tensor {
    let fn = "flatten"
    let s = try wrapDim(startDim, t.rank, fn), e = try wrapDim(endDim, t.rank, fn)
    guard s <= e else {
        throw SNNError.invalid("\(fn): start_dim \(startDim) comes after end_dim \(endDim) for a tensor of shape \(fmt(t.shape))")
    }
    let shape = t.rank == 0 ? [1]
        : Array(t.shape[..<s]) + [try elementCount(Array(t.shape[s...e]), fn)] + Array(t.shape[(e + 1)...])
    let out = try t.view(as: shape)
    return out.traced(.flatten, [t], [("start_dim", .int(s)), ("end_dim", .int(e))]).recorded("FlattenBackward", [t], saves: [], readsOutput: false) { g in
        // forward: out = t.flatten(start_dim, end_dim), the same elements in the same order
        [try g.view(as: t.shape)]
    }
}

/// torch.squeeze: removes the size-1 dimensions among `dims` (all of them when `dims` is
/// empty). Listed dimensions whose size is not 1 are kept, as in PyTorch.
public func squeeze(_ t: Tensor, dims: [Int] = []) throws -> Tensor {
    let fn = "squeeze"
    var listed = Set<Int>()
    for d in dims {
        guard listed.insert(try wrapDim(d, t.rank, fn)).inserted else {
            throw SNNError.invalid("\(fn): dimension \(d) appears more than once in dims \(fmt(dims)) (tensor of shape \(fmt(t.shape)))")
        }
    }
    let shape = t.shape.indices.filter { t.shape[$0] != 1 || (!dims.isEmpty && !listed.contains($0)) }.map { t.shape[$0] }
    let out = try t.view(as: shape)
    let removed = t.shape.indices.filter { t.shape[$0] == 1 && (dims.isEmpty || listed.contains($0)) }
    return out.traced(.squeeze, [t], [("removed", .ints(removed))]).recorded("SqueezeBackward", [t], saves: [], readsOutput: false) { g in
        // forward: out = t.squeeze(dims), size-1 dimensions removed
        [try g.view(as: t.shape)]
    }
}

/// torch.unsqueeze: a size-1 dimension inserted at `dim` (-rank-1 ... rank).
public func unsqueeze(_ t: Tensor, dim: Int) throws -> Tensor {
    let fn = "unsqueeze"
    guard dim >= -(t.rank + 1), dim <= t.rank else {
        throw SNNError.range("\(fn): dimension \(dim) out of range for a tensor of shape \(fmt(t.shape)) (expected \(-(t.rank + 1))...\(t.rank))")
    }
    let d = dim < 0 ? dim + t.rank + 1 : dim
    var shape = t.shape
    shape.insert(1, at: d)
    try checkResultRank(shape.count, fn, shape)
    let out = try t.view(as: shape)
    return out.traced(.unsqueeze, [t], [("dim", .int(d))]).recorded("UnsqueezeBackward", [t], saves: [], readsOutput: false) { g in
        // forward: out = t.unsqueeze(dim), a size-1 dimension inserted
        [try g.view(as: t.shape)]
    }
}

// MARK: - registry

extension OpDef {
    static let reshape = OpDef("reshape", c: "snn_tensor_reshape", python: "reshape", export: { b, r in try b.reshapeNode(r) },
                               imports: ["Reshape": { n in
                                   let allowZero = try n.attrs(["allowzero"]).int("allowzero", 0) != 0
                                   return { xs in
                                       let x = try input(xs, 0)
                                       var shape = try intList(try input(xs, 1), "shape")
                                       for (i, d) in shape.enumerated() where d == 0 && !allowZero {
                                           guard i < x.rank else { throw SNNError.shape("shape \(shape) copies dimension \(i) (0) of an input of rank \(x.rank)") }
                                           shape[i] = x.shape[i]
                                       }
                                       return [try SwiftNN.reshape(x, shape)]
                                   }
                               }])
    static let view = OpDef("view", c: "snn_tensor_view", python: "view", export: { b, r in try b.reshapeNode(r) })
    /// SwiftNN.flatten(1, -1) is ONNX Flatten; other ranges are a Reshape.
    static let flatten = OpDef("flatten", c: "snn_tensor_flatten", python: "flatten",
                               export: { b, r in
                                   let x = try b.value(try r.input(0))
                                   let s = try r.int("start_dim"), e = try r.int("end_dim"), rank = x.shape.count
                                   guard s == 1 && e == rank - 1 && rank >= 2 else { return try b.reshapeNode(r) }
                                   let batch: BatchDim = x.batch == .exact(0) ? .exact(0) : (x.batch == .none ? .none : (x.batch == .folded(0) ? .folded(0) : .folded(1)))
                                   b.define(r.outputs[0], b.node1("Flatten", [x.name], [ONNXAttribute("axis", .int(1))]), batch: batch)
                               },
                               imports: ["Flatten": { n in
                                   let ax = try n.attrs(["axis"]).int("axis", 1)
                                   return { xs in
                                       let x = try input(xs, 0)
                                       let a = ax < 0 ? ax + x.rank : ax
                                       guard a >= 0, a <= x.rank else { throw SNNError.range("axis \(ax) is out of range for rank \(x.rank)") }
                                       return [try SwiftNN.reshape(x, [try elementCount(Array(x.shape[..<a]), "Flatten"), try elementCount(Array(x.shape[a...]), "Flatten")])]
                                   }
                               }])
    static let squeeze = OpDef("squeeze", c: "snn_tensor_squeeze", python: "squeeze",
                               export: { b, r in
                                   let x = try b.value(try r.input(0))
                                   let removed = try r.ints("removed")
                                   if removed.isEmpty { return try b.alias(r) }
                                   var batch = x.batch
                                   if let i = x.batch.index { batch = removed.contains(i) ? .none : b.shifted(x.batch, -removed.filter { $0 < i }.count) }
                                   b.define(r.outputs[0], b.node1("Squeeze", [x.name, b.constInts(removed, "axes")]), batch: batch)
                               },
                               imports: ["Squeeze": { n in
                                   let axes = try axesSource(try n.attrs(["axes"]), opset: n.opset, inputFrom: 13)
                                   return { xs in
                                       let x = try input(xs, 0)
                                       guard let ax = try axes(xs, 1) else { return [try SwiftNN.squeeze(x)] }
                                       let dims = try ax.map { try axis($0, x.rank, "axes") }
                                       for d in dims where x.shape[d] != 1 {
                                           throw SNNError.shape("cannot squeeze dimension \(d) of size \(x.shape[d]) (input \(fmt(x.shape)))")
                                       }
                                       return [dims.isEmpty ? x : try SwiftNN.squeeze(x, dims: dims)]
                                   }
                               }])
    static let unsqueeze = OpDef("unsqueeze", c: "snn_tensor_unsqueeze", python: "unsqueeze",
                                 export: { b, r in
                                     let x = try b.value(try r.input(0))
                                     let d = try r.int("dim")
                                     let batch = x.batch.index.map { $0 >= d ? b.shifted(x.batch, 1) : x.batch } ?? x.batch
                                     b.define(r.outputs[0], b.node1("Unsqueeze", [x.name, b.constInts([d], "axes")]), batch: batch)
                                 },
                                 imports: ["Unsqueeze": { n in
                                     let axes = try axesSource(try n.attrs(["axes"]), opset: n.opset, inputFrom: 13)
                                     return { xs in
                                         var x = try input(xs, 0)
                                         guard let ax = try axes(xs, 1) else { throw SNNError.invalid("Unsqueeze needs axes") }
                                         let rank = x.rank + ax.count
                                         let dims = try ax.map { try axis($0, rank, "axes") }.sorted()
                                         guard Set(dims).count == dims.count else { throw SNNError.invalid("axes \(ax) repeat a dimension") }
                                         for d in dims { x = try SwiftNN.unsqueeze(x, dim: d) }
                                         return [x]
                                     }
                                 }])
}

/// Axes from the node's attribute (before `inputFrom`) or its input `index` (from `inputFrom`).
func axesSource(_ a: NodeAttributes, opset: Int64, inputFrom: Int64) throws -> ([Tensor?], Int) throws -> [Int]? {
    if opset < inputFrom {
        let v = try a.ints("axes")
        return { _, _ in v }
    }
    return { xs, i in try optionalInput(xs, i).map { try intList($0, "axes") } }
}
