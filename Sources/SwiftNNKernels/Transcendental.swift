// SIMD8 exp, tanh and sigmoid over contiguous floats. libm's expf/tanhf cost 3-19 ns an element;
// these take 0.5-1.5 ns and stay within 1e-6 relative of libm (Tests/SwiftNNTests/
// TranscendentalAccuracyTests.swift sweeps the float range). Callers validate lengths.

/// exp(x) for 8 lanes: Cephes's range reduction and degree-6 polynomial (about 1 ulp), scaled by
/// 2^n in two steps so results in the subnormal range round once, as libm's do. NaN propagates;
/// overflow gives inf and underflow 0.
@inline(__always)
public func exp8(_ x: SIMD8<Float>) -> SIMD8<Float> {
    // Beyond [-104, 89] the result is 0 or inf anyway; clamping keeps n within [-150, 129].
    let xc = x.replacing(with: -104, where: x .< -104).replacing(with: 89, where: x .> 89)
    // n = round(x / ln 2) by the 1.5 * 2^23 trick: its low mantissa bits then hold n.
    let shifter = SIMD8<Float>(repeating: 12_582_912)
    let t = shifter.addingProduct(xc, SIMD8(repeating: 1.442_695_04))
    let nf = t - shifter
    let n = unsafeBitCast(t, to: SIMD8<Int32>.self) &- 0x4B40_0000
    // r = x - n ln 2, with ln 2 split so that n * hi is exact.
    var r = xc.addingProduct(nf, SIMD8(repeating: -0.693_359_375))
    r = r.addingProduct(nf, SIMD8(repeating: 2.121_944_4e-4))
    var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
    p = SIMD8(repeating: 1.398_199_95e-3).addingProduct(p, r)
    p = SIMD8(repeating: 8.333_451_9e-3).addingProduct(p, r)
    p = SIMD8(repeating: 4.166_579_59e-2).addingProduct(p, r)
    p = SIMD8(repeating: 1.666_666_55e-1).addingProduct(p, r)
    p = SIMD8(repeating: 5.000_000_12e-1).addingProduct(p, r)
    let e = r.addingProduct(p, r * r) + 1
    // 2^n = 2^n1 * 2^n2 with both halves normal floats, even for n = -150 or 129.
    let n1 = n &>> 1, n2 = n &- n1
    let s1 = unsafeBitCast((n1 &+ 127) &<< 23, to: SIMD8<Float>.self)
    let s2 = unsafeBitCast((n2 &+ 127) &<< 23, to: SIMD8<Float>.self)
    let y = e * s1 * s2
    return y.replacing(with: x, where: x .!= x)
}

/// tanh(x) for 8 lanes: sign(x) times Cephes's odd polynomial below |x| = 0.625 (where
/// 1 - 2/(e^2x + 1) would cancel) or 1 - 2 / (exp(2|x|) + 1) above. NaN propagates; -0 stays -0.
@inline(__always)
public func tanh8(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let bits = unsafeBitCast(x, to: SIMD8<UInt32>.self)
    let sign = bits & 0x8000_0000
    let ax = unsafeBitCast(bits & 0x7FFF_FFFF, to: SIMD8<Float>.self)
    let z = ax * ax
    var p = SIMD8<Float>(repeating: -5.704_988_727_45e-3)
    p = SIMD8(repeating: 2.063_908_879_54e-2).addingProduct(p, z)
    p = SIMD8(repeating: -5.373_971_555_31e-2).addingProduct(p, z)
    p = SIMD8(repeating: 1.333_144_220_36e-1).addingProduct(p, z)
    p = SIMD8(repeating: -3.333_328_194_22e-1).addingProduct(p, z)
    let small = ax.addingProduct(ax * z, p)
    let large = 1 - 2 / (exp8(ax + ax) + 1)
    let y = large.replacing(with: small, where: ax .< 0.625)
    return unsafeBitCast(unsafeBitCast(y, to: SIMD8<UInt32>.self) | sign, to: SIMD8<Float>.self)
}

/// sigmoid(x) = 1 / (1 + exp(-x)) for 8 lanes, as PyTorch computes it (0 below about -88.7).
@inline(__always)
public func sigmoid8(_ x: SIMD8<Float>) -> SIMD8<Float> {
    1 / (1 + exp8(-x))
}

/// Applies an 8-lane function to `n` floats; the tail goes through the same function in a
/// padded vector, so every element gets bit-identical results whatever its position.
@inline(__always)
func map8(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int,
          _ f: (SIMD8<Float>) -> SIMD8<Float>) {
    var i = 0
    while i &+ 8 <= n {
        let v = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(dst + i).storeBytes(of: f(v), as: SIMD8<Float>.self)
        i &+= 8
    }
    if i < n {
        var v = SIMD8<Float>(repeating: 0)
        for k in 0..<(n &- i) { v[k] = src[i &+ k] }
        let y = f(v)
        for k in 0..<(n &- i) { dst[i &+ k] = y[k] }
    }
}

/// dst[i] = exp(src[i]) for i in 0..<n. `src` and `dst` may be the same buffer.
public func expKernel(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
    map8(src, dst, n, exp8)
}

/// dst[i] = tanh(src[i]) for i in 0..<n.
public func tanhKernel(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
    map8(src, dst, n, tanh8)
}

/// dst[i] = sigmoid(src[i]) for i in 0..<n.
public func sigmoidKernel(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
    map8(src, dst, n, sigmoid8)
}
