// A recorded operation: the tensors it read and a pullback from the output's gradient to
// theirs. Ops call `record` right after computing their forward, micrograd-style.

final class GradFn {
    let name: String
    /// Inputs in the op's argument order; nil where the input needs no gradient.
    let inputs: [Tensor?]
    /// Maps the output gradient to one gradient per input (nil for "no contribution").
    let pullback: (Tensor) throws -> [Tensor?]

    init(name: String, inputs: [Tensor?], pullback: @escaping (Tensor) throws -> [Tensor?]) {
        self.name = name
        self.inputs = inputs
        self.pullback = pullback
    }
}

extension Tensor {
    /// Attaches `pullback` to `self` if grad mode is on and some input requires a gradient.
    /// Returns `self` so an op can end with `return out.recorded(...)`.
    @discardableResult
    func recorded(_ name: String, _ inputs: [Tensor], _ pullback: @escaping (Tensor) throws -> [Tensor?]) -> Tensor {
        guard GradMode.isEnabled, inputs.contains(where: { $0.requiresGrad }) else { return self }
        requiresGrad = true
        isLeaf = false
        gradFn = GradFn(name: name, inputs: inputs.map { $0.requiresGrad ? $0 : nil }, pullback: pullback)
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
        view(as: shape).traced(.detach, [self])
    }
}

extension OpDef {
    /// detach shares storage and leaves the graph: in ONNX the same value.
    static let detach = OpDef("detach", c: "snn_tensor_detach", python: "detach", differentiable: false, golden: [],
                              export: { b, r in try b.alias(r) })
}
