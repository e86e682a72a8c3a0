// SIMD tanh and sigmoid for the recurrent gate loops. libm's tanhf costs about 14 ns an element;
// this rational approximation (Eigen's minimax coefficients, clamped at +-7.905) costs a fraction
// of a nanosecond in SIMD8, with max abs error 2.9e-7 (tanh) and 1.7e-7 (sigmoid) over all floats.

/// Loads `n` (< 8) or 8 floats from `p`; missing lanes are 0.
@inline(__always)
func load8(_ p: UnsafePointer<Float>, _ n: Int) -> SIMD8<Float> {
    if n >= 8 { return UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }
    var v = SIMD8<Float>()
    var k = 0
    while k < n { v[k] = p[k]; k &+= 1 }
    return v
}

/// Stores the first `n` (< 8) or all 8 lanes of `v` to `p`.
@inline(__always)
func store8(_ p: UnsafeMutablePointer<Float>, _ v: SIMD8<Float>, _ n: Int) {
    if n >= 8 { UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self); return }
    var k = 0
    while k < n { p[k] = v[k]; k &+= 1 }
}

/// tanh(x) lane-wise; max abs error 2.9e-7 against tanh in Double. NaN stays NaN.
/// Transparent: with @inline(__always) the gate loops still called it out of line.
@_transparent
func tanh8(_ x0: SIMD8<Float>) -> SIMD8<Float> {
    // Clamp by compare-and-select: clamped(lowerBound:upperBound:) became two calls to
    // unspecialised pointwiseMin/Max (4% of an LSTM's training step in perf).
    let bound = SIMD8<Float>(repeating: 7.90531110763549805)
    let x = x0.replacing(with: bound, where: x0 .> bound).replacing(with: -bound, where: x0 .< -bound)
    let x2 = x * x
    // Horner with fused multiply-adds: c.addingProduct(p, x2) = c + p * x2.
    var p = SIMD8<Float>(repeating: -2.76076847742355e-16)
    p = SIMD8(repeating: 2.00018790482477e-13).addingProduct(p, x2)
    p = SIMD8(repeating: -8.60467152213735e-11).addingProduct(p, x2)
    p = SIMD8(repeating: 5.12229709037114e-08).addingProduct(p, x2)
    p = SIMD8(repeating: 1.48572235717979e-05).addingProduct(p, x2)
    p = SIMD8(repeating: 6.37261928875436e-04).addingProduct(p, x2)
    p = SIMD8(repeating: 4.89352455891786e-03).addingProduct(p, x2)
    p = p * x
    var q = SIMD8<Float>(repeating: 1.19825839466702e-06)
    q = SIMD8(repeating: 1.18534705686654e-04).addingProduct(q, x2)
    q = SIMD8(repeating: 2.26843463243900e-03).addingProduct(q, x2)
    q = SIMD8(repeating: 4.89352518554385e-03).addingProduct(q, x2)
    let r = p / q
    // Near 0 the ratio loses relative accuracy and tanh(x) = x to float precision; NaN
    // fails the comparison and is passed through.
    let ax = x0.replacing(with: -x0, where: x0 .< 0)
    return x0.replacing(with: r, where: ax .>= SIMD8<Float>(repeating: 0.0004))
}

/// sigmoid(x) = 1 / (1 + e^-x) = 0.5 + 0.5 tanh(x / 2); max abs error 1.7e-7.
@_transparent
func sigmoid8(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let half = SIMD8<Float>(repeating: 0.5)
    return half + half * tanh8(half * x)
}

/// Scalar forms (through one SIMD lane), for tests.
public func fastTanh(_ x: Float) -> Float { tanh8(SIMD8<Float>(repeating: x))[0] }
public func fastSigmoid(_ x: Float) -> Float { sigmoid8(SIMD8<Float>(repeating: x))[0] }
