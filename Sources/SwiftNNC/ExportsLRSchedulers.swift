// Learning-rate schedulers through the C API (swiftnn/optim.h): one constructor per
// scheduler over the shared body, stepping, state for checkpoints, and the C lr_lambda
// callback whose release runs exactly once.
import CSwiftNN
import SwiftNN

extension LRScheduler: HandleNamed { static var handleName: String { "snn_lr_scheduler" } }

// MARK: - Learning-rate schedulers

/// Runs `body`, putting the C function's name before an engine message that leads with the
/// scheduler's ("OneCycleLR.step: Tried to step 3 times..."), which the boundary would keep
/// as it is: a C caller then sees which call failed and why.
func naming<T>(_ fn: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let e as SNNError where !e.message.contains(exportName(fn)) {
        throw SNNError(e.status, "\(exportName(fn)): \(e.message)")
    }
}

/// Shared body of the scheduler constructors.
private func schedulerExport(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ opt: OpaquePointer?, caller: String = #function,
                             _ make: (Optimizer, _ fn: String) throws -> LRScheduler) -> snn_status {
    boundary(caller: caller) { fn in
        let o = try outHandle(out, fn)
        let optimizer = try resolve(opt, Optimizer.self, fn, "opt")
        giveObject(try naming(fn) { try make(optimizer, fn) }, o)
    }
}

@c @implementation
public func snn_lr_scheduler_step_lr(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ opt: OpaquePointer?,
                                     _ stepSize: Int64, _ gamma: Double) -> snn_status {
    schedulerExport(out, opt) { optimizer, _ in try StepLR(optimizer, stepSize: Int(stepSize), gamma: gamma) }
}

@c @implementation
public func snn_lr_scheduler_multi_step_lr(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ opt: OpaquePointer?,
                                           _ milestones: UnsafePointer<Int64>?, _ n: Int, _ gamma: Double) -> snn_status {
    schedulerExport(out, opt) { optimizer, fn in
        try MultiStepLR(optimizer, milestones: try intsArg(milestones, n, fn, "milestones"), gamma: gamma)
    }
}

@c @implementation
public func snn_lr_scheduler_cosine(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ opt: OpaquePointer?,
                                    _ tMax: Int64, _ etaMin: Double) -> snn_status {
    schedulerExport(out, opt) { optimizer, _ in try CosineAnnealingLR(optimizer, tMax: Int(tMax), etaMin: etaMin) }
}

@c @implementation
public func snn_lr_scheduler_linear(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ opt: OpaquePointer?,
                                    _ startFactor: Double, _ endFactor: Double, _ totalIters: Int64) -> snn_status {
    schedulerExport(out, opt) { optimizer, _ in
        try LinearLR(optimizer, startFactor: startFactor, endFactor: endFactor, totalIters: Int(totalIters))
    }
}

@c @implementation
public func snn_lr_scheduler_exponential(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ opt: OpaquePointer?,
                                         _ gamma: Double) -> snn_status {
    schedulerExport(out, opt) { optimizer, _ in try ExponentialLR(optimizer, gamma: gamma) }
}

/// A C lr_lambda and its user data. `release` runs once, when the last reference goes: the
/// scheduler's closure holds the box, so that is when the scheduler is freed, or at once if
/// the constructor fails (the box is made before anything can fail).
private final class CLRLambda: @unchecked Sendable {
    let function: snn_lr_lambda_fn?, userData: UnsafeMutableRawPointer?, release: snn_lr_lambda_release_fn?

    init(_ function: snn_lr_lambda_fn?, _ userData: UnsafeMutableRawPointer?, _ release: snn_lr_lambda_release_fn?) {
        self.function = function; self.userData = userData; self.release = release
    }

    deinit { release?(userData) }
}

