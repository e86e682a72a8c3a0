// ExponentialLR (torch.optim.lr_scheduler): lr *= gamma every epoch, PyTorch's recursive form
// (it multiplies the current lr, so a rate set by hand in between is kept and decayed).

/// lr *= gamma at every step; construction leaves the rates as they are.
public final class ExponentialLR: LRScheduler, @unchecked Sendable {
    public let gamma: Double

    public init(_ optimizer: Optimizer, gamma: Double) throws {
        try checkHyper(gamma, "gamma", min: 0, "ExponentialLR")
        self.gamma = gamma
        try super.init(optimizer: optimizer, name: "ExponentialLR")
    }

    override func nextLRs(_ current: [Double], epoch: Int, isInitial: Bool) throws -> [Double] {
        if isInitial { return current }
        return current.map { $0 * gamma }
    }
}
