// Losses with PyTorch's semantics: cross_entropy from logits with integer class targets (one
// fused op: log-sum-exp, gather, optional label smoothing; backward softmax - target), nll_loss
// on log-probabilities, and mse_loss. Class targets may be ignored with ignore_index; 'mean'
// then averages over the targets that are not ignored (NaN when all are).
import SwiftNNKernels

/// How a loss folds its per-element values (PyTorch's `reduction`). Values are the C ABI's
/// `snn_reduction`.
public enum Reduction: Int32, Sendable {
    case none = 0
    case mean = 1
    case sum = 2

    /// PyTorch's spelling: "none", "mean" or "sum".
    public init(name: String) throws {
        switch name {
        case "none": self = .none
        case "mean": self = .mean
        case "sum": self = .sum
        default: throw SNNError.invalid("reduction: '\(name)' is not a valid value (expected 'none', 'mean' or 'sum')")
        }
    }
}

/// Validated class targets of a loss over input [N, C, d1, ...] (or unbatched [C]) and int64
/// target [N, d1, ...] (or []): the layout around the class dimension, each position's class
/// (-1 where ignored) and the number of positions not ignored.
struct ClassTargets {
    let layout: DimLayout
    let classes: [Int]
    let active: Int

    init(_ input: Tensor, _ target: Tensor, ignoreIndex: Int, _ fn: String) throws {
        guard input.dtype.isFloatingPoint else {  // float64 runs in Loss64.swift
            throw SNNError.dtype("\(fn): input has dtype \(input.dtype.name), expected float32 or float64")
        }
        guard target.dtype == .int64 else {
            throw SNNError.dtype("\(fn): target has dtype \(target.dtype.name), expected int64 class indices")
        }
        guard input.rank >= 1 else {
            throw SNNError.shape("\(fn): input has shape \(fmt(input.shape)), expected [N, C, d1, ...] or [C]")
        }
        let expected = input.rank == 1 ? [] : [input.shape[0]] + input.shape.dropFirst(2)
        guard target.shape == expected else {
            throw SNNError.shape("\(fn): target has shape \(fmt(target.shape)) but input \(fmt(input.shape)) needs target shape \(fmt(expected)) (the input's shape without the class dimension)")
        }
        layout = DimLayout(input.shape, input.rank == 1 ? 0 : 1)
        let c = layout.n, pt = target.int64s
        var classes = [Int](repeating: -1, count: target.count)
        var active = 0
        for j in 0..<target.count {
            let v = pt[j]
            if v == Int64(ignoreIndex) { continue }
            guard v >= 0, v < Int64(c) else {
                throw SNNError.range("\(fn): target \(v) (at flat position \(j)) is out of range for \(c) classes (expected a class in [0, \(c)) or ignore_index \(ignoreIndex))")
            }
            classes[j] = Int(v)
            active += 1
        }
        self.classes = classes
        self.active = active
    }

    /// Upstream gradient per position: g[j] for 'none', g / active for 'mean', g for 'sum';
    /// 0 where the target is ignored.
    func scales(_ g: Tensor, _ reduction: Reduction) -> [Float] {
        let pg = g.floats
        if reduction == .none { return classes.indices.map { classes[$0] < 0 ? 0 : pg[$0] } }
        let whole: Float = reduction == .mean ? pg[0] / Float(active) : pg[0]  // g is 0-d here
        return classes.map { $0 < 0 ? 0 : whole }
    }
}

/// Folds per-position losses into the output: as target-shaped for 'none', otherwise summed
/// in Double and divided by `active` for 'mean'.
private func reduceLosses(_ losses: [Float], _ shape: [Int], _ reduction: Reduction, active: Int) throws -> Tensor {
    if reduction == .none { return try Tensor(losses, shape: shape) }
    var s = 0.0
    for v in losses { s += Double(v) }
    if reduction == .mean { s /= Double(active) }
    return try Tensor([Float(s)], shape: [])
}

/// torch.nn.functional.cross_entropy(logits, target, reduction=, ignore_index=, label_smoothing=)
/// with integer class targets. logits [N, C, d1, ...] (or [C]); target int64 [N, d1, ...] (or []).
/// Per position: loss = lse - x[target], with lse = log(sum(exp(x))) over the classes; with label
/// smoothing e the target distribution is (1 - e) one-hot + e / C.
public func crossEntropy(_ logits: Tensor, _ target: Tensor, reduction: Reduction = .mean,
                         ignoreIndex: Int = -100, labelSmoothing: Float = 0) throws -> Tensor {
    let fn = "cross_entropy"
    guard labelSmoothing >= 0, labelSmoothing <= 1 else {
        throw SNNError.invalid("\(fn): label_smoothing must be between 0.0 and 1.0, got \(labelSmoothing)")
    }
    if logits.dtype == .float64 {
        // label_smoothing crosses as a Float; its shortest decimal (0.2, not 0.2000000029...) is
        // the value the caller wrote, which a double computation should use.
        return try nllLoss64(try logSoftmax(logits, dim: logits.rank == 1 ? 0 : 1), target, reduction, ignoreIndex: ignoreIndex,
                             smoothing: Double("\(labelSmoothing)") ?? Double(labelSmoothing), fn)
    }
    let tg = try ClassTargets(logits, target, ignoreIndex: ignoreIndex, fn)
    let l = tg.layout, c = l.n, eps = labelSmoothing
    let lse = try Tensor(empty: [tg.classes.count], dtype: .float32, zeroed: false, fn)
    logSumExp(logits.floats, lse.floats, outer: l.outer, n: c, inner: l.inner)
    let px = logits.floats, pl = lse.floats
    var losses = [Float](repeating: 0, count: tg.classes.count)
    for (j, t) in tg.classes.enumerated() where t >= 0 {
        let base = l.offset(j, 0)
        let nll = pl[j] - px[base + t * l.inner]
        if eps > 0 {
            // Sum of -log p over all classes, as a sum of non-negative terms (no cancellation).
            var smooth: Float = 0
            for k in 0..<c { smooth += pl[j] - px[base + k * l.inner] }
            losses[j] = (1 - eps) * nll + eps / Float(c) * smooth
        } else {
            losses[j] = nll
        }
    }
    let out = try reduceLosses(losses, target.shape, reduction, active: tg.active)
    return out.traced(.crossEntropy, [logits, target]).recorded("CrossEntropyLossBackward", [logits], readsOutput: false) { g in
        // forward: loss_j = lse_j - sum_c q_c x[j, c], q = (1 - e) onehot(t_j) + e / C
        //   =>  dx[j, c] = g_j * (softmax(x_j)[c] - q_c), softmax = exp(x - lse)
        let scale = tg.scales(g, reduction)
        let dx = try Tensor(empty: logits.shape, dtype: .float32, zeroed: false, "cross_entropy_backward")
        let off = c == 0 ? 0 : eps / Float(c)
        tg.classes.withUnsafeBufferPointer { pt in
            scale.withUnsafeBufferPointer { ps in
                guard let t = pt.baseAddress, let s = ps.baseAddress else { return }
                crossEntropyBackward(logits.floats, lse.floats, t, s, dx.floats,
                                     outer: l.outer, n: c, inner: l.inner, on: 1 - eps + off, off: off)
            }
        }
        return [dx]
    }
}

