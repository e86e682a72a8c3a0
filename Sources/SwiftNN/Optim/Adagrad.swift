// Adagrad with learning-rate decay, L2 weight decay, an initial accumulator value and maximize,
// exactly torch.optim.Adagrad. As in PyTorch the state exists from construction (the sum starts
// at initial_accumulator_value), so state_dict() lists every parameter before any step.

public final class Adagrad: GroupedOptimizer<Adagrad.Options, Adagrad.State>, @unchecked Sendable {
    /// Hyperparameters of a group, with PyTorch's defaults.
    public struct Options: OptimizerOptions {
        public var lr: Double
        public var lrDecay: Double
        public var weightDecay: Double
        public var initialAccumulatorValue: Double
        public var eps: Double
        public var maximize: Bool

        public init(lr: Double = 1e-2, lrDecay: Double = 0, weightDecay: Double = 0,
                    initialAccumulatorValue: Double = 0, eps: Double = 1e-10, maximize: Bool = false) {
            self.lr = lr
            self.lrDecay = lrDecay
            self.weightDecay = weightDecay
            self.initialAccumulatorValue = initialAccumulatorValue
            self.eps = eps
            self.maximize = maximize
        }

        public func validate(_ fn: String) throws {
            try checkHyper(lr, "learning rate", min: 0, fn)
            try checkHyper(lrDecay, "lr_decay value", min: 0, fn)
            try checkHyper(weightDecay, "weight_decay value", min: 0, fn)
            try checkHyper(initialAccumulatorValue, "initial_accumulator_value", min: 0, fn)
            try checkHyper(eps, "epsilon value", min: 0, fn)
        }
    }

    public final class State {
        var step = 0
        let sum: Tensor
        init(_ shape: [Int], _ initial: Double) throws {
            sum = try Tensor(empty: shape, dtype: .float32, zeroed: false, "Adagrad")
            for i in 0..<sum.count { sum.floats[i] = Float(initial) }
        }
    }

    /// An Adagrad optimizer over `params` (float32 leaves, at least one).
    public init(_ params: [Tensor], _ options: Options = Options()) throws {
        try super.init(name: "Adagrad", params, options)
    }

    override func makeState(_ param: Tensor, _ o: Options) throws -> State { try State(param.shape, o.initialAccumulatorValue) }
    override func eagerState(_ param: Tensor, _ o: Options) throws -> State? { try makeState(param, o) }

    override func stateTensors(group: Int, index: Int) throws -> [(String, Tensor)] {
        let s = try ensureState(group: group, index: index)
        return [("step", try stepTensor(s.step)), ("sum", s.sum)]
    }

    override func loadState(group: Int, index: Int, key: String, value: Tensor, _ fn: String) throws {
        let s = try ensureState(group: group, index: index)
        switch key {
        case "step": s.step = try stepValue(value, fn)
        case "sum": try s.sum.copyValues(from: stateCopy(value, groupParameters[group][index].shape, fn))
        default: try super.loadState(group: group, index: index, key: key, value: value, fn)
        }
    }

    override func update(group: Int, index: Int, param: Tensor, grad: Tensor, lr: Double) {
        guard let s = states[group][index] else { return }
        let o = groupOptions[group]
        s.step += 1
        let clr = lr / (1 + Double(s.step - 1) * o.lrDecay)
        let wd = Float(o.weightDecay), eps = Float(o.eps), negCLR = Float(-clr)
        let p = param.floats, gr = grad.floats, sum = s.sum.floats
        for i in 0..<param.count {
            var g = o.maximize ? -gr[i] : gr[i]
            if wd != 0 { g = g + wd * p[i] }
            sum[i] = sum[i] + 1 * g * g
            let std = sum[i].squareRoot() + eps
            p[i] = p[i] + negCLR * g / std
        }
    }
}
