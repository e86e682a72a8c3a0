// In-place ops (add_, mul_, fill_, copy_, relu_, ...) by one mechanism: compute the
// out-of-place op, write its result through the destination's strides, bump the storage's
// version, and rebase the destination's autograd history onto the op. Any out-of-place op
// gets an in-place variant in one line (`inPlace(t, [others]) { try op($0, ...) }`).

/// The rules and the write shared by every in-place op. `others` are the op's other tensor
/// arguments (they decide whether a graph is recorded); `compute` is the out-of-place op
/// applied to the destination's current value.
@discardableResult
func inPlace(_ t: Tensor, _ others: [Tensor], _ fn: String, castsFreely: Bool = false,
             _ compute: (Tensor) throws -> Tensor) throws -> Tensor {
    try t.requireWritable(fn)  // read-only borrowed memory (numpy, snn_tensor_wrap_readonly)
    if hasInternalOverlap(t) && fn != "fill_" && fn != "zero_" {  // PyTorch's fills write one value, allowed
        throw SNNError.invalid("\(fn): unsupported operation: more than one element of the written-to tensor refers to a single memory location. Please clone() the tensor before performing the operation.")
    }
    let recording = GradMode.isEnabled && (t.requiresGrad || others.contains { $0.requiresGrad })
    if GradMode.isEnabled && t.requiresGrad && t.isLeaf {
        throw SNNError(.autograd, "a leaf Variable that requires grad is being used in an in-place operation.")
    }
    if recording && t.viewBase != nil {
        // PyTorch's CopySlices: the base tensor's history is rebased too (CopySlices.swift).
        return try inPlaceOnView(t, others, fn, castsFreely: castsFreely, compute)
    }
    // The op reads `before`: when a graph is recorded, a copy that takes over t's history, so
    // that what the op's pullback saves is never the memory about to be overwritten.
    let before = recording ? try t.movingHistoryToCopy(fn) : t
    let out: Tensor
    do {
        out = try compute(before)
        guard out.shape == t.shape else {
            throw SNNError.shape("\(fn): output with shape \(fmt(t.shape)) doesn't match the broadcast shape \(fmt(out.shape))")
        }
    } catch {
        if before !== t { t.takeHistory(from: before) }
        throw error
    }
    let value = try out.converted(to: t.dtype, fn, castsFreely: castsFreely)
    t.writeElements(from: value)
    guard recording else { return t }
    if out.requiresGrad {
        t.adoptHistory(of: out)
        t.gradFn?.savesWrittenResult(t)
    } else if before.requiresGrad {
        // The op does not depend on the old value (fill_, copy_ from a constant): its
        // gradient to the old history is zero, as PyTorch's.
        t.gradFn = GradFn(name: "\(fn.prefix(1).uppercased())\(fn.dropFirst().dropLast())Backward", inputs: [before], output: t) { g in
            [try Tensor(empty: g.shape, dtype: g.dtype, zeroed: true, fn + "_backward")]
        }
        t.requiresGrad = true
        t.isLeaf = false
    }
    return t
}

extension Tensor {
    /// A contiguous copy of this tensor that takes over its autograd history (node,
    /// requires_grad, leafness); `self` is left without history until the op adopts one.
    func movingHistoryToCopy(_ fn: String) throws -> Tensor {
        let c = try packed(fn, always: true)
        c.takeHistory(from: self)
        gradFn = nil
        requiresGrad = false
        isLeaf = true
        return c
    }

    func takeHistory(from other: Tensor) {
        gradFn = other.gradFn
        requiresGrad = other.requiresGrad
        isLeaf = other.isLeaf
        if retainsGrad { gradFn?.retainer = self }
    }

    /// Makes the op that produced `out` (whose values this tensor now holds) its producer.
    /// (`GradFn.savesWrittenResult` then checks the written tensor's version, as PyTorch.)
    func adoptHistory(of out: Tensor) {
        gradFn = out.gradFn
        requiresGrad = true
        isLeaf = false
        if retainsGrad { gradFn?.retainer = self }  // PyTorch moves retain_grad to the new node
    }

