// Optimizers and gradient clipping through the C API (swiftnn/optim.h): option structs
// validated by struct_size; the schedulers' exports are in ExportsLRSchedulers.swift.
import CSwiftNN
import SwiftNN

extension Optimizer: HandleNamed { static var handleName: String { "snn_optimizer" } }


// The defaults live in the engine's Options; the _init functions copy them into the C structs.
extension snn_sgd_options {
    init(_ o: SGD.Options) {
        self.init(struct_size: MemoryLayout<Self>.stride, lr: o.lr, momentum: o.momentum, dampening: o.dampening,
                  weight_decay: o.weightDecay, nesterov: o.nesterov, maximize: o.maximize)
    }
}

extension snn_adam_options {
    init(_ o: Adam.Options) {
        self.init(struct_size: MemoryLayout<Self>.stride, lr: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps,
                  weight_decay: o.weightDecay, amsgrad: o.amsgrad, maximize: o.maximize)
    }
}

extension snn_rmsprop_options {
    init(_ o: RMSprop.Options) {
        self.init(struct_size: MemoryLayout<Self>.stride, lr: o.lr, alpha: o.alpha, eps: o.eps, weight_decay: o.weightDecay,
                  momentum: o.momentum, centered: o.centered, maximize: o.maximize)
    }
}

extension snn_adagrad_options {
    init(_ o: Adagrad.Options) {
        self.init(struct_size: MemoryLayout<Self>.stride, lr: o.lr, lr_decay: o.lrDecay, weight_decay: o.weightDecay,
                  initial_accumulator_value: o.initialAccumulatorValue, eps: o.eps, maximize: o.maximize)
    }
}

@c @implementation
public func snn_rmsprop_options_init(_ opts: UnsafeMutablePointer<snn_rmsprop_options>?) -> snn_status {
    boundary { fn in try outPointer(opts, fn, "opts").pointee = snn_rmsprop_options(RMSprop.Options()) }
}

@c @implementation
public func snn_adagrad_options_init(_ opts: UnsafeMutablePointer<snn_adagrad_options>?) -> snn_status {
    boundary { fn in try outPointer(opts, fn, "opts").pointee = snn_adagrad_options(Adagrad.Options()) }
}

private func rmspropOptions(_ p: UnsafePointer<snn_rmsprop_options>?, _ fn: String) throws -> RMSprop.Options? {
    guard let o = try optionsArg(p, fn, arg: "opts") else { return nil }
    return RMSprop.Options(lr: o.lr, alpha: o.alpha, eps: o.eps, weightDecay: o.weight_decay, momentum: o.momentum,
                           centered: o.centered, maximize: o.maximize)
}

private func adagradOptions(_ p: UnsafePointer<snn_adagrad_options>?, _ fn: String) throws -> Adagrad.Options? {
    guard let o = try optionsArg(p, fn, arg: "opts") else { return nil }
    return Adagrad.Options(lr: o.lr, lrDecay: o.lr_decay, weightDecay: o.weight_decay,
                           initialAccumulatorValue: o.initial_accumulator_value, eps: o.eps, maximize: o.maximize)
}

@c @implementation
public func snn_optimizer_rmsprop(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ params: UnsafePointer<OpaquePointer?>?,
                                  _ n: Int, _ opts: UnsafePointer<snn_rmsprop_options>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let ps = try tensorsArg(params, n, fn, "params")
        o.pointee = Registry.shared.insert(try RMSprop(ps, try rmspropOptions(opts, fn) ?? RMSprop.Options()))
    }
}

@c @implementation
public func snn_optimizer_adagrad(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ params: UnsafePointer<OpaquePointer?>?,
                                  _ n: Int, _ opts: UnsafePointer<snn_adagrad_options>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let ps = try tensorsArg(params, n, fn, "params")
        o.pointee = Registry.shared.insert(try Adagrad(ps, try adagradOptions(opts, fn) ?? Adagrad.Options()))
    }
}

@c @implementation
public func snn_optimizer_add_rmsprop_group(_ opt: OpaquePointer?, _ params: UnsafePointer<OpaquePointer?>?,
                                           _ n: Int, _ opts: UnsafePointer<snn_rmsprop_options>?) -> snn_status {
    boundary { fn in
        let optimizer = try resolve(opt, Optimizer.self, fn, "opt")
        guard let r = optimizer as? RMSprop else {
            throw SNNError(.invalidArgument, "\(fn): opt is a \(type(of: optimizer)) optimizer, not RMSprop")
        }
        try r.addParamGroup(try tensorsArg(params, n, fn, "params"), try rmspropOptions(opts, fn))
    }
}

