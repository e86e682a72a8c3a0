// Elementwise math of one tensor: neg, exp, log, sqrt, abs, tanh, sigmoid. Pullbacks reuse the
// output where that is cheaper (exp, sqrt, tanh, sigmoid). NaN and inf follow IEEE as in
// PyTorch: log of a negative is nan, log(0) is -inf, sqrt of a negative is nan.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SwiftNNKernels

/// out = op(t) elementwise, into a new contiguous float32 tensor of t's shape.
@inline(__always)
func unaryMap(_ t: Tensor, _ fn: String, _ op: (Float) -> Float) throws -> Tensor {
    try unaryKernel(t, fn) { src, dst, n in
        for i in 0..<n { dst[i] = op(src[i]) }
    }
}

/// out = kernel(t) for a raw-pointer kernel `(src, dst, count)`, after validating t's dtype.
@inline(__always)
func unaryKernel(_ t: Tensor, _ fn: String,
                 _ kernel: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void) throws -> Tensor {
    try t.requireFloat(fn)
    let out = try Tensor(empty: t.shape, dtype: .float32, zeroed: false, fn)
    kernel(t.floats, out.floats, t.count)
    return out
}

/// torch.neg: -t.
public func neg(_ t: Tensor) throws -> Tensor {
    if t.dtype != .float32 { return try signOp(t, negate: true) }
    let out = try unaryMap(t, "neg") { -$0 }
    return out.traced(.neg, [t]).recorded("NegBackward", [t], saves: [], readsOutput: false) { g in
        // forward: out = -t
        [try unaryMap(g, "neg_backward") { -$0 }]
    }
}

/// torch.exp: e^t; overflows to inf above about 88.72, underflows to 0 below about -103.9.
public func exp(_ t: Tensor) throws -> Tensor {
    if !t.dtype.isFloatingPoint { return try exp(try intToFloat(t)) }  // IntToFloat.swift
    if t.dtype == .float64 { return try float64Unary(t, .exp, "ExpBackward", { exp($0) }, derivative: { _, y in y }) }
    let out = try unaryKernel(t, "exp", expKernel)
    let saved = out.savedForBackward
    return out.traced(.exp, [t]).recorded("ExpBackward", [t]) { g in
        // forward: out = exp(t); d/dt = out
        [try broadcastBinary(g, saved, "exp_backward", *)]
    }
}

/// torch.log: natural logarithm; log(0) = -inf, log of a negative number = nan.
public func log(_ t: Tensor) throws -> Tensor {
    if !t.dtype.isFloatingPoint { return try log(try intToFloat(t)) }  // IntToFloat.swift
    if t.dtype == .float64 { return try float64Unary(t, .log, "LogBackward", { log($0) }, derivative: { x, _ in 1 / x }) }
    let out = try unaryMap(t, "log") { logf($0) }
    return out.traced(.log, [t]).recorded("LogBackward", [t], readsOutput: false) { g in
        // forward: out = log(t); d/dt = 1/t
        [try broadcastBinary(g, t, "log_backward", /)]
    }
}

/// torch.sqrt; sqrt of a negative number is nan, and the gradient at 0 is inf.
public func sqrt(_ t: Tensor) throws -> Tensor {
    if !t.dtype.isFloatingPoint { return try sqrt(try intToFloat(t)) }  // IntToFloat.swift
    if t.dtype == .float64 { return try float64Unary(t, .sqrt, "SqrtBackward", { $0.squareRoot() }, derivative: { _, y in 1 / (2 * y) }) }
    let out = try unaryMap(t, "sqrt") { $0.squareRoot() }
    let saved = out.savedForBackward
    return out.traced(.sqrt, [t]).recorded("SqrtBackward", [t]) { g in
        // forward: out = sqrt(t); d/dt = 1 / (2 out)
        [try broadcastBinary(g, saved, "sqrt_backward") { g, y in g / (2 * y) }]
    }
}

