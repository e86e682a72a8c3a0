// Stochastic gradient descent with momentum, dampening, Nesterov momentum, L2 weight decay and
// maximize, exactly torch.optim.SGD; the per-element update is `sgdUpdate` in SwiftNNKernels.
import SwiftNNKernels

public final class SGD: GroupedOptimizer<SGD.Options, SGD.State>, @unchecked Sendable {
    /// Hyperparameters of a group, with PyTorch's defaults.
    public struct Options: OptimizerOptions {
        public var lr: Double
        public var momentum: Double
        public var dampening: Double
        public var weightDecay: Double
        public var nesterov: Bool
        public var maximize: Bool

        public init(lr: Double = 1e-3, momentum: Double = 0, dampening: Double = 0, weightDecay: Double = 0,
                    nesterov: Bool = false, maximize: Bool = false) {
            self.lr = lr
            self.momentum = momentum
            self.dampening = dampening
            self.weightDecay = weightDecay
            self.nesterov = nesterov
            self.maximize = maximize
        }

        public func validate(_ fn: String) throws {
            try checkHyper(lr, "learning rate", min: 0, fn)
            try checkHyper(momentum, "momentum value", min: 0, fn)
            guard dampening.isFinite else { throw SNNError.invalid("\(fn): invalid dampening \(dampening): expected a finite value") }
            try checkHyper(weightDecay, "weight_decay value", min: 0, fn)
            if nesterov && (momentum <= 0 || dampening != 0) {
                throw SNNError.invalid("\(fn): Nesterov momentum requires a momentum and zero dampening (momentum \(momentum), dampening \(dampening))")
            }
        }
    }

    /// Per-parameter state: the momentum buffer (none without momentum) and whether it holds
    /// a value yet: the first step sets buf = grad, as PyTorch does.
    public final class State {
        let buffer: Tensor?
        var filled = false
        init(_ shape: [Int], _ o: Options) throws {
            buffer = o.momentum != 0 ? try Tensor(empty: shape, dtype: .float32, zeroed: false, "SGD.step") : nil
        }
    }

    /// An SGD optimizer over `params` (float32 leaves, at least one).
    public init(_ params: [Tensor], _ options: Options = Options()) throws {
        try super.init(name: "SGD", params, options)
    }

    override func makeState(_ param: Tensor, _ o: Options) throws -> State { try State(param.shape, o) }

    /// Sets a group's momentum (validated as at construction, with the group's dampening and
    /// nesterov). A parameter whose state lacks a buffer the new momentum needs (or keeps one
    /// it no longer uses) gets a fresh state: its next step starts the buffer at the gradient.
    public override func setMomentum(_ value: Double, group: Int) throws {
        try lock.withLock {
            guard group >= 0, group < groupOptions.count else {
                throw SNNError.range("SGD.setMomentum: group \(group) out of range (\(groupOptions.count) groups)")
            }
            var o = groupOptions[group]
            o.momentum = value
            try o.validate("SGD.setMomentum")
            groupOptions[group] = o
            for i in states[group].indices where (states[group][i]?.buffer != nil) != (value != 0) {
                states[group][i] = nil
            }
        }
    }

    /// The group's momentum (what OneCycleLR cycles).
    public override func momentum(group: Int) throws -> Double { try options(group: group).momentum }

    /// The momentum buffer of a parameter once a step has filled it (PyTorch's
    /// `state[p]["momentum_buffer"]`); the live tensor the next step updates.
    public func momentumBuffer(group: Int, index: Int) -> Tensor? {
        guard let s = existingState(group: group, index: index), s.filled else { return nil }
        return s.buffer
    }

    override func stateTensors(group: Int, index: Int) throws -> [(String, Tensor)] {
        guard let s = states[group][index], s.filled, let b = s.buffer else { return [] }
        return [("momentum_buffer", b)]
    }

    override func loadState(group: Int, index: Int, key: String, value: Tensor, _ fn: String) throws {
        guard key == "momentum_buffer", groupOptions[group].momentum != 0 else {
            return try super.loadState(group: group, index: index, key: key, value: value, fn)
        }
        let s = try ensureState(group: group, index: index)
        try s.buffer?.copyValues(from: stateCopy(value, groupParameters[group][index].shape, fn))
        s.filled = true
    }

    override func update(group: Int, index: Int, param: Tensor, grad: Tensor, lr: Double) {
        guard let s = states[group][index] else { return }
        let o = groupOptions[group]
        let h = SGDKernelParams(lr: Float(lr), momentum: Float(o.momentum), oneMinusDampening: Float(1 - o.dampening),
                                weightDecay: Float(o.weightDecay), nesterov: o.nesterov, maximize: o.maximize)
        let first = !s.filled
        if s.buffer != nil { s.filled = true }
        sgdUpdate(param: param.floats, grad: grad.floats, buffer: s.buffer?.floats, count: param.count, h, firstStep: first)
    }
}
