// ONNX math ops that the engine does not yet have as ops of its own (forward only, inference):
// trigonometry, rounding, erf and the activations PyTorch adds over ReLU. Each should become an
// engine op with a backward in Ops/ and move its importer there.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension OpDef {
    static let onnxMathOps = OpDef(onnxOnly: [
        "Sin": libm(sinf), "Cos": libm(cosf), "Tan": libm(tanf),
        "Asin": libm(asinf), "Acos": libm(acosf), "Atan": libm(atanf),
        "Sinh": libm(sinhf), "Cosh": libm(coshf), "Asinh": libm(asinhf), "Acosh": libm(acoshf), "Atanh": libm(atanhf),
        "Floor": libm(floorf), "Ceil": libm(ceilf),
        "Round": libm(rintf),  // half to even, as ONNX
        "Erf": libm(erff),
        "Sign": libm { $0 > 0 ? 1 : ($0 < 0 ? -1 : $0) },
        "Softsign": { n in try n.unary { x in try SwiftNN.div(x, try SwiftNN.add(try SwiftNN.abs(x), try scalar(1))) } },
        "Softplus": { n in try n.unary(softplus) },
        "Mish": { n in try n.unary { x in try SwiftNN.mul(x, try SwiftNN.tanh(try softplus(x))) } },
        "Elu": { n in try importELU(n, celu: false) }, "Celu": { n in try importELU(n, celu: true) },
        "Selu": importSELU,
        "HardSigmoid": importHardSigmoid,
        "HardSwish": { n in try n.unary { x in try SwiftNN.mul(x, try SwiftNN.clamp(try SwiftNN.add(try SwiftNN.div(x, try scalar(6)), try scalar(0.5)), min: 0, max: 1)) } },
        "PRelu": { n in try n.binary { x, slope in try SwiftNN.add(try SwiftNN.relu(x), try SwiftNN.mul(slope, try SwiftNN.clamp(x, min: nil, max: 0))) } },
        "Gelu": importGELU,
    ])
}

/// An elementwise libm function (not recorded for autograd).
private func libm(_ f: @escaping (Float) -> Float) -> ONNXImporter {
    { n in let op = n.op; return try n.unary { try mapFloats($0, op, f) } }
}

/// log(1 + exp(x)) without overflow: relu(x) + log(1 + exp(-|x|)).
private func softplus(_ x: Tensor) throws -> Tensor {
    try add(try relu(x), try log(try add(try exp(try neg(try abs(x))), try scalar(1))))
}

private func importELU(_ n: ImportNode, celu: Bool) throws -> ImportKernel {
    let alpha = try n.attrs(["alpha"]).float("alpha", 1)
    guard alpha != 0 || !celu else { throw SNNError(.format, "\(n.label): alpha must be non-zero") }
    return { xs in
        let x = try input(xs, 0)
        let negative = try clamp(x, min: nil, max: 0)
        let e = try exp(celu ? try div(negative, try scalar(alpha)) : negative)
        return [try add(try relu(x), try mul(try scalar(alpha), try sub(e, try scalar(1))))]
    }
}

private func importSELU(_ n: ImportNode) throws -> ImportKernel {
    let a = try n.attrs(["alpha", "gamma"])
    let alpha = try a.float("alpha", 1.67326319217681884765625), gamma = try a.float("gamma", 1.05070102214813232421875)
    return { xs in
        let x = try input(xs, 0)
        let e = try exp(try clamp(x, min: nil, max: 0))
        let y = try add(try relu(x), try mul(try scalar(alpha), try sub(e, try scalar(1))))
        return [try mul(try scalar(gamma), y)]
    }
}

private func importHardSigmoid(_ n: ImportNode) throws -> ImportKernel {
    let a = try n.attrs(["alpha", "beta"])
    let alpha = try a.float("alpha", 0.2), beta = try a.float("beta", 0.5)
    return { xs in [try clamp(try add(try mul(try input(xs, 0), try scalar(alpha)), try scalar(beta)), min: 0, max: 1)] }
}

private func importGELU(_ n: ImportNode) throws -> ImportKernel {
    let approximate = try n.attrs(["approximate"]).string("approximate", "none")
    guard approximate == "none" || approximate == "tanh" else {
        throw SNNError(.unsupported, "\(n.label): approximate '\(approximate)' is not supported")
    }
    return { xs in
        let x = try input(xs, 0)
        if approximate == "tanh" {
            return [try mapFloats(x, "gelu") { v in 0.5 * v * (1 + tanhf(0.7978845608028654 * (v + 0.044715 * v * v * v))) }]
        }
        return [try mapFloats(x, "gelu") { v in 0.5 * v * (1 + erff(v * 0.7071067811865476)) }]
    }
}
