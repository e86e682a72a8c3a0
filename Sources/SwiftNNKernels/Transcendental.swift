// SIMD8 exp, tanh and sigmoid over contiguous floats. libm's expf/tanhf cost 3-19 ns an element;
// these take 0.5-1.5 ns and stay within 1e-6 relative of libm (Tests/SwiftNNTests/
// TranscendentalAccuracyTests.swift sweeps the float range). Callers validate lengths.

/// exp(x) = e * 2^n for x already clamped to the caller's range: n = round(x / ln 2) by the
/// 1.5 * 2^23 trick (the low mantissa bits of the returned t hold n), r = x - n ln 2 with ln 2
/// split so that n * hi is exact, and e = exp(r) by Cephes's degree-6 polynomial. (Public only
/// because the public kernels below, which are always inlined, are inlinable.)
@inline(always)
public func expReduced(_ x: SIMD8<Float>) -> (e: SIMD8<Float>, t: SIMD8<Float>) {
    let shifter = SIMD8<Float>(repeating: 12_582_912)
    let t = shifter.addingProduct(x, SIMD8(repeating: 1.442_695_04))
    let nf = t - shifter
    var r = x.addingProduct(nf, SIMD8(repeating: -0.693_359_375))
    r = r.addingProduct(nf, SIMD8(repeating: 2.121_944_4e-4))
    var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
    p = SIMD8(repeating: 1.398_199_95e-3).addingProduct(p, r)
    p = SIMD8(repeating: 8.333_451_9e-3).addingProduct(p, r)
    p = SIMD8(repeating: 4.166_579_59e-2).addingProduct(p, r)
    p = SIMD8(repeating: 1.666_666_55e-1).addingProduct(p, r)
    p = SIMD8(repeating: 5.000_000_12e-1).addingProduct(p, r)
    return (r.addingProduct(p, r * r) + 1, t)
}

/// exp(x) for 8 lanes: Cephes's range reduction and degree-6 polynomial (about 1 ulp), scaled by
/// 2^n in two steps so results in the subnormal range round once, as libm's do. NaN propagates;
/// overflow gives inf and underflow 0.
@inline(always)
public func exp8(_ x: SIMD8<Float>) -> SIMD8<Float> {
    // Beyond [-104, 89] the result is 0 or inf anyway; clamping keeps n within [-150, 129].
    let xc = x.replacing(with: -104, where: x .< -104).replacing(with: 89, where: x .> 89)
    let (e, t) = expReduced(xc)
    let n = unsafeBitCast(t, to: SIMD8<Int32>.self) &- 0x4B40_0000
    // 2^n = 2^n1 * 2^n2 with both halves normal floats, even for n = -150 or 129.
    let n1 = n &>> 1, n2 = n &- n1
    let s1 = unsafeBitCast((n1 &+ 127) &<< 23, to: SIMD8<Float>.self)
    let s2 = unsafeBitCast((n2 &+ 127) &<< 23, to: SIMD8<Float>.self)
    let y = e * s1 * s2
    return y.replacing(with: x, where: x .!= x)
}

/// tanh(x) for 8 lanes: a 13/6 rational minimax fit on [-9, 9] (beyond it tanh rounds to +-1),
/// about 15 operations and one division where 1 - 2 / (exp(2x) + 1) needs an exp and a branch
/// for small x; relative error below 4e-7. Below |x| = 4e-4, tanh(x) = x to within half an ulp
/// (which also keeps -0 and subnormals exact); NaN propagates.
@inline(always)
public func tanh8(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let xc = x.replacing(with: 9, where: x .> 9).replacing(with: -9, where: x .< -9)
    let z = xc * xc
    var p = SIMD8<Float>(repeating: -2.760_768_477_423_55e-16)
    p = SIMD8(repeating: 2.000_187_904_824_77e-13).addingProduct(p, z)
    p = SIMD8(repeating: -8.604_671_522_137_35e-11).addingProduct(p, z)
    p = SIMD8(repeating: 5.122_297_090_371_14e-8).addingProduct(p, z)
    p = SIMD8(repeating: 1.485_722_357_179_79e-5).addingProduct(p, z)
    p = SIMD8(repeating: 6.372_619_288_754_36e-4).addingProduct(p, z)
    p = SIMD8(repeating: 4.893_524_558_917_86e-3).addingProduct(p, z)
    var q = SIMD8<Float>(repeating: 1.198_258_394_667_02e-6)
    q = SIMD8(repeating: 1.185_347_056_866_54e-4).addingProduct(q, z)
    q = SIMD8(repeating: 2.268_434_632_439_00e-3).addingProduct(q, z)
    q = SIMD8(repeating: 4.893_525_185_543_85e-3).addingProduct(q, z)
    let y = p * xc / q
    let small = unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF, to: SIMD8<Float>.self) .< 4e-4
    return y.replacing(with: x, where: small)
}

/// sigmoid(x) = 1 / (1 + exp(-x)) for 8 lanes, as PyTorch computes it (0 below about -88.7).
/// exp(-x) is exp8's reduction and polynomial with -x clamped to [-87, 89], where one scaling
/// step suffices: 2 e 2^(n-1) with n in [-125, 128] stays a normal float or overflows to inf
/// exactly where expf does; below -87, exp(-x) is lost next to 1 anyway. NaN propagates.
@inline(always)
public func sigmoid8(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let nx = -x
    let z = nx.replacing(with: -87, where: nx .< -87).replacing(with: 89, where: nx .> 89)
    let (e, t) = expReduced(z)
    // t's low mantissa bits hold n (the 1.5 * 2^23 trick); 2^(n-1) has exponent field n + 126.
    let scale = unsafeBitCast((unsafeBitCast(t, to: SIMD8<Int32>.self) &- (0x4B40_0000 &- 126)) &<< 23, to: SIMD8<Float>.self)
    return 1 / SIMD8(repeating: 1).addingProduct(e + e, scale)
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
