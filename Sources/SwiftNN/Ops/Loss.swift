// Losses with PyTorch's semantics: cross_entropy from logits with integer class targets (one
// fused op: log-sum-exp, gather, optional label smoothing; backward softmax - target), nll_loss
// on log-probabilities, and mse_loss. Class targets may be ignored with ignore_index and
// weighted per class (weight=); 'mean' then divides by the summed weights of the targets that
// are not ignored (their count without weights; NaN when all are ignored), as PyTorch does.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
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
/// (-1 where ignored), the number of positions not ignored, the optional class weights [C]
/// and the divisor of 'mean' (the summed weights of the positions not ignored, else `active`).
struct ClassTargets {
    let layout: DimLayout
    let classes: [Int]
    let active: Int
    let weight: [Double]?
    let divisor: Double

    init(_ input: Tensor, _ target: Tensor, ignoreIndex: Int, weight: Tensor? = nil, _ fn: String) throws {
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
        guard let weight else {
            self.weight = nil
            divisor = Double(active)
            return
        }
        // PyTorch requires the weight's dtype to be the input's (no promotion here).
        guard weight.dtype == input.dtype else {
            throw SNNError.dtype("\(fn): weight has dtype \(weight.dtype.name) but input has \(input.dtype.name); expected the same dtype")
        }
        guard weight.shape == [c] else {
            throw SNNError.shape("\(fn): weight has shape \(fmt(weight.shape)) but input \(fmt(input.shape)) has \(c) classes; expected a weight of shape [\(c)] (one per class)")
        }
        let w: [Double] = weight.dtype == .float64 ? (0..<c).map { weight.doubles[$0] } : (0..<c).map { Double(weight.floats[$0]) }
        self.weight = w
        var total = 0.0
        for t in classes where t >= 0 { total += w[t] }
        divisor = total
    }

    /// The weight of class `k` (1 without weights).
    @inline(__always) func w(_ k: Int) -> Float { weight.map { Float($0[k]) } ?? 1 }

    /// Upstream gradient per position: g[j] for 'none', g / divisor for 'mean', g for 'sum';
    /// 0 where the target is ignored (class weights are applied by each loss's backward).
    func scales(_ g: Tensor, _ reduction: Reduction) -> [Float] {
        let pg = g.floats
        if reduction == .none { return classes.indices.map { classes[$0] < 0 ? 0 : pg[$0] } }
        let whole: Float = reduction == .mean ? pg[0] / Float(divisor) : pg[0]  // g is 0-d here
        return classes.map { $0 < 0 ? 0 : whole }
    }
}

/// Folds per-position losses into the output: as target-shaped for 'none', otherwise summed
/// in Double and divided by `divisor` (count or summed weights of the targets) for 'mean'.
private func reduceLosses(_ losses: [Float], _ shape: [Int], _ reduction: Reduction, divisor: Double) throws -> Tensor {
    if reduction == .none { return try Tensor(losses, shape: shape) }
    var s = 0.0
    for v in losses { s += Double(v) }
    if reduction == .mean { s /= divisor }
    return try Tensor([Float(s)], shape: [])
}

