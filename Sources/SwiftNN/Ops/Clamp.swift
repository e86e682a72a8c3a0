// Piecewise-linear elementwise ops: relu, leaky_relu, relu6 (hardtanh to [0, 6]) and clamp.
// Forward propagates nan; each pullback copies PyTorch's rule at the kinks and at nan, which
// differ by op: relu and relu6 pass nothing at their kinks, clamp passes the bounds inclusive.

import SwiftNNKernels

/// torch.relu: max(t, 0), nan stays nan. Gradient: g where out > 0 (PyTorch's threshold_backward
/// passes g at nan too, since nan <= 0 is false).
public func relu(_ t: Tensor) throws -> Tensor {
    if t.dtype == .float64 { return try float64Unary(t, .relu, "ReluBackward", { $0 < 0 ? 0 : $0 }, derivative: { _, y in y <= 0 ? 0 : 1 }) }
    let out = try rectified(t, hi: nil, "relu")
    let saved = out.savedForBackward
    return out.traced(.relu, [t]).recorded("ReluBackward", [t]) { g in
        // forward: out = max(t, 0)
        [try rectifierGradient(g, saved, hi: nil, "relu_backward")]
    }
}

/// torch.nn.functional.leaky_relu: t where t > 0, else t * negativeSlope.
public func leakyReLU(_ t: Tensor, negativeSlope: Float = 0.01) throws -> Tensor {
    if t.dtype == .float64 {
        let slope = decimal(negativeSlope)
        return try float64Unary(t, .leakyRelu, "LeakyReluBackward", { $0 > 0 ? $0 : $0 * slope }, derivative: { x, _ in x > 0 ? 1 : slope })
    }
    let out = try unaryMap(t, "leaky_relu") { $0 > 0 ? $0 : $0 * negativeSlope }
    return out.traced(.leakyRelu, [t], [("negative_slope", .float(Double(negativeSlope)))]).recorded("LeakyReluBackward", [t], readsOutput: false) { g in
        // forward: out = t > 0 ? t : t * slope
        [try broadcastBinary(g, t, "leaky_relu_backward") { g, x in x > 0 ? g : g * negativeSlope }]
    }
}

/// torch.nn.functional.relu6: min(max(t, 0), 6) (hardtanh with bounds 0 and 6). Gradient: g
/// strictly inside (0, 6), as PyTorch's hardtanh_backward (and at nan).
public func relu6(_ t: Tensor) throws -> Tensor {
    if t.dtype == .float64 {
        return try float64Unary(t, .relu6, "HardtanhBackward", { $0 < 0 ? 0 : ($0 > 6 ? 6 : $0) }, derivative: { x, _ in x <= 0 || x >= 6 ? 0 : 1 })
    }
    let out = try rectified(t, hi: 6, "relu6")
    return out.traced(.relu6, [t]).recorded("HardtanhBackward", [t], readsOutput: false) { g in
        // forward: out = min(max(t, 0), 6)
        [try rectifierGradient(g, t, hi: 6, "relu6_backward")]
    }
}

/// relu (hi nil) or relu6 of a float32 tensor: the vector kernel of Rectifiers.swift, split
/// between the engine's threads.
private func rectified(_ t: Tensor, hi: Float?, _ fn: String) throws -> Tensor {
    try t.requireFloat(fn)
    let out = try Tensor(empty: t.shape, dtype: .float32, zeroed: false, fn)
    let src = t.floats, dst = out.floats
    teamRanges(t.count) { lo, end in rectify(src + lo, dst + lo, count: end - lo, hi: hi) }
    return withExtendedLifetime(t) { out }
}

/// g where x is inside (0, hi), else 0 (`rectifierGradient` of Rectifiers.swift).
func rectifierGradient(_ g: Tensor, _ x: Tensor, hi: Float?, _ fn: String) throws -> Tensor {
    guard g.shape == x.shape, g.dtype == .float32, x.dtype == .float32 else {
        return try broadcastBinary(g, x, fn) { g, v in v <= 0 || (hi.map { v >= $0 } ?? false) ? 0 : g }
    }
    let out = try Tensor(empty: g.shape, dtype: .float32, zeroed: false, fn)
    let pg = g.floats, px = x.floats, dst = out.floats
    teamRanges(g.count) { lo, end in SwiftNNKernels.rectifierGradient(pg + lo, px + lo, dst + lo, count: end - lo, hi: hi) }
    return withExtendedLifetime((g, x)) { out }
}

