// Trigonometric and hyperbolic functions and erf, with libm's single-precision functions (as
// PyTorch's CPU kernels within its test tolerances). Domain errors give nan, as in PyTorch:
// asin(2), acosh(0.5), atanh(2).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// torch.sin.
public func sin(_ t: Tensor) throws -> Tensor {
    if !t.dtype.isFloatingPoint { return try sin(try intToFloat(t)) }  // IntToFloat.swift
    if t.dtype == .float64 { return try float64Unary(t, .sin, "SinBackward", { sin($0) }, derivative: { x, _ in cos(x) }) }
    let out = try unaryMap(t, "sin") { sinf($0) }
    return out.traced(.sin, [t]).recorded("SinBackward", [t], readsOutput: false) { g in
        // forward: out = sin(t); d/dt = cos(t)
        [try broadcastBinary(g, t, "sin_backward") { g, x in g * cosf(x) }]
    }
}

/// torch.cos.
public func cos(_ t: Tensor) throws -> Tensor {
    if !t.dtype.isFloatingPoint { return try cos(try intToFloat(t)) }  // IntToFloat.swift
    if t.dtype == .float64 { return try float64Unary(t, .cos, "CosBackward", { cos($0) }, derivative: { x, _ in -sin(x) }) }
    let out = try unaryMap(t, "cos") { cosf($0) }
    return out.traced(.cos, [t]).recorded("CosBackward", [t], readsOutput: false) { g in
        // forward: out = cos(t); d/dt = -sin(t)
        [try broadcastBinary(g, t, "cos_backward") { g, x in -g * sinf(x) }]
    }
}

/// torch.tan.
public func tan(_ t: Tensor) throws -> Tensor {
    if !t.dtype.isFloatingPoint { return try tan(try intToFloat(t)) }  // IntToFloat.swift
    if t.dtype == .float64 { return try float64Unary(t, .tan, "TanBackward", { tan($0) }, derivative: { _, y in 1 + y * y }) }
    let out = try unaryMap(t, "tan") { tanf($0) }
    let saved = out.savedForBackward
    return out.traced(.tan, [t]).recorded("TanBackward", [t]) { g in
        // forward: out = tan(t); d/dt = 1 + out^2
        [try broadcastBinary(g, saved, "tan_backward") { g, y in g * (1 + y * y) }]
    }
}

/// torch.asin: nan outside [-1, 1].
public func asin(_ t: Tensor) throws -> Tensor {
    if !t.dtype.isFloatingPoint { return try asin(try intToFloat(t)) }  // IntToFloat.swift
    if t.dtype == .float64 { return try float64Unary(t, .asin, "AsinBackward", { asin($0) }, derivative: { x, _ in 1 / (1 - x * x).squareRoot() }) }
    let out = try unaryMap(t, "asin") { asinf($0) }
    return out.traced(.asin, [t]).recorded("AsinBackward", [t], readsOutput: false) { g in
        // forward: out = asin(t); d/dt = 1 / sqrt(1 - t^2)
        [try broadcastBinary(g, t, "asin_backward") { g, x in g / (1 - x * x).squareRoot() }]
    }
}

/// torch.acos: nan outside [-1, 1].
public func acos(_ t: Tensor) throws -> Tensor {
    if !t.dtype.isFloatingPoint { return try acos(try intToFloat(t)) }  // IntToFloat.swift
    if t.dtype == .float64 { return try float64Unary(t, .acos, "AcosBackward", { acos($0) }, derivative: { x, _ in -1 / (1 - x * x).squareRoot() }) }
    let out = try unaryMap(t, "acos") { acosf($0) }
    return out.traced(.acos, [t]).recorded("AcosBackward", [t], readsOutput: false) { g in
        // forward: out = acos(t); d/dt = -1 / sqrt(1 - t^2)
        [try broadcastBinary(g, t, "acos_backward") { g, x in -g / (1 - x * x).squareRoot() }]
    }
}

/// torch.atan.
public func atan(_ t: Tensor) throws -> Tensor {
    if !t.dtype.isFloatingPoint { return try atan(try intToFloat(t)) }  // IntToFloat.swift
    if t.dtype == .float64 { return try float64Unary(t, .atan, "AtanBackward", { atan($0) }, derivative: { x, _ in 1 / (1 + x * x) }) }
    let out = try unaryMap(t, "atan") { atanf($0) }
    return out.traced(.atan, [t]).recorded("AtanBackward", [t], readsOutput: false) { g in
        // forward: out = atan(t); d/dt = 1 / (1 + t^2)
        [try broadcastBinary(g, t, "atan_backward") { g, x in g / (1 + x * x) }]
    }
}

/// torch.sinh.
public func sinh(_ t: Tensor) throws -> Tensor {
    if !t.dtype.isFloatingPoint { return try sinh(try intToFloat(t)) }  // IntToFloat.swift
    if t.dtype == .float64 { return try float64Unary(t, .sinh, "SinhBackward", { sinh($0) }, derivative: { x, _ in cosh(x) }) }
    let out = try unaryMap(t, "sinh") { sinhf($0) }
    return out.traced(.sinh, [t]).recorded("SinhBackward", [t], readsOutput: false) { g in
        // forward: out = sinh(t); d/dt = cosh(t)
        [try broadcastBinary(g, t, "sinh_backward") { g, x in g * coshf(x) }]
    }
}

