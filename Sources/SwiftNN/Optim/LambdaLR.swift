// LambdaLR and MultiplicativeLR (torch.optim.lr_scheduler): schedules given by a function of
// the epoch that the host supplies (a Swift closure; a C callback through swiftnn/optim.h; a
// Python callable through ctypes). The function is called outside every lock, so it may read
// the optimizer or the scheduler; a failure (an error thrown, or a non-finite value) fails
// that step and changes nothing.

/// The factor for `group` at `epoch`: a finite number. Throwing (or returning nan or an
/// infinity) fails the step that asked, leaving the rates and the epoch as they were.
public typealias LRLambda = (_ epoch: Int, _ group: Int) throws -> Double

/// What LambdaLR and MultiplicativeLR share: factors evaluated before the step takes its locks.
public class LambdaScheduler: LRScheduler, @unchecked Sendable {
    let lrLambda: LRLambda
    /// The factors of the step being made (written before `advance`, read in `nextLRs`).
    private var pending: [Double]

    init(_ optimizer: Optimizer, lrLambda: @escaping LRLambda, name: String, callsAtConstruction: Bool) throws {
        self.lrLambda = lrLambda
        pending = callsAtConstruction
            ? try Self.factors(lrLambda, epoch: 0, groups: optimizer.groupCount, name) : []
        try super.init(optimizer: optimizer, name: name)
    }

    public override func step() throws {
        let next = lastEpoch + 1
        let f = try Self.factors(lrLambda, epoch: next, groups: baseLRs.count, "\(name).step")
        try advance { current, epoch in
            guard epoch == next else {
                throw SNNError.invalid("\(name).step: another thread stepped this scheduler during the call; step one scheduler from one thread at a time")
            }
            pending = f
            return try nextLRs(current, epoch: epoch, isInitial: false)
        }
    }

    /// lr_lambda(epoch, g) for every group, each checked finite.
    static func factors(_ lrLambda: LRLambda, epoch: Int, groups: Int, _ fn: String) throws -> [Double] {
        try (0..<groups).map { g in
            let f = try lrLambda(epoch, g)
            guard f.isFinite else {
                throw SNNError.invalid("\(fn): lr_lambda returned \(f) for group \(g) at epoch \(epoch) (a finite factor is needed); the learning rates were left unchanged")
            }
            return f
        }
    }

    /// The factors of the step being made; caller holds `lock`.
    var stepFactors: [Double] { pending }
}

/// lr = base_lr * lr_lambda(epoch, group); construction applies lr_lambda(0, group).
public final class LambdaLR: LambdaScheduler, @unchecked Sendable {
    public init(_ optimizer: Optimizer, lrLambda: @escaping LRLambda) throws {
        try super.init(optimizer, lrLambda: lrLambda, name: "LambdaLR", callsAtConstruction: true)
    }

    override func nextLRs(_ current: [Double], epoch: Int, isInitial: Bool) throws -> [Double] {
        zip(bases, stepFactors).map { base, f in base * f }
    }
}

/// lr *= lr_lambda(epoch, group) at every step; construction leaves the rates as they are.
public final class MultiplicativeLR: LambdaScheduler, @unchecked Sendable {
    public init(_ optimizer: Optimizer, lrLambda: @escaping LRLambda) throws {
        try super.init(optimizer, lrLambda: lrLambda, name: "MultiplicativeLR", callsAtConstruction: false)
    }

    override func nextLRs(_ current: [Double], epoch: Int, isInitial: Bool) throws -> [Double] {
        if isInitial { return current }
        return zip(current, stepFactors).map { lr, f in lr * f }
    }
}
