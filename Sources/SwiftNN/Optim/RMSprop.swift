// RMSprop with momentum, centering, L2 weight decay and maximize, exactly torch.optim.RMSprop:
// the same operations in the same order, each rounded to float32 as PyTorch's CPU kernels do.

public final class RMSprop: GroupedOptimizer<RMSprop.Options, RMSprop.State>, @unchecked Sendable {
    /// Hyperparameters of a group, with PyTorch's defaults.
    public struct Options: OptimizerOptions {
        public var lr: Double
        public var alpha: Double
        public var eps: Double
        public var weightDecay: Double
        public var momentum: Double
        public var centered: Bool
        public var maximize: Bool

        public init(lr: Double = 1e-2, alpha: Double = 0.99, eps: Double = 1e-8, weightDecay: Double = 0,
                    momentum: Double = 0, centered: Bool = false, maximize: Bool = false) {
            self.lr = lr
            self.alpha = alpha
            self.eps = eps
            self.weightDecay = weightDecay
            self.momentum = momentum
            self.centered = centered
            self.maximize = maximize
        }

        public func validate(_ fn: String) throws {
            try checkHyper(lr, "learning rate", min: 0, fn)
            try checkHyper(eps, "epsilon value", min: 0, fn)
            try checkHyper(momentum, "momentum value", min: 0, fn)
            try checkHyper(weightDecay, "weight_decay value", min: 0, fn)
            try checkHyper(alpha, "alpha value", min: 0, fn)
        }
    }

    /// Per-parameter state (PyTorch's `state[p]`).
    public final class State {
        var step = 0
        let squareAvg: Tensor
        let momentumBuffer: Tensor?
        let gradAvg: Tensor?

        init(_ shape: [Int], _ o: Options) throws {
            squareAvg = try Tensor(empty: shape, dtype: .float32, zeroed: true, "RMSprop.step")
            momentumBuffer = o.momentum > 0 ? try Tensor(empty: shape, dtype: .float32, zeroed: true, "RMSprop.step") : nil
            gradAvg = o.centered ? try Tensor(empty: shape, dtype: .float32, zeroed: true, "RMSprop.step") : nil
        }
    }

    /// An RMSprop optimizer over `params` (float32 leaves, at least one).
    public init(_ params: [Tensor], _ options: Options = Options()) throws {
        try super.init(name: "RMSprop", params, options)
    }

    override func makeState(_ param: Tensor, _ o: Options) throws -> State { try State(param.shape, o) }

    override func stateTensors(group: Int, index: Int) throws -> [(String, Tensor)] {
        guard let s = states[group][index] else { return [] }
        var out = [("step", try stepTensor(s.step)), ("square_avg", s.squareAvg)]
        if let m = s.momentumBuffer { out.append(("momentum_buffer", m)) }
        if let g = s.gradAvg { out.append(("grad_avg", g)) }
        return out
    }

    override func loadState(group: Int, index: Int, key: String, value: Tensor, _ fn: String) throws {
        let o = groupOptions[group]
        let known = ["step", "square_avg"].contains(key) || (key == "momentum_buffer" && o.momentum > 0) || (key == "grad_avg" && o.centered)
        guard known else { return try super.loadState(group: group, index: index, key: key, value: value, fn) }
        let p = groupParameters[group][index]
        let s = try ensureState(group: group, index: index)
        switch key {
        case "step": s.step = try stepValue(value, fn)
        case "square_avg": try s.squareAvg.copyValues(from: stateCopy(value, p.shape, fn))
        case "momentum_buffer": try s.momentumBuffer?.copyValues(from: stateCopy(value, p.shape, fn))
        default: try s.gradAvg?.copyValues(from: stateCopy(value, p.shape, fn))
        }
    }

    override func update(group: Int, index: Int, param: Tensor, grad: Tensor, lr: Double) {
        guard let s = states[group][index] else { return }
        let o = groupOptions[group]
        s.step += 1
        let alpha = Float(o.alpha), oneMinusAlpha = Float(1 - o.alpha), wd = Float(o.weightDecay)
        let eps = Float(o.eps), momentum = Float(o.momentum), negLR = Float(-lr)
        // lerp_(grad, w) as PyTorch computes it for w < 0.5 and otherwise.
        let w = oneMinusAlpha
        let p = param.floats, gr = grad.floats, sq = s.squareAvg.floats
        let buf = s.momentumBuffer?.floats, ga = s.gradAvg?.floats
        for i in 0..<param.count {
            var g = o.maximize ? -gr[i] : gr[i]
            if wd != 0 { g = g + wd * p[i] }
            sq[i] = sq[i] * alpha + oneMinusAlpha * g * g
            var avg: Float
            if let ga {
                ga[i] = w < 0.5 ? ga[i] + w * (g - ga[i]) : g - (g - ga[i]) * (1 - w)
                avg = (sq[i] + -1 * ga[i] * ga[i]).squareRoot()
            } else {
                avg = sq[i].squareRoot()
            }
            avg = avg + eps
            if let buf {
                buf[i] = buf[i] * momentum + 1 * g / avg
                p[i] = p[i] + negLR * buf[i]
            } else {
                p[i] = p[i] + negLR * g / avg
            }
        }
    }
}