/// torch.cosh.
public func cosh(_ t: Tensor) throws -> Tensor {
    if !t.dtype.isFloatingPoint { return try cosh(try intToFloat(t)) }  // IntToFloat.swift
    if t.dtype == .float64 { return try float64Unary(t, .cosh, "CoshBackward", { cosh($0) }, derivative: { x, _ in sinh(x) }) }
    let out = try unaryMap(t, "cosh") { coshf($0) }
    return out.traced(.cosh, [t]).recorded("CoshBackward", [t], readsOutput: false) { g in
        // forward: out = cosh(t); d/dt = sinh(t)
        [try broadcastBinary(g, t, "cosh_backward") { g, x in g * sinhf(x) }]
    }
}

/// torch.asinh.
public func asinh(_ t: Tensor) throws -> Tensor {
    if !t.dtype.isFloatingPoint { return try asinh(try intToFloat(t)) }  // IntToFloat.swift
    if t.dtype == .float64 { return try float64Unary(t, .asinh, "AsinhBackward", { asinh($0) }, derivative: { x, _ in 1 / (x * x + 1).squareRoot() }) }
    let out = try unaryMap(t, "asinh") { asinhf($0) }
    return out.traced(.asinh, [t]).recorded("AsinhBackward", [t], readsOutput: false) { g in
        // forward: out = asinh(t); d/dt = 1 / sqrt(t^2 + 1)
        [try broadcastBinary(g, t, "asinh_backward") { g, x in g / (x * x + 1).squareRoot() }]
    }
}

/// torch.acosh: nan below 1.
public func acosh(_ t: Tensor) throws -> Tensor {
    if !t.dtype.isFloatingPoint { return try acosh(try intToFloat(t)) }  // IntToFloat.swift
    if t.dtype == .float64 { return try float64Unary(t, .acosh, "AcoshBackward", { acosh($0) }, derivative: { x, _ in 1 / (x * x - 1).squareRoot() }) }
    let out = try unaryMap(t, "acosh") { acoshf($0) }
    return out.traced(.acosh, [t]).recorded("AcoshBackward", [t], readsOutput: false) { g in
        // forward: out = acosh(t); d/dt = 1 / sqrt(t^2 - 1)
        [try broadcastBinary(g, t, "acosh_backward") { g, x in g / (x * x - 1).squareRoot() }]
    }
}

/// torch.atanh: +-inf at +-1, nan outside.
public func atanh(_ t: Tensor) throws -> Tensor {
    if !t.dtype.isFloatingPoint { return try atanh(try intToFloat(t)) }  // IntToFloat.swift
    if t.dtype == .float64 { return try float64Unary(t, .atanh, "AtanhBackward", { atanh($0) }, derivative: { x, _ in 1 / (1 - x * x) }) }
    let out = try unaryMap(t, "atanh") { atanhf($0) }
    return out.traced(.atanh, [t]).recorded("AtanhBackward", [t], readsOutput: false) { g in
        // forward: out = atanh(t); d/dt = 1 / (1 - t^2)
        [try broadcastBinary(g, t, "atanh_backward") { g, x in g / (1 - x * x) }]
    }
}

/// torch.erf.
public func erf(_ t: Tensor) throws -> Tensor {
    if !t.dtype.isFloatingPoint { return try erf(try intToFloat(t)) }  // IntToFloat.swift
    if t.dtype == .float64 { return try float64Unary(t, .erf, "ErfBackward", { erf($0) }, derivative: { x, _ in 1.12837916709551257390 * exp(-x * x) }) }
    let out = try unaryMap(t, "erf") { erff($0) }
    return out.traced(.erf, [t]).recorded("ErfBackward", [t], readsOutput: false) { g in
        // forward: out = erf(t); d/dt = 2 / sqrt(pi) * exp(-t^2)
        [try broadcastBinary(g, t, "erf_backward") { g, x in g * 1.12837916709551257390 * expf(-x * x) }]
    }
}

// MARK: - registry

extension OpDef {
    static let sin = OpDef(unary: "sin", c: "snn_tensor_sin", python: "sin", onnx: "Sin", SwiftNN.sin)
    static let cos = OpDef(unary: "cos", c: "snn_tensor_cos", python: "cos", onnx: "Cos", SwiftNN.cos)
    static let tan = OpDef(unary: "tan", c: "snn_tensor_tan", python: "tan", onnx: "Tan", SwiftNN.tan)
    static let asin = OpDef(unary: "asin", c: "snn_tensor_asin", python: "asin", onnx: "Asin", SwiftNN.asin)
    static let acos = OpDef(unary: "acos", c: "snn_tensor_acos", python: "acos", onnx: "Acos", SwiftNN.acos)
    static let atan = OpDef(unary: "atan", c: "snn_tensor_atan", python: "atan", onnx: "Atan", SwiftNN.atan)
    static let sinh = OpDef(unary: "sinh", c: "snn_tensor_sinh", python: "sinh", onnx: "Sinh", SwiftNN.sinh)
    static let cosh = OpDef(unary: "cosh", c: "snn_tensor_cosh", python: "cosh", onnx: "Cosh", SwiftNN.cosh)
    static let asinh = OpDef(unary: "asinh", c: "snn_tensor_asinh", python: "asinh", onnx: "Asinh", SwiftNN.asinh)
    static let acosh = OpDef(unary: "acosh", c: "snn_tensor_acosh", python: "acosh", onnx: "Acosh", SwiftNN.acosh)
    static let atanh = OpDef(unary: "atanh", c: "snn_tensor_atanh", python: "atanh", onnx: "Atanh", SwiftNN.atanh)
    static let erf = OpDef(unary: "erf", c: "snn_tensor_erf", python: "erf", onnx: "Erf", SwiftNN.erf)
}
