// Scalar forms of the SIMD tanh and sigmoid (Transcendental.swift), for tests.

/// Scalar forms (through one SIMD lane), for tests.
public func fastTanh(_ x: Float) -> Float { tanh8(SIMD8<Float>(repeating: x))[0] }
public func fastSigmoid(_ x: Float) -> Float { sigmoid8(SIMD8<Float>(repeating: x))[0] }
