// Step functions (floor, ceil, round half to even, sign) and reciprocal. The steps have zero
// gradient everywhere, as in PyTorch (which ignores the jumps), so they pass no gradient back.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The pullback of a step function: zeros of the input's shape.
private func zeroGradient(_ t: Tensor, _ fn: String) throws -> Tensor {
    try Tensor(empty: t.shape, dtype: .float32, zeroed: true, fn)
}

/// torch.floor. Gradient: 0.
public func floor(_ t: Tensor) throws -> Tensor {
    if t.dtype == .float64 { return try float64Unary(t, .floor, "FloorBackward", { $0.rounded(.down) }, derivative: { _, _ in 0 }) }
    let out = try unaryMap(t, "floor") { floorf($0) }
    return out.traced(.floor, [t]).recorded("FloorBackward", [t], saves: [], readsOutput: false) { _ in
        // forward: out = floor(t), piecewise constant
        [try zeroGradient(t, "floor_backward")]
    }
}

/// torch.ceil. Gradient: 0.
public func ceil(_ t: Tensor) throws -> Tensor {
    if t.dtype == .float64 { return try float64Unary(t, .ceil, "CeilBackward", { $0.rounded(.up) }, derivative: { _, _ in 0 }) }
    let out = try unaryMap(t, "ceil") { ceilf($0) }
    return out.traced(.ceil, [t]).recorded("CeilBackward", [t], saves: [], readsOutput: false) { _ in
        // forward: out = ceil(t), piecewise constant
        [try zeroGradient(t, "ceil_backward")]
    }
}

/// torch.round: to the nearest integer, halves to even (round(2.5) = 2, round(-0.5) = -0), as
/// PyTorch and ONNX's Round. Gradient: 0.
public func round(_ t: Tensor) throws -> Tensor {
    if t.dtype == .float64 { return try float64Unary(t, .round, "RoundBackward", { $0.rounded(.toNearestOrEven) }, derivative: { _, _ in 0 }) }
    let out = try unaryMap(t, "round") { rintf($0) }
    return out.traced(.round, [t]).recorded("RoundBackward", [t], saves: [], readsOutput: false) { _ in
        // forward: out = rint(t), piecewise constant
        [try zeroGradient(t, "round_backward")]
    }
}

/// torch.sign: 1, -1 or 0; as PyTorch computes it ((0 < t) - (t < 0)), sign(-0) is +0 and
/// sign(nan) is 0. Gradient: 0.
public func sign(_ t: Tensor) throws -> Tensor {
    if t.dtype == .float64 { return try float64Unary(t, .sign, "SignBackward", { ($0 > 0 ? 1 : 0) - ($0 < 0 ? 1 : 0) }, derivative: { _, _ in 0 }) }
    let out = try unaryMap(t, "sign") { x in (x > 0 ? 1 : 0) - (x < 0 ? 1 : 0) }
    return out.traced(.sign, [t]).recorded("SignBackward", [t], saves: [], readsOutput: false) { _ in
        // forward: out = (t > 0) - (t < 0), piecewise constant
        [try zeroGradient(t, "sign_backward")]
    }
}

/// torch.reciprocal: 1 / t (+-inf at +-0). Gradient: -g * out^2.
public func reciprocal(_ t: Tensor) throws -> Tensor {
    if !t.dtype.isFloatingPoint { return try reciprocal(try intToFloat(t)) }  // IntToFloat.swift
    if t.dtype == .float64 { return try float64Unary(t, .reciprocal, "ReciprocalBackward", { 1 / $0 }, derivative: { _, y in -y * y }) }
    let out = try unaryMap(t, "reciprocal") { 1 / $0 }
    let saved = out.savedForBackward
    return out.traced(.reciprocal, [t]).recorded("ReciprocalBackward", [t]) { g in
        // forward: out = 1 / t; d/dt = -1 / t^2 = -out^2
        [try broadcastBinary(g, saved, "reciprocal_backward") { g, y in -g * y * y }]
    }
}

// MARK: - registry

extension OpDef {
    static let floor = OpDef(unary: "floor", c: "snn_tensor_floor", python: "floor", onnx: "Floor", SwiftNN.floor)
    static let ceil = OpDef(unary: "ceil", c: "snn_tensor_ceil", python: "ceil", onnx: "Ceil", SwiftNN.ceil)
    static let round = OpDef(unary: "round", c: "snn_tensor_round", python: "round", onnx: "Round", SwiftNN.round)
    // ONNX's Sign keeps nan (PyTorch's gives 0): the imported op follows the engine, PyTorch.
    static let sign = OpDef(unary: "sign", c: "snn_tensor_sign", python: "sign", onnx: "Sign", SwiftNN.sign)
    static let reciprocal = OpDef(unary: "reciprocal", c: "snn_tensor_reciprocal", python: "reciprocal", onnx: "Reciprocal", SwiftNN.reciprocal)
}
