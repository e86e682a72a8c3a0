// The smooth and piecewise activations PyTorch adds over relu: hardswish, hardsigmoid, gelu,
// silu, softplus, elu, celu, selu, mish, softsign and prelu. Each forward and pullback copies
// PyTorch's CPU formula, including which side of a kink owns it and what nan gives.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// torch.nn.functional.hardswish: t * min(max(t + 3, 0), 6) / 6. Gradient: 0 for t <= -3,
/// t / 3 + 1/2 for -3 < t < 3, 1 for t >= 3 (and at nan), as PyTorch's hardswish_backward.
public func hardswish(_ t: Tensor) throws -> Tensor {
    if t.dtype == .float64 { return try activation64(t, .hardswish) }
    let out = try unaryMap(t, "hardswish") { x in x * Swift.min(Swift.max(x + 3, 0), 6) / 6 }
    return out.traced(.hardswish, [t]).recorded("HardswishBackward", [t], readsOutput: false) { g in
        // forward: out = t * min(max(t + 3, 0), 6) / 6
        [try broadcastBinary(g, t, "hardswish_backward") { g, x in x <= -3 ? 0 : (x < 3 ? g * (x / 3 + 0.5) : g) }]
    }
}

/// torch.nn.functional.hardsigmoid: min(max(t + 3, 0), 6) / 6. Gradient: g / 6 strictly
/// inside (-3, 3), else 0 (and 0 at nan).
public func hardsigmoid(_ t: Tensor) throws -> Tensor {
    if t.dtype == .float64 { return try activation64(t, .hardsigmoid) }
    let out = try unaryMap(t, "hardsigmoid") { x in Swift.min(Swift.max(x + 3, 0), 6) / 6 }
    return out.traced(.hardsigmoid, [t]).recorded("HardsigmoidBackward", [t], readsOutput: false) { g in
        // forward: out = min(max(t + 3, 0), 6) / 6
        [try broadcastBinary(g, t, "hardsigmoid_backward") { g, x in x > -3 && x < 3 ? g / 6 : 0 }]
    }
}

/// GELU's two forms, as torch.nn.functional.gelu's `approximate` argument.
public enum GELUApproximation: Int, Sendable {
    /// t * Phi(t) with the exact normal CDF (erf).
    case none = 0
    /// 0.5 t (1 + tanh(sqrt(2/pi) (t + 0.044715 t^3))).
    case tanh = 1
}

private let sqrtHalf: Float = 0.70710678118654752440
private let geluBeta: Float = 0.79788456080286535588  // sqrt(2 / pi)
private let geluKappa: Float = 0.044715
private let geluInvSqrt2Pi: Float = 0.39894228040143267794  // 1 / sqrt(2 pi)

/// torch.nn.functional.gelu(t, approximate=): t * Phi(t), Phi the standard normal CDF, or its
/// tanh approximation. Gradient: Phi(t) + t * phi(t) (phi the normal density), or the tanh
/// form's derivative as PyTorch writes it.
public func gelu(_ t: Tensor, approximate: GELUApproximation = .none) throws -> Tensor {
    if t.dtype == .float64 { return try activation64(t, .gelu, approximate: approximate) }
    let out: Tensor
    switch approximate {
    case .none: out = try unaryMap(t, "gelu") { x in x * 0.5 * (1 + erff(x * sqrtHalf)) }
    case .tanh: out = try unaryMap(t, "gelu") { x in 0.5 * x * (1 + tanhf(geluBeta * (x + geluKappa * x * x * x))) }
    }
    return out.traced(.gelu, [t], [("approximate", .int(approximate.rawValue))]).recorded("GeluBackward", [t], readsOutput: false) { g in
        switch approximate {
        case .none:
            // forward: out = t * 0.5 * (1 + erf(t / sqrt(2)))
            return [try broadcastBinary(g, t, "gelu_backward") { g, x in
                let cdf = 0.5 * (1 + erff(x * sqrtHalf)), pdf = expf(-0.5 * x * x) * geluInvSqrt2Pi
                return g * (cdf + x * pdf)
            }]
        case .tanh:
            // forward: out = 0.5 t (1 + tanh(beta (t + kappa t^3))), beta = sqrt(2/pi), kappa = 0.044715
            return [try broadcastBinary(g, t, "gelu_backward") { g, x in
                let xSq = x * x, inner = geluBeta * (x + geluKappa * xSq * x), th = tanhf(inner)
                let left = 0.5 * x, right = 1 + th
                let rightDerivative = left * (1 - th * th) * geluBeta * (1 + 3 * geluKappa * xSq)
                return g * (0.5 * right + rightDerivative)
            }]
        }
    }
}

