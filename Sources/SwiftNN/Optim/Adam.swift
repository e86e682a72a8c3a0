// Adam with optional AMSGrad, L2 weight decay and maximize, exactly torch.optim.Adam; AdamW is
// the same update with decoupled weight decay (AdamW.swift). The per-element update is
// `adamUpdate` in SwiftNNKernels; bias corrections are computed here in double, as PyTorch does.
import SwiftNNKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public class Adam: GroupedOptimizer<Adam.Options, Adam.State>, @unchecked Sendable {
    /// Hyperparameters of a group, with PyTorch's defaults.
    public struct Options: OptimizerOptions {
        public var lr: Double
        public var beta1: Double
        public var beta2: Double
        public var eps: Double
        public var weightDecay: Double
        public var amsgrad: Bool
        public var maximize: Bool

        public init(lr: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8,
                    weightDecay: Double = 0, amsgrad: Bool = false, maximize: Bool = false) {
            self.lr = lr
            self.beta1 = beta1
            self.beta2 = beta2
            self.eps = eps
            self.weightDecay = weightDecay
            self.amsgrad = amsgrad
            self.maximize = maximize
        }

        public func validate(_ fn: String) throws {
            try checkHyper(lr, "learning rate", min: 0, fn)
            try checkHyper(eps, "epsilon value", min: 0, fn)
            try checkHyper(beta1, "beta parameter at index 0", min: 0, below: 1, fn)
            try checkHyper(beta2, "beta parameter at index 1", min: 0, below: 1, fn)
            try checkHyper(weightDecay, "weight_decay value", min: 0, fn)
        }
    }

    /// Per-parameter state (PyTorch's `state[p]`): step count and moment estimates.
    public final class State {
        public internal(set) var step: Int = 0
        public let expAvg: Tensor
        public let expAvgSq: Tensor
        /// Running maximum of `expAvgSq` (AMSGrad only).
        public let maxExpAvgSq: Tensor?

        init(_ shape: [Int], amsgrad: Bool) throws {
            expAvg = try Tensor(empty: shape, dtype: .float32, zeroed: true, "Adam.step")
            expAvgSq = try Tensor(empty: shape, dtype: .float32, zeroed: true, "Adam.step")
            maxExpAvgSq = amsgrad ? try Tensor(empty: shape, dtype: .float32, zeroed: true, "Adam.step") : nil
        }
    }

    /// AdamW: weight decay multiplies the parameter instead of joining the gradient.
    public let decoupledWeightDecay: Bool

    /// An Adam optimizer over `params` (float32 leaves, at least one).
    public convenience init(_ params: [Tensor], _ options: Options = Options()) throws {
        try self.init(params, options, decoupledWeightDecay: false, name: "Adam")
    }

    init(_ params: [Tensor], _ options: Options, decoupledWeightDecay: Bool, name: String) throws {
        self.decoupledWeightDecay = decoupledWeightDecay
        try super.init(name: name, params, options)
    }

    /// Sets a group's beta1 (the momentum OneCycleLR cycles), in [0, 1).
    public override func setMomentum(_ value: Double, group: Int) throws {
        try lock.withLock {
            guard group >= 0, group < groupOptions.count else {
                throw SNNError.range("\(name).setMomentum: group \(group) out of range (\(groupOptions.count) groups)")
            }
            var o = groupOptions[group]
            o.beta1 = value
            try o.validate("\(name).setMomentum")
            groupOptions[group] = o
        }
    }

    /// beta1, which OneCycleLR cycles.
    public override func momentum(group: Int) throws -> Double { try options(group: group).beta1 }

    /// The state of a parameter after its first step (live tensors the next step updates).
    public func state(group: Int, index: Int) -> State? { existingState(group: group, index: index) }

    override func makeState(_ param: Tensor, _ o: Options) throws -> State { try State(param.shape, amsgrad: o.amsgrad) }

    override func stateTensors(group: Int, index: Int) throws -> [(String, Tensor)] {
        guard let s = states[group][index] else { return [] }
        var out = [("step", try stepTensor(s.step)), ("exp_avg", s.expAvg), ("exp_avg_sq", s.expAvgSq)]
        if let m = s.maxExpAvgSq { out.append(("max_exp_avg_sq", m)) }
        return out
    }

    override func loadState(group: Int, index: Int, key: String, value: Tensor, _ fn: String) throws {
        let amsgrad = groupOptions[group].amsgrad
        guard ["step", "exp_avg", "exp_avg_sq"].contains(key) || (key == "max_exp_avg_sq" && amsgrad) else {
            return try super.loadState(group: group, index: index, key: key, value: value, fn)
        }
        let p = groupParameters[group][index]
        let s = try ensureState(group: group, index: index)
        switch key {
        case "step": s.step = try stepValue(value, fn)
        case "exp_avg": try s.expAvg.copyValues(from: stateCopy(value, p.shape, fn))
        case "exp_avg_sq": try s.expAvgSq.copyValues(from: stateCopy(value, p.shape, fn))
        default: try s.maxExpAvgSq?.copyValues(from: stateCopy(value, p.shape, fn))
        }
    }

    override func update(group: Int, index: Int, param: Tensor, grad: Tensor, lr: Double) {
        update([ParameterUpdate(group: group, index: index, param: param, grad: grad, lr: lr)])
    }

    /// All of a step's parameters in one team run, their elements laid end to end and split
    /// between the workers in blocks of 64 (PyTorch's foreach Adam). A step reads and writes
    /// about 7 floats per element: the DQN's 1.6M-element linear weight alone made Adam 12% of
    /// its update on one core, and its eight small tensors (81K elements), each updated on one
    /// thread with its own dispatch, kept the second core idle for a tenth of the step. Every
    /// element's update is its own, so where the split falls does not change a bit.
    override func update(_ updates: [ParameterUpdate]) {
        var jobs: [AdamJob] = []
        jobs.reserveCapacity(updates.count)
        var total = 0
        for u in updates {
            guard let s = states[u.group][u.index] else { continue }
            let o = groupOptions[u.group]
            s.step += 1
            let t = Double(s.step)
            let biasCorrection1 = 1 - pow(o.beta1, t)
            let biasCorrection2 = 1 - pow(o.beta2, t)
            let decoupled = decoupledWeightDecay && o.weightDecay != 0
            let h = AdamKernelParams(
                oneMinusBeta1: Float(1 - o.beta1), beta2: Float(o.beta2), oneMinusBeta2: Float(1 - o.beta2), eps: Float(o.eps),
                weightDecay: decoupledWeightDecay ? 0 : Float(o.weightDecay),
                decay: decoupled ? Float(1 - u.lr * o.weightDecay) : 1,
                biasCorrection2Sqrt: Float(biasCorrection2.squareRoot()),
                negStepSize: Float(-(u.lr / biasCorrection1)), maximize: o.maximize)
            let p = AdamPointers(param: u.param.floats, grad: u.grad.floats, expAvg: s.expAvg.floats, expAvgSq: s.expAvgSq.floats,
                                 maxExpAvgSq: s.maxExpAvgSq?.floats)
            jobs.append(AdamJob(pointers: p, params: h, start: total, count: u.param.count))
            total += u.param.count
        }
        guard total > 0 else { return }
        let workers = total < 1 << 17 ? 1 : min(EngineThreads.count, 16)
        StepTeam.shared.run(workers: workers) { ctx in
            let part = ctx.balancedShare(of: total, granule: 64)
            guard !part.isEmpty else { return }
            // the jobs overlapping this worker's elements, each from its own offset
            var j = 0
            while j < jobs.count && jobs[j].start + jobs[j].count <= part.lowerBound { j += 1 }
            while j < jobs.count && jobs[j].start < part.upperBound {
                let job = jobs[j], p = job.pointers
                let lo = max(part.lowerBound, job.start) - job.start, hi = min(part.upperBound, job.start + job.count) - job.start
                if hi > lo {
                    adamUpdate(param: p.param + lo, grad: p.grad + lo, expAvg: p.expAvg + lo, expAvgSq: p.expAvgSq + lo,
                               maxExpAvgSq: p.maxExpAvgSq.map { $0 + lo }, count: hi - lo, job.params)
                }
                j += 1
            }
        }
    }
}

/// One parameter's place in a step's elements laid end to end, and its update.
private struct AdamJob: @unchecked Sendable {
    let pointers: AdamPointers
    let params: AdamKernelParams
    let start: Int, count: Int
}

/// One parameter's update operands, handed to the workers (each touches only its own range).
private struct AdamPointers: @unchecked Sendable {
    let param: UnsafeMutablePointer<Float>, grad: UnsafeMutablePointer<Float>
    let expAvg: UnsafeMutablePointer<Float>, expAvgSq: UnsafeMutablePointer<Float>
    let maxExpAvgSq: UnsafeMutablePointer<Float>?
}