/// torch.nn.functional.nll_loss(log_probs, target, reduction=, ignore_index=): per position
/// loss = -log_probs[target]. Shapes as `crossEntropy`.
public func nllLoss(_ logProbs: Tensor, _ target: Tensor, reduction: Reduction = .mean, ignoreIndex: Int = -100) throws -> Tensor {
    let fn = "nll_loss"
    if logProbs.dtype == .float64 { return try nllLoss64(logProbs, target, reduction, ignoreIndex: ignoreIndex, fn) }
    let tg = try ClassTargets(logProbs, target, ignoreIndex: ignoreIndex, fn)
    let l = tg.layout, px = logProbs.floats
    var losses = [Float](repeating: 0, count: tg.classes.count)
    for (j, t) in tg.classes.enumerated() where t >= 0 { losses[j] = -px[l.offset(j, t)] }
    let out = try reduceLosses(losses, target.shape, reduction, active: tg.active)
    return out.traced(.nllLoss, [logProbs, target]).recorded("NllLossBackward", [logProbs], readsOutput: false) { g in
        // forward: loss_j = -x[j, t_j]  =>  dx[j, t_j] = -g_j, 0 elsewhere
        let scale = tg.scales(g, reduction)
        let dx = try Tensor(empty: logProbs.shape, dtype: .float32, zeroed: true, "nll_loss_backward")
        let pd = dx.floats
        for (j, t) in tg.classes.enumerated() where t >= 0 { pd[l.offset(j, t)] = -scale[j] }
        return [dx]
    }
}

/// torch.nn.functional.mse_loss(input, target, reduction=): (input - target)^2, broadcasting
/// the two as PyTorch does; 'mean' divides by the broadcast element count (NaN when empty).
public func mseLoss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) throws -> Tensor {
    let fn = "mse_loss"
    if input.dtype != .float32 || target.dtype != .float32 { return try mseLoss64(input, target, reduction) }
    let diff = try broadcastBinary(input, target, fn, -)
    let pd = diff.floats
    let out: Tensor
    if reduction == .none {
        out = try Tensor(empty: diff.shape, dtype: .float32, zeroed: false, fn)
        for i in 0..<diff.count { out.floats[i] = pd[i] * pd[i] }
    } else {
        var s = 0.0
        for i in 0..<diff.count { s += Double(pd[i]) * Double(pd[i]) }
        if reduction == .mean { s /= Double(diff.count) }
        out = try Tensor([Float(s)], shape: [])
    }
    return out.traced(.mseLoss, [input, target]).recorded("MseLossBackward", [input, target], readsOutput: false) { g in
        // forward: loss = (input - target)^2  =>  d input = 2 (input - target) g, d target = -d input
        let gd = try Tensor(empty: diff.shape, dtype: .float32, zeroed: false, "mse_loss_backward")
        let pg = g.floats, po = gd.floats
        let whole: Float = reduction == .none ? 0 : (reduction == .mean ? 2 * pg[0] / Float(diff.count) : 2 * pg[0])
        for i in 0..<diff.count { po[i] = (reduction == .none ? 2 * pg[i] : whole) * pd[i] }
        let gi = input.requiresGrad ? try sumToShape(gd, input.shape) : nil
        var gt: Tensor? = nil
        if target.requiresGrad {
            let neg = try Tensor(empty: diff.shape, dtype: .float32, zeroed: false, "mse_loss_backward")
            for i in 0..<diff.count { neg.floats[i] = -po[i] }
            gt = try sumToShape(neg, target.shape)
        }
        return [gi, gt]
    }
}

// MARK: - registry

extension OpDef {
    static let crossEntropy = OpDef("cross_entropy", c: "snn_loss_cross_entropy", python: "cross_entropy", export: refuseLoss)
    static let nllLoss = OpDef("nll_loss", c: "snn_loss_nll", python: "nll_loss", export: refuseLoss)
    static let mseLoss = OpDef("mse_loss", c: "snn_loss_mse", python: "mse_loss", export: refuseLoss)
}

/// Losses are not part of an inference graph.
nonisolated(unsafe) let refuseLoss: ONNXLowering = { _, r in
    throw SNNError(.unsupported, "\(r.op.name) is a loss; export the model's forward without the loss")
}