/// torch.abs. The gradient is sign(t): 0 at 0 and at nan, as in PyTorch.
public func abs(_ t: Tensor) throws -> Tensor {
    if t.dtype != .float32 { return try signOp(t, negate: false) }
    let out = try unaryMap(t, "abs") { $0.magnitude }
    return out.traced(.abs, [t]).recorded("AbsBackward", [t], readsOutput: false) { g in
        // forward: out = |t|; d/dt = sign(t)
        [try broadcastBinary(g, t, "abs_backward") { g, x in x > 0 ? g : (x < 0 ? -g : 0) }]
    }
}

/// torch.tanh (SIMD, within 1e-6 relative of libm's tanhf).
public func tanh(_ t: Tensor) throws -> Tensor {
    if !t.dtype.isFloatingPoint { return try tanh(try intToFloat(t)) }  // IntToFloat.swift
    if t.dtype == .float64 { return try float64Unary(t, .tanh, "TanhBackward", { tanh($0) }, derivative: { _, y in 1 - y * y }) }
    let out = try unaryKernel(t, "tanh", tanhKernel)
    let saved = out.savedForBackward
    return out.traced(.tanh, [t]).recorded("TanhBackward", [t]) { g in
        // forward: out = tanh(t); d/dt = 1 - out^2
        [try broadcastBinary(g, saved, "tanh_backward") { g, y in g * (1 - y * y) }]
    }
}

/// torch.sigmoid: 1 / (1 + exp(-t)) (SIMD, within 1e-6 relative of the libm formula).
public func sigmoid(_ t: Tensor) throws -> Tensor {
    if !t.dtype.isFloatingPoint { return try sigmoid(try intToFloat(t)) }  // IntToFloat.swift
    if t.dtype == .float64 { return try float64Unary(t, .sigmoid, "SigmoidBackward", { 1 / (1 + exp(-$0)) }, derivative: { _, y in (1 - y) * y }) }
    let out = try unaryKernel(t, "sigmoid", sigmoidKernel)
    let saved = out.savedForBackward
    return out.traced(.sigmoid, [t]).recorded("SigmoidBackward", [t]) { g in
        // forward: out = sigmoid(t); d/dt = out (1 - out)
        [try broadcastBinary(g, saved, "sigmoid_backward") { g, y in g * (1 - y) * y }]
    }
}

extension Tensor {
    public static prefix func - (t: Tensor) throws -> Tensor { try neg(t) }
}

// MARK: - registry

extension OpDef {
    static let neg = OpDef("neg", c: "snn_tensor_neg", python: "neg",
                           export: { b, r in try b.unary(r, "Neg") },
                           imports: ["Neg": { n in try n.unary { x in
                               // ONNX negates integer tensors too (wrapping, as C does).
                               x.dtype == .int64 ? try intBinary(x, try Tensor(int64: [0], shape: []), "Neg") { a, _ in 0 &- a } : try SwiftNN.neg(x)
                           } }])
    static let exp = OpDef(unary: "exp", c: "snn_tensor_exp", python: "exp", onnx: "Exp", SwiftNN.exp)
    static let log = OpDef(unary: "log", c: "snn_tensor_log", python: "log", onnx: "Log", SwiftNN.log)
    static let sqrt = OpDef(unary: "sqrt", c: "snn_tensor_sqrt", python: "sqrt", onnx: "Sqrt", SwiftNN.sqrt)
    static let abs = OpDef(unary: "abs", c: "snn_tensor_abs", python: "abs", onnx: "Abs", SwiftNN.abs)
    static let tanh = OpDef(unary: "tanh", c: "snn_tensor_tanh", python: "tanh", onnx: "Tanh", SwiftNN.tanh)
    static let sigmoid = OpDef(unary: "sigmoid", c: "snn_tensor_sigmoid", python: "sigmoid", onnx: "Sigmoid", SwiftNN.sigmoid)
}