/// Shared body of the two constructors that take an lr_lambda.
private func lambdaSchedulerExport(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ opt: OpaquePointer?,
                                   _ function: snn_lr_lambda_fn?, _ userData: UnsafeMutableRawPointer?,
                                   _ release: snn_lr_lambda_release_fn?, caller: String = #function,
                                   _ make: (Optimizer, @escaping LRLambda) throws -> LRScheduler) -> snn_status {
    let box = CLRLambda(function, userData, release)
    return schedulerExport(out, opt, caller: caller) { optimizer, fn in
        guard let f = box.function else { throw SNNError(.invalidArgument, "\(fn): lr_lambda is NULL, expected a function") }
        return try make(optimizer) { epoch, group in
            // The engine's group count and epochs fit: groups are < 2^20, epochs < 2^63.
            f(Int64(epoch), Int32(truncatingIfNeeded: group), box.userData)
        }
    }
}

@c @implementation
public func snn_lr_scheduler_lambda(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ opt: OpaquePointer?,
                                    _ lrLambda: snn_lr_lambda_fn?, _ userData: UnsafeMutableRawPointer?,
                                    _ release: snn_lr_lambda_release_fn?) -> snn_status {
    lambdaSchedulerExport(out, opt, lrLambda, userData, release) { try LambdaLR($0, lrLambda: $1) }
}

@c @implementation
public func snn_lr_scheduler_multiplicative(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ opt: OpaquePointer?,
                                            _ lrLambda: snn_lr_lambda_fn?, _ userData: UnsafeMutableRawPointer?,
                                            _ release: snn_lr_lambda_release_fn?) -> snn_status {
    lambdaSchedulerExport(out, opt, lrLambda, userData, release) { try MultiplicativeLR($0, lrLambda: $1) }
}

extension snn_one_cycle_options {
    init(_ o: OneCycleLR.Options) {
        self.init(struct_size: MemoryLayout<Self>.stride, total_steps: Int64(o.totalSteps ?? 0), epochs: Int64(o.epochs ?? 0),
                  steps_per_epoch: Int64(o.stepsPerEpoch ?? 0), pct_start: o.pctStart,
                  anneal_strategy: snn_anneal_strategy(rawValue: UInt32(o.annealStrategy.rawValue)),
                  cycle_momentum: o.cycleMomentum, base_momentum: o.baseMomentum.first ?? 0.85,
                  max_momentum: o.maxMomentum.first ?? 0.95, base_momentums: nil, max_momentums: nil,
                  div_factor: o.divFactor, final_div_factor: o.finalDivFactor, three_phase: o.threePhase)
    }
}

extension snn_plateau_options {
    init(_ o: ReduceLROnPlateau.Options) {
        self.init(struct_size: MemoryLayout<Self>.stride, mode: snn_plateau_mode(rawValue: UInt32(o.mode.rawValue)),
                  factor: o.factor, patience: Int64(o.patience), threshold: o.threshold,
                  threshold_mode: snn_threshold_mode(rawValue: UInt32(o.thresholdMode.rawValue)),
                  cooldown: Int64(o.cooldown), min_lr: o.minLR.first ?? 0, min_lrs: nil, eps: o.eps)
    }
}

@c @implementation
public func snn_one_cycle_options_init(_ opts: UnsafeMutablePointer<snn_one_cycle_options>?) -> snn_status {
    boundary { fn in try outPointer(opts, fn, "opts").pointee = snn_one_cycle_options(OneCycleLR.Options()) }
}

@c @implementation
public func snn_plateau_options_init(_ opts: UnsafeMutablePointer<snn_plateau_options>?) -> snn_status {
    boundary { fn in try outPointer(opts, fn, "opts").pointee = snn_plateau_options(ReduceLROnPlateau.Options()) }
}

/// `n` doubles (NULL with n 0 is the empty list).
private func doublesArg(_ p: UnsafePointer<Double>?, _ n: Int, _ fn: String, _ arg: String) throws -> [Double] {
    guard n >= 0, n <= 1 << 20 else { throw SNNError(.invalidArgument, "\(fn): \(arg) length \(n) out of range") }
    if n == 0 { return [] }
    guard let p else { throw SNNError(.invalidArgument, "\(fn): \(arg) is NULL but its length is \(n)") }
    return Array(UnsafeBufferPointer(start: p, count: n))
}

