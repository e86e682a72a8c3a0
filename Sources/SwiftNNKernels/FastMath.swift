// Array forms of the SIMD tanh and sigmoid (Transcendental.swift) for the recurrent gate loops.


/// `tanh8` and `sigmoid8` for other modules and tests.
public func fastTanh(_ x: SIMD8<Float>) -> SIMD8<Float> { tanh8(x) }
public func fastSigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> { sigmoid8(x) }

/// Scalar forms (through one SIMD lane), for tests and odd tails.
public func fastTanh(_ x: Float) -> Float { tanh8(SIMD8<Float>(repeating: x))[0] }
public func fastSigmoid(_ x: Float) -> Float { sigmoid8(SIMD8<Float>(repeating: x))[0] }

/// Applies `fastTanh` to n floats in place-compatible buffers (dst may equal src).
public func fastTanh(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int) {
    var i = 0
    while i < n {
        let m = n &- i
        store8(dst + i, tanh8(load8(src + i, m)), m)
        i &+= 8
    }
}

/// Applies `fastSigmoid` to n floats (dst may equal src).
public func fastSigmoid(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int) {
    var i = 0
    while i < n {
        let m = n &- i
        store8(dst + i, sigmoid8(load8(src + i, m)), m)
        i &+= 8
    }
}
