// Pointwise losses with PyTorch's formulas: l1_loss, smooth_l1_loss, huber_loss,
// binary_cross_entropy (probabilities), binary_cross_entropy_with_logits (stable, pos_weight)
// and kl_div (log_target, 'batchmean'). One engine runs them all: the operands broadcast,
// each element's loss and its derivatives come from the loss's formula, an optional weight
// scales them, and the reduction folds them (sums in Double). Each loss is one op with its
// own backward, so a loss over a large batch allocates no intermediate tensors.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pointwise loss l(x, y; p): the value and its partial derivatives in x and y. `p` is a
/// per-element parameter broadcast like the operands (BCE-with-logits' pos_weight; else 1).
/// Written once per loss for Float and Double (`PointwiseLoss.make`), so float64 losses use
/// the same formulas.
struct PointwiseLoss<T: TensorFloat> {
    let value: (T, T, T) -> T
    let dInput: (T, T, T) -> T
    let dTarget: (T, T, T) -> T
}

/// A loss's formulas for both dtypes, picked by the input's dtype.
struct PointwiseLossFormulas {
    let float32: PointwiseLoss<Float>
    let float64: PointwiseLoss<Double>

    init(_ make: (Float.Type) -> PointwiseLoss<Float>, _ make64: (Double.Type) -> PointwiseLoss<Double>) {
        float32 = make(Float.self)
        float64 = make64(Double.self)
    }
}

/// `t` broadcast to `shape` as a contiguous copy, not recorded (the loss records itself).
private func broadcastCopy(_ t: Tensor, _ shape: [Int], _ fn: String) throws -> Tensor {
    if t.shape == shape { return t }
    if t.dtype == .float64 { return try expand(t.detach(), to: shape).packed(fn, always: true) }
    let like = try Tensor(empty: shape, dtype: .float32, zeroed: true, fn)
    return try broadcastBinary(t, like, fn) { x, _ in x }
}

/// Runs a pointwise loss: validation, broadcasting, reduction and the backward pass.
/// `divisor` replaces the element count of 'mean' (kl_div's 'batchmean' divides by the batch).
func pointwiseLoss(_ input: Tensor, _ target: Tensor, weight: Tensor? = nil, param: Tensor? = nil,
                   reduction: Reduction, divisor: Int? = nil, sameShape: Bool = false,
                   _ fn: String, _ op: OpDef, _ node: String, _ attrs: [(name: String, value: TraceValue)] = [],
                   _ formulas: PointwiseLossFormulas) throws -> Tensor {
    try input.requireFloating(fn, "input")
    try input.requireSameDType(target, fn, "target")
    try input.requireSameDType(weight, fn, "weight")
    try input.requireSameDType(param, fn, "pos_weight")
    return input.dtype == .float64
        ? try pointwiseLoss(input, target, weight: weight, param: param, reduction: reduction, divisor: divisor, sameShape: sameShape,
                            fn, op, node, attrs, formulas.float64)
        : try pointwiseLoss(input, target, weight: weight, param: param, reduction: reduction, divisor: divisor, sameShape: sameShape,
                            fn, op, node, attrs, formulas.float32)
}

private func pointwiseLoss<T: TensorFloat>(_ input: Tensor, _ target: Tensor, weight: Tensor?, param: Tensor?,
                                           reduction: Reduction, divisor: Int?, sameShape: Bool,
                                           _ fn: String, _ op: OpDef, _ node: String, _ attrs: [(name: String, value: TraceValue)],
                                           _ loss: PointwiseLoss<T>) throws -> Tensor {
    if sameShape && target.shape != input.shape {
        throw SNNError.shape("\(fn): target has shape \(fmt(target.shape)) but input has \(fmt(input.shape)); they must have the same shape")
    }
    let shape = try broadcastShapes(input.shape, target.shape, fn)
    // A weight (or pos_weight) scales elements of the loss; it may not enlarge it.
    for (t, name) in [(weight, "weight"), (param, "pos_weight")] {
        guard let t else { continue }
        guard (try? broadcastShapes(shape, t.shape, fn)) == shape else {
            throw SNNError.shape("\(fn): \(name) has shape \(fmt(t.shape)), which does not broadcast to the loss's shape \(fmt(shape))")
        }
    }
    let x = try broadcastCopy(input, shape, fn), y = try broadcastCopy(target, shape, fn)
    let w = try weight.map { try broadcastCopy($0, shape, fn) }, p = try param.map { try broadcastCopy($0, shape, fn) }
    let n = x.count
    let out: Tensor
    let px = x.typed(T.self), py = y.typed(T.self), pw = w?.typed(T.self), pp = p?.typed(T.self)
    if reduction == .none {
        out = try Tensor(empty: shape, dtype: T.dtype, zeroed: false, fn)
        let po = out.typed(T.self)
        for i in 0..<n { po[i] = (pw?[i] ?? 1) * loss.value(px[i], py[i], pp?[i] ?? 1) }
    } else {
        var s = 0.0
        for i in 0..<n { s += Double((pw?[i] ?? 1) * loss.value(px[i], py[i], pp?[i] ?? 1)) }
        if reduction == .mean { s /= Double(divisor ?? n) }
        out = try Tensor(empty: [], dtype: T.dtype, zeroed: false, fn)
        out.typed(T.self)[0] = T(s)
    }
    return out.traced(op, [input, target] + [weight, param].compactMap { $0 }, attrs).recorded(node, [input, target], readsOutput: false) { g in
        // The broadcast copies are captured (not just their pointers), so they outlive forward.
        let pg = g.typed(T.self), px = x.typed(T.self), py = y.typed(T.self), pw = w?.typed(T.self), pp = p?.typed(T.self)
        let whole: T = reduction == .none ? 0 : (reduction == .mean ? pg[0] / T(divisor ?? n) : pg[0])
        func grad(_ d: (T, T, T) -> T, _ to: [Int]) throws -> Tensor {
            let t = try Tensor(empty: shape, dtype: T.dtype, zeroed: false, "\(fn)_backward")
            let pt = t.typed(T.self)
            for i in 0..<n { pt[i] = (reduction == .none ? pg[i] : whole) * (pw?[i] ?? 1) * d(px[i], py[i], pp?[i] ?? 1) }
            return try sumToShape(t, to)
        }
        return try withExtendedLifetime((x, y, w, p)) {
            [input.requiresGrad ? try grad(loss.dInput, input.shape) : nil,
             target.requiresGrad ? try grad(loss.dTarget, target.shape) : nil]
        }
    }
}

