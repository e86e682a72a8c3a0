// Vectorised exp for softmax-like kernels: libm's expf is one scalar call per element, several
// times slower than this 8-lane polynomial (Cephes' expf coefficients, about 1 ulp).

/// e^x on 8 lanes. Overflows to +inf above ~88.72, underflows through denormals to 0 below
/// ~-103.97, and returns NaN for NaN, as expf does.
@inlinable @inline(__always)
public func exp8(_ x: SIMD8<Float>) -> SIMD8<Float> {
    // Clamping keeps the exponent arithmetic in range; the result still over/underflows
    // naturally because 2^n is applied as two factors, 2^(n/2) * 2^(n - n/2), each normal.
    // (Comparisons and `replacing` compile to blends; the generic pointwiseMin/Max, `rounded`
    // and float-to-int conversions of SIMD8 run lane by lane and made this 20x slower.)
    let lo = SIMD8<Float>(repeating: -104), hi = SIMD8<Float>(repeating: 89)
    var v = x.replacing(with: lo, where: x .< lo)
    v.replace(with: hi, where: v .> hi)
    // Adding 1.5 * 2^23 rounds v / ln 2 to the nearest integer n, which then sits in the low
    // mantissa bits of k.
    let magic = SIMD8<Float>(repeating: 12582912)
    let k = v * 1.44269504088896341 + magic
    let fx = k - magic
    // r = v - n ln 2, with ln 2 split in two so that the product is exact enough.
    var r = v.addingProduct(fx, SIMD8(repeating: -0.693359375))
    r = r.addingProduct(fx, SIMD8(repeating: 2.12194440e-4))
    var y = SIMD8<Float>(repeating: 1.9875691500e-4)
    y = SIMD8(repeating: 1.3981999507e-3).addingProduct(y, r)
    y = SIMD8(repeating: 8.3334519073e-3).addingProduct(y, r)
    y = SIMD8(repeating: 4.1665795894e-2).addingProduct(y, r)
    y = SIMD8(repeating: 1.6666665459e-1).addingProduct(y, r)
    y = SIMD8(repeating: 5.0000001201e-1).addingProduct(y, r)
    y = (r + 1).addingProduct(y, r * r)
    let n = unsafeBitCast(k, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
    let half = n &>> 1
    let s1 = unsafeBitCast((half &+ 127) &<< 23, to: SIMD8<Float>.self)
    let s2 = unsafeBitCast((n &- half &+ 127) &<< 23, to: SIMD8<Float>.self)
    return (y * s1 * s2).replacing(with: x, where: x .!= x)
}

/// Loads `count` (1...8) floats, the missing lanes set to `fill`.
@inlinable @inline(__always)
public func load8(_ p: UnsafePointer<Float>, _ count: Int, fill: Float = 0) -> SIMD8<Float> {
    if count >= 8 { return UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }
    var v = SIMD8<Float>(repeating: fill)
    for k in 0..<count { v[k] = p[k] }
    return v
}

/// Stores the first `count` (1...8) lanes.
@inlinable @inline(__always)
public func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
    if count >= 8 { UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self); return }
    for k in 0..<count { p[k] = v[k] }
}

/// e^x for one value, by the same polynomial as `exp8` (so every path rounds alike).
@inlinable
public func expScalar(_ x: Float) -> Float { exp8(SIMD8(repeating: x))[0] }