/// torch.nn.functional.silu (swish): t * sigmoid(t), computed t / (1 + e^-t) as PyTorch does
/// (so silu(-100) is -0). Gradient: s (1 + t (1 - s)), s = sigmoid(t).
public func silu(_ t: Tensor) throws -> Tensor {
    if t.dtype == .float64 { return try activation64(t, .silu) }
    let out = try unaryMap(t, "silu") { x in x / (1 + expf(-x)) }
    return out.traced(.silu, [t]).recorded("SiluBackward", [t], readsOutput: false) { g in
        // forward: out = t / (1 + exp(-t))
        [try broadcastBinary(g, t, "silu_backward") { g, x in
            let s = 1 / (1 + expf(-x))
            return g * s * (1 + x * (1 - s))
        }]
    }
}

/// torch.nn.functional.softplus: log(1 + e^(beta t)) / beta, and t itself where beta t >
/// threshold. Gradient: z / (z + 1) with z = e^(beta t), and g where beta t > threshold.
public func softplus(_ t: Tensor, beta: Float = 1, threshold: Float = 20) throws -> Tensor {
    if t.dtype == .float64 { return try activation64(t, .softplus, beta: decimal(beta), threshold: decimal(threshold)) }
    let out = try unaryMap(t, "softplus") { x in x * beta > threshold ? x : log1pf(expf(x * beta)) / beta }
    return out.traced(.softplus, [t], [("beta", .float(Double(beta))), ("threshold", .float(Double(threshold)))])
        .recorded("SoftplusBackward", [t]) { g in
            // forward: out = beta t > threshold ? t : log1p(exp(beta t)) / beta
            [try broadcastBinary(g, t, "softplus_backward") { g, x in
                let z = expf(x * beta)
                return x * beta > threshold ? g : g * z / (z + 1)
            }]
        }
}

/// The ELU family as PyTorch computes it: t > 0 ? scale t : scale alpha (e^(t inputScale) - 1).
private func eluFamily(_ t: Tensor, _ fn: String, alpha: Float, scale: Float, inputScale: Float) throws -> Tensor {
    try unaryMap(t, fn) { x in x <= 0 ? expm1f(x * inputScale) * alpha * scale : x * scale }
}

/// The ELU family's pullback: the t <= 0 side owns the kink (and nan takes the linear side).
private func eluFamilyBackward(_ g: Tensor, _ t: Tensor, _ fn: String, alpha: Float, scale: Float, inputScale: Float) throws -> Tensor {
    try broadcastBinary(g, t, fn) { g, x in x <= 0 ? g * inputScale * alpha * scale * expf(x * inputScale) : g * scale }
}

/// torch.nn.functional.elu: t where t > 0, else alpha (e^t - 1). Gradient: alpha e^t for t <= 0.
public func elu(_ t: Tensor, alpha: Float = 1) throws -> Tensor {
    if t.dtype == .float64 { return try activation64(t, .elu, alpha: decimal(alpha)) }
    let out = try eluFamily(t, "elu", alpha: alpha, scale: 1, inputScale: 1)
    return out.traced(.elu, [t], [("alpha", .float(Double(alpha)))]).recorded("EluBackward", [t], readsOutput: false) { g in
        // forward: out = t > 0 ? t : alpha * (exp(t) - 1)
        [try eluFamilyBackward(g, t, "elu_backward", alpha: alpha, scale: 1, inputScale: 1)]
    }
}

/// torch.nn.functional.celu: t where t > 0, else alpha (e^(t / alpha) - 1); alpha must not be
/// 0. Gradient: e^(t / alpha) for t <= 0.
public func celu(_ t: Tensor, alpha: Float = 1) throws -> Tensor {
    guard alpha != 0 else { throw SNNError.invalid("celu: alpha must not be 0 (it divides the input)") }
    if t.dtype == .float64 { return try activation64(t, .celu, alpha: decimal(alpha)) }
    let out = try eluFamily(t, "celu", alpha: alpha, scale: 1, inputScale: 1 / alpha)
    return out.traced(.celu, [t], [("alpha", .float(Double(alpha)))]).recorded("CeluBackward", [t], readsOutput: false) { g in
        // forward: out = t > 0 ? t : alpha * (exp(t / alpha) - 1)
        [try eluFamilyBackward(g, t, "celu_backward", alpha: alpha, scale: 1, inputScale: 1 / alpha)]
    }
}