@inline(__always) private func sign<T: TensorFloat>(_ v: T) -> T { v > 0 ? 1 : (v < 0 ? -1 : 0) }

/// torch.nn.functional.l1_loss: |input - target|; the gradient at 0 is 0, as PyTorch's sign.
public func l1Loss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) throws -> Tensor {
    func make<T: TensorFloat>(_: T.Type) -> PointwiseLoss<T> {
        PointwiseLoss(value: { x, y, _ in abs(x - y) }, dInput: { x, y, _ in sign(x - y) }, dTarget: { x, y, _ in -sign(x - y) })
    }
    return try pointwiseLoss(input, target, reduction: reduction, "l1_loss", .l1Loss, "L1LossBackward", [], PointwiseLossFormulas(make, make))
}

/// torch.nn.functional.smooth_l1_loss: 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta
/// (d = input - target); beta = 0 is l1_loss.
public func smoothL1Loss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean, beta: Double = 1) throws -> Tensor {
    guard beta >= 0, beta.isFinite else { throw SNNError.invalid("smooth_l1_loss: beta is \(beta); expected a finite value >= 0") }
    func make<T: TensorFloat>(_: T.Type) -> PointwiseLoss<T> {
        let b = T(beta)
        func d(_ x: T, _ y: T) -> T { let v = x - y; return abs(v) < b ? v / b : sign(v) }
        return PointwiseLoss(value: { x, y, _ in let z = abs(x - y); return z < b ? 0.5 * z * z / b : z - 0.5 * b },
                             dInput: { x, y, _ in d(x, y) }, dTarget: { x, y, _ in -d(x, y) })
    }
    return try pointwiseLoss(input, target, reduction: reduction, "smooth_l1_loss", .smoothL1Loss, "SmoothL1LossBackward",
                             [("beta", .float(beta))], PointwiseLossFormulas(make, make))
}

/// torch.nn.functional.huber_loss: 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta).
public func huberLoss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean, delta: Double = 1) throws -> Tensor {
    guard delta > 0, delta.isFinite else { throw SNNError.invalid("huber_loss: delta is \(delta); expected a finite value > 0") }
    func make<T: TensorFloat>(_: T.Type) -> PointwiseLoss<T> {
        let dl = T(delta)
        func d(_ x: T, _ y: T) -> T { let v = x - y; return v <= -dl ? -dl : (v >= dl ? dl : v) }
        return PointwiseLoss(value: { x, y, _ in let z = abs(x - y); return z < dl ? 0.5 * z * z : dl * (z - 0.5 * dl) },
                             dInput: { x, y, _ in d(x, y) }, dTarget: { x, y, _ in -d(x, y) })
    }
    return try pointwiseLoss(input, target, reduction: reduction, "huber_loss", .huberLoss, "HuberLossBackward",
                             [("delta", .float(delta))], PointwiseLossFormulas(make, make))
}

/// torch.nn.functional.binary_cross_entropy on probabilities: -w (y log x + (1 - y) log(1 - x)),
/// each log clamped at -100 as PyTorch does, so x = 0 or 1 gives a finite loss. Input values
/// outside [0, 1] are an error; input and target have the same shape.
public func binaryCrossEntropy(_ input: Tensor, _ target: Tensor, weight: Tensor? = nil, reduction: Reduction = .mean) throws -> Tensor {
    let fn = "binary_cross_entropy"
    try input.requireFloating(fn, "input")
    if let bad = (0..<input.count).first(where: { !(input.element($0) >= 0 && input.element($0) <= 1) }) {
        throw SNNError.invalid("\(fn): all elements of input should be between 0 and 1 (element \(bad) is \(input.element(bad))); apply sigmoid first, or use binary_cross_entropy_with_logits")
    }
    func make<T: TensorFloat>(_: T.Type) -> PointwiseLoss<T> {
        func clampedLog(_ v: T) -> T { max(T.log(v), -100) }
        return PointwiseLoss(value: { x, y, _ in -(y * clampedLog(x) + (1 - y) * clampedLog(1 - x)) },
                             // PyTorch's backward: (x - y) / max((1 - x) x, 1e-12)
                             dInput: { x, y, _ in (x - y) / max((1 - x) * x, 1e-12) },
                             dTarget: { x, _, _ in clampedLog(1 - x) - clampedLog(x) })
    }
    return try pointwiseLoss(input, target, weight: weight, reduction: reduction, sameShape: true, fn, .binaryCrossEntropy,
                             "BinaryCrossEntropyBackward", [], PointwiseLossFormulas(make, make))
}

