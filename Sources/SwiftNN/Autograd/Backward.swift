import SwiftNNKernels

// The reverse pass: topological order over recorded nodes, pullbacks in reverse, gradients
// summed where a node's output feeds several ops and accumulated into leaves. The graph is freed afterwards
// unless `retainGraph`, so intermediate buffers do not outlive the step.

extension Tensor {
    /// Computes gradients of `self` with respect to every leaf that requires them.
    /// `gradient` is the upstream gradient (required unless `self` has one element).
    public func backward(_ gradient: Tensor? = nil, retainGraph: Bool = false) throws {
        let fn = "backward"
        guard requiresGrad else {
            throw SNNError(.autograd, "\(fn): tensor of shape \(fmt(shape)) does not require grad and has no grad_fn")
        }
        let seed: Tensor
        if let g = gradient {
            guard g.dtype == dtype else {
                throw SNNError.dtype("\(fn): gradient has dtype \(g.dtype.name), expected the output's dtype \(dtype.name)")
            }
            guard g.shape == shape else {
                throw SNNError.shape("\(fn): gradient has shape \(fmt(g.shape)), expected the output's shape \(fmt(shape))")
            }
            seed = g
        } else {
            guard count == 1 else {
                throw SNNError(.autograd, "\(fn): grad can be implicitly created only for one-element outputs; this output has shape \(fmt(shape)), pass a gradient")
            }
            seed = try Tensor.full(shape, 1, dtype: dtype)
        }
        let root: GradEdge = gradFn.map { .node($0) } ?? .leaf(self)
        let order = try topologicalOrder(from: root)
        var grads: [ObjectIdentifier: Tensor] = [root.id: seed]
        let callbacks = BackwardCallbacks.enter()
        defer { callbacks.exit() }
        try GradMode.withoutGrad {
            for vertex in order.reversed() {
                guard var g = grads.removeValue(forKey: vertex.id) else { continue }
                let node: GradFn
                switch vertex {
                case .leaf(let t):
                    if !t.gradientHooks.isEmpty { g = try applyGradientHooks(t.gradientHooks, g, shape: t.shape, dtype: t.dtype) }
                    if t.grad == nil && Tensor.isPrivate(&g, like: t) { t.grad = g } else { try t.accumulateGrad(g) }
                    for hook in t.postAccumulateGradHooks { try hook(t) }
                    continue
                case .node(let n):
                    node = n
                }
                if !node.gradientHooks.isEmpty { g = try applyGradientHooks(node.gradientHooks, g, shape: node.shape, dtype: node.dtype) }
                if let r = node.retainer, r.retainsGrad, r.gradFn === node { try r.accumulateGrad(g) }
                try node.checkVersions()
                guard let pullback = node.pullback else { throw secondBackwardError() }
                let inputGrads = try pullback(g)
                for (edge, ig) in zip(node.edges, inputGrads) {
                    guard let edge, var ig else { continue }
                    let (shape, dtype) = edge.gradientShape
                    if ig.shape == shape && ig.dtype != dtype && ig.dtype.isFloatingPoint && dtype.isFloatingPoint {
                        // An in-place op wrote a float64 result into a float32 tensor (or back):
                        // as PyTorch's validate_outputs, the gradient takes the edge's dtype.
                        ig = try ig.converted(to: dtype, fn, castsFreely: true)
                    }
                    guard ig.shape == shape, ig.dtype == dtype else {
                        throw SNNError(.internalError, "\(fn): \(node.name) returned a gradient of shape \(fmt(ig.shape)) \(ig.dtype.name) for an input of shape \(fmt(shape)) \(dtype.name)")
                    }
                    let key = edge.id
                    if let prev = grads[key] { grads[key] = try add(prev, ig) } else { grads[key] = ig }
                }
                if !retainGraph { node.release() }
            }
        }
        try callbacks.run()
    }

    /// Nodes and leaves reachable from `root`, inputs before users. Iterative so that a graph
    /// unrolled over thousands of time steps cannot overflow the stack.
    private func topologicalOrder(from root: GradEdge) throws -> [GradEdge] {
        var order: [GradEdge] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(GradEdge, Int)] = [(root, 0)]
        visited.insert(root.id)
        while let (v, next) = stack.popLast() {
            var edges: [GradEdge?] = []
            if case .node(let n) = v {
                if n.isReleased { throw secondBackwardError() }
                edges = n.edges
            }
            var i = next
            while i < edges.count {
                if let child = edges[i], visited.insert(child.id).inserted {
                    stack.append((v, i + 1))
                    stack.append((child, 0))
                    break
                }
                i += 1
            }
            if i >= edges.count { order.append(v) }
        }
        return order
    }

    private func secondBackwardError() -> SNNError {
        SNNError(.autograd, "backward: trying to backward through the graph a second time; its buffers were freed by the first backward (pass retain_graph=true the first time)")
    }

    /// True when nothing but the reference `g` can reach g's bytes: g and its storage are
    /// referenced once, the storage is the engine's own (not caller or lent memory), and g is
    /// all of it, densely, in `leaf`'s shape and dtype. Such a gradient becomes a leaf's first
    /// `.grad` without the copy `accumulateGrad` makes (as PyTorch steals it): a large input's
    /// gradient copy was 9% of a depthwise convolution's backward.
    static func isPrivate(_ g: inout Tensor, like leaf: Tensor) -> Bool {
        guard g.shape == leaf.shape, g.dtype == leaf.dtype, g.offset == 0, g.isContiguous, g.explicitStrides == nil,
              !g.isView, g.viewBase == nil, g.gradFn == nil, !g.requiresGrad, g.packedCache == nil,
              g.gradientHooks.isEmpty, g.postAccumulateGradHooks.isEmpty, !g.isWrappedNumber,
              case .owned = g.storage.origin, g.storage.isWritable, !g.storage.isExported,
              g.storage.byteCount == g.count * g.dtype.byteSize else { return false }
        return isKnownUniquelyReferenced(&g) && isKnownUniquelyReferenced(&g.storage)
    }

    /// grad += g, copying on first use so the stored gradient never aliases another tensor.
    func accumulateGrad(_ g: Tensor) throws {
        if let existing = grad {
            guard existing.shape == g.shape, existing.dtype == g.dtype else {
                throw SNNError.shape("backward: stored grad has shape \(fmt(existing.shape)) \(existing.dtype.name) but the new gradient has \(fmt(g.shape)) \(g.dtype.name)")
            }
            try existing.mutate("backward") { raw in
                if g.dtype == .float64 {
                    let p = raw.assumingMemoryBound(to: Double.self), q = g.doubles
                    for i in 0..<g.count { p[i] += q[i] }
                } else {
                    axpy(raw.assumingMemoryBound(to: Float.self), g.floats, g.count)
                }
            }
        } else {
            grad = try g.clone()
        }
    }
}

extension GradEdge {
    /// The shape and dtype a gradient sent along this edge must have.
    var gradientShape: ([Int], DType) {
        switch self {
        case .node(let n): (n.shape, n.dtype)
        case .leaf(let t): (t.shape, t.dtype)
        }
    }
}
