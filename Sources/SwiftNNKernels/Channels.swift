// Per-channel loops over data laid out as [N, C, S] (batch, channel, spatial): sums for batch
// statistics and bias gradients, per-channel affine maps, and bias fills. Sums accumulate SIMD
// float partials over blocks of 512 and add the blocks in Double, in a fixed order, so results
// are identical in debug and release builds. `channels` restricts a call to some channels (the
// others are not touched), so that threads can take channel ranges with the same results.
// Callers validate sizes; -Ounchecked in release.

/// ((v0 + v1) + (v2 + v3)) + ((v4 + v5) + (v6 + v7)), in Double, spelled out so the order is fixed.
@inline(__always)
func horizontalSum(_ v: SIMD8<Float>) -> Double {
    let a = (Double(v[0]) + Double(v[1])) + (Double(v[2]) + Double(v[3]))
    let b = (Double(v[4]) + Double(v[5])) + (Double(v[6]) + Double(v[7]))
    return a + b
}

/// Sum over i in 0..<n of term(i), with `vector(i)` giving terms i..<i+8 at once.
@inline(__always)
func blockedSum(_ n: Int, _ vector: (Int) -> SIMD8<Float>, _ scalar: (Int) -> Float) -> Double {
    var total = 0.0
    var i = 0
    while i < n {
        let end = min(n, i &+ 512)
        var acc = SIMD8<Float>()
        while i &+ 8 <= end { acc += vector(i); i &+= 8 }
        var tail: Float = 0
        while i < end { tail += scalar(i); i &+= 1 }
        total += horizontalSum(acc) + Double(tail)
    }
    return total
}

/// The sums of two term sequences in one pass (each block's partials as `blockedSum` forms
/// them, so each total has blockedSum's bits): batch norm's backward reads g and x once for
/// both of its per-channel sums.
@inline(__always)
func blockedSumPair(_ n: Int, _ vector: (Int) -> (SIMD8<Float>, SIMD8<Float>), _ scalar: (Int) -> (Float, Float)) -> (Double, Double) {
    var total0 = 0.0, total1 = 0.0
    var i = 0
    while i < n {
        let end = min(n, i &+ 512)
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        while i &+ 8 <= end { let (a, b) = vector(i); acc0 += a; acc1 += b; i &+= 8 }
        var tail0: Float = 0, tail1: Float = 0
        while i < end { let (a, b) = scalar(i); tail0 += a; tail1 += b; i &+= 1 }
        total0 += horizontalSum(acc0) + Double(tail0)
        total1 += horizontalSum(acc1) + Double(tail1)
    }
    return (total0, total1)
}

/// out[c] = sum over n, s of x[n, c, s].
public func channelSums(_ x: UnsafePointer<Float>, n: Int, c: Int, s: Int, _ out: UnsafeMutablePointer<Double>, channels: Range<Int>? = nil) {
    let range = channels ?? 0..<c
    (out + range.lowerBound).update(repeating: 0, count: range.count)
    for b in 0..<n {
        for ch in range {
            let p = x + (b &* c &+ ch) &* s
            out[ch] += blockedSum(s, { load8(p + $0) }, { p[$0] })
        }
    }
}

/// out[c] = sum over n, s of (x[n, c, s] - mean[c])^2.
public func channelSquaredDeviations(_ x: UnsafePointer<Float>, mean: UnsafePointer<Float>, n: Int, c: Int, s: Int,
                                     _ out: UnsafeMutablePointer<Double>, channels: Range<Int>? = nil) {
    let range = channels ?? 0..<c
    (out + range.lowerBound).update(repeating: 0, count: range.count)
    for b in 0..<n {
        for ch in range {
            let p = x + (b &* c &+ ch) &* s
            let m = mean[ch], mv = SIMD8<Float>(repeating: m)
            out[ch] += blockedSum(s, { let d = load8(p + $0) - mv; return d * d }, { let d = p[$0] - m; return d * d })
        }
    }
}

/// sumG[c] = sum of g[n, c, s]; sumGX[c] = sum of g[n, c, s] * (x[n, c, s] - mean[c]).
public func channelGradientSums(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, mean: UnsafePointer<Float>,
                                n: Int, c: Int, s: Int,
                                sumG: UnsafeMutablePointer<Double>, sumGX: UnsafeMutablePointer<Double>, channels: Range<Int>? = nil,
                                mask: RectifierMask? = nil) {
    let range = channels ?? 0..<c
    (sumG + range.lowerBound).update(repeating: 0, count: range.count)
    (sumGX + range.lowerBound).update(repeating: 0, count: range.count)
    for b in 0..<n {
        for ch in range {
            let off = (b &* c &+ ch) &* s
            let pg = g + off, px = x + off
            let m = mean[ch], mv = SIMD8<Float>(repeating: m)
            let (a, b): (Double, Double)
            if let mask {
                let r = mask.channel(ch, mean: m)
                (a, b) = blockedSumPair(s, { let xv = load8(px + $0), gv = r.gate(load8(pg + $0), xv); return (gv, gv * (xv - mv)) },
                                        { let gv = r.gate(pg[$0], px[$0]); return (gv, gv * (px[$0] - m)) })
            } else {
                (a, b) = blockedSumPair(s, { let gv = load8(pg + $0); return (gv, gv * (load8(px + $0) - mv)) },
                                        { (pg[$0], pg[$0] * (px[$0] - m)) })
            }
            sumG[ch] += a
            sumGX[ch] += b
        }
    }
}

