// The activations of Activation.swift, and clamp, in float64: each float32 formula and its
// PyTorch derivative (same kink ownership, same nan side) in Double, through `float64Unary`.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The float64 form of the one-input activation `def` (with its float32 arguments), or nil
/// for an op that has none here.
func activation64(_ t: Tensor, _ def: OpDef, alpha: Double = 1, beta: Double = 1, threshold: Double = 20,
                  approximate: GELUApproximation = .none) throws -> Tensor {
    let beta0 = 0.79788456080286535588, kappa = 0.044715, invSqrt2Pi = 0.39894228040143267794
    let sAlpha = 1.6732632423543772848170429916717, sScale = 1.0507009873554804934193349852946
    switch def.name {
    case "hardswish":
        return try float64Unary(t, def, "HardswishBackward", { x in x * Swift.min(Swift.max(x + 3, 0), 6) / 6 },
                                derivative: { x, _ in x <= -3 ? 0 : (x < 3 ? x / 3 + 0.5 : 1) })
    case "hardsigmoid":
        return try float64Unary(t, def, "HardsigmoidBackward", { x in Swift.min(Swift.max(x + 3, 0), 6) / 6 },
                                // PyTorch's kernel takes 1/6 in float precision, for double too.
                                derivative: { x, _ in x > -3 && x < 3 ? Double(Float(1) / 6) : 0 })
    case "gelu" where approximate == .none:
        return try float64Unary(t, def, "GeluBackward", { x in x * 0.5 * (1 + erf(x * 0.5.squareRoot())) },
                                derivative: { x, _ in 0.5 * (1 + erf(x * 0.5.squareRoot())) + x * Glibc.exp(-0.5 * x * x) * invSqrt2Pi })
    case "gelu":
        return try float64Unary(t, def, "GeluBackward", { x in 0.5 * x * (1 + Glibc.tanh(beta0 * (x + kappa * x * x * x))) },
                                derivative: { x, _ in
                                    let th = Glibc.tanh(beta0 * (x + kappa * x * x * x))
                                    return 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * beta0 * (1 + 3 * kappa * x * x)
                                })
    case "silu":
        return try float64Unary(t, def, "SiluBackward", { x in x / (1 + Glibc.exp(-x)) },
                                derivative: { x, _ in let s = 1 / (1 + Glibc.exp(-x)); return s * (1 + x * (1 - s)) })
    case "softplus":
        return try float64Unary(t, def, "SoftplusBackward", { x in x * beta > threshold ? x : log1p(Glibc.exp(x * beta)) / beta },
                                derivative: { x, _ in let z = Glibc.exp(x * beta); return x * beta > threshold ? 1 : z / (z + 1) })
    case "elu", "celu", "selu":
        let (a, scale, inputScale) = def.name == "selu" ? (sAlpha, sScale, 1.0) : (alpha, 1.0, def.name == "celu" ? 1 / alpha : 1.0)
        // PyTorch's celu backward takes 1 / alpha.toFloat() (derivatives.yaml), for double too.
        let backwardScale = def.name == "celu" ? 1 / Double(Float(alpha)) : inputScale
        return try float64Unary(t, def, def.name == "elu" ? "EluBackward" : def.name == "celu" ? "CeluBackward" : "SeluBackward",
                                { x in x <= 0 ? expm1(x * inputScale) * a * scale : x * scale },
                                derivative: { x, _ in x <= 0 ? backwardScale * a * scale * Glibc.exp(x * backwardScale) : scale })
    case "mish":
        return try float64Unary(t, def, "MishBackward", { x in x * Glibc.tanh(log1p(Glibc.exp(x))) },
                                derivative: { x, _ in
                                    let s = 1 / (1 + Glibc.exp(-x)), th = Glibc.tanh(log1p(Glibc.exp(x)))
                                    return th + x * s * (1 - th * th)
                                })
    case "softsign":
        return try float64Unary(t, def, "SoftsignBackward", { x in x / (1 + x.magnitude) },
                                derivative: { x, _ in let d = 1 + x.magnitude; return 1 / (d * d) })
    default:
        throw SNNError(.internalError, "\(def.name): no float64 form")
    }
}

/// clamp of a float64 tensor, with clamp's rules (min > max gives max, a nan bound gives nan)
/// and its gradient (g where min <= t <= max, inclusive).
func clamp64(_ t: Tensor, min lo: Double?, max hi: Double?) throws -> Tensor {
    guard lo != nil || hi != nil else {
        throw SNNError.invalid("clamp: at least one of min or max must be given (neither bound was passed)")
    }
    return try float64Unary(t, .clamp, "ClampBackward", { x in
        var y = x
        if let lo, y < lo || lo.isNaN { y = lo }
        if let hi, y > hi || hi.isNaN { y = hi }
        return y
    }, derivative: { x, _ in (lo.map { x >= $0 } ?? !x.isNaN) && (hi.map { x <= $0 } ?? !x.isNaN) ? 1 : 0 })
}

/// A Float argument as the Double its shortest decimal form names (0.7 rather than
/// 0.699999988...): the value the caller wrote, which PyTorch's double kernels use.
func decimal(_ v: Float) -> Double { Double("\(v)") ?? Double(v) }