    /// This tensor's values in `dtype` (itself when it has that dtype already). As PyTorch's
    /// in-place arithmetic: a floating result cannot go into an integer tensor, nor a non-bool
    /// result into a bool one; copies (`castsFreely`: copy_, fill_, t[i] = v) convert anything.
    func converted(to target: DType, _ fn: String, castsFreely: Bool = false) throws -> Tensor {
        if dtype == target { return self }
        let refused = !castsFreely && ((dtype.isFloatingPoint && !target.isFloatingPoint) || (target == .bool && dtype != .bool))
        guard !refused else {
            throw SNNError.dtype("\(fn): result type \(dtype.tensorTypeName.dropLast(6)) can't be cast to the desired output type \(target.tensorTypeName.dropLast(6))")
        }
        let out = try Tensor(empty: shape, dtype: target, zeroed: false, fn)
        let src = try packed(fn)  // one packing, not one cache lookup per element
        for i in 0..<count {
            let v = src.element(i)
            switch target {
            case .float32: out.floats[i] = Float(v)
            case .float64: out.doubles[i] = v
            case .int64: out.int64s[i] = Int64(v)
            case .int32: out.int32s[i] = Int32(truncatingIfNeeded: Int64(v))
            case .uint8: out.bytes[i] = UInt8(truncatingIfNeeded: Int64(v))
            case .bool: out.bytes[i] = v != 0 ? 1 : 0
            }
        }
        return out
    }
}

/// A 0-d float32 tensor holding `value`, the scalar operand of the in-place ops.
func scalarTensor(_ value: Double, _ fn: String) throws -> Tensor {
    try Tensor.full([], Float(value), fn)
}

// MARK: - the in-place ops (PyTorch's names without the underscore: add_ is addInPlace)

/// t.add_(other, alpha=alpha): t += alpha * other (other broadcasts to t's shape).
@discardableResult
public func addInPlace(_ t: Tensor, _ other: Tensor, alpha: Double = 1) throws -> Tensor {
    try inPlace(t, [other], "add_") { x in try add(x, alpha == 1 ? other : try mul(other, try scalarTensor(alpha, "add_"))) }
}

/// t.sub_(other, alpha=alpha): t -= alpha * other.
@discardableResult
public func subInPlace(_ t: Tensor, _ other: Tensor, alpha: Double = 1) throws -> Tensor {
    try inPlace(t, [other], "sub_") { x in try sub(x, alpha == 1 ? other : try mul(other, try scalarTensor(alpha, "sub_"))) }
}

/// t.mul_(other): t *= other.
@discardableResult
public func mulInPlace(_ t: Tensor, _ other: Tensor) throws -> Tensor {
    try inPlace(t, [other], "mul_") { x in try mul(x, other) }
}

/// t.div_(other): t /= other.
@discardableResult
public func divInPlace(_ t: Tensor, _ other: Tensor) throws -> Tensor {
    try inPlace(t, [other], "div_") { x in try div(x, other) }
}

/// t.pow_(exponent): t = t ** exponent (a tensor exponent broadcasts to t's shape).
@discardableResult
public func powInPlace(_ t: Tensor, _ exponent: Tensor) throws -> Tensor {
    try inPlace(t, [exponent], "pow_") { x in try pow(x, exponent) }
}

/// t.pow_(exponent) with a scalar exponent.
@discardableResult
public func powInPlace(_ t: Tensor, _ exponent: Float) throws -> Tensor {
    try inPlace(t, [], "pow_") { x in try pow(x, exponent) }
}

/// t.clamp_(min, max).
@discardableResult
public func clampInPlace(_ t: Tensor, min lo: Float?, max hi: Float?) throws -> Tensor {
    guard lo != nil || hi != nil else {
        throw SNNError.invalid("clamp_: at least one of min or max must be given (neither bound was passed)")
    }
    return try inPlace(t, [], "clamp_") { x in try clamp(x, min: lo, max: hi) }
}

