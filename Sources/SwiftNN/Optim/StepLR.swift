// StepLR and MultiStepLR (torch.optim.lr_scheduler): multiply the learning rate by gamma every
// `stepSize` epochs, or at given milestones. Recursive forms, as PyTorch's step() computes them.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// lr *= gamma at every epoch that is a positive multiple of `stepSize`.
public final class StepLR: LRScheduler, @unchecked Sendable {
    public let stepSize: Int
    public let gamma: Double

    public init(_ optimizer: Optimizer, stepSize: Int, gamma: Double = 0.1) throws {
        guard stepSize >= 1 else { throw SNNError.invalid("StepLR: step_size \(stepSize) must be >= 1") }
        try checkHyper(gamma, "gamma", min: 0, "StepLR")
        self.stepSize = stepSize
        self.gamma = gamma
        try super.init(optimizer: optimizer, name: "StepLR")
    }

    override func nextLRs(_ current: [Double], epoch: Int, isInitial: Bool) -> [Double] {
        if epoch == 0 || epoch % stepSize != 0 { return current }
        return current.map { $0 * gamma }
    }
}

/// lr *= gamma^k at an epoch that appears k times among `milestones`.
public final class MultiStepLR: LRScheduler, @unchecked Sendable {
    public let milestones: [Int]
    public let gamma: Double
    private let counts: [Int: Int]

    public init(_ optimizer: Optimizer, milestones: [Int], gamma: Double = 0.1) throws {
        try checkHyper(gamma, "gamma", min: 0, "MultiStepLR")
        self.milestones = milestones
        self.gamma = gamma
        counts = milestones.reduce(into: [:]) { $0[$1, default: 0] += 1 }
        try super.init(optimizer: optimizer, name: "MultiStepLR")
    }

    override func nextLRs(_ current: [Double], epoch: Int, isInitial: Bool) -> [Double] {
        guard let k = counts[epoch] else { return current }
        return current.map { $0 * pow(gamma, Double(k)) }
    }
}
