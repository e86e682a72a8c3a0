// How each golden op of the "rnn" area is called in Swift: the functional recurrent networks,
// cells and embedding. Inputs: x, [h0], [c0], flat weights, [lengths] (see tools/golden/rnn.py).
@testable import SwiftNN

private func sequenceOp(_ mode: RecurrentMode, _ x: [Tensor], _ a: Attrs) throws -> [Tensor] {
    var i = 1
    let h0 = a.bool("hx") ? x[i] : nil
    if a.bool("hx") { i += 1 }
    let c0 = a.bool("hx") && mode == .lstm ? x[i] : nil
    if c0 != nil { i += 1 }
    let lengths = a.bool("lengths") ? x[x.count - 1] : nil
    let weights = Array(x[i..<(x.count - (lengths == nil ? 0 : 1))])
    let options = RecurrentOptions(numLayers: a.int("layers", 1), hasBiases: a.bool("bias", true), batchFirst: a.bool("batch_first"),
                                   bidirectional: a.bool("bidirectional"))
    return try recurrent(mode, input: x[0], h0: h0, c0: c0, weights: weights, lengths: lengths, options: options)
}

private func cellOp(_ mode: RecurrentMode, _ x: [Tensor], _ a: Attrs) throws -> [Tensor] {
    let states = a.bool("hx") ? (mode == .lstm ? 2 : 1) : 0
    let w = Array(x[(1 + states)...])
    return try recurrentCell(mode, input: x[0], h: states > 0 ? x[1] : nil, c: states > 1 ? x[2] : nil,
                             wIH: w[0], wHH: w[1], bIH: a.bool("bias", true) ? w[2] : nil, bHH: a.bool("bias", true) ? w[3] : nil)
}

let rnnOps: [String: GoldenOp] = [
    "rnn": { x, a in try sequenceOp(a.string("nonlinearity") == "relu" ? .rnnRelu : .rnnTanh, x, a) },
    "lstm": { x, a in try sequenceOp(.lstm, x, a) },
    "gru": { x, a in try sequenceOp(.gru, x, a) },
    "rnn_cell": { x, a in try cellOp(a.string("nonlinearity") == "relu" ? .rnnRelu : .rnnTanh, x, a) },
    "lstm_cell": { x, a in try cellOp(.lstm, x, a) },
    "gru_cell": { x, a in try cellOp(.gru, x, a) },
    "embedding": { x, a in [try embedding(x[0], x[1], paddingIdx: nil)] },
    "embedding_padded": { x, a in [try embedding(x[0], x[1], paddingIdx: a.int("padding_idx"))] },
]
