// The learning-rate scheduler base (torch.optim.lr_scheduler.LRScheduler): attached to an
// optimizer, it sets every group's lr on construction (epoch 0) and on each step(), using
// PyTorch's recursive get_lr forms, which read the optimizer's current lr.

/// Adjusts the learning rates of an optimizer's groups over epochs. Construction performs
/// PyTorch's initial step (epoch 0); call `step()` after each `optimizer.step()`.
/// Holds the optimizer strongly. Thread safety: `step()` serialises on the scheduler's lock.
public class LRScheduler: @unchecked Sendable {
    public let optimizer: Optimizer
    /// Each group's `initial_lr` when the scheduler was attached (PyTorch's `base_lrs`).
    public let baseLRs: [Double]
    let lock = Lock()
    private var epoch = -1
    private var lastLRs: [Double] = []
    /// The scheduler's name in messages ("StepLR", ...).
    let name: String

    /// Subclasses set their own properties first: this runs the initial step.
    init(optimizer: Optimizer, name: String) throws {
        self.optimizer = optimizer
        self.name = name
        baseLRs = optimizer.initialLearningRates()
        try advance(initial: true)
    }

    /// The index of the last epoch (0 right after construction).
    public var lastEpoch: Int { lock.withLock { epoch } }

    /// The learning rates this scheduler set last, one per group (`get_last_lr()`).
    public var lastLearningRates: [Double] { lock.withLock { lastLRs } }

    /// Moves to the next epoch and sets every group's learning rate.
    public func step() throws { try advance(initial: false) }

    private func advance(initial: Bool) throws {
        try lock.withLock {
            let next = epoch + 1
            lastLRs = try optimizer.updateLearningRates { current in
                guard current.count == baseLRs.count else {
                    throw SNNError.invalid("\(name).step: the optimizer has \(current.count) parameter groups but the scheduler was created for \(baseLRs.count); create the scheduler after adding every group")
                }
                return nextLRs(current, epoch: next, isInitial: initial)
            }
            epoch = next
        }
    }

    /// PyTorch's `get_lr()`: the new learning rates from the current ones at `epoch`.
    func nextLRs(_ current: [Double], epoch: Int, isInitial: Bool) -> [Double] { current }
}
