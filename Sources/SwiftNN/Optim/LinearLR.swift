// LinearLR (torch.optim.lr_scheduler), the usual warm-up: the lr factor goes linearly from
// start_factor at epoch 0 to end_factor at total_iters, then stays. PyTorch's recursive form.

public final class LinearLR: LRScheduler, @unchecked Sendable {
    public let startFactor: Double
    public let endFactor: Double
    public let totalIters: Int

    public init(_ optimizer: Optimizer, startFactor: Double = 1.0 / 3, endFactor: Double = 1, totalIters: Int = 5) throws {
        guard startFactor.isFinite, startFactor > 0, startFactor <= 1 else {
            throw SNNError.invalid("LinearLR: start_factor \(startFactor) must be in (0, 1]")
        }
        guard endFactor.isFinite, endFactor >= 0, endFactor <= 1 else {
            throw SNNError.invalid("LinearLR: end_factor \(endFactor) must be in [0, 1]")
        }
        guard totalIters >= 0, totalIters <= 1 << 40 else { throw SNNError.invalid("LinearLR: total_iters \(totalIters) must be >= 0") }
        self.startFactor = startFactor
        self.endFactor = endFactor
        self.totalIters = totalIters
        try super.init(optimizer: optimizer, name: "LinearLR")
    }

    override func nextLRs(_ current: [Double], epoch: Int, isInitial: Bool) -> [Double] {
        if epoch == 0 { return current.map { $0 * startFactor } }
        if isInitial || epoch > totalIters { return current }
        let d = endFactor - startFactor
        let factor = 1.0 + d / (Double(totalIters) * startFactor + Double(epoch - 1) * d)
        return current.map { $0 * factor }
    }
}
