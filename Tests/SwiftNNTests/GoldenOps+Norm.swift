// How each golden op of the "norm" area is called in Swift.
@testable import SwiftNN

let normOps: [String: GoldenOp] = [
    "layer_norm": { x, a in
        [try layerNorm(x[0], normalizedShape: a.ints("normalized_shape"), weight: x.count > 1 ? x[1] : nil,
                       bias: x.count > 2 ? x[2] : nil, eps: a.double("eps", 1e-5))]
    },
    "group_norm": { x, a in
        [try groupNorm(x[0], numGroups: a.int("num_groups", 1), weight: x.count > 1 ? x[1] : nil,
                       bias: x.count > 2 ? x[2] : nil, eps: a.double("eps", 1e-5))]
    },
]
