// A recorded operation: the tensors it read and a pullback from the output's gradient to
// theirs. Ops call `record` right after computing their forward, micrograd-style. Every
// recording also notes the storage versions of what the pullback may read, so that backward
// refuses, as PyTorch does, a tensor modified in place after it was saved.

final class GradFn {
    let name: String
    /// Inputs in the op's argument order; nil where the input needs no gradient.
    let inputs: [Tensor?]
    /// Maps the output gradient to one gradient per input (nil for "no contribution").
    let pullback: (Tensor) throws -> [Tensor?]
    /// Every tensor argument and its storage version when the op ran. All arguments are
    /// checked (not only those a pullback reads): that also refuses a graph whose input was
    /// rebased by an in-place op after this op used it (see InPlace.swift).
    let savedInputs: [(tensor: Tensor, version: Int)]
    /// The output's storage and version, for ops whose pullback reads their own result. The
    /// storage, not the tensor: the tensor owns this node, and holding it would be a cycle.
    /// An in-place op points it at the tensor it wrote (InPlace.swift), as PyTorch saves that.
    var savedOutput: (storage: Storage, version: Int, shape: [Int], dtype: DType)?

    init(name: String, inputs: [Tensor?], savedInputs: [(tensor: Tensor, version: Int)] = [],
         savedOutput: (storage: Storage, version: Int, shape: [Int], dtype: DType)? = nil,
         pullback: @escaping (Tensor) throws -> [Tensor?]) {
        self.name = name
        self.inputs = inputs
        self.savedInputs = savedInputs
        self.savedOutput = savedOutput
        self.pullback = pullback
    }

    /// Throws PyTorch's error when something this node saved was modified in place since.
    func checkVersions() throws {
        if let o = savedOutput, o.storage.version != o.version {
            throw modifiedError(o.shape, o.dtype, producer: name, o.storage.version, o.version)
        }
        for (t, v) in savedInputs where t.storage.version != v {
            throw modifiedError(t.shape, t.dtype, producer: t.gradFn?.name, t.storage.version, v)
        }
    }
}

/// torch 2.13's message (tools/check_inplace_messages.py prints PyTorch's own), with our type
/// and node names; PyTorch's closing hint about its anomaly mode is left out (SwiftNN has none).
func modifiedError(_ shape: [Int], _ dtype: DType, producer: String?, _ now: Int, _ expected: Int) -> SNNError {
    let which = producer.map { ", which is output 0 of \(forwardName($0))," } ?? ""
    return SNNError(.autograd, "one of the variables needed for gradient computation has been modified by an inplace operation: [swiftnn.\(dtype.tensorTypeName) \(fmt(shape))]\(which) is at version \(now); expected version \(expected) instead.")
}

/// "ReluBackward" -> "Relu", as PyTorch names the op that produced a saved tensor.
func forwardName(_ node: String) -> String {
    node.hasSuffix("Backward") ? String(node.dropLast("Backward".count)) : node
}

extension DType {
    /// PyTorch's legacy tensor type name (torch.FloatTensor ...), used in its autograd messages.
    var tensorTypeName: String {
        switch self {
        case .float32: "FloatTensor"
        case .float64: "DoubleTensor"
        case .int64: "LongTensor"
        case .int32: "IntTensor"
        case .uint8: "ByteTensor"
        case .bool: "BoolTensor"
        }
    }
}

extension Tensor {
    /// Attaches `pullback` to `self` if grad mode is on and some input requires a gradient.
    /// Returns `self` so an op can end with `return out.recorded(...)`. The versions of the
    /// inputs, and of the output unless `readsOutput` is false (the pullback never reads
    /// `self`), are saved and checked at backward.
    @discardableResult
    func recorded(_ name: String, _ inputs: [Tensor], readsOutput: Bool = true,
                  _ pullback: @escaping (Tensor) throws -> [Tensor?]) -> Tensor {
        guard GradMode.isEnabled, inputs.contains(where: { $0.requiresGrad }) else { return self }
        requiresGrad = true
        isLeaf = false
        gradFn = GradFn(name: name, inputs: inputs.map { $0.requiresGrad ? $0 : nil },
                        savedInputs: inputs.map { ($0, $0.storage.version) },
                        savedOutput: readsOutput ? (storage, storage.version, shape, dtype) : nil,
                        pullback: pullback)
        return self
    }

    /// Name of the op that produced this tensor (PyTorch's `grad_fn`), if it was recorded.
    public var gradFnName: String? { gradFn?.name }

    /// Sets whether gradients accumulate into this leaf.
    public func setRequiresGrad(_ flag: Bool) throws {
        if flag && !dtype.isFloatingPoint {
            throw SNNError.dtype("requires_grad_: only floating point tensors (float32, float64) can require gradients; this one is \(dtype.name)")
        }
        guard isLeaf else {
            throw SNNError(.autograd, "requires_grad_: can only change requires_grad of leaf tensors; this tensor was produced by \(gradFn?.name ?? "an op") (use detach())")
        }
        requiresGrad = flag
    }

    /// A tensor sharing storage with this one, cut off from the graph.
    public func detach() -> Tensor {
        let t = restrided(shape, strides, offset: offset)
        t.viewBase = nil  // out of the graph: writes through it rebase no history (as PyTorch's)
        return t.traced(.detach, [self])
    }
}

extension OpDef {
    /// detach shares storage and leaves the graph: in ONNX the same value.
    static let detach = OpDef("detach", c: "snn_tensor_detach", python: "detach", differentiable: false, golden: [],
                              export: { b, r in try b.alias(r) })
}
