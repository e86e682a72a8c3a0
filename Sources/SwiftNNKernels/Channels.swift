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
                                sumG: UnsafeMutablePointer<Double>, sumGX: UnsafeMutablePointer<Double>, channels: Range<Int>? = nil) {
    let range = channels ?? 0..<c
    (sumG + range.lowerBound).update(repeating: 0, count: range.count)
    (sumGX + range.lowerBound).update(repeating: 0, count: range.count)
    for b in 0..<n {
        for ch in range {
            let off = (b &* c &+ ch) &* s
            let pg = g + off, px = x + off
            let m = mean[ch], mv = SIMD8<Float>(repeating: m)
            sumG[ch] += blockedSum(s, { load8(pg + $0) }, { pg[$0] })
            sumGX[ch] += blockedSum(s, { load8(pg + $0) * (load8(px + $0) - mv) }, { pg[$0] * (px[$0] - m) })
        }
    }
}

/// out[n, c, s] = (x[n, c, s] - center[c]) * scale[c] + shift[c]. `out` may be `x`.
public func channelAffine(_ x: UnsafePointer<Float>, center: UnsafePointer<Float>, scale: UnsafePointer<Float>,
                          shift: UnsafePointer<Float>, n: Int, c: Int, s: Int, _ out: UnsafeMutablePointer<Float>, channels: Range<Int>? = nil) {
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
        }
    }
}

/// out[n, c, s] = g[n, c, s] * a[c] + (x[n, c, s] - center[c]) * b[c] + k[c] (the batch-norm
/// input gradient).
public func channelAffine2(_ g: UnsafePointer<Float>, a: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                           center: UnsafePointer<Float>, b: UnsafePointer<Float>, k: UnsafePointer<Float>,
                           n: Int, c: Int, s: Int, _ out: UnsafeMutablePointer<Float>, channels: Range<Int>? = nil) {
    let range = channels ?? 0..<c
    for bi in 0..<n {
        for ch in range {
            let off = (bi &* c &+ ch) &* s
            let pg = g + off, px = x + off, po = out + off
            let a1 = a[ch], m = center[ch], b1 = b[ch], k1 = k[ch]
            let av = SIMD8<Float>(repeating: a1), mv = SIMD8<Float>(repeating: m)
            let bv = SIMD8<Float>(repeating: b1), kv = SIMD8<Float>(repeating: k1)
            var i = 0
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
