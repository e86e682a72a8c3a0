// torch.nn.functional.ctc_loss: connectionist temporal classification over log-probabilities
// [T, N, C], by the alpha (forward) and beta (backward) recursions in log space over the
// target with blanks between and around its labels. Computed in double for either input dtype.
// The backward is PyTorch's formula, which assumes normalised log-probabilities (the usual
// log_softmax output): d lp[t, c] = exp(lp[t, c]) - exp(log sum_{s: l'_s = c} alpha_t(s) beta_t(s) + nll - lp[t, c]).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// log(exp(a) + exp(b)) without overflow; -inf stays -inf.
@inline(__always) private func logAdd(_ a: Double, _ b: Double) -> Double {
    if a == -.infinity { return b }
    if b == -.infinity { return a }
    let m = Swift.max(a, b)
    return m + log1p(exp(-abs(a - b)))
}

/// One sample's problem: its frames, its target with blanks (l'), and where its log-probabilities live.
private struct CTCSample {
    let frames: Int
    let extended: [Int]  // blank, l1, blank, l2, ..., blank: 2L + 1 labels
    let targetLength: Int
}

/// The validated arguments of ctc_loss: log-probabilities as doubles [T, N, C] and each sample.
private struct CTCProblem {
    let t: Int, n: Int, c: Int
    let lp: [Double]
    let samples: [CTCSample]
    let batched: Bool

    init(_ logProbs: Tensor, _ targets: Tensor, _ inputLengths: Tensor, _ targetLengths: Tensor, blank: Int, _ fn: String) throws {
        guard logProbs.dtype == .float32 || logProbs.dtype == .float64 else {
            throw SNNError.dtype("\(fn): log_probs has dtype \(logProbs.dtype.name), expected float32 or float64")
        }
        for (x, name) in [(targets, "targets"), (inputLengths, "input_lengths"), (targetLengths, "target_lengths")] {
            guard x.dtype == .int64 else { throw SNNError.dtype("\(fn): \(name) has dtype \(x.dtype.name), expected int64") }
        }
        guard logProbs.rank == 3 || logProbs.rank == 2 else {
            throw SNNError.shape("\(fn): log_probs has shape \(fmt(logProbs.shape)), expected [T, N, C] or unbatched [T, C]")
        }
        batched = logProbs.rank == 3
        t = logProbs.shape[0]
        n = batched ? logProbs.shape[1] : 1
        c = logProbs.shape[logProbs.rank - 1]
        guard blank >= 0, blank < c else { throw SNNError.range("\(fn): blank \(blank) must be in label range [0, \(c))") }
        guard inputLengths.count == n, inputLengths.rank <= 1 else {
            throw SNNError.shape("\(fn): input_lengths has shape \(fmt(inputLengths.shape)), expected \(n) value(s) (one per batch element)")
        }
        guard targetLengths.count == n, targetLengths.rank <= 1 else {
            throw SNNError.shape("\(fn): target_lengths has shape \(fmt(targetLengths.shape)), expected \(n) value(s) (one per batch element)")
        }
        let il = inputLengths.int64s, tl = targetLengths.int64s, tg = targets.int64s
        // Targets: [N, S] padded, or all targets concatenated (1-D, sum of target_lengths).
        let padded = batched && targets.rank == 2
        if padded {
            guard targets.shape[0] == n else {
                throw SNNError.shape("\(fn): targets has shape \(fmt(targets.shape)) but log_probs \(fmt(logProbs.shape)) has batch size \(n)")
            }
        } else {
            guard targets.rank == 1 else {
                throw SNNError.shape("\(fn): targets has shape \(fmt(targets.shape)), expected [N, S] (padded) or 1-D (concatenated)")
            }
        }
        var samples: [CTCSample] = [], offset = 0
        for b in 0..<n {
            let frames = il[b], length = tl[b]
            guard frames >= 0, frames <= Int64(t) else {
                throw SNNError.range("\(fn): input_lengths[\(b)] is \(frames), expected a value in [0, \(t)] (T of log_probs \(fmt(logProbs.shape)))")
            }
            guard length >= 0 else { throw SNNError.range("\(fn): target_lengths[\(b)] is \(length), expected >= 0") }
            let lengthI = Int(length)
            let start: Int
            if padded {
                guard lengthI <= targets.shape[1] else {
                    throw SNNError.shape("\(fn): target_lengths[\(b)] is \(length) but targets \(fmt(targets.shape)) holds at most \(targets.shape[1]) per sample")
                }
                start = b * targets.shape[1]
            } else {
                guard offset + lengthI <= targets.count else {
                    throw SNNError.shape("\(fn): target_lengths sum to more than the \(targets.count) concatenated targets")
                }
                start = offset
                offset += lengthI
            }
            var ext = [Int](repeating: blank, count: 2 * lengthI + 1)
            for j in 0..<lengthI {
                let v = tg[start + j]
                guard v >= 0, v < Int64(c) else {
                    throw SNNError.range("\(fn): target \(v) of sample \(b) (position \(j)) is out of range for \(c) classes")
                }
                ext[2 * j + 1] = Int(v)
            }
            samples.append(CTCSample(frames: Int(frames), extended: ext, targetLength: lengthI))
        }
        self.samples = samples
        let count = logProbs.count
        if logProbs.dtype == .float64 {
            let p = logProbs.doubles
            lp = (0..<count).map { p[$0] }
        } else {
            let p = logProbs.floats
            lp = (0..<count).map { Double(p[$0]) }
        }
    }

    @inline(__always) func at(_ time: Int, _ b: Int, _ k: Int) -> Double { lp[(time * n + b) * c + k] }

