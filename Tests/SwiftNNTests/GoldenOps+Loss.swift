// How each golden op of the "loss" area is called in Swift.
@testable import SwiftNN

let lossOps: [String: GoldenOp] = [
    "cross_entropy": { x, a in
        [try crossEntropy(x[0], x[1], weight: x.count > 2 ? x[2] : nil, reduction: try Reduction(name: a.string("reduction", "mean")),
                          ignoreIndex: a.int("ignore_index", -100), labelSmoothing: Float(a.double("label_smoothing")))]
    },
    "nll_loss": { x, a in
        [try nllLoss(x[0], x[1], weight: x.count > 2 ? x[2] : nil, reduction: try Reduction(name: a.string("reduction", "mean")), ignoreIndex: a.int("ignore_index", -100))]
    },
    "mse_loss": { x, a in [try mseLoss(x[0], x[1], reduction: try Reduction(name: a.string("reduction", "mean")))] },
]