/// SELU's constants (Klambauer et al.), as PyTorch and ONNX spell them.
let seluAlpha: Float = 1.6732632423543772848170429916717
let seluScale: Float = 1.0507009873554804934193349852946

/// torch.nn.functional.selu: scale * elu(t, alpha) with the fixed SELU constants.
public func selu(_ t: Tensor) throws -> Tensor {
    if t.dtype == .float64 { return try activation64(t, .selu) }
    let out = try eluFamily(t, "selu", alpha: seluAlpha, scale: seluScale, inputScale: 1)
    return out.traced(.selu, [t]).recorded("SeluBackward", [t], readsOutput: false) { g in
        // forward: out = scale * (t > 0 ? t : alpha * (exp(t) - 1))
        [try eluFamilyBackward(g, t, "selu_backward", alpha: seluAlpha, scale: seluScale, inputScale: 1)]
    }
}

/// torch.nn.functional.mish: t * tanh(softplus(t)) (softplus without a threshold, as PyTorch).
/// Gradient: tanh(sp) + t * sigmoid(t) * (1 - tanh(sp)^2).
public func mish(_ t: Tensor) throws -> Tensor {
    if t.dtype == .float64 { return try activation64(t, .mish) }
    let out = try unaryMap(t, "mish") { x in x * tanhf(log1pf(expf(x))) }
    return out.traced(.mish, [t]).recorded("MishBackward", [t], readsOutput: false) { g in
        // forward: out = t * tanh(log1p(exp(t)))
        [try broadcastBinary(g, t, "mish_backward") { g, x in
            let s = 1 / (1 + expf(-x)), th = tanhf(log1pf(expf(x)))
            return g * (th + x * s * (1 - th * th))
        }]
    }
}

/// torch.nn.functional.softsign: t / (1 + |t|) (nan at +-inf, as PyTorch). Gradient: 1 / (1 + |t|)^2.
public func softsign(_ t: Tensor) throws -> Tensor {
    if t.dtype == .float64 { return try activation64(t, .softsign) }
    let out = try unaryMap(t, "softsign") { x in x / (1 + x.magnitude) }
    return out.traced(.softsign, [t]).recorded("SoftsignBackward", [t], readsOutput: false) { g in
        // forward: out = t / (1 + |t|)
        [try broadcastBinary(g, t, "softsign_backward") { g, x in let d = 1 + x.magnitude; return g / (d * d) }]
    }
}

/// torch.nn.functional.prelu(t, weight): t where t > 0, else weight * t, with one weight for
/// all of t or one per channel (dim 1 of t; weight has shape [C]). Gradients: of t, g or
/// weight * g; of weight, t * g where t <= 0, summed over everything but the channel.
public func prelu(_ t: Tensor, weight: Tensor) throws -> Tensor {
    let fn = "prelu"
    try t.requireFloating(fn)
    try t.requireSameDType(weight, fn, "weight")
    // The weight as a tensor that broadcasts against t: [1, C, 1, ...] or a single value.
    let channels = t.rank >= 2 ? t.shape[1] : 1
    let wShape: [Int]
    if weight.count == 1 {
        wShape = []
    } else if weight.rank == 1 && weight.count == channels && t.rank >= 2 {
        wShape = [1, channels] + Array(repeating: 1, count: t.rank - 2)
    } else {
        throw SNNError.shape("\(fn): weight has shape \(fmt(weight.shape)); expected one value or [C] with C = \(channels), dim 1 of the input \(fmt(t.shape))")
    }
    if t.dtype == .float64 {
        // relu(t) + weight * min(t, 0): the same values (inf included) and gradients (the
        // clamp owns t = 0, so the gradient there is weight, as PyTorch's).
        return try add(try relu(t), try mul(try reshape(weight, wShape), try clamp64(t, min: nil, max: 0)))
    }
    let w = try Tensor(weight.scalars, shape: wShape)
    let out = try broadcastBinary(t, w, fn) { x, w in x > 0 ? x : w * x }
    return out.traced(.prelu, [t, weight]).recorded("PreluBackward", [t, weight], readsOutput: false) { g in
        // forward: out = t > 0 ? t : weight * t
        let gt = t.requiresGrad
            ? try broadcastBinary(g, try broadcastBinary(t, w, "prelu_backward") { x, w in x > 0 ? 1 : w }, "prelu_backward", *) : nil
        var gw: Tensor? = nil
        if weight.requiresGrad {
            let perElement = try broadcastBinary(g, t, "prelu_backward") { g, x in x > 0 ? 0 : g * x }
            gw = try Tensor(try sumToShape(perElement, wShape).scalars, shape: weight.shape)
        }
        return [gt, gw]
    }
}

