// OneCycleLR (torch.optim.lr_scheduler), Smith's 1cycle policy: the lr rises from
// max_lr / div_factor to max_lr over pct_start of the steps, then falls to
// initial_lr / final_div_factor (three_phase: back to initial_lr first, then down), by cosine
// or linear annealing; with cycle_momentum the momentum (SGD) or beta1 (Adam, AdamW) moves the
// opposite way between max_momentum and base_momentum. PyTorch's phases and formulas, in its
// order of operations, so the rates agree to the last bit. Step it once per batch.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public final class OneCycleLR: LRScheduler, @unchecked Sendable {
    public enum AnnealStrategy: Int, Sendable { case cos = 0, linear = 1 }

    /// PyTorch's arguments but the optimizer and max_lr; per-group values are given as arrays
    /// (one value for every group, or one per group).
    public struct Options: Sendable, Equatable {
        public var totalSteps: Int?
        public var epochs: Int?
        public var stepsPerEpoch: Int?
        public var pctStart = 0.3
        public var annealStrategy = AnnealStrategy.cos
        public var cycleMomentum = true
        public var baseMomentum: [Double] = [0.85]
        public var maxMomentum: [Double] = [0.95]
        public var divFactor = 25.0
        public var finalDivFactor = 1e4
        public var threePhase = false
        public init() {}
    }

    /// One phase: it ends at `endStep` and goes from one of the four per-group values to another.
    struct Phase { let endStep: Double; let startLR, endLR, startMomentum, endMomentum: KeyPath<Group, Double> }
    /// A group's PyTorch `param_groups` extras: initial_lr, max_lr, min_lr and the momenta.
    struct Group { let initialLR, maxLR, minLR, maxMomentum, baseMomentum: Double }

    public let totalSteps: Int
    public let options: Options
    private let phases: [Phase]
    private let groups: [Group]
    /// The momenta of the step just made, set in `didAdvance` (nil without cycle_momentum).
    private var pendingMomenta: [Double]?

    public init(_ optimizer: Optimizer, maxLR: [Double], options o: Options = Options()) throws {
        let fn = "OneCycleLR"
        let n: Int
        if let t = o.totalSteps {
            guard t > 0 else { throw SNNError.invalid("\(fn): Expected positive integer total_steps, but got \(t)") }
            n = t
        } else if let e = o.epochs, let s = o.stepsPerEpoch {
            guard e > 0 else { throw SNNError.invalid("\(fn): Expected positive integer epochs, but got \(e)") }
            guard s > 0 else { throw SNNError.invalid("\(fn): Expected positive integer steps_per_epoch, but got \(s)") }
            let (p, overflow) = e.multipliedReportingOverflow(by: s)
            guard !overflow, p <= 1 << 52 else { throw SNNError.invalid("\(fn): epochs \(e) * steps_per_epoch \(s) is too large") }
            n = p
        } else {
            throw SNNError.invalid("\(fn): You must define either total_steps OR (epochs AND steps_per_epoch)")
        }
        guard n <= 1 << 52 else { throw SNNError.invalid("\(fn): total_steps \(n) is too large (at most 2^52)") }
        guard o.pctStart.isFinite, o.pctStart >= 0, o.pctStart <= 1 else {
            throw SNNError.invalid("\(fn): Expected float between 0 and 1 pct_start, but got \(o.pctStart)")
        }
        try checkHyper(o.divFactor, "div_factor", min: .leastNormalMagnitude, fn)
        try checkHyper(o.finalDivFactor, "final_div_factor", min: .leastNormalMagnitude, fn)
        let count = optimizer.groupCount
        func perGroup(_ v: [Double], _ what: String) throws -> [Double] {
            if v.count == 1 { return Array(repeating: v[0], count: count) }
            guard v.count == count else { throw SNNError.invalid("\(fn): expected \(count) values for \(what), got \(v.count)") }
            return v
        }
        let maxLRs = try perGroup(maxLR, "max_lr")
        for (g, m) in maxLRs.enumerated() { try checkHyper(m, "max_lr[\(g)]", min: 0, fn) }
        let maxMs = o.cycleMomentum ? try perGroup(o.maxMomentum, "max_momentum") : Array(repeating: 0, count: count)
        let baseMs = o.cycleMomentum ? try perGroup(o.baseMomentum, "base_momentum") : Array(repeating: 0, count: count)
        for g in 0..<count where o.cycleMomentum {
            try checkHyper(maxMs[g], "max_momentum[\(g)]", min: 0, fn)
            try checkHyper(baseMs[g], "base_momentum[\(g)]", min: 0, fn)
        }
        let ps = o.pctStart, total = Double(n)
        if o.threePhase {
            phases = [Phase(endStep: ps * total - 1, startLR: \.initialLR, endLR: \.maxLR, startMomentum: \.maxMomentum, endMomentum: \.baseMomentum),
                      Phase(endStep: 2 * ps * total - 2, startLR: \.maxLR, endLR: \.initialLR, startMomentum: \.baseMomentum, endMomentum: \.maxMomentum),
                      Phase(endStep: total - 1, startLR: \.initialLR, endLR: \.minLR, startMomentum: \.maxMomentum, endMomentum: \.maxMomentum)]
        } else {
            phases = [Phase(endStep: ps * total - 1, startLR: \.initialLR, endLR: \.maxLR, startMomentum: \.maxMomentum, endMomentum: \.baseMomentum),
                      Phase(endStep: total - 1, startLR: \.maxLR, endLR: \.minLR, startMomentum: \.baseMomentum, endMomentum: \.maxMomentum)]
        }
        groups = (0..<count).map { g in
            let initial = maxLRs[g] / o.divFactor
            return Group(initialLR: initial, maxLR: maxLRs[g], minLR: initial / o.finalDivFactor,
                         maxMomentum: maxMs[g], baseMomentum: baseMs[g])
        }
        totalSteps = n
        options = o
        // PyTorch sets the momentum to max_momentum at construction: an optimizer that cannot
        // take one (RMSprop, Adagrad), or a momentum it refuses, fails here, before any rate
        // changes. base_momentum is tried first so that every later value is known acceptable.
        if o.cycleMomentum {
            for g in 0..<count {
                try optimizer.setMomentum(baseMs[g], group: g)
                try optimizer.setMomentum(maxMs[g], group: g)
            }
        }
        optimizer.setInitialLearningRates(groups.map(\.initialLR))
        try super.init(optimizer: optimizer, name: "OneCycleLR")
    }

    private func anneal(_ start: Double, _ end: Double, _ pct: Double) -> Double {
        switch options.annealStrategy {
        case .cos: return end + (start - end) / 2.0 * (cos(Double.pi * pct) + 1)
        case .linear: return (end - start) * pct + start
        }
    }

    override func nextLRs(_ current: [Double], epoch step: Int, isInitial: Bool) throws -> [Double] {
        guard step <= totalSteps else {
            throw SNNError.invalid("OneCycleLR.step: Tried to step \(step) times. The specified number of total steps is \(totalSteps)")
        }
        var lrs: [Double] = [], momenta: [Double] = []
        for group in groups {
            var start = 0.0
            for (i, phase) in phases.enumerated() {
                let end = phase.endStep
                if Double(step) <= end || i == phases.count - 1 {
                    let pct = (Double(step) - start) / (end - start)
                    lrs.append(anneal(group[keyPath: phase.startLR], group[keyPath: phase.endLR], pct))
                    momenta.append(anneal(group[keyPath: phase.startMomentum], group[keyPath: phase.endMomentum], pct))
                    break
                }
                start = phase.endStep
            }
        }
        pendingMomenta = options.cycleMomentum ? momenta : nil
        return lrs
    }

    override func didAdvance(epoch: Int) {
        guard let momenta = pendingMomenta else { return }
        pendingMomenta = nil
        // Accepted at construction for every group, and every value lies between two accepted
        // ones, so this does not fail; were it to, the momentum would keep its last value.
        for (g, m) in momenta.enumerated() { try? optimizer.setMomentum(m, group: g) }
    }
}
