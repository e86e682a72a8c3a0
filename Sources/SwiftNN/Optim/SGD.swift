// Stochastic gradient descent with momentum, dampening, Nesterov momentum, L2 weight decay and
// maximize, exactly torch.optim.SGD; the per-element update is `sgdUpdate` in SwiftNNKernels.
import SwiftNNKernels

public final class SGD: Optimizer, @unchecked Sendable {
    /// Hyperparameters of a group, with PyTorch's defaults.
    public struct Options: Sendable, Equatable {
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

        func validate(_ fn: String) throws {
            try checkHyper(lr, "learning rate", min: 0, fn)
            try checkHyper(momentum, "momentum value", min: 0, fn)
            guard dampening.isFinite else { throw SNNError.invalid("\(fn): invalid dampening \(dampening): expected a finite value") }
            try checkHyper(weightDecay, "weight_decay value", min: 0, fn)
            if nesterov && (momentum <= 0 || dampening != 0) {
                throw SNNError.invalid("\(fn): Nesterov momentum requires a momentum and zero dampening (momentum \(momentum), dampening \(dampening))")
            }
        }
    }

    /// The options of the first group: what `addParamGroup` uses when given none.
    public let defaults: Options
    private var options: [Options] = []
    /// Momentum buffer per parameter (nil until its first step with momentum) and whether it
    /// holds a value yet: the first step sets buf = grad, as PyTorch does.
    private var buffers: [[Tensor?]] = []
    private var filled: [[Bool]] = []

    /// An SGD optimizer over `params` (float32 leaves, at least one).
    public init(_ params: [Tensor], _ options: Options = Options()) throws {
        defaults = options
        super.init(name: "SGD")
        guard !params.isEmpty else { throw SNNError.invalid("SGD: optimizer got an empty parameter list") }
        try addParamGroup(params, options)
    }

    /// Adds a group with its own options (`optimizer.add_param_group`); nil means `defaults`.
    public func addParamGroup(_ params: [Tensor], _ options: Options? = nil) throws {
        let opts = options ?? defaults
        try opts.validate("SGD")
        try lock.withLock {
            try appendGroup(params, lr: opts.lr, "SGD")
            self.options.append(opts)
            buffers.append([Tensor?](repeating: nil, count: params.count))
            filled.append([Bool](repeating: false, count: params.count))
        }
    }

    /// The options of a group, its current learning rate included.
    public func options(group: Int) throws -> Options {
        var o = try lock.withLock {
            guard group >= 0, group < options.count else { throw SNNError.range("SGD.options: group \(group) out of range (\(options.count) groups)") }
            return options[group]
        }
        o.lr = try learningRate(group: group)
        return o
    }

    /// Sets a group's momentum (validated as at construction, with the group's dampening and
    /// nesterov). A buffer appears at the first step with a non-zero momentum.
    public override func setMomentum(_ value: Double, group: Int) throws {
        try lock.withLock {
            guard group >= 0, group < options.count else { throw SNNError.range("SGD.setMomentum: group \(group) out of range (\(options.count) groups)") }
            var o = options[group]
            o.momentum = value
            try o.validate("SGD.setMomentum")
            options[group] = o
        }
    }

    /// The momentum buffer of a parameter once a step has filled it (PyTorch's
    /// `state[p]["momentum_buffer"]`); the live tensor the next step updates.
    public func momentumBuffer(group: Int, index: Int) -> Tensor? {
        lock.withLock {
            guard group >= 0, group < buffers.count, index >= 0, index < buffers[group].count, filled[group][index] else { return nil }
            return buffers[group][index]
        }
    }

    override func stateTensors(group: Int, index: Int) throws -> [(String, Tensor)] {
        guard filled[group][index], let b = buffers[group][index] else { return [] }
        return [("momentum_buffer", b)]
    }

    override func loadState(group: Int, index: Int, key: String, value: Tensor, _ fn: String) throws {
        guard key == "momentum_buffer", options[group].momentum != 0 else {
            return try super.loadState(group: group, index: index, key: key, value: value, fn)
        }
        let p = groupParameters[group][index]
        buffers[group][index] = try stateCopy(value, p.shape, fn)
        filled[group][index] = true
    }

    override func prepareState(group: Int, index: Int, param: Tensor) throws {
        if options[group].momentum != 0 && buffers[group][index] == nil {
            buffers[group][index] = try Tensor(empty: param.shape, dtype: .float32, zeroed: false, "SGD.step")
        }
    }

    override func update(group: Int, index: Int, param: Tensor, grad: Tensor, lr: Double) {
        let o = options[group]
        let h = SGDKernelParams(lr: Float(lr), momentum: Float(o.momentum), oneMinusDampening: Float(1 - o.dampening),
                                weightDecay: Float(o.weightDecay), nesterov: o.nesterov, maximize: o.maximize)
        let buffer = o.momentum != 0 ? buffers[group][index] : nil
        let first = !filled[group][index]
        if buffer != nil { filled[group][index] = true }
        sgdUpdate(param: param.floats, grad: grad.floats, buffer: buffer?.floats, count: param.count, h, firstStep: first)
    }
}
