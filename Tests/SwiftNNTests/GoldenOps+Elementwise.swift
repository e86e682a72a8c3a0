// How each golden op of the "elementwise" area is called in Swift.
@testable import SwiftNN

let elementwiseOps: [String: GoldenOp] = [
    "neg": { x, _ in [try neg(x[0])] },
    "exp": { x, _ in [try exp(x[0])] },
    "log": { x, _ in [try log(x[0])] },
    "sqrt": { x, _ in [try sqrt(x[0])] },
    "abs": { x, _ in [try abs(x[0])] },
    "tanh": { x, _ in [try tanh(x[0])] },
    "sigmoid": { x, _ in [try sigmoid(x[0])] },
    "relu": { x, _ in [try relu(x[0])] },
    "leaky_relu": { x, a in [try leakyReLU(x[0], negativeSlope: Float(a.double("negative_slope", 0.01)))] },
    "relu6": { x, _ in [try relu6(x[0])] },
    "clamp": { x, a in
        [try clamp(x[0], min: a.optionalDouble("min").map { Float($0) }, max: a.optionalDouble("max").map { Float($0) })]
    },
    "pow": { x, _ in [try pow(x[0], x[1])] },
    "pow_scalar": { x, a in [try pow(x[0], Float(a.double("exponent")))] },
]
