// In-place ops on a view of a tensor that requires grad, as PyTorch's CopySlices: the write
// changes the base tensor, so the base's history is rebased onto a node that routes the
// gradient of the written region through the op and the rest to the base's old history; the
// view's own history becomes "a view of the new base". Views record their base (the tensor
// they were taken from, `Tensor.viewBase`); the base must be contiguous (it is whenever it
// was produced by an op: op outputs are fresh contiguous tensors).

/// Where a view lies in its contiguous base: its shape and strides, and its offset from the
/// base's first element. Pullbacks keep this, not the tensors (which own the pullbacks).
struct ViewRegion {
    let shape: [Int], strides: [Int], offset: Int, baseShape: [Int]

    /// The region of `t`, a tensor of the base's shape, contiguous and offset 0 in its storage.
    func of(_ t: Tensor) -> Tensor { t.restrided(shape, strides, offset: offset) }

    /// Zeros of the base's shape with `g` written into the region: the adjoint of the view.
    func scattered(_ g: Tensor, _ fn: String) throws -> Tensor {
        let out = try Tensor(empty: baseShape, dtype: g.dtype, zeroed: true, fn)
        of(out).writeElements(from: g)
        return out
    }
}

/// Whether two elements of `t` share a memory location (a dimension of size > 1 with stride 0,
/// as expand makes): PyTorch refuses in-place writes to such tensors.
func hasInternalOverlap(_ t: Tensor) -> Bool {
    zip(t.shape, t.strides).contains { size, stride in size > 1 && stride == 0 }
}

/// The in-place op `compute` on the view `t` while a graph is recorded (called by `inPlace`):
/// writes the result into the view's memory and rebases the base's and the view's histories.
func inPlaceOnView(_ t: Tensor, _ others: [Tensor], _ fn: String, castsFreely: Bool,
                   _ compute: (Tensor) throws -> Tensor) throws -> Tensor {
    guard let base = t.viewBase, base.storage === t.storage, base.isContiguous, !hasInternalOverlap(t) else {
        if hasInternalOverlap(t) {
            throw SNNError.invalid("\(fn): unsupported operation: more than one element of the written-to tensor refers to a single memory location. Please clone() the tensor before performing the operation.")
        }
        throw SNNError(.unsupported, "\(fn): in-place operation on a view (shape \(fmt(t.shape))) of a tensor that is not contiguous, while a graph is recorded, is not supported; apply it to a clone()")
    }
    if base.requiresGrad && base.isLeaf {
        throw SNNError(.autograd, "a view of a leaf Variable that requires grad is being used in an in-place operation.")
    }
    let region = ViewRegion(shape: t.shape, strides: t.strides, offset: t.storageOffset - base.storageOffset, baseShape: base.shape)
    // The base's history before the write, carried by a stand-in (its values are never read).
    let oldBase = base.restrided(base.shape, base.strides, offset: base.storageOffset)
    oldBase.viewBase = nil
    oldBase.takeHistory(from: base)
    // The view's current values, as a function of the old base, are what the op reads.
    let before = try t.packed(fn, always: true)
    if oldBase.requiresGrad {
        before.gradFn = GradFn(name: "AsStridedBackward", inputs: [oldBase], output: before) { g in
            // forward: before = base[region]  =>  dbase = g in the region, 0 elsewhere
            [try region.scattered(g, "as_strided_backward")]
        }
        before.requiresGrad = true
        before.isLeaf = false
    }
    let out = try compute(before)
    guard out.shape == t.shape else {
        throw SNNError.shape("\(fn): output with shape \(fmt(t.shape)) doesn't match the broadcast shape \(fmt(out.shape))")
    }
    t.writeElements(from: try out.converted(to: t.dtype, fn, castsFreely: castsFreely))
    out.gradFn?.savesWrittenResult(t)
    // forward: base' = base with region := out  =>  dbase = g outside the region, dout = g[region]
    let outDType = out.dtype
    base.gradFn = GradFn(name: "CopySlices", inputs: [oldBase, out], output: base) { g in
        let rest = try g.packed("copy_slices_backward", always: true)
        let written = region.of(rest)
        let gOut = try written.packed("copy_slices_backward", always: true)
        written.writeElements(from: try Tensor(empty: region.shape, dtype: g.dtype, zeroed: true, "copy_slices_backward"))
        return [rest, try gOut.converted(to: outDType, "copy_slices_backward", castsFreely: true)]
    }
    base.requiresGrad = true
    base.isLeaf = false
    // The view now shows the new base.
    t.gradFn = GradFn(name: "AsStridedBackward", inputs: [base], output: t) { g in
        // forward: t = base'[region]
        [try region.scattered(g, "as_strided_backward")]
    }
    t.requiresGrad = true
    t.isLeaf = false
    return t
}

extension GradFn {
    /// For an op whose pullback reads its result, written in place into `t`: the version check
    /// follows `t`'s storage (shared with its base and views), so a later write to any of them
    /// fails at backward with PyTorch's message, as PyTorch's saved in-place result does. The
    /// pullback itself still reads the op's own copy of the result, which no write can change.
    func savesWrittenResult(_ t: Tensor) {
        guard savedOutput != nil else { return }
        savedOutput = (t.storage, t.storage.version, t.shape, t.dtype)
    }
}