/// out[n, c, s] = (x[n, c, s] - center[c]) * scale[c] + shift[c]. `out` may be `x`.
public func channelAffine(_ x: UnsafePointer<Float>, center: UnsafePointer<Float>, scale: UnsafePointer<Float>,
                          shift: UnsafePointer<Float>, n: Int, c: Int, s: Int, _ out: UnsafeMutablePointer<Float>, channels: Range<Int>? = nil,
                          activation: FusedActivation = .none) {
    let range = channels ?? 0..<c
    for b in 0..<n {
        for ch in range {
            let off = (b &* c &+ ch) &* s
            let px = x + off, po = out + off
            let m = center[ch], a = scale[ch], k = shift[ch]
            let mv = SIMD8<Float>(repeating: m), av = SIMD8<Float>(repeating: a), kv = SIMD8<Float>(repeating: k)
            var i = 0
            while i &+ 8 <= s { store8(po + i, (load8(px + i) - mv) * av + kv); i &+= 8 }
            while i < s { po[i] = (px[i] - m) * a + k; i &+= 1 }
            activation.apply(po, count: s)   // while the plane is in cache
        }
    }
}

/// out[n, c, s] = g[n, c, s] * a[c] + (x[n, c, s] - center[c]) * b[c] + k[c] (the batch-norm
/// input gradient).
public func channelAffine2(_ g: UnsafePointer<Float>, a: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                           center: UnsafePointer<Float>, b: UnsafePointer<Float>, k: UnsafePointer<Float>,
                           n: Int, c: Int, s: Int, _ out: UnsafeMutablePointer<Float>, channels: Range<Int>? = nil,
                           mask: RectifierMask? = nil) {
    let range = channels ?? 0..<c
    for bi in 0..<n {
        for ch in range {
            let off = (bi &* c &+ ch) &* s
            let pg = g + off, px = x + off, po = out + off
            let a1 = a[ch], m = center[ch], b1 = b[ch], k1 = k[ch]
            let av = SIMD8<Float>(repeating: a1), mv = SIMD8<Float>(repeating: m)
            let bv = SIMD8<Float>(repeating: b1), kv = SIMD8<Float>(repeating: k1)
            var i = 0
            if let mask {
                let r = mask.channel(ch, mean: m)
                while i &+ 8 <= s {
                    let xv = load8(px + i)
                    store8(po + i, r.gate(load8(pg + i), xv) * av + (xv - mv) * bv + kv)
                    i &+= 8
                }
                while i < s { po[i] = r.gate(pg[i], px[i]) * a1 + (px[i] - m) * b1 + k1; i &+= 1 }
                continue
            }
            while i &+ 8 <= s { store8(po + i, load8(pg + i) * av + (load8(px + i) - mv) * bv + kv); i &+= 8 }
            while i < s { po[i] = pg[i] * a1 + (px[i] - m) * b1 + k1; i &+= 1 }
        }
    }
}

/// out[n, c, s] = values[c] (bias before a GEMM accumulates onto it).
public func fillChannels(_ out: UnsafeMutablePointer<Float>, values: UnsafePointer<Float>, n: Int, c: Int, s: Int) {
    for b in 0..<n {
        for ch in 0..<c { (out + (b &* c &+ ch) &* s).update(repeating: values[ch], count: s) }
    }
}

/// out[j] = sum over i of x[i, j] for a [rows, cols] matrix, rows added in order.
public func columnSums(_ x: UnsafePointer<Float>, rows: Int, cols: Int, _ out: UnsafeMutablePointer<Float>) {
    out.update(repeating: 0, count: cols)
    for r in 0..<rows { addInPlace(out, x + r &* cols, cols) }
}

/// The gradient gate of a ReLU or ReLU6 applied after a per-channel affine map: the gradient at
/// x passes where z = (x - mean[c]) * scale[c] + shift[c], recomputed with channelAffine's
/// operations (so z has its bits), is inside (0, hi) (above 0 when hi is nil), as
/// `rectifierGradient` gates it. Lets batch norm's backward take a following ReLU6's gradient
/// without a pass of its own.
public struct RectifierMask {
    public let scale: UnsafePointer<Float>, shift: UnsafePointer<Float>
    public let hi: Float?

    public init(scale: UnsafePointer<Float>, shift: UnsafePointer<Float>, hi: Float?) {
        self.scale = scale; self.shift = shift; self.hi = hi
    }

    @inline(__always)
    func channel(_ ch: Int, mean: Float) -> ChannelGate { ChannelGate(m: mean, a: scale[ch], k: shift[ch], hi: hi) }
}

struct ChannelGate {
    let m: Float, a: Float, k: Float, hi: Float?

    @inline(__always)
    func gate(_ g: SIMD8<Float>, _ x: SIMD8<Float>) -> SIMD8<Float> {
        let z = (x - SIMD8(repeating: m)) * SIMD8(repeating: a) + SIMD8(repeating: k)
        var off = z .<= SIMD8<Float>()
        if let hi { off = off .| (z .>= SIMD8(repeating: hi)) }
        return g.replacing(with: 0, where: off)
    }

    @inline(__always)
    func gate(_ g: Float, _ x: Float) -> Float {
        let z = (x - m) * a + k
        return z <= 0 || (hi.map { z >= $0 } ?? false) ? 0 : g
    }
}