@discardableResult public func negInPlace(_ t: Tensor) throws -> Tensor { try inPlace(t, [], "neg_") { try neg($0) } }
@discardableResult public func expInPlace(_ t: Tensor) throws -> Tensor { try inPlace(t, [], "exp_") { try exp($0) } }
@discardableResult public func reluInPlace(_ t: Tensor) throws -> Tensor { try inPlace(t, [], "relu_") { try relu($0) } }
@discardableResult public func sigmoidInPlace(_ t: Tensor) throws -> Tensor { try inPlace(t, [], "sigmoid_") { try sigmoid($0) } }
@discardableResult public func tanhInPlace(_ t: Tensor) throws -> Tensor { try inPlace(t, [], "tanh_") { try tanh($0) } }

/// t.fill_(value): every element set to `value` (converted to t's dtype).
@discardableResult
public func fillInPlace(_ t: Tensor, _ value: Double) throws -> Tensor {
    try inPlace(t, [], "fill_", castsFreely: true) { x in
        try expand(try Tensor.full([], Float(value), "fill_").converted(to: x.dtype, "fill_", castsFreely: true), to: x.shape)
    }
}

/// t.zero_().
@discardableResult
public func zeroInPlace(_ t: Tensor) throws -> Tensor { try fillInPlace(t, 0) }

/// t.copy_(src): src's values (broadcast to t's shape, converted to t's dtype) written into t.
/// The gradient flows to src; t's old history gets none.
@discardableResult
public func copyInPlace(_ t: Tensor, _ src: Tensor) throws -> Tensor {
    try inPlace(t, [src], "copy_", castsFreely: true) { x in
        _ = try broadcastShapes(x.shape, src.shape, "copy_")
        let out = try GradMode.withoutGrad { try expand(src, to: x.shape) }
        // PyTorch's CopyBackwards: zero to the old value (its history still gets a gradient,
        // as in PyTorch), src's gradient summed over the broadcast dimensions.
        return out.recorded("CopyBackwards", [x, src], saves: [], readsOutput: false) { g in
            [x.requiresGrad ? try Tensor(empty: x.shape, dtype: x.dtype, zeroed: true, "copy_backward") : nil,
             src.requiresGrad ? try sumToShape(g, src.shape) : nil]
        }
    }
}

// MARK: - indexed writes (Python's t[mask] = v, t[index] = v)

/// Indexed writes are not differentiable here: refuse them where a graph would be needed.
private func requireUnrecordedWrite(_ t: Tensor, _ source: Tensor, _ fn: String) throws {
    guard GradMode.isEnabled, t.requiresGrad || source.requiresGrad else { return }
    if t.isLeaf && t.requiresGrad {
        throw SNNError(.autograd, "a leaf Variable that requires grad is being used in an in-place operation.")
    }
    throw SNNError(.unsupported, "\(fn): indexed assignment is not differentiable in SwiftNN; the destination (shape \(fmt(t.shape))) or the values require grad (use torch.where, or no_grad)")
}

/// t.masked_scatter_(mask, source): where the bool `mask` (t's shape) is true, t takes
/// source's elements in order; a one-element source is written at every such position.
@discardableResult
public func maskedScatterInPlace(_ t: Tensor, mask: Tensor, source: Tensor) throws -> Tensor {
    let fn = "masked_scatter_"
    guard mask.dtype == .bool else {
        throw SNNError.dtype("\(fn): mask has dtype \(mask.dtype.name), expected bool")
    }
    guard mask.shape == t.shape else {
        // PyTorch's wording, naming the first dimension that differs.
        let i = (0..<min(mask.rank, t.rank)).first { mask.shape[$0] != t.shape[$0] } ?? min(mask.rank, t.rank)
        throw SNNError.shape("\(fn): The shape of the mask \(fmt(mask.shape)) at index \(i) does not match the shape of the indexed tensor \(fmt(t.shape)) at index \(i)")
    }
    try requireUnrecordedWrite(t, source, fn)
    let m = mask.bytes
    var n = 0
    for i in 0..<mask.count where m[i] != 0 { n += 1 }
    guard source.count == 1 || source.count >= n else {
        throw SNNError.shape("\(fn): source has \(source.count) elements but the mask selects \(n) (expected 1, or at least \(n))")
    }
    let src = try source.converted(to: t.dtype, fn, castsFreely: true)
    return try inPlace(t, [], fn) { x in
        let out = try x.packed(fn, always: true)
        let size = t.dtype.byteSize
        let po = out.storage.raw, ps = src.elements
        var k = 0
        for i in 0..<out.count where m[i] != 0 {
            (po + i * size).copyMemory(from: ps + (src.count == 1 ? 0 : k) * size, byteCount: size)
            k += 1
        }
        return out
    }
}