// MARK: - registry

extension OpDef {
    static let hardswish = OpDef(unary: "hardswish", c: "snn_tensor_hardswish", python: "hardswish", onnx: "HardSwish", SwiftNN.hardswish)
    static let hardsigmoid = OpDef("hardsigmoid", c: "snn_tensor_hardsigmoid", python: "hardsigmoid",
                                   export: { b, r in
                                       try b.unary(r, "HardSigmoid", [ONNXAttribute("alpha", .float(1.0 / 6)), ONNXAttribute("beta", .float(0.5))])
                                   },
                                   imports: ["HardSigmoid": { n in
                                       let a = try n.attrs(["alpha", "beta"])
                                       let alpha = try a.float("alpha", 0.2), beta = try a.float("beta", 0.5)
                                       if alpha == 1.0 / 6 && beta == 0.5 { return { xs in [try SwiftNN.hardsigmoid(try input(xs, 0))] } }
                                       // ONNX's general form: max(0, min(1, alpha x + beta)).
                                       return { xs in [try SwiftNN.clamp(try SwiftNN.add(try SwiftNN.mul(try input(xs, 0), try scalar(alpha)), try scalar(beta)), min: 0, max: 1)] }
                                   }])
    // Gelu joined ONNX's default domain in opset 20; the exporter writes opset 17, so gelu is
    // lowered to its formula with basic nodes (and Gelu nodes of newer files still import).
    static let gelu = OpDef("gelu", c: "snn_tensor_gelu", python: "gelu",
                            export: { b, r in
                                let x = try b.value(try r.input(0))
                                let inner: String
                                if (try? r.int("approximate")) == GELUApproximation.tanh.rawValue {
                                    // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
                                    let kappa = b.constFloats([geluKappa], shape: [], "kappa")
                                    let beta = b.constFloats([geluBeta], shape: [], "beta")
                                    let cube = b.node1("Mul", [b.node1("Mul", [x.name, x.name]), x.name])
                                    let sum = b.node1("Add", [x.name, b.node1("Mul", [cube, kappa])])
                                    inner = b.node1("Tanh", [b.node1("Mul", [sum, beta])])
                                } else {
                                    // 0.5 x (1 + erf(x / sqrt(2)))
                                    inner = b.node1("Erf", [b.node1("Mul", [x.name, b.constFloats([sqrtHalf], shape: [], "sqrt_half")])])
                                }
                                let half = b.node1("Mul", [x.name, b.constFloats([0.5], shape: [], "half")])
                                let onePlus = b.node1("Add", [inner, b.constFloats([1], shape: [], "one")])
                                b.define(r.outputs[0], b.node1("Mul", [half, onePlus]), batch: x.batch)
                            },
                            imports: ["Gelu": { n in
                                let approximate = try n.attrs(["approximate"]).string("approximate", "none")
                                guard let mode = ["none": GELUApproximation.none, "tanh": .tanh][approximate] else {
                                    throw SNNError(.unsupported, "\(n.label): approximate '\(approximate)' is not supported")
                                }
                                return { xs in [try SwiftNN.gelu(try input(xs, 0), approximate: mode)] }
                            }])
    // ONNX has no SiLU: Mul(x, Sigmoid(x)).
    static let silu = OpDef("silu", c: "snn_tensor_silu", python: "silu",
                            export: { b, r in
                                let x = try b.value(try r.input(0))
                                b.define(r.outputs[0], b.node1("Mul", [x.name, b.node1("Sigmoid", [x.name])]), batch: x.batch)
                            })
    // ONNX's Softplus is log(exp(x) + 1) with no beta or threshold: beta scales around it, and
    // the threshold (20 by default) changes nothing in float32 (log1p(e^x) rounds to x there).
    static let softplus = OpDef("softplus", c: "snn_tensor_softplus", python: "softplus",
                                export: { b, r in
                                    let beta = Float(r.float("beta") ?? 1)
                                    if beta == 1 { return try b.unary(r, "Softplus") }
                                    let x = try b.value(try r.input(0))
                                    let betaName = b.constFloats([beta], shape: [], "beta")
                                    let sp = b.node1("Softplus", [b.node1("Mul", [x.name, betaName])])
                                    b.define(r.outputs[0], b.node1("Div", [sp, betaName]), batch: x.batch)
                                },
                                imports: ["Softplus": { n in try n.unary { try SwiftNN.softplus($0) } }])
    static let elu = OpDef("elu", c: "snn_tensor_elu", python: "elu",
                           export: { b, r in try b.unary(r, "Elu", [ONNXAttribute("alpha", .float(Float(r.float("alpha") ?? 1)))]) },
                           imports: ["Elu": { n in
                               let alpha = try n.attrs(["alpha"]).float("alpha", 1)
                               return { xs in [try SwiftNN.elu(try input(xs, 0), alpha: alpha)] }
                           }])
    static let celu = OpDef("celu", c: "snn_tensor_celu", python: "celu",
                            export: { b, r in try b.unary(r, "Celu", [ONNXAttribute("alpha", .float(Float(r.float("alpha") ?? 1)))]) },
                            imports: ["Celu": { n in
                                let alpha = try n.attrs(["alpha"]).float("alpha", 1)
                                guard alpha != 0 else { throw SNNError(.format, "\(n.label): alpha must be non-zero") }
                                return { xs in [try SwiftNN.celu(try input(xs, 0), alpha: alpha)] }
                            }])
    static let selu = OpDef("selu", c: "snn_tensor_selu", python: "selu",
                            export: { b, r in try b.unary(r, "Selu") },
                            imports: ["Selu": { n in
                                let a = try n.attrs(["alpha", "gamma"])
                                let alpha = try a.float("alpha", seluAlpha), gamma = try a.float("gamma", seluScale)
                                if alpha == seluAlpha && gamma == seluScale { return { xs in [try SwiftNN.selu(try input(xs, 0))] } }
                                // Other constants: gamma * elu(x, alpha).
                                return { xs in [try SwiftNN.mul(try scalar(gamma), try SwiftNN.elu(try input(xs, 0), alpha: alpha))] }
                            }])
    // Mish joined ONNX in opset 18; the exporter writes opset 17: x * Tanh(Softplus(x)).
    static let mish = OpDef("mish", c: "snn_tensor_mish", python: "mish",
                            export: { b, r in
                                let x = try b.value(try r.input(0))
                                b.define(r.outputs[0], b.node1("Mul", [x.name, b.node1("Tanh", [b.node1("Softplus", [x.name])])]), batch: x.batch)
                            },
                            imports: ["Mish": { n in try n.unary(SwiftNN.mish) }])
    static let softsign = OpDef(unary: "softsign", c: "snn_tensor_softsign", python: "softsign", onnx: "Softsign", SwiftNN.softsign)
    // ONNX's PRelu broadcasts the slope from the right (numpy), PyTorch's weight sits on dim 1:
    // the export reshapes a per-channel weight to [C, 1, ...].
    static let prelu = OpDef("prelu", c: "snn_tensor_prelu", python: "prelu",
                             export: { b, r in
                                 let x = try b.value(try r.input(0)), w = try r.input(1)
                                 var slope = try b.value(w).name
                                 if w.count > 1 {
                                     slope = b.node1("Reshape", [slope, b.constInts([w.count] + Array(repeating: 1, count: Swift.max(x.shape.count - 2, 0)), "shape")])
                                 }
                                 b.define(r.outputs[0], b.node1("PRelu", [x.name, slope]), batch: x.batch)
                             },
                             imports: ["PRelu": { n in try n.binary { x, slope in
                                 // PyTorch's layout (one value, or [C, 1, ...] on dim 1) runs the engine op;
                                 // any other numpy broadcast runs relu(x) + slope * min(x, 0).
                                 let channels = x.rank >= 2 ? x.shape[1] : 1
                                 if slope.count == 1 { return try SwiftNN.prelu(x, weight: try SwiftNN.reshape(slope, [1])) }
                                 if x.rank >= 2 && slope.rank == x.rank - 1 && slope.shape.first == channels && slope.count == channels {
                                     return try SwiftNN.prelu(x, weight: try SwiftNN.reshape(slope, [channels]))
                                 }
                                 return try SwiftNN.add(try SwiftNN.relu(x), try SwiftNN.mul(slope, try SwiftNN.clamp(x, min: nil, max: 0)))
                             } }])
}
