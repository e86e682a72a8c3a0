// How each golden op of the "reduce" area is called in Swift.
@testable import SwiftNN

/// The optional `dim` attribute ("none" when absent).
private func optionalDim(_ a: Attrs) -> Int? { a.ints("dim").first }

let reduceOps: [String: GoldenOp] = [
    "max": { x, a in
        guard let d = optionalDim(a) else { return [try max(x[0])] }
        let r = try max(x[0], dim: d, keepdim: a.bool("keepdim"))
        return [r.values, r.indices]
    },
    "min": { x, a in
        guard let d = optionalDim(a) else { return [try min(x[0])] }
        let r = try min(x[0], dim: d, keepdim: a.bool("keepdim"))
        return [r.values, r.indices]
    },
    "amax": { x, a in [try amax(x[0], dims: a.ints("dims"), keepdim: a.bool("keepdim"))] },
    "amin": { x, a in [try amin(x[0], dims: a.ints("dims"), keepdim: a.bool("keepdim"))] },
    "argmax": { x, a in [try argmax(x[0], dim: optionalDim(a), keepdim: a.bool("keepdim"))] },
    "argmin": { x, a in [try argmin(x[0], dim: optionalDim(a), keepdim: a.bool("keepdim"))] },
    "softmax": { x, a in [try softmax(x[0], dim: a.int("dim"))] },
    "log_softmax": { x, a in [try logSoftmax(x[0], dim: a.int("dim"))] },
    "logsumexp": { x, a in [try logsumexp(x[0], dims: a.ints("dims"), keepdim: a.bool("keepdim"))] },
    "var": { x, a in [try variance(x[0], dims: a.ints("dims"), correction: a.double("correction", 1), keepdim: a.bool("keepdim"))] },
    "std": { x, a in [try standardDeviation(x[0], dims: a.ints("dims"), correction: a.double("correction", 1), keepdim: a.bool("keepdim"))] },
]
