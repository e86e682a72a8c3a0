// How the golden ops of the "activation" area that take attributes or two inputs are called
// in Swift, and one-input ops whose ONNX form is not one node (hardsigmoid, silu, selu, mish);
// ops declared with OpDef(unary:) need no line (GoldenTests.goldenOp).
@testable import SwiftNN

/// A golden op of one input and no attributes.
private func unary(_ f: @escaping @Sendable (Tensor) throws -> Tensor) -> GoldenOp { { x, _ in [try f(x[0])] } }

let activationOps: [String: GoldenOp] = [
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
    "prelu": { x, _ in [try prelu(x[0], weight: x[1])] },
]
