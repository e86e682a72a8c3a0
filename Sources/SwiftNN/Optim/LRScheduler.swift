// The learning-rate scheduler base (torch.optim.lr_scheduler.LRScheduler): attached to an
// optimizer, it sets every group's lr on construction (epoch 0) and on each step(), using
// PyTorch's recursive get_lr forms, which read the optimizer's current lr.

/// Adjusts the learning rates of an optimizer's groups over epochs. Construction performs
/// PyTorch's initial step (epoch 0); call `step()` after each `optimizer.step()`.
/// Holds the optimizer strongly. Thread safety: `step()` serialises on the scheduler's lock.
public class LRScheduler: @unchecked Sendable {
    public let optimizer: Optimizer
    let lock = Lock()
    /// PyTorch's `base_lrs`; read and written under `lock` (subclasses read it in `nextLRs`).
    var bases: [Double]
    private var epoch = -1
    private var lastLRs: [Double] = []
    /// The scheduler's name in messages ("StepLR", ...).
    let name: String

    /// Subclasses set their own properties first: this runs the initial step. The first
    /// scheduler attached to a group fixes its initial_lr, as in PyTorch, except where
    /// `recordsInitialLR` is false (ReduceLROnPlateau, whose PyTorch constructor leaves it).
    init(optimizer: Optimizer, name: String, recordsInitialLR: Bool = true) throws {
        self.optimizer = optimizer
        self.name = name
        bases = recordsInitialLR ? optimizer.initialLearningRates() : optimizer.currentLearningRates()
        try advance(initial: true)
    }

    /// Each group's `initial_lr` when the scheduler was attached (PyTorch's `base_lrs`).
    public var baseLRs: [Double] { lock.withLock { bases } }

    /// The index of the last epoch (0 right after construction).
    public var lastEpoch: Int { lock.withLock { epoch } }

    /// The learning rates this scheduler set last, one per group (`get_last_lr()`).
    public var lastLearningRates: [Double] { lock.withLock { lastLRs } }

    /// Moves to the next epoch and sets every group's learning rate.
    public func step() throws { try advance(initial: false) }

    private func advance(initial: Bool) throws {
        try advance { current, next in try nextLRs(current, epoch: next, isInitial: initial) }
    }

    /// One epoch: `compute(current lrs, new epoch)` gives the new rates, set under the
    /// optimizer's lock. If it throws, nothing changes (neither the rates nor the epoch), so a
    /// failed step can be retried; subclasses keep their own counters consistent the same way.
    func advance(_ compute: ([Double], Int) throws -> [Double]) throws {
        try lock.withLock {
            let next = epoch + 1
            lastLRs = try optimizer.updateLearningRates { current in
                guard current.count == bases.count else {
                    throw SNNError.invalid("\(name).step: the optimizer has \(current.count) parameter groups but the scheduler was created for \(bases.count); create the scheduler after adding every group")
                }
                let new = try compute(current, next)
                for (g, lr) in new.enumerated() where !lr.isFinite {
                    throw SNNError.invalid("\(name).step: the learning rate of group \(g) at epoch \(next) would be \(lr); the rates were left unchanged")
                }
                return new
            }
            epoch = next
            didAdvance(epoch: next)
        }
    }

    /// PyTorch's `get_lr()`: the new learning rates from the current ones at `epoch`.
    func nextLRs(_ current: [Double], epoch: Int, isInitial: Bool) throws -> [Double] { current }

    /// Runs after the rates are set, under `lock` but not the optimizer's (OneCycleLR sets
    /// the momentum here: the optimizer's setter takes the optimizer's lock).
    func didAdvance(epoch: Int) {}

    // MARK: - State (PyTorch's state_dict keys where one exists)

    /// The scheduler's state as (key, values) pairs: "last_epoch", "base_lrs" and "_last_lr",
    /// then each subclass's own (ReduceLROnPlateau's "best", ...). Restoring every entry with
    /// `setState` on a scheduler built with the same arguments continues the same schedule.
    public func stateEntries() -> [(key: String, values: [Double])] {
        lock.withLock {
            [("last_epoch", [Double(epoch)]), ("base_lrs", bases), ("_last_lr", lastLRs)] + extraState()
        }
    }

    /// Restores one entry of `stateEntries()`, validated (a whole number >= 0 for counters,
    /// one finite value >= 0 per group for rates). The optimizer's rates are its own state.
    public func setState(key: String, values: [Double]) throws {
        let fn = "\(name).setState"
        try lock.withLock {
            switch key {
            case "last_epoch": epoch = try Self.counter(values, key, fn)
            case "base_lrs": bases = try Self.rates(values, count: bases.count, key, fn)
            case "_last_lr": lastLRs = try Self.rates(values, count: bases.count, key, fn)
            default:
                guard try loadExtraState(key: key, values: values, fn) else {
                    let known = ((["last_epoch", "base_lrs", "_last_lr"] + extraState().map(\.key))).joined(separator: ", ")
                    throw SNNError.invalid("\(fn): \(name) keeps no state '\(key)' (its keys: \(known))")
                }
            }
        }
    }

    /// A subclass's own state entries; caller holds `lock`.
    func extraState() -> [(key: String, values: [Double])] { [] }

    /// Restores one of `extraState()`'s keys (false for a key it does not keep); caller holds `lock`.
    func loadExtraState(key: String, values: [Double], _ fn: String) throws -> Bool { false }

    /// One whole number >= 0 (an epoch or a counter).
    static func counter(_ values: [Double], _ key: String, _ fn: String) throws -> Int {
        guard values.count == 1, let v = values.first, v >= 0, v <= Double(1 << 52), v == v.rounded() else {
            throw SNNError.invalid("\(fn): '\(key)' must be one whole number >= 0, got \(values)")
        }
        return Int(v)
    }

    /// One finite value >= 0 per group.
    static func rates(_ values: [Double], count: Int, _ key: String, _ fn: String) throws -> [Double] {
        guard values.count == count, values.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw SNNError.invalid("\(fn): '\(key)' must be \(count) finite values >= 0 (one per group), got \(values)")
        }
        return values
    }
}
