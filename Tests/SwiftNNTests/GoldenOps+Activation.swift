// How each golden op of the "activation" area is called in Swift.
@testable import SwiftNN

/// A golden op of one input and no attributes.
private func unary(_ f: @escaping @Sendable (Tensor) throws -> Tensor) -> GoldenOp { { x, _ in [try f(x[0])] } }

let activationOps: [String: GoldenOp] = [
    "hardswish": unary(hardswish),
    "hardsigmoid": unary(hardsigmoid),
    "gelu": { x, a in [try gelu(x[0], approximate: a.string("approximate", "none") == "tanh" ? .tanh : .none)] },
    "silu": unary(silu),
    "softplus": { x, a in
        [try softplus(x[0], beta: Float(a.double("beta", 1)), threshold: Float(a.double("threshold", 20)))]
    },
    "elu": { x, a in [try elu(x[0], alpha: Float(a.double("alpha", 1)))] },
    "celu": { x, a in [try celu(x[0], alpha: Float(a.double("alpha", 1)))] },
    "selu": unary(selu),
    "mish": unary(mish),
    "softsign": unary(softsign),
    "prelu": { x, _ in [try prelu(x[0], weight: x[1])] },
    "sin": unary(sin), "cos": unary(cos), "tan": unary(tan),
    "asin": unary(asin), "acos": unary(acos), "atan": unary(atan),
    "sinh": unary(sinh), "cosh": unary(cosh),
    "asinh": unary(asinh), "acosh": unary(acosh), "atanh": unary(atanh),
    "erf": unary(erf),
    "floor": unary(floor), "ceil": unary(ceil), "round": unary(round), "sign": unary(sign),
    "reciprocal": unary(reciprocal),
]