/// A whole-number field that must fit the engine's Int (it always does on 64-bit hosts).
private func count64(_ v: Int64) -> Int { Int(truncatingIfNeeded: v) }

@c @implementation
public func snn_lr_scheduler_one_cycle(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ opt: OpaquePointer?,
                                       _ maxLR: UnsafePointer<Double>?, _ nMaxLR: Int,
                                       _ opts: UnsafePointer<snn_one_cycle_options>?) -> snn_status {
    schedulerExport(out, opt) { optimizer, fn in
        guard let c = try optionsArg(opts, fn, arg: "opts") else {
            throw SNNError(.invalidArgument, "\(fn): opts is NULL; OneCycleLR needs total_steps (or epochs and steps_per_epoch): fill it with snn_one_cycle_options_init")
        }
        let maxLRs = try doublesArg(maxLR, nMaxLR, fn, "max_lr")
        guard !maxLRs.isEmpty else { throw SNNError(.invalidArgument, "\(fn): max_lr is empty (n_max_lr 0); give one value or one per group") }
        var o = OneCycleLR.Options()
        guard c.total_steps >= 0 else { throw SNNError(.invalidArgument, "\(fn): Expected positive integer total_steps, but got \(c.total_steps)") }
        if c.total_steps > 0 {
            o.totalSteps = count64(c.total_steps)
        } else {
            // 0 is "not given", as PyTorch's None; a negative value is passed on to be refused
            if c.epochs != 0 { o.epochs = count64(c.epochs) }
            if c.steps_per_epoch != 0 { o.stepsPerEpoch = count64(c.steps_per_epoch) }
        }
        o.pctStart = c.pct_start
        guard let anneal = OneCycleLR.AnnealStrategy(rawValue: Int(c.anneal_strategy.rawValue)) else {
            throw SNNError(.invalidArgument, "\(fn): opts->anneal_strategy = \(c.anneal_strategy.rawValue), expected SNN_ANNEAL_COS (0) or SNN_ANNEAL_LINEAR (1)")
        }
        o.annealStrategy = anneal
        o.cycleMomentum = c.cycle_momentum
        let groups = optimizer.groupCount
        o.baseMomentum = c.base_momentums == nil ? [c.base_momentum] : try doublesArg(c.base_momentums, groups, fn, "opts->base_momentums")
        o.maxMomentum = c.max_momentums == nil ? [c.max_momentum] : try doublesArg(c.max_momentums, groups, fn, "opts->max_momentums")
        o.divFactor = c.div_factor
        o.finalDivFactor = c.final_div_factor
        o.threePhase = c.three_phase
        return try OneCycleLR(optimizer, maxLR: maxLRs, options: o)
    }
}

@c @implementation
public func snn_lr_scheduler_reduce_on_plateau(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ opt: OpaquePointer?,
                                               _ opts: UnsafePointer<snn_plateau_options>?) -> snn_status {
    schedulerExport(out, opt) { optimizer, fn in
        var o = ReduceLROnPlateau.Options()
        if let c = try optionsArg(opts, fn, arg: "opts") {
            guard let mode = ReduceLROnPlateau.Mode(rawValue: Int(c.mode.rawValue)) else {
                throw SNNError(.invalidArgument, "\(fn): opts->mode = \(c.mode.rawValue), expected SNN_PLATEAU_MIN (0) or SNN_PLATEAU_MAX (1)")
            }
            guard let tmode = ReduceLROnPlateau.ThresholdMode(rawValue: Int(c.threshold_mode.rawValue)) else {
                throw SNNError(.invalidArgument, "\(fn): opts->threshold_mode = \(c.threshold_mode.rawValue), expected SNN_THRESHOLD_REL (0) or SNN_THRESHOLD_ABS (1)")
            }
            o.mode = mode
            o.thresholdMode = tmode
            o.factor = c.factor
            o.patience = count64(c.patience)
            o.threshold = c.threshold
            o.cooldown = count64(c.cooldown)
            o.minLR = c.min_lrs == nil ? [c.min_lr] : try doublesArg(c.min_lrs, optimizer.groupCount, fn, "opts->min_lrs")
            o.eps = c.eps
        }
        return try ReduceLROnPlateau(optimizer, options: o)
    }
}

