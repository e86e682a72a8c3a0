// ReduceLROnPlateau (torch.optim.lr_scheduler): multiplies the lr by `factor` once a metric
// the host computes has not improved for more than `patience` epochs, then waits `cooldown`
// epochs; never below min_lr, and a change smaller than eps is skipped. PyTorch's comparisons
// and counters, so the same metrics give the same rates.

public final class ReduceLROnPlateau: LRScheduler, @unchecked Sendable {
    public enum Mode: Int, Sendable { case min = 0, max = 1 }
    public enum ThresholdMode: Int, Sendable { case rel = 0, abs = 1 }

    public struct Options: Sendable, Equatable {
        public var mode = Mode.min
        public var factor = 0.1
        public var patience = 10
        public var threshold = 1e-4
        public var thresholdMode = ThresholdMode.rel
        public var cooldown = 0
        /// One value for every group, or one per group.
        public var minLR: [Double] = [0]
        public var eps = 1e-8
        public init() {}
    }

    public let options: Options
    /// Each group's floor.
    public let minLRs: [Double]
    private var best: Double
    private var numBadEpochs = 0
    private var cooldownCounter = 0

    public init(_ optimizer: Optimizer, options o: Options = Options()) throws {
        let fn = "ReduceLROnPlateau"
        guard o.factor < 1.0 else { throw SNNError.invalid("\(fn): Factor should be < 1.0 (got factor \(o.factor))") }
        try checkHyper(o.factor, "factor", min: 0, fn)
        guard o.patience >= 0, o.patience <= 1 << 52 else { throw SNNError.invalid("\(fn): patience \(o.patience) must be >= 0") }
        guard o.cooldown >= 0, o.cooldown <= 1 << 52 else { throw SNNError.invalid("\(fn): cooldown \(o.cooldown) must be >= 0") }
        try checkHyper(o.threshold, "threshold", min: 0, fn)
        try checkHyper(o.eps, "eps", min: 0, fn)
        let count = optimizer.groupCount
        if o.minLR.count == 1 {
            minLRs = Array(repeating: o.minLR[0], count: count)
        } else {
            guard o.minLR.count == count else { throw SNNError.invalid("\(fn): expected \(count) min_lrs, got \(o.minLR.count)") }
            minLRs = o.minLR
        }
        for (g, m) in minLRs.enumerated() { try checkHyper(m, "min_lr[\(g)]", min: 0, fn) }
        options = o
        best = o.mode == .min ? .infinity : -.infinity
        try super.init(optimizer: optimizer, name: fn, recordsInitialLR: false)
    }

    /// A metric is needed: plain `step()` fails with a message saying so.
    public override func step() throws {
        throw SNNError.invalid("ReduceLROnPlateau.step: needs this epoch's metric (step(metric:); in C snn_lr_scheduler_step_metric)")
    }

    /// Records this epoch's metric and reduces the rates when it has not improved for more
    /// than `patience` epochs. A nan metric counts as no improvement, as in PyTorch.
    public func step(metric: Double) throws {
        try advance { current, _ in
            var b = best, bad = numBadEpochs, cool = cooldownCounter
            if isBetter(metric, b) {
                b = metric
                bad = 0
            } else {
                bad += 1
            }
            if cool > 0 {
                cool -= 1
                bad = 0  // bad epochs in cooldown do not count
            }
            var new = current
            if bad > options.patience {
                for g in new.indices {
                    let reduced = Swift.max(current[g] * options.factor, minLRs[g])
                    if current[g] - reduced > options.eps { new[g] = reduced }
                }
                cool = options.cooldown
                bad = 0
            }
            // committed only now: a failed step (a group added since construction) changes nothing
            best = b; numBadEpochs = bad; cooldownCounter = cool
            return new
        }
    }

    private func isBetter(_ a: Double, _ best: Double) -> Bool {
        switch (options.mode, options.thresholdMode) {
        case (.min, .rel): return a < best * (1.0 - options.threshold)
        case (.min, .abs): return a < best - options.threshold
        case (.max, .rel): return a > best * (options.threshold + 1.0)
        case (.max, .abs): return a > best + options.threshold
        }
    }

    override func extraState() -> [(key: String, values: [Double])] {
        [("best", [best]), ("num_bad_epochs", [Double(numBadEpochs)]), ("cooldown_counter", [Double(cooldownCounter)])]
    }

    override func loadExtraState(key: String, values: [Double], _ fn: String) throws -> Bool {
        switch key {
        case "best":
            guard values.count == 1, !values[0].isNaN else { throw SNNError.invalid("\(fn): 'best' must be one number (not nan), got \(values)") }
            best = values[0]
        case "num_bad_epochs": numBadEpochs = try Self.counter(values, key, fn)
        case "cooldown_counter": cooldownCounter = try Self.counter(values, key, fn)
        default: return false
        }
        return true
    }
}