/// torch.nn.functional.cross_entropy(logits, target, weight=, reduction=, ignore_index=,
/// label_smoothing=) with integer class targets. logits [N, C, d1, ...] (or [C]); target int64
/// [N, d1, ...] (or []); weight [C] or nil. Per position: loss = w[t] (lse - x[t]), with
/// lse = log(sum(exp(x))) over the classes; with label smoothing e,
/// loss = (1 - e) w[t] (lse - x[t]) + e / C sum_c w[c] (lse - x[c]) (PyTorch's formula; 'mean'
/// divides both terms by the summed w[t] of the targets not ignored).
public func crossEntropy(_ logits: Tensor, _ target: Tensor, weight: Tensor? = nil, reduction: Reduction = .mean,
                         ignoreIndex: Int = -100, labelSmoothing: Float = 0) throws -> Tensor {
    let fn = "cross_entropy"
    guard labelSmoothing >= 0, labelSmoothing <= 1 else {
        throw SNNError.invalid("\(fn): label_smoothing must be between 0.0 and 1.0, got \(labelSmoothing)")
    }
    if logits.dtype == .float64 {
        // label_smoothing crosses as a Float; its shortest decimal (0.2, not 0.2000000029...) is
        // the value the caller wrote, which a double computation should use.
        return try nllLoss64(try logSoftmax(logits, dim: logits.rank == 1 ? 0 : 1), target, reduction, ignoreIndex: ignoreIndex,
                             weight: weight, smoothing: Double("\(labelSmoothing)") ?? Double(labelSmoothing), fn)
    }
    let tg = try ClassTargets(logits, target, ignoreIndex: ignoreIndex, weight: weight, fn)
    if tg.weight != nil { return try weightedCrossEntropy(logits, target, tg, reduction, eps: labelSmoothing) }
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
    let out = try reduceLosses(losses, target.shape, reduction, divisor: tg.divisor)
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

/// cross_entropy with class weights (float32): separate from the unweighted path so that the
/// latter keeps its fused kernel. Formula and 'mean' as `crossEntropy`.
private func weightedCrossEntropy(_ logits: Tensor, _ target: Tensor, _ tg: ClassTargets, _ reduction: Reduction,
                                  eps: Float) throws -> Tensor {
    let l = tg.layout, c = l.n
    let lse = try Tensor(empty: [tg.classes.count], dtype: .float32, zeroed: false, "cross_entropy")
    logSumExp(logits.floats, lse.floats, outer: l.outer, n: c, inner: l.inner)
    let px = logits.floats, pl = lse.floats
    var wsum: Float = 0
    for k in 0..<c { wsum += tg.w(k) }
    var losses = [Float](repeating: 0, count: tg.classes.count)
    for (j, t) in tg.classes.enumerated() where t >= 0 {
        let base = l.offset(j, 0)
        let nll = tg.w(t) * (pl[j] - px[base + t * l.inner])
        if eps > 0 {
            var smooth: Float = 0
            for k in 0..<c { smooth += tg.w(k) * (pl[j] - px[base + k * l.inner]) }
            losses[j] = (1 - eps) * nll + eps / Float(c) * smooth
        } else {
            losses[j] = nll
        }
    }
    let out = try reduceLosses(losses, target.shape, reduction, divisor: tg.divisor)
    return out.traced(.crossEntropy, [logits, target]).recorded("CrossEntropyLossBackward", [logits], readsOutput: false) { g in
        // forward: loss_j = (1 - e) w[t] (lse_j - x[j, t]) + e / C sum_k w[k] (lse_j - x[j, k])
        //   =>  dx[j, c] = g_j (p_c ((1 - e) w[t] + e / C sum_k w[k]) - (1 - e) w[t] [c = t] - e / C w[c]),
        //       p = softmax(x_j) = exp(x - lse)
        let scale = tg.scales(g, reduction)
        let dx = try Tensor(empty: logits.shape, dtype: .float32, zeroed: true, "cross_entropy_backward")
        // Read through the tensors (captured, so alive), not the forward's raw pointers.
        let px = logits.floats, pl = lse.floats
        let pd = dx.floats, off = c == 0 ? 0 : eps / Float(c)
        for (j, t) in tg.classes.enumerated() where t >= 0 {
            let base = l.offset(j, 0), s = scale[j], wt = (1 - eps) * tg.w(t)
            let mass = wt + off * wsum
            for k in 0..<c {
                let i = base + k * l.inner
                let p = exp(px[i] - pl[j])
                pd[i] = s * (p * mass - (k == t ? wt : 0) - off * tg.w(k))
            }
        }
        return [dx]
    }
}

/// torch.nn.functional.nll_loss(log_probs, target, weight=, reduction=, ignore_index=): per
/// position loss = -w[t] log_probs[t]. Shapes and weights as `crossEntropy`.
public func nllLoss(_ logProbs: Tensor, _ target: Tensor, weight: Tensor? = nil, reduction: Reduction = .mean,
                    ignoreIndex: Int = -100) throws -> Tensor {
    let fn = "nll_loss"
    if logProbs.dtype == .float64 { return try nllLoss64(logProbs, target, reduction, ignoreIndex: ignoreIndex, weight: weight, fn) }
    let tg = try ClassTargets(logProbs, target, ignoreIndex: ignoreIndex, weight: weight, fn)
    let l = tg.layout, px = logProbs.floats
    var losses = [Float](repeating: 0, count: tg.classes.count)
    for (j, t) in tg.classes.enumerated() where t >= 0 { losses[j] = -tg.w(t) * px[l.offset(j, t)] }
    let out = try reduceLosses(losses, target.shape, reduction, divisor: tg.divisor)
    return out.traced(.nllLoss, [logProbs, target]).recorded("NllLossBackward", [logProbs], readsOutput: false) { g in
        // forward: loss_j = -w[t_j] x[j, t_j]  =>  dx[j, t_j] = -w[t_j] g_j, 0 elsewhere
        let scale = tg.scales(g, reduction)
        let dx = try Tensor(empty: logProbs.shape, dtype: .float32, zeroed: true, "nll_loss_backward")
        let pd = dx.floats
        for (j, t) in tg.classes.enumerated() where t >= 0 { pd[l.offset(j, t)] = -tg.w(t) * scale[j] }
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
