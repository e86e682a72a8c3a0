// The optimizer base (torch.optim.Optimizer): parameter groups with their learning rates,
// zeroGrad, and a step() that validates every gradient and allocates every state buffer before
// it updates any parameter, so a failed step leaves parameters and state untouched.

/// Updates parameters in place from their `.grad`. Parameters are held strongly and updated in
/// their own storage, so every tensor sharing that storage (other handles, `detach()` views)
/// sees the new values. Parameters whose `grad` is nil are skipped, as in PyTorch.
///
/// Thread safety: step, zeroGrad and the learning-rate accessors of one optimizer serialise on
/// its lock; a parameter must not be read or written by another thread during `step()`.
public class Optimizer: @unchecked Sendable {
    let lock = Lock()
    /// Parameters of each group, in the order given.
    private var groups: [[Tensor]] = []
    private var lrs: [Double] = []
    /// PyTorch's `group["initial_lr"]`: set by the first scheduler attached to the group.
    private var initialLRs: [Double?] = []
    /// The optimizer's name in messages ("SGD", "Adam", "AdamW").
    let name: String

    init(name: String) { self.name = name }

    /// Number of parameter groups.
    public var groupCount: Int { lock.withLock { groups.count } }

    /// Every parameter, group after group.
    public var parameters: [Tensor] { lock.withLock { groups.flatMap { $0 } } }

    /// The parameters of group `group`.
    public func parameters(group: Int) throws -> [Tensor] {
        try lock.withLock {
            try checkGroup(group, "\(name).parameters")
            return groups[group]
        }
    }

    /// Learning rate of a group (`param_groups[group]["lr"]`).
    public func learningRate(group: Int = 0) throws -> Double {
        try lock.withLock {
            try checkGroup(group, "\(name).learningRate")
            return lrs[group]
        }
    }

    /// Sets the learning rate of one group, or of every group when `group` is nil.
    public func setLearningRate(_ lr: Double, group: Int? = nil) throws {
        let fn = "\(name).setLearningRate"
        guard lr.isFinite, lr >= 0 else { throw SNNError.invalid("\(fn): learning rate \(lr) must be finite and >= 0") }
        try lock.withLock {
            if let group {
                try checkGroup(group, fn)
                lrs[group] = lr
            } else {
                for g in lrs.indices { lrs[g] = lr }
            }
        }
    }

    /// Replaces every group's learning rate by `update(current lrs)` under the lock (schedulers).
    func updateLearningRates(_ update: ([Double]) throws -> [Double]) throws -> [Double] {
        try lock.withLock {
            let new = try update(lrs)
            guard new.count == lrs.count else {
                throw SNNError(.internalError, "\(name): a scheduler produced \(new.count) learning rates for \(lrs.count) groups")
            }
            lrs = new
            return new
        }
    }

    /// `initial_lr` of every group, setting it to the current lr where no scheduler set it yet.
    func initialLearningRates() -> [Double] {
        lock.withLock {
            for g in initialLRs.indices where initialLRs[g] == nil { initialLRs[g] = lrs[g] }
            return initialLRs.map { $0 ?? 0 }
        }
    }

    /// Every group's current learning rate.
    func currentLearningRates() -> [Double] { lock.withLock { lrs } }

    /// Sets every group's `initial_lr` (OneCycleLR derives it from max_lr / div_factor, as
    /// PyTorch's writes `group["initial_lr"]`).
    func setInitialLearningRates(_ values: [Double]) {
        lock.withLock {
            for g in initialLRs.indices where g < values.count { initialLRs[g] = values[g] }
        }
    }

    private func checkGroup(_ group: Int, _ fn: String) throws {
        guard group >= 0, group < groups.count else {
            throw SNNError.range("\(fn): group \(group) out of range (the optimizer has \(groups.count) parameter groups)")
        }
    }

    /// Validates `params` and appends them as a new group. Subclasses call it under `lock`
    /// and append their per-group options and per-parameter state alongside.
    func appendGroup(_ params: [Tensor], lr: Double, _ fn: String) throws {
        var seen = Set(groups.joined().map { ObjectIdentifier($0) })
        for (i, p) in params.enumerated() {
            guard p.dtype == .float32 else {
                throw SNNError.dtype("\(fn): parameter \(i) has dtype \(p.dtype.name); optimizers update float32 tensors")
            }
            guard p.isLeaf || p.retainsGrad else {
                throw SNNError.invalid("\(fn): parameter \(i) (shape \(fmt(p.shape))) is not a leaf tensor; can't optimize a non-leaf tensor (detach it, or create it with requires_grad)")
            }
            guard seen.insert(ObjectIdentifier(p)).inserted else {
                throw SNNError.invalid("\(fn): parameter \(i) (shape \(fmt(p.shape))) appears twice; each parameter may be in one group once")
            }
        }
        groups.append(params)
        lrs.append(lr)
        initialLRs.append(nil)
    }