/// torch.clamp(t, min, max); either bound may be nil but not both. As in PyTorch: min > max
/// gives max everywhere, a nan bound gives nan everywhere, nan in t stays nan. Gradient: g
/// where min <= t <= max (inclusive), 0 elsewhere and at nan.
public func clamp(_ t: Tensor, min lo: Float?, max hi: Float?) throws -> Tensor {
    let fn = "clamp"
    if t.dtype == .float64 { return try clamp64(t, min: lo.map(decimal), max: hi.map(decimal)) }
    let out: Tensor
    switch (lo, hi) {
    case let (lo?, hi?):
        out = try unaryMap(t, fn) { x in
            let y = x < lo || lo.isNaN ? lo : x
            return y > hi || hi.isNaN ? hi : y
        }
    case let (lo?, nil):
        out = try unaryMap(t, fn) { x in x < lo || lo.isNaN ? lo : x }
    case let (nil, hi?):
        out = try unaryMap(t, fn) { x in x > hi || hi.isNaN ? hi : x }
    case (nil, nil):
        throw SNNError.invalid("\(fn): at least one of min or max must be given (neither bound was passed)")
    }
    return out.traced(.clamp, [t], [("min", .optional(lo)), ("max", .optional(hi))]).recorded("ClampBackward", [t], readsOutput: false) { g in
        // forward: out = min(max(t, lo), hi)
        let bfn = "clamp_backward"
        switch (lo, hi) {
        case let (lo?, hi?): return [try broadcastBinary(g, t, bfn) { g, x in x >= lo && x <= hi ? g : 0 }]
        case let (lo?, nil): return [try broadcastBinary(g, t, bfn) { g, x in x >= lo ? g : 0 }]
        case let (nil, hi?): return [try broadcastBinary(g, t, bfn) { g, x in x <= hi ? g : 0 }]
        case (nil, nil): return [g]
        }
    }
}

// MARK: - registry

extension OpDef {
    static let relu = OpDef(unary: "relu", c: "snn_tensor_relu", python: "relu", onnx: "Relu", SwiftNN.relu)
    static let leakyRelu = OpDef("leaky_relu", c: "snn_tensor_leaky_relu", python: "leaky_relu",
                                 export: { b, r in
                                     try b.unary(r, "LeakyRelu", [ONNXAttribute("alpha", .float(Float(r.float("negative_slope") ?? 0.01)))])
                                 },
                                 imports: ["LeakyRelu": { n in
                                     let alpha = try n.attrs(["alpha"]).float("alpha", 0.01)
                                     return { xs in [try leakyReLU(try input(xs, 0), negativeSlope: alpha)] }
                                 }])
    static let relu6 = OpDef("relu6", c: "snn_tensor_relu6", python: "relu6", export: { b, r in try b.clip(r, 0, 6) })
    static let clamp = OpDef("clamp", c: "snn_tensor_clamp", python: "clamp",
                             export: { b, r in try b.clip(r, r.float("min").map { Float($0) }, r.float("max").map { Float($0) }) },
                             imports: ["Clip": { n in
                                 if n.opset < 11 {
                                     let a = try n.attrs(["min", "max"])
                                     let lo = try a.float("min", -.greatestFiniteMagnitude), hi = try a.float("max", .greatestFiniteMagnitude)
                                     return { xs in [try SwiftNN.clamp(try input(xs, 0), min: lo, max: hi)] }
                                 }
                                 _ = try n.attrs([])
                                 return { xs in
                                     let x = try input(xs, 0)
                                     let lo = try optionalInput(xs, 1).map { Float(try scalarValue($0, "min")) }
                                     let hi = try optionalInput(xs, 2).map { Float(try scalarValue($0, "max")) }
                                     if lo == nil && hi == nil { return [x] }
                                     if x.dtype == .int64 { throw SNNError.dtype("Clip on int64 tensors is not supported") }
                                     return [try SwiftNN.clamp(x, min: lo, max: hi)]
                                 }
                             }])
}
