// How each golden op of the "loss_pointwise" area is called in Swift.
@testable import SwiftNN

private func reduction(_ a: Attrs) throws -> Reduction { try Reduction(name: a.string("reduction", "mean")) }

let lossPointwiseOps: [String: GoldenOp] = [
    "l1_loss": { x, a in [try l1Loss(x[0], x[1], reduction: try reduction(a))] },
    "smooth_l1_loss": { x, a in [try smoothL1Loss(x[0], x[1], reduction: try reduction(a), beta: a.double("beta", 1))] },
    "huber_loss": { x, a in [try huberLoss(x[0], x[1], reduction: try reduction(a), delta: a.double("delta", 1))] },
    "binary_cross_entropy": { x, a in
        [try binaryCrossEntropy(x[0], x[1], weight: x.count > 2 ? x[2] : nil, reduction: try reduction(a))]
    },
    "binary_cross_entropy_with_logits": { x, a in
        let w = a.bool("weight") ? x[2] : nil
        let pw = a.bool("pos_weight") ? x[w == nil ? 2 : 3] : nil
        return [try binaryCrossEntropyWithLogits(x[0], x[1], weight: w, posWeight: pw, reduction: try reduction(a))]
    },
    "kl_div": { x, a in
        [try klDiv(x[0], x[1], reduction: try reduction(a), batchMean: a.bool("batchmean"), logTarget: a.bool("log_target"))]
    },
]