@c @implementation
public func snn_optimizer_add_adagrad_group(_ opt: OpaquePointer?, _ params: UnsafePointer<OpaquePointer?>?,
                                           _ n: Int, _ opts: UnsafePointer<snn_adagrad_options>?) -> snn_status {
    boundary { fn in
        let optimizer = try resolve(opt, Optimizer.self, fn, "opt")
        guard let a = optimizer as? Adagrad else {
            throw SNNError(.invalidArgument, "\(fn): opt is a \(type(of: optimizer)) optimizer, not Adagrad")
        }
        try a.addParamGroup(try tensorsArg(params, n, fn, "params"), try adagradOptions(opts, fn))
    }
}

@c @implementation
public func snn_sgd_options_init(_ opts: UnsafeMutablePointer<snn_sgd_options>?) -> snn_status {
    boundary { fn in try outPointer(opts, fn, "opts").pointee = snn_sgd_options(SGD.Options()) }
}

@c @implementation
public func snn_adam_options_init(_ opts: UnsafeMutablePointer<snn_adam_options>?) -> snn_status {
    boundary { fn in try outPointer(opts, fn, "opts").pointee = snn_adam_options(Adam.Options()) }
}

@c @implementation
public func snn_adamw_options_init(_ opts: UnsafeMutablePointer<snn_adam_options>?) -> snn_status {
    boundary { fn in try outPointer(opts, fn, "opts").pointee = snn_adam_options(AdamW.defaultOptions) }
}

/// The engine's options from a caller's struct (nil for NULL), every field as given.
private func sgdOptions(_ p: UnsafePointer<snn_sgd_options>?, _ fn: String) throws -> SGD.Options? {
    guard let o = try optionsArg(p, fn, arg: "opts") else { return nil }
    return SGD.Options(lr: o.lr, momentum: o.momentum, dampening: o.dampening,
                       weightDecay: o.weight_decay, nesterov: o.nesterov, maximize: o.maximize)
}

private func adamOptions(_ p: UnsafePointer<snn_adam_options>?, _ fn: String) throws -> Adam.Options? {
    guard let o = try optionsArg(p, fn, arg: "opts") else { return nil }
    return Adam.Options(lr: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weight_decay,
                        amsgrad: o.amsgrad, maximize: o.maximize)
}

/// Registers a new optimizer or scheduler handle in `out`.
func giveObject(_ object: AnyObject, _ out: UnsafeMutablePointer<OpaquePointer?>) {
    out.pointee = Registry.shared.insert(object)
}

// MARK: - Optimizers

@c @implementation
public func snn_optimizer_sgd(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ params: UnsafePointer<OpaquePointer?>?,
                              _ n: Int, _ opts: UnsafePointer<snn_sgd_options>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let ps = try tensorsArg(params, n, fn, "params")
        giveObject(try SGD(ps, try sgdOptions(opts, fn) ?? SGD.Options()), o)
    }
}

@c @implementation
public func snn_optimizer_adam(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ params: UnsafePointer<OpaquePointer?>?,
                               _ n: Int, _ opts: UnsafePointer<snn_adam_options>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let ps = try tensorsArg(params, n, fn, "params")
        giveObject(try Adam(ps, try adamOptions(opts, fn) ?? Adam.Options()), o)
    }
}

@c @implementation
public func snn_optimizer_adamw(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ params: UnsafePointer<OpaquePointer?>?,
                                _ n: Int, _ opts: UnsafePointer<snn_adam_options>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let ps = try tensorsArg(params, n, fn, "params")
        giveObject(try AdamW(ps, try adamOptions(opts, fn) ?? AdamW.defaultOptions), o)
    }
}

@c @implementation
public func snn_optimizer_add_sgd_group(_ opt: OpaquePointer?, _ params: UnsafePointer<OpaquePointer?>?,
                                        _ n: Int, _ opts: UnsafePointer<snn_sgd_options>?) -> snn_status {
    boundary { fn in
        let optimizer = try resolve(opt, Optimizer.self, fn, "opt")
        guard let sgd = optimizer as? SGD else {
            throw SNNError(.invalidArgument, "\(fn): opt is a \(type(of: optimizer)) optimizer, not SGD; use snn_optimizer_add_adam_group")
        }
        let ps = try tensorsArg(params, n, fn, "params")
        try sgd.addParamGroup(ps, try sgdOptions(opts, fn))
    }
}

@c @implementation
public func snn_optimizer_add_adam_group(_ opt: OpaquePointer?, _ params: UnsafePointer<OpaquePointer?>?,
                                         _ n: Int, _ opts: UnsafePointer<snn_adam_options>?) -> snn_status {
    boundary { fn in
        let optimizer = try resolve(opt, Optimizer.self, fn, "opt")
        guard let adam = optimizer as? Adam else {
            throw SNNError(.invalidArgument, "\(fn): opt is a \(type(of: optimizer)) optimizer, not Adam or AdamW; use snn_optimizer_add_sgd_group")
        }
        let ps = try tensorsArg(params, n, fn, "params")
        try adam.addParamGroup(ps, try adamOptions(opts, fn))
    }
}

