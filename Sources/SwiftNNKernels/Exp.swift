// Vectorised exp for softmax-like kernels: libm's expf is one scalar call per element, several
// times slower than this 8-lane polynomial (Cephes' expf coefficients, about 1 ulp).

/// e^x on 8 lanes. Overflows to +inf above ~88.72, underflows through denormals to 0 below
/// ~-103.97, and returns NaN for NaN, as expf does.
@inlinable @inline(__always)
public func exp8(_ x: SIMD8<Float>) -> SIMD8<Float> {
    // Clamping keeps the exponent arithmetic in range; the result still over/underflows
    // naturally because 2^n is applied as two factors, 2^(n/2) * 2^(n - n/2), each normal.
    let v = x.clamped(lowerBound: SIMD8(repeating: -104), upperBound: SIMD8(repeating: 89))
    let fx = (v * 1.44269504088896341).rounded(.toNearestOrEven)
    // r = v - fx * ln 2, with ln 2 split in two so the product is exact enough.
    var r = v.addingProduct(fx, SIMD8(repeating: -0.693359375))
    r = r.addingProduct(fx, SIMD8(repeating: 2.12194440e-4))
    var y = SIMD8<Float>(repeating: 1.9875691500e-4)
    y = SIMD8(repeating: 1.3981999507e-3).addingProduct(y, r)
    y = SIMD8(repeating: 8.3334519073e-3).addingProduct(y, r)
    y = SIMD8(repeating: 4.1665795894e-2).addingProduct(y, r)
    y = SIMD8(repeating: 1.6666665459e-1).addingProduct(y, r)
    y = SIMD8(repeating: 5.0000001201e-1).addingProduct(y, r)
    y = (r + 1).addingProduct(y, r * r)
    let n = SIMD8<Int32>(fx, rounding: .towardZero)
    let half = n &>> 1
    let s1 = unsafeBitCast((half &+ 127) &<< 23, to: SIMD8<Float>.self)
    let s2 = unsafeBitCast((n &- half &+ 127) &<< 23, to: SIMD8<Float>.self)
    var out = y * s1 * s2
    out.replace(with: x, where: x .!= x)
    return out
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
