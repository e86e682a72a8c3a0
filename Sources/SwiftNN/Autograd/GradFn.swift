// A recorded operation: where its inputs' gradients go and a pullback from the output's
// gradient to theirs. Ops call `recorded` right after computing their forward, micrograd-style.
// As in PyTorch, a node points at its inputs' histories as they were when it ran (`GradEdge`),
// not at the tensors, so a later in-place op that rebases an input's history cannot reroute
// this node's gradients; and it checks the storage versions of exactly the tensors its
// pullback reads (`saves`), so backward refuses a saved tensor that was modified in place.

/// Where a node sends one input's gradient: the node that had produced that input when the op
/// ran, or the leaf whose `grad` accumulates it.
enum GradEdge {
    case node(GradFn)
    case leaf(Tensor)

    /// The edge to `t`'s current history; nil when `t` needs no gradient.
    init?(_ t: Tensor) {
        guard t.requiresGrad else { return nil }
        if let fn = t.gradFn { self = .node(fn) } else { self = .leaf(t) }
    }

    var id: ObjectIdentifier {
        switch self {
        case .node(let n): ObjectIdentifier(n)
        case .leaf(let t): ObjectIdentifier(t)
        }
    }
}

final class GradFn {
    let name: String
    /// One edge per input in the op's argument order; nil where the input needs no gradient.
    /// Emptied when backward releases the node.
    private(set) var edges: [GradEdge?]
    /// Maps the output gradient to one gradient per input (nil for "no contribution"); nil once
    /// backward released the node (and with it the tensors the closure saved).
    private(set) var pullback: ((Tensor) throws -> [Tensor?])?
    /// The output's shape and dtype: what the gradient arriving here must have.
    let shape: [Int]
    let dtype: DType
    /// The tensors the pullback reads and their storage versions when the op ran (PyTorch's
    /// SavedVariables): only these are checked, so writing an input the formula does not need
    /// (`y = x + 1; x.add_(1)`) is allowed, as in PyTorch.
    private(set) var saved: [(tensor: Tensor, version: Int)]
    /// The output's storage and version, for ops whose pullback reads their own result. The
    /// storage, not the tensor: the tensor owns this node, and holding it would be a cycle.
    /// An in-place op points it at the tensor it wrote (InPlace.swift), as PyTorch saves that.
    var savedOutput: (storage: Storage, version: Int, shape: [Int], dtype: DType)?
    /// A non-leaf that called retain_grad() and whose current node this is: backward stores the
    /// gradient arriving here in its `grad`. Weak: the tensor owns this node.
    weak var retainer: Tensor?
    /// Hooks registered on the tensor this node produced (GradientHooks.swift).
    var gradientHooks: [RegisteredGradientHook] = []

    init(name: String, edges: [GradEdge?], shape: [Int], dtype: DType,
         saved: [(tensor: Tensor, version: Int)] = [],
         savedOutput: (storage: Storage, version: Int, shape: [Int], dtype: DType)? = nil,
         pullback: @escaping (Tensor) throws -> [Tensor?]) {
        self.name = name
        self.edges = edges
        self.shape = shape
        self.dtype = dtype
        self.saved = saved
        self.savedOutput = savedOutput
        self.pullback = pullback
    }

    /// A node over `inputs`' current histories, producing a tensor like `output`, whose pullback
    /// reads nothing that could be written later (the in-place and view machinery's own nodes).
    convenience init(name: String, inputs: [Tensor?], output: Tensor,
                     pullback: @escaping (Tensor) throws -> [Tensor?]) {
        self.init(name: name, edges: inputs.map { $0.flatMap(GradEdge.init) }, shape: output.shape,
                  dtype: output.dtype, pullback: pullback)
    }

    var isReleased: Bool { pullback == nil }

    /// Drops the pullback, the edges and the saved tensors after backward used them (unless
    /// retain_graph), so intermediate buffers do not outlive the step.
    func release() {
        pullback = nil
        edges = []
        saved = []
        savedOutput = nil
        gradientHooks = []
    }

    /// Throws PyTorch's error when something this node saved was modified in place since.
    func checkVersions() throws {
        if let o = savedOutput, o.storage.version != o.version {
            throw modifiedError(o.shape, o.dtype, producer: name, o.storage.version, o.version)
        }
        for (t, v) in saved where t.storage.version != v {
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
    /// Returns `self` so an op can end with `return out.recorded(...)`. `saves` are the tensors
    /// the pullback reads (default: every input, the safe choice for an op not yet annotated);
    /// their versions, and the output's unless `readsOutput` is false (the pullback never reads
    /// `self`), are saved and checked at backward.
    @discardableResult
    func recorded(_ name: String, _ inputs: [Tensor], saves: [Tensor]? = nil, readsOutput: Bool = true,
                  _ pullback: @escaping (Tensor) throws -> [Tensor?]) -> Tensor {
        guard GradMode.isEnabled, inputs.contains(where: { $0.requiresGrad }) else { return self }
        requiresGrad = true
        isLeaf = false
        gradFn = GradFn(name: name, edges: inputs.map(GradEdge.init), shape: shape, dtype: dtype,
                        saved: (saves ?? inputs).map { ($0, $0.storage.version) },
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
    /// This tensor as its own pullback may read it: the same storage and layout, outside the
    /// graph, and not traced. A pullback that captured the tensor itself would be owned by it
    /// through its node (a cycle: a forward under grad mode with no backward never freed it).
    var savedForBackward: Tensor {
        let t = restrided(shape, strides, offset: offset)
        t.viewBase = nil
        return t
    }

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