    /// Performs one optimization step over every parameter that has a gradient.
    public func step() throws {
        try lock.withLock {
            let fn = "\(name).step"
            var work: [(group: Int, index: Int, param: Tensor, grad: Tensor)] = []
            for (g, params) in groups.enumerated() {
                for (i, p) in params.enumerated() {
                    guard let grad = p.grad else { continue }
                    guard grad.dtype == .float32, grad.shape == p.shape, grad.count == p.count else {
                        throw SNNError.shape("\(fn): parameter \(i) of group \(g) has shape \(fmt(p.shape)) but its grad has shape \(fmt(grad.shape)) (\(grad.dtype.name)); expected the parameter's shape, float32")
                    }
                    work.append((g, i, p, grad))
                }
            }
            for w in work { try w.param.requireWritable(fn) }  // before anything changes
            for w in work { try prepareState(group: w.group, index: w.index, param: w.param) }
            // The kernels take one pointer: a strided parameter is updated on a packed copy
            // written back through its strides. Either way its version moves, as PyTorch's.
            let targets = try work.map { try $0.param.packed(fn) }
            update(zip(work, targets).map { w, target in
                ParameterUpdate(group: w.group, index: w.index, param: target, grad: w.grad, lr: lrs[w.group])
            })
            for (w, target) in zip(work, targets) {
                if target === w.param { w.param.storage.version &+= 1 } else { w.param.writeElements(from: target) }
            }
        }
    }

    /// Clears gradients: sets them to nil (`setToNone`, PyTorch 2's default) or fills them
    /// with zeros in place, so handles to a gradient see the zeros.
    public func zeroGrad(setToNone: Bool = true) {
        lock.withLock {
            for p in groups.joined() {
                guard let g = p.grad else { continue }
                if setToNone {
                    p.grad = nil
                } else if g.count > 0 {
                    _ = try? g.mutate("zero_grad") { $0.initializeMemory(as: UInt8.self, repeating: 0, count: g.count * g.dtype.byteSize) }
                }
            }
        }
    }

    /// The parameters of every group; the caller holds `lock`.
    var groupParameters: [[Tensor]] { groups }

    /// The state of one parameter as (PyTorch's key, live tensor) pairs; caller holds `lock`.
    func stateTensors(group: Int, index: Int) throws -> [(String, Tensor)] { [] }

    /// Sets one state entry (validated shape and dtype); caller holds `lock`. Subclasses
    /// accept their keys and call super for the rest.
    func loadState(group: Int, index: Int, key: String, value: Tensor, _ fn: String) throws {
        throw SNNError.invalid("\(fn): \(name) keeps no state '\(key)' for parameter \(index) of group \(group)")
    }

    /// Allocates the state of one parameter before the first update touches anything.
    func prepareState(group: Int, index: Int, param: Tensor) throws {}

    /// Updates one parameter; `grad` is validated (float32, the parameter's shape).
    func update(group: Int, index: Int, param: Tensor, grad: Tensor, lr: Double) {}

    /// Updates every parameter of a step, in order. Optimizers whose update is element by
    /// element override it to share all parameters' elements between the workers at once
    /// (PyTorch's foreach): small tensors then cost neither a thread's idle time nor a dispatch.
    func update(_ updates: [ParameterUpdate]) {
        for u in updates { update(group: u.group, index: u.index, param: u.param, grad: u.grad, lr: u.lr) }
    }

    /// Sets a group's momentum (SGD's momentum, Adam's and AdamW's beta1), as schedulers that
    /// cycle it do (OneCycleLR's cycle_momentum). Optimizers without one refuse.
    public func setMomentum(_ value: Double, group: Int) throws {
        throw SNNError.invalid("\(name).setMomentum: \(name) does not support setting its momentum after construction (SGD, Adam and AdamW do)")
    }

    /// A group's momentum as `setMomentum` sets it (SGD's momentum, Adam's beta1), so that a
    /// host reading `param_groups` sees what a scheduler set. Optimizers without one refuse.
    public func momentum(group: Int) throws -> Double {
        throw SNNError.invalid("\(name).momentum: \(name) has no momentum that schedulers set (SGD, Adam and AdamW do)")
    }
}

/// Validates a hyperparameter: finite, at least `min` and (if given) below `below`.
func checkHyper(_ value: Double, _ what: String, min: Double, below: Double? = nil, _ fn: String) throws {
    guard value.isFinite, value >= min, below.map({ value < $0 }) ?? true else {
        let range = ">= \(min)" + (below.map { " and < \($0)" } ?? "")
        throw SNNError.invalid("\(fn): invalid \(what) \(value): expected a finite value \(range)")
    }
}

/// One parameter's share of an optimizer step: the tensor the kernels write (contiguous), its
/// validated gradient, and its group's learning rate.
struct ParameterUpdate {
    let group: Int, index: Int
    let param: Tensor, grad: Tensor
    let lr: Double
}
