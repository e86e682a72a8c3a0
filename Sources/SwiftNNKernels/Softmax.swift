// Softmax, log-softmax and log-sum-exp along the middle axis of a contiguous [outer, n, inner]
// array, their backward passes, and cross-entropy's fused backward. inner == 1 (the last
// dimension) runs along contiguous rows; otherwise 8 columns at a time, so memory is still read
// in order. All subtract the maximum first (stable for any finite input). Callers validate sizes.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Row and column primitives (exp8 is in Transcendental.swift)

/// Lane-wise maximum as a compare-and-blend (the generic pointwiseMax runs lane by lane).
/// A NaN lane in `b` is skipped; it still reaches the result through exp(NaN) = NaN.
@inline(__always)
func vmax(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a.replacing(with: b, where: b .> a) }

/// Largest element of a contiguous row (-inf for an empty row). Two accumulators hide the
/// compare-and-blend latency (3x faster than one).
@inline(__always)
func rowMax(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    var m0 = SIMD8<Float>(repeating: -.infinity), m1 = m0
    var i = 0
    while i &+ 16 <= n {
        m0 = vmax(m0, UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self))
        m1 = vmax(m1, UnsafeRawPointer(p + (i &+ 8)).loadUnaligned(as: SIMD8<Float>.self))
        i &+= 16
    }
    while i < n {
        m0 = vmax(m0, load8(p + i, n &- i, fill: -.infinity))
        i &+= 8
    }
    return vmax(m0, m1).max()
}

/// sum(exp(x - shift)) over a row, storing the exponentials in `y` when given.
@inline(__always)
func expShiftedSum(_ x: UnsafePointer<Float>, _ shift: Float, _ y: UnsafeMutablePointer<Float>?, _ n: Int) -> Float {
    var s = SIMD8<Float>()
    let m = SIMD8<Float>(repeating: shift)
    var i = 0
    while i < n {
        let c = n &- i
        let e = exp8(load8(x + i, c, fill: -.infinity) - m)
        if let y { store8(y + i, e, c) }
        s += e
        i &+= 8
    }
    return s.sum()
}

/// Maximum over k of the 8-column strip x[k * inner + 0..<c].
@inline(__always)
func stripMax(_ x: UnsafePointer<Float>, _ n: Int, _ inner: Int, _ c: Int) -> SIMD8<Float> {
    var m = SIMD8<Float>(repeating: -.infinity)
    for k in 0..<n { m = vmax(m, load8(x + k &* inner, c)) }
    return m
}

/// Lane-wise natural logarithm (per lane through libm: called once per strip, not per element).
@inline(__always)
func log8(_ v: SIMD8<Float>) -> SIMD8<Float> {
    var r = SIMD8<Float>()
    for k in 0..<8 { r[k] = logf(v[k]) }
    return r
}

/// The shift a log-sum-exp uses: the maximum, or 0 where it is infinite (as PyTorch), so that
/// an all -inf row gives -inf and a row holding +inf gives +inf rather than NaN.
@inline(__always)
func finiteShift(_ m: SIMD8<Float>) -> SIMD8<Float> {
    m.replacing(with: 0, where: (m .== .infinity) .| (m .== -.infinity))
}

// MARK: - Forward

/// y = softmax(x) (or log_softmax when `log`) along n for each of the outer * inner positions.
public func softmaxForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                           outer: Int, n: Int, inner: Int, log: Bool) {
    if n == 0 || inner == 0 { return }
    let block = n &* inner
    for o in 0..<outer {
        let xb = x + o &* block, yb = y + o &* block
        if inner == 1 {
            let m = rowMax(xb, n)
            if log {
                // (x - m) - log(sum): exact for the largest element, no cancellation.
                let ls = SIMD8<Float>(repeating: logf(expShiftedSum(xb, m, nil, n)))
                let mv = SIMD8<Float>(repeating: m)
                var i = 0
                while i < n { store8(yb + i, (load8(xb + i, n &- i) - mv) - ls, n &- i); i &+= 8 }
            } else {
                let s = SIMD8<Float>(repeating: expShiftedSum(xb, m, yb, n))
                var i = 0
                while i < n { store8(yb + i, load8(yb + i, n &- i) / s, n &- i); i &+= 8 }
            }
            continue
        }
        var i = 0
        while i < inner {
            let c = inner &- i
            let xs = xb + i, ys = yb + i
            let m = stripMax(xs, n, inner, c)
            var s = SIMD8<Float>()
            for k in 0..<n {
                let e = exp8(load8(xs + k &* inner, c) - m)
                if !log { store8(ys + k &* inner, e, c) }
                s += e
            }
            if log {
                let ls = log8(s)
                for k in 0..<n { store8(ys + k &* inner, (load8(xs + k &* inner, c) - m) - ls, c) }
            } else {
                for k in 0..<n { store8(ys + k &* inner, load8(ys + k &* inner, c) / s, c) }
            }
            i &+= 8
        }
    }
}

