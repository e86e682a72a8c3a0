// How each golden op of the "surface" area is called in Swift (einsum; ctc_loss on logits,
// through log_softmax over the classes, as the cases define it).
@testable import SwiftNN

let surfaceOps: [String: GoldenOp] = [
    "einsum": { x, a in [try einsum(a.string("equation"), x)] },
    "ctc_loss": { x, a in
        [try ctcLoss(try logSoftmax(x[0], dim: x[0].rank - 1), x[1], inputLengths: x[2], targetLengths: x[3],
                     blank: a.int("blank"), reduction: try Reduction(name: a.string("reduction", "mean")),
                     zeroInfinity: a.int("zero_infinity") == 1)]
    },
]