@c @implementation
public func snn_optimizer_num_groups(_ out: UnsafeMutablePointer<Int>?, _ opt: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        o.pointee = try resolve(opt, Optimizer.self, fn, "opt").groupCount
    }
}

@c @implementation
public func snn_optimizer_step(_ opt: OpaquePointer?) -> snn_status {
    boundary { fn in try resolve(opt, Optimizer.self, fn, "opt").step() }
}

@c @implementation
public func snn_optimizer_zero_grad(_ opt: OpaquePointer?, _ setToNone: Bool) -> snn_status {
    boundary { fn in try resolve(opt, Optimizer.self, fn, "opt").zeroGrad(setToNone: setToNone) }
}

@c @implementation
public func snn_optimizer_get_lr(_ out: UnsafeMutablePointer<Double>?, _ opt: OpaquePointer?, _ group: Int) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        o.pointee = try resolve(opt, Optimizer.self, fn, "opt").learningRate(group: group)
    }
}

@c @implementation
public func snn_optimizer_state_count(_ out: UnsafeMutablePointer<Int>?, _ opt: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        o.pointee = try resolve(opt, Optimizer.self, fn, "opt").stateEntries().count
    }
}

@c @implementation
public func snn_optimizer_state_get(_ outParam: UnsafeMutablePointer<Int64>?, _ key: UnsafeMutablePointer<CChar>?,
                                    _ keyCapacity: Int, _ outValue: UnsafeMutablePointer<OpaquePointer?>?,
                                    _ opt: OpaquePointer?, _ index: Int) -> snn_status {
    boundary { fn in
        let p = try outPointer(outParam, fn, "out_param")
        let v = try outHandle(outValue, fn, "out_value")
        let entries = try resolve(opt, Optimizer.self, fn, "opt").stateEntries()
        guard index >= 0, index < entries.count else {
            throw SNNError(.outOfRange, "\(fn): index \(index) out of range (the optimizer has \(entries.count) state entries)")
        }
        let e = entries[index]
        try writeString(e.key, key, keyCapacity, nil, fn)
        let copy = try Tensor(empty: e.value.shape, dtype: e.value.dtype, zeroed: false, fn)
        try copy.copyValues(from: e.value)
        p.pointee = Int64(e.param)
        v.pointee = Registry.shared.insert(copy)
    }
}

@c @implementation
public func snn_optimizer_state_set(_ opt: OpaquePointer?, _ param: Int64, _ key: UnsafePointer<CChar>?,
                                    _ value: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try resolve(opt, Optimizer.self, fn, "opt")
        let k = try stringArg(key, fn, "key")
        let t = try tensorArg(value, fn, "value")
        guard param >= 0 else { throw SNNError(.outOfRange, "\(fn): param \(param) out of range (expected >= 0)") }
        try o.setState(param: Int(param), key: k, value: t)
    }
}

@c @implementation
public func snn_optimizer_set_lr(_ opt: OpaquePointer?, _ group: Int, _ lr: Double) -> snn_status {
    boundary { fn in try resolve(opt, Optimizer.self, fn, "opt").setLearningRate(lr, group: group) }
}

@c @implementation
public func snn_optimizer_set_momentum(_ opt: OpaquePointer?, _ group: Int, _ momentum: Double) -> snn_status {
    boundary { fn in try resolve(opt, Optimizer.self, fn, "opt").setMomentum(momentum, group: group) }
}

@c @implementation
public func snn_optimizer_get_momentum(_ out: UnsafeMutablePointer<Double>?, _ opt: OpaquePointer?, _ group: Int) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        let optimizer = try resolve(opt, Optimizer.self, fn, "opt")
        o.pointee = try naming(fn) { try optimizer.momentum(group: group) }
    }
}

@c @implementation
public func snn_optimizer_free(_ opt: OpaquePointer?) -> snn_status { freeHandle(opt, Optimizer.self, "opt") }

// MARK: - Gradient clipping

@c @implementation
public func snn_clip_grad_norm(_ out: UnsafeMutablePointer<Float>?, _ params: UnsafePointer<OpaquePointer?>?, _ n: Int,
                               _ maxNorm: Float, _ normType: Float) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn, "out_total_norm")
        let ps = try tensorsArg(params, n, fn, "params")
        o.pointee = try clipGradNorm(ps, maxNorm: Double(maxNorm), normType: Double(normType))
    }
}

@c @implementation
public func snn_grad_norm(_ out: UnsafeMutablePointer<Float>?, _ params: UnsafePointer<OpaquePointer?>?, _ n: Int,
                          _ normType: Float) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn, "out_total_norm")
        let ps = try tensorsArg(params, n, fn, "params")
        o.pointee = try gradientNorm(ps, normType: Double(normType))
    }
}