/// t.index_put_ along `dim`: the slice at index[j] takes values' slice j (values broadcast to
/// the selected shape); negative indices count from the end; the last write of a repeat wins.
@discardableResult
public func indexPutInPlace(_ t: Tensor, dim: Int, index: Tensor, values: Tensor) throws -> Tensor {
    let fn = "index_put_"
    guard index.dtype == .int64 else {
        throw SNNError.dtype("\(fn): index has dtype \(index.dtype.name), expected int64 (tensor of shape \(fmt(t.shape)))")
    }
    guard index.rank <= 1 else {
        throw SNNError.shape("\(fn): index must be a vector (rank 0 or 1), got shape \(fmt(index.shape))")
    }
    guard t.rank >= 1 else { throw SNNError.range("\(fn): cannot index a 0-dim tensor (shape [])") }
    let d = try wrapDim(dim, t.rank, fn)
    let size = t.shape[d]
    var idx: [Int] = []
    for (j, v) in index.int64Scalars.enumerated() {
        guard v >= -Int64(size), v < Int64(size) else {
            throw SNNError.range("\(fn): index \(v) (at position \(j)) is out of range for dimension \(d) of size \(size) (tensor of shape \(fmt(t.shape)))")
        }
        idx.append(Int(v < 0 ? v + Int64(size) : v))
    }
    var selected = t.shape
    selected[d] = idx.count
    _ = try broadcastShapes(selected, values.shape, fn)
    try requireUnrecordedWrite(t, values, fn)
    let v = try expand(try values.converted(to: t.dtype, fn, castsFreely: true), to: selected)
    return try inPlace(t, [], fn) { x in
        let out = try x.packed(fn, always: true)
        for (j, k) in idx.enumerated() {
            try narrowed(out, d, k, 1, 1, fn).writeElements(from: try narrowed(v, d, j, 1, 1, fn))
        }
        return out
    }
}

// MARK: - indexed writes of the comparison and selection ops (Where.swift, Scatter.swift)

/// torch.Tensor.masked_fill_: value where mask is true; mask broadcasts to t.
@discardableResult public func maskedFillInPlace(_ t: Tensor, mask: Tensor, value: Double) throws -> Tensor {
    try inPlace(t, [], "masked_fill_", castsFreely: true) { try maskedFill($0, mask: mask, value: value) }
}

/// torch.Tensor.scatter_(dim, index, src).
@discardableResult public func scatterInPlace(_ t: Tensor, dim: Int, index: Tensor, src: Tensor) throws -> Tensor {
    try inPlace(t, [src], "scatter_") { try scatter($0, dim: dim, index: index, src: src) }
}

/// torch.Tensor.scatter_(dim, index, value).
@discardableResult public func scatterInPlace(_ t: Tensor, dim: Int, index: Tensor, value: Double) throws -> Tensor {
    try inPlace(t, [], "scatter_", castsFreely: true) { try scatter($0, dim: dim, index: index, value: value) }
}

/// torch.Tensor.scatter_add_(dim, index, src).
@discardableResult public func scatterAddInPlace(_ t: Tensor, dim: Int, index: Tensor, src: Tensor) throws -> Tensor {
    try inPlace(t, [src], "scatter_add_") { try scatterAdd($0, dim: dim, index: index, src: src) }
}

/// torch.Tensor.index_add_(dim, index, source, alpha=).
@discardableResult public func indexAddInPlace(_ t: Tensor, dim: Int, index: Tensor, source: Tensor, alpha: Double = 1) throws -> Tensor {
    try inPlace(t, [source], "index_add_") { try indexAdd($0, dim: dim, index: index, source: source, alpha: alpha) }
}
