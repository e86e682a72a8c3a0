// Module.to(dtype), .double(), .float(): every floating parameter and buffer of a module tree
// converted in place, as PyTorch's Module._apply replaces `param.data`: the Tensor objects stay
// the same (layers, optimizers built later, C and Python handles all see the new dtype);
// integer buffers (num_batches_tracked) keep theirs; gradients are converted too.

extension Tensor {
    /// This tensor's values in `target` (a floating dtype), in a new storage that replaces the
    /// old one; views taken earlier keep the old storage and values (as after PyTorch's
    /// `t.data = t.data.to(dtype)`). The new storage continues the old version count, so caches
    /// keyed on (tensor, version) never mistake it for the old one.
    func convertInPlace(to target: DType, _ fn: String) throws {
        guard dtype != target else { return }
        guard isContiguous else {
            throw SNNError(.unsupported, "\(fn): cannot convert a non-contiguous tensor of shape \(fmt(shape)) in place; only a module's own (contiguous) parameters and buffers are converted")
        }
        let converted = try SwiftNN.to(try packed(fn), target)  // no graph: callers run under no_grad
        // Element i lives at offset + i: the new storage keeps that layout.
        let (elements, o1) = offset.addingReportingOverflow(count)
        let (bytes, o2) = elements.multipliedReportingOverflow(by: target.byteSize)
        guard !o1, !o2 else { throw SNNError(.outOfMemory, "\(fn): tensor of shape \(fmt(shape)) is too large to convert") }
        let s = try Storage(byteCount: bytes, zeroed: false, fn)
        if count > 0 { (s.raw + offset * target.byteSize).copyMemory(from: converted.rawBytes, byteCount: count * target.byteSize) }
        s.version = storage.version + 1
        storage = s
        dtype = target
        packedCache = nil
        if let g = grad { grad = try SwiftNN.to(g, target) }
    }
}

extension Module {
    /// PyTorch's `Module.to(dtype)` (and `.double()`, `.float()`): every floating parameter and
    /// buffer of this module and its descendants becomes `dtype`, in place; returns self.
    /// Only floating dtypes are accepted, with PyTorch's message.
    @discardableResult
    public func convert(to dtype: DType) throws -> Module {
        let fn = "Module.to"
        guard dtype.isFloatingPoint else {
            throw SNNError.dtype("\(fn): nn.Module.to only accepts floating point or complex dtypes, but got desired dtype=torch.\(dtype.name)")
        }
        try GradMode.withoutGrad {
            var seen = Set<ObjectIdentifier>()
            try visit { _, m in
                for (_, t) in m.ownParameters + m.ownBuffers where t.dtype.isFloatingPoint && seen.insert(ObjectIdentifier(t)).inserted {
                    try t.convertInPlace(to: dtype, fn)
                }
            }
        }
        return self
    }
}
