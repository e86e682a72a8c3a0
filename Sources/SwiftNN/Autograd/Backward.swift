import SwiftNNKernels

// The reverse pass: topological order over recorded ops, pullbacks in reverse, gradients summed
// where a tensor feeds several ops and accumulated into leaves. The graph is freed afterwards
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
        let order = try topologicalOrder()
        var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): seed]
        let callbacks = BackwardCallbacks.enter()
        defer { callbacks.exit() }
        try GradMode.withoutGrad {
            for t in order.reversed() {
                guard let g = grads.removeValue(forKey: ObjectIdentifier(t)) else { continue }
                if t.isLeaf || t.retainsGrad {
                    try t.accumulateGrad(g)
                    for hook in t.postAccumulateGradHooks { try hook(t) }
                }
                guard let node = t.gradFn else { continue }
                try node.checkVersions()
                let inputGrads = try node.pullback(g)
                for (input, ig) in zip(node.inputs, inputGrads) {
                    guard let input, let ig else { continue }
                    guard ig.shape == input.shape, ig.dtype == input.dtype else {
                        throw SNNError(.internalError, "\(fn): \(node.name) returned a gradient of shape \(fmt(ig.shape)) \(ig.dtype.name) for an input of shape \(fmt(input.shape)) \(input.dtype.name)")
                    }
                    let key = ObjectIdentifier(input)
                    if let prev = grads[key] { grads[key] = try add(prev, ig) } else { grads[key] = ig }
                }
                if !retainGraph {
                    t.gradFn = nil
                    t.graphFreed = true
                }
            }
        }
        try callbacks.run()
    }

    /// Tensors reachable from `self` through recorded ops, inputs before users. Iterative so
    /// that a graph unrolled over thousands of time steps cannot overflow the stack.
    private func topologicalOrder() throws -> [Tensor] {
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Tensor, Int)] = [(self, 0)]
        visited.insert(ObjectIdentifier(self))
        while let (t, next) = stack.popLast() {
            if !t.isLeaf && t.gradFn == nil && t.graphFreed {
                throw SNNError(.autograd, "backward: trying to backward through the graph a second time; its buffers were freed by the first backward (pass retain_graph=true the first time)")
            }
            let inputs = t.gradFn?.inputs ?? []
            var i = next
            while i < inputs.count {
                if let child = inputs[i], visited.insert(ObjectIdentifier(child)).inserted {
                    stack.append((t, i + 1))
                    stack.append((child, 0))
                    break
                }
                i += 1
            }
            if i >= inputs.count { order.append(t) }
        }
        return order
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
