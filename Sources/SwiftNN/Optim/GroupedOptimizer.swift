// What every concrete optimizer keeps beside the base's groups: the options of each parameter
// group and the state of each parameter, made on first need. SGD, Adam, RMSprop and Adagrad each
// repeated this bookkeeping (the empty-list check, add_param_group, the options accessor, the
// lazy state); here it is written once and they keep only their update and their state's keys.

/// Hyperparameters of one parameter group (`param_groups[i]` without the params).
public protocol OptimizerOptions: Sendable, Equatable {
    /// The group's learning rate when it is added; the base then owns the current one.
    var lr: Double { get set }
    /// Throws, naming `fn`, when a value is out of PyTorch's accepted range.
    func validate(_ fn: String) throws
}

/// An optimizer with per-group `Options` and per-parameter `State`.
public class GroupedOptimizer<Options: OptimizerOptions, State>: Optimizer, @unchecked Sendable {
    /// The options of the first group: what `addParamGroup` uses when given none.
    public let defaults: Options
    /// Options of each group; read by subclasses under `lock`.
    var groupOptions: [Options] = []
    /// State of each parameter of each group, nil until made; read and written under `lock`.
    var states: [[State?]] = []

    /// Validates `defaults` and adds `params` (float32 leaves, at least one) as the first group.
    init(name: String, _ params: [Tensor], _ defaults: Options) throws {
        self.defaults = defaults
        super.init(name: name)
        guard !params.isEmpty else { throw SNNError.invalid("\(name): optimizer got an empty parameter list") }
        try addParamGroup(params, defaults)
    }

    /// Adds a group with its own options (`optimizer.add_param_group`); nil means `defaults`.
    public func addParamGroup(_ params: [Tensor], _ options: Options? = nil) throws {
        let opts = options ?? defaults
        try opts.validate(name)
        let fresh = try params.map { try eagerState($0, opts) }
        try lock.withLock {
            try appendGroup(params, lr: opts.lr, name)
            groupOptions.append(opts)
            states.append(fresh)
        }
    }

    /// The options of a group, its current learning rate included.
    public func options(group: Int) throws -> Options {
        var o = try lock.withLock {
            guard group >= 0, group < groupOptions.count else {
                throw SNNError.range("\(name).options: group \(group) out of range (\(groupOptions.count) groups)")
            }
            return groupOptions[group]
        }
        o.lr = try learningRate(group: group)
        return o
    }

    /// The state of a parameter once made (the live object the next step updates), or nil.
    func existingState(group: Int, index: Int) -> State? {
        lock.withLock {
            guard group >= 0, group < states.count, index >= 0, index < states[group].count else { return nil }
            return states[group][index]
        }
    }

    /// A fresh state for `param` under options `o`. Subclasses override it.
    func makeState(_ param: Tensor, _ o: Options) throws -> State {
        throw SNNError(.internalError, "\(name): makeState is not implemented")
    }

    /// The state a parameter has from the moment it joins (PyTorch's Adagrad makes its sum
    /// then); nil by default: the first step or a load makes it.
    func eagerState(_ param: Tensor, _ o: Options) throws -> State? { nil }

    /// The state of a parameter, made now if it has none; caller holds `lock`.
    func ensureState(group: Int, index: Int) throws -> State {
        if let s = states[group][index] { return s }
        let s = try makeState(groupParameters[group][index], groupOptions[group])
        states[group][index] = s
        return s
    }

    override func prepareState(group: Int, index: Int, param: Tensor) throws {
        _ = try ensureState(group: group, index: index)
    }
}