    /// log alpha [frames][2L + 1] and the sample's negative log-likelihood.
    func alpha(_ b: Int) -> ([[Double]], Double) {
        let s = samples[b], ext = s.extended, width = ext.count
        var a = [[Double]](repeating: [Double](repeating: -.infinity, count: width), count: s.frames)
        guard s.frames > 0 else { return (a, s.targetLength == 0 ? 0 : .infinity) }
        a[0][0] = at(0, b, ext[0])
        if width > 1 { a[0][1] = at(0, b, ext[1]) }
        for time in 1..<s.frames {
            for j in 0..<width {
                var v = a[time - 1][j]
                if j >= 1 { v = logAdd(v, a[time - 1][j - 1]) }
                if j >= 2 && ext[j] != ext[0] && ext[j] != ext[j - 2] { v = logAdd(v, a[time - 1][j - 2]) }
                a[time][j] = v == -.infinity ? v : v + at(time, b, ext[j])
            }
        }
        let last = s.frames - 1
        let ll = width > 1 ? logAdd(a[last][width - 1], a[last][width - 2]) : a[last][width - 1]
        return (a, -ll)
    }

    /// log beta [frames][2L + 1] (including the emission at each frame, as PyTorch's).
    func beta(_ b: Int) -> [[Double]] {
        let s = samples[b], ext = s.extended, width = ext.count
        var be = [[Double]](repeating: [Double](repeating: -.infinity, count: width), count: s.frames)
        guard s.frames > 0 else { return be }
        let last = s.frames - 1
        be[last][width - 1] = at(last, b, ext[width - 1])
        if width > 1 { be[last][width - 2] = at(last, b, ext[width - 2]) }
        for time in stride(from: last - 1, through: 0, by: -1) {
            for j in 0..<width {
                var v = be[time + 1][j]
                if j + 1 < width { v = logAdd(v, be[time + 1][j + 1]) }
                if j + 2 < width && ext[j] != ext[0] && ext[j] != ext[j + 2] { v = logAdd(v, be[time + 1][j + 2]) }
                be[time][j] = v == -.infinity ? v : v + at(time, b, ext[j])
            }
        }
        return be
    }
}

/// torch.nn.functional.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=,
/// reduction=, zero_infinity=): log_probs [T, N, C] (or [T, C]), targets [N, S] padded or 1-D
/// concatenated, lengths int64 one per sample. 'mean' divides each sample's loss by its target
/// length (at least 1) before averaging over the batch, as PyTorch.
public func ctcLoss(_ logProbs: Tensor, _ targets: Tensor, inputLengths: Tensor, targetLengths: Tensor, blank: Int = 0,
                    reduction: Reduction = .mean, zeroInfinity: Bool = false) throws -> Tensor {
    let fn = "ctc_loss"
    let p = try CTCProblem(logProbs, targets, inputLengths, targetLengths, blank: blank, fn)
    var alphas: [[[Double]]] = [], raw = [Double](repeating: 0, count: p.n), nll = raw
    for b in 0..<p.n {
        let (a, l) = p.alpha(b)
        alphas.append(a)
        raw[b] = l
        nll[b] = zeroInfinity && l == .infinity ? 0 : l  // zero_infinity: no loss, no gradient
    }
    let dtype = logProbs.dtype
    func make(_ values: [Double], _ shape: [Int]) throws -> Tensor {
        let t = try Tensor(empty: shape, dtype: dtype, zeroed: false, fn)
        for (i, v) in values.enumerated() { if dtype == .float64 { t.doubles[i] = v } else { t.floats[i] = Float(v) } }
        return t
    }
    let out: Tensor
    switch reduction {
    case .none: out = try make(nll, p.batched ? [p.n] : [])
    case .sum: out = try make([nll.reduce(0, +)], [])
    case .mean:
        var s = 0.0
        for b in 0..<p.n { s += nll[b] / Double(Swift.max(p.samples[b].targetLength, 1)) }
        out = try make([s / Double(p.n)], [])
    }
    return out.traced(.ctcLoss, [logProbs, targets, inputLengths, targetLengths]).recorded("CtcLossBackward", [logProbs], readsOutput: false) { g in
        // forward: nll_b = -log sum over paths of prod_t exp(lp[t, b, path_t])
        //   =>  (PyTorch's form) d lp[t, b, c] = g_b (exp(lp) - exp(lcab[t, c] + nll_b - lp)), 0 for t >= frames
        let gv: [Double] = g.dtype == .float64 ? (0..<g.count).map { g.doubles[$0] } : (0..<g.count).map { Double(g.floats[$0]) }
        var grad = [Double](repeating: 0, count: p.lp.count)
        for b in 0..<p.n {
            let s = p.samples[b]
            let scale: Double
            switch reduction {
            case .none: scale = gv[b]
            case .sum: scale = gv[0]
            case .mean: scale = gv[0] / Double(p.n) / Double(Swift.max(s.targetLength, 1))
            }
            if zeroInfinity && raw[b] == .infinity { continue }
            let be = p.beta(b), a = alphas[b], rawNLL = raw[b]
            for time in 0..<s.frames {
                var lcab = [Double](repeating: -.infinity, count: p.c)
                for (j, label) in s.extended.enumerated() { lcab[label] = logAdd(lcab[label], a[time][j] + be[time][j]) }
                for k in 0..<p.c {
                    let l = p.at(time, b, k)
                    grad[(time * p.n + b) * p.c + k] = (exp(l) - exp(lcab[k] + rawNLL - l)) * scale
                }
            }
        }
        return [try make(grad, logProbs.shape)]
    }
}

// MARK: - registry

extension OpDef {
    static let ctcLoss = OpDef("ctc_loss", c: "snn_loss_ctc", python: "ctc_loss", export: refuseLoss)
}