/// out[o * inner + i] = log(sum_k exp(x[o, k, i])), computed as m + log(sum exp(x - m)).
/// An empty reduction (n == 0) gives -inf.
public func logSumExp(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                      outer: Int, n: Int, inner: Int) {
    if inner == 0 { return }
    let block = n &* inner
    for o in 0..<outer {
        let xb = x + o &* block, ob = out + o &* inner
        if inner == 1 {
            let m = rowMax(xb, n)
            let shift = m.isInfinite ? 0 : m
            ob[0] = logf(expShiftedSum(xb, shift, nil, n)) + shift
            continue
        }
        var i = 0
        while i < inner {
            let c = inner &- i
            let xs = xb + i
            let shift = finiteShift(stripMax(xs, n, inner, c))
            var s = SIMD8<Float>()
            for k in 0..<n { s += exp8(load8(xs + k &* inner, c) - shift) }
            store8(ob + i, log8(s) + shift, c)
            i &+= 8
        }
    }
}

// MARK: - Backward

/// Gradient of softmax / log_softmax from the forward output y and upstream gradient g:
///   softmax:     dx = y * (g - sum_k g * y)
///   log_softmax: dx = g - exp(y) * sum_k g
public func softmaxBackward(_ y: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                            outer: Int, n: Int, inner: Int, log: Bool) {
    if n == 0 || inner == 0 { return }
    let block = n &* inner
    for o in 0..<outer {
        let yb = y + o &* block, gb = g + o &* block, db = dx + o &* block
        if inner == 1 {
            var acc = SIMD8<Float>()
            var k = 0
            while k < n {
                let gv = load8(gb + k, n &- k)
                acc += log ? gv : gv * load8(yb + k, n &- k)
                k &+= 8
            }
            let a = SIMD8<Float>(repeating: acc.sum())
            k = 0
            while k < n {
                let gv = load8(gb + k, n &- k), yv = load8(yb + k, n &- k)
                store8(db + k, log ? gv - exp8(yv) * a : yv * (gv - a), n &- k)
                k &+= 8
            }
            continue
        }
        var i = 0
        while i < inner {
            let c = inner &- i
            let ys = yb + i, gs = gb + i, ds = db + i
            var acc = SIMD8<Float>()
            for k in 0..<n {
                let gv = load8(gs + k &* inner, c)
                acc += log ? gv : gv * load8(ys + k &* inner, c)
            }
            for k in 0..<n {
                let gv = load8(gs + k &* inner, c), yv = load8(ys + k &* inner, c)
                store8(ds + k &* inner, log ? gv - exp8(yv) * acc : yv * (gv - acc), c)
            }
            i &+= 8
        }
    }
}

/// Cross-entropy's fused backward for each position j = o * inner + i with logits x[o, :, i]:
///   dx = scale[j] * (softmax(x) - q),  q = `on` at class target[j], `off` elsewhere,
/// with softmax = exp(x - lse[j]). Positions with target[j] < 0 (ignored) get dx = 0.
/// For plain cross-entropy on = 1, off = 0; with label smoothing e: on = 1 - e + e/n, off = e/n.
public func crossEntropyBackward(_ x: UnsafePointer<Float>, _ lse: UnsafePointer<Float>, _ target: UnsafePointer<Int>,
                                 _ scale: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                                 outer: Int, n: Int, inner: Int, on: Float, off: Float) {
    if n == 0 || inner == 0 { return }
    let block = n &* inner
    let offv = SIMD8<Float>(repeating: off)
    for o in 0..<outer {
        let xb = x + o &* block, db = dx + o &* block
        let pos = o &* inner
        if inner == 1 {
            let t = target[pos]
            if t < 0 {
                db.initialize(repeating: 0, count: n)
                continue
            }
            let sc = SIMD8<Float>(repeating: scale[pos]), l = SIMD8<Float>(repeating: lse[pos])
            var k = 0
            while k < n {
                let w = n &- k
                store8(db + k, sc * (exp8(load8(xb + k, w) - l) - offv), w)
                k &+= 8
            }
            db[t] -= scale[pos] * (on - off)
            continue
        }
        var i = 0
        while i < inner {
            let c = inner &- i
            let sc = load8(scale + (pos &+ i), c), l = load8(lse + (pos &+ i), c)
            for k in 0..<n {
                let p = k &* inner &+ i
                store8(db + p, sc * (exp8(load8(xb + p, c) - l) - offv), c)
            }
            for lane in 0..<Swift.min(c, 8) {
                let t = target[pos &+ i &+ lane]
                if t < 0 {
                    for k in 0..<n { db[k &* inner &+ i &+ lane] = 0 }
                } else {
                    db[t &* inner &+ i &+ lane] -= sc[lane] * (on - off)
                }
            }
            i &+= 8
        }
    }
}

/// logsumexp's backward over contiguous rows: dx[r, k] = g[r] * exp(x[r, k] - lse[r]).
public func logSumExpBackward(_ x: UnsafePointer<Float>, _ lse: UnsafePointer<Float>, _ g: UnsafePointer<Float>,
                              _ dx: UnsafeMutablePointer<Float>, rows: Int, n: Int) {
    for r in 0..<rows {
        let xb = x + r &* n, db = dx + r &* n
        let l = SIMD8<Float>(repeating: lse[r]), gv = SIMD8<Float>(repeating: g[r])
        var k = 0
        while k < n {
            store8(db + k, gv * exp8(load8(xb + k, n &- k) - l), n &- k)
            k &+= 8
        }
    }
}