/// torch.nn.functional.binary_cross_entropy_with_logits: the stable form
/// (1 - y) x + (1 + (pw - 1) y) (log(1 + e^-|x|) + max(-x, 0)), times the weight; pos_weight
/// (pw) broadcasts against the input (one value per class along the last dimension).
public func binaryCrossEntropyWithLogits(_ input: Tensor, _ target: Tensor, weight: Tensor? = nil, posWeight: Tensor? = nil,
                                         reduction: Reduction = .mean) throws -> Tensor {
    func make<T: TensorFloat>(_: T.Type) -> PointwiseLoss<T> {
        func softplusNeg(_ x: T) -> T { T.log1p(T.exp(-abs(x))) + max(-x, 0) }  // log(1 + e^-x)
        func sigmoid(_ x: T) -> T { x >= 0 ? 1 / (1 + T.exp(-x)) : T.exp(x) / (1 + T.exp(x)) }
        return PointwiseLoss(value: { x, y, pw in (1 - y) * x + (1 + (pw - 1) * y) * softplusNeg(x) },
                             // d/dx = (1 + (pw - 1) y) sigmoid(x) - pw y
                             dInput: { x, y, pw in (1 + (pw - 1) * y) * sigmoid(x) - pw * y },
                             // d/dy = -x + (pw - 1) log(1 + e^-x)
                             dTarget: { x, _, pw in -x + (pw - 1) * softplusNeg(x) })
    }
    return try pointwiseLoss(input, target, weight: weight, param: posWeight, reduction: reduction, sameShape: true,
                             "binary_cross_entropy_with_logits", .binaryCrossEntropyWithLogits, "BinaryCrossEntropyWithLogitsBackward", [],
                             PointwiseLossFormulas(make, make))
}

/// torch.nn.functional.kl_div(input, target, reduction, log_target): input holds log q;
/// pointwise target (log target - input), 0 where target = 0 (or exp(t) (t - input) with
/// log_target). `batchMean` is reduction='batchmean': the sum divided by the batch size.
public func klDiv(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean, batchMean: Bool = false,
                  logTarget: Bool = false) throws -> Tensor {
    let r = batchMean ? Reduction.mean : reduction
    let divisor = batchMean ? (input.rank == 0 ? 1 : input.shape[0]) : nil
    func make<T: TensorFloat>(_: T.Type) -> PointwiseLoss<T> {
        logTarget
            ? PointwiseLoss(value: { x, t, _ in T.exp(t) * (t - x) }, dInput: { _, t, _ in -T.exp(t) },
                            dTarget: { x, t, _ in T.exp(t) * (t - x + 1) })
            : PointwiseLoss(value: { x, y, _ in y > 0 ? y * (T.log(y) - x) : (y == 0 ? 0 : .nan) }, dInput: { _, y, _ in -y },
                            // At a zero target PyTorch's derivative is log(0) + 1 - x times 0: NaN.
                            dTarget: { x, y, _ in y > 0 ? T.log(y) + 1 - x : .nan })
    }
    return try pointwiseLoss(input, target, reduction: r, divisor: divisor, "kl_div", .klDiv, "KlDivBackward",
                             [("batchmean", .bool(batchMean)), ("log_target", .bool(logTarget))], PointwiseLossFormulas(make, make))
}

// MARK: - registry

extension OpDef {
    static let l1Loss = OpDef("l1_loss", c: "snn_loss_l1", python: "l1_loss", export: refuseLoss)
    static let smoothL1Loss = OpDef("smooth_l1_loss", c: "snn_loss_smooth_l1", python: "smooth_l1_loss", export: refuseLoss)
    static let huberLoss = OpDef("huber_loss", c: "snn_loss_huber", python: "huber_loss", export: refuseLoss)
    static let binaryCrossEntropy = OpDef("binary_cross_entropy", c: "snn_loss_binary_cross_entropy",
                                          python: "binary_cross_entropy", export: refuseLoss)
    static let binaryCrossEntropyWithLogits = OpDef("binary_cross_entropy_with_logits", c: "snn_loss_binary_cross_entropy_with_logits",
                                                    python: "binary_cross_entropy_with_logits", export: refuseLoss)
    static let klDiv = OpDef("kl_div", c: "snn_loss_kl_div", python: "kl_div", export: refuseLoss)
}