@c @implementation
public func snn_lr_scheduler_step_metric(_ sched: OpaquePointer?, _ metric: Double) -> snn_status {
    boundary { fn in
        let s = try resolve(sched, LRScheduler.self, fn, "sched")
        guard let plateau = s as? ReduceLROnPlateau else {
            throw SNNError(.invalidArgument, "\(fn): sched is a \(type(of: s)), which takes no metric; use snn_lr_scheduler_step")
        }
        try naming(fn) { try plateau.step(metric: metric) }
    }
}

@c @implementation
public func snn_lr_scheduler_state_count(_ out: UnsafeMutablePointer<Int>?, _ sched: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        o.pointee = try resolve(sched, LRScheduler.self, fn, "sched").stateEntries().count
    }
}

@c @implementation
public func snn_lr_scheduler_state_get(_ outCount: UnsafeMutablePointer<Int>?, _ key: UnsafeMutablePointer<CChar>?,
                                       _ keyCapacity: Int, _ values: UnsafeMutablePointer<Double>?, _ valuesCapacity: Int,
                                       _ sched: OpaquePointer?, _ index: Int) -> snn_status {
    boundary { fn in
        let o = try outPointer(outCount, fn, "out_count")
        let entries = try resolve(sched, LRScheduler.self, fn, "sched").stateEntries()
        guard index >= 0, index < entries.count else {
            throw SNNError(.outOfRange, "\(fn): index \(index) out of range (the scheduler has \(entries.count) state entries)")
        }
        let e = entries[index]
        guard valuesCapacity >= e.values.count else {
            throw SNNError(.invalidArgument, "\(fn): values_capacity \(valuesCapacity) is too small; entry '\(e.key)' has \(e.values.count) values")
        }
        guard let values else { throw SNNError(.invalidArgument, "\(fn): values is NULL") }
        try writeString(e.key, key, keyCapacity, nil, fn)
        for (i, v) in e.values.enumerated() { values[i] = v }
        o.pointee = e.values.count
    }
}

@c @implementation
public func snn_lr_scheduler_state_set(_ sched: OpaquePointer?, _ key: UnsafePointer<CChar>?,
                                       _ values: UnsafePointer<Double>?, _ n: Int) -> snn_status {
    boundary { fn in
        let s = try resolve(sched, LRScheduler.self, fn, "sched")
        let k = try stringArg(key, fn, "key")
        let vs = try doublesArg(values, n, fn, "values")
        try naming(fn) { try s.setState(key: k, values: vs) }
    }
}

@c @implementation
public func snn_lr_scheduler_step(_ sched: OpaquePointer?) -> snn_status {
    boundary { fn in
        let s = try resolve(sched, LRScheduler.self, fn, "sched")
        try naming(fn) { try s.step() }
    }
}

@c @implementation
public func snn_lr_scheduler_get_lr(_ out: UnsafeMutablePointer<Double>?, _ sched: OpaquePointer?, _ group: Int) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        let lrs = try resolve(sched, LRScheduler.self, fn, "sched").lastLearningRates
        guard group >= 0, group < lrs.count else {
            throw SNNError(.outOfRange, "\(fn): group \(group) out of range (the optimizer has \(lrs.count) parameter groups)")
        }
        o.pointee = lrs[group]
    }
}

@c @implementation
public func snn_lr_scheduler_last_epoch(_ out: UnsafeMutablePointer<Int64>?, _ sched: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        o.pointee = Int64(try resolve(sched, LRScheduler.self, fn, "sched").lastEpoch)
    }
}

@c @implementation
public func snn_lr_scheduler_free(_ sched: OpaquePointer?) -> snn_status { freeHandle(sched, LRScheduler.self, "sched") }
