// Functional recurrent networks, as torch._VF.rnn_tanh/rnn_relu/lstm/gru and their cells:
// validates the arguments, then composes fused layers (Ops/RecurrentLayer.swift) with inter-layer
// dropout. Weights are ordinary inputs, so they get gradients like any tensor.

/// Arguments of a multi-layer recurrent network beyond its tensors (PyTorch's names).
public struct RecurrentOptions: Sendable, Equatable {
    public var numLayers: Int
    public var hasBiases: Bool
    public var batchFirst: Bool
    public var bidirectional: Bool
    /// Dropout on the outputs of every layer but the last, applied only when `training`.
    public var dropout: Double
    public var training: Bool

    public init(numLayers: Int = 1, hasBiases: Bool = true, batchFirst: Bool = false, bidirectional: Bool = false,
                dropout: Double = 0, training: Bool = false) {
        self.numLayers = numLayers
        self.hasBiases = hasBiases
        self.batchFirst = batchFirst
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.training = training
    }
}

/// A multi-layer, optionally bidirectional RNN/LSTM/GRU over a sequence.
///
/// - `input`: [T, B, I] ([B, T, I] with `batchFirst`), or unbatched [T, I].
/// - `h0`, `c0` (nil: zeros; `c0` only for LSTM): [L*D, B, H] (unbatched [L*D, H]), D = 2 when
///   bidirectional.
/// - `weights`: per layer l, per direction (forward, then reverse): w_ih [G*H, I_l],
///   w_hh [G*H, H], then b_ih, b_hh [G*H] if `hasBiases`; I_0 = I, I_l = D*H. Gate order is
///   PyTorch's: LSTM i, f, g, o; GRU r, z, n.
/// - `lengths`: int64 [B], each in 1...T. Steps t >= lengths[b] leave b's state unchanged and
///   output zeros; h_n (c_n) are the states at each sequence's last valid step, as PyTorch's
///   pack_padded_sequence(enforce_sorted=False) + pad_packed_sequence(total_length=T).
///
/// Returns [output, h_n] (+ c_n for LSTM): output [T, B, D*H] (batch first: [B, T, D*H]).
public func recurrent(_ mode: RecurrentMode, input: Tensor, h0: Tensor? = nil, c0: Tensor? = nil, weights: [Tensor],
                      lengths: Tensor? = nil, options: RecurrentOptions = RecurrentOptions()) throws -> [Tensor] {
    let fn = mode.name
    let L = options.numLayers, D = options.bidirectional ? 2 : 1
    guard L >= 1, L <= 1 << 16 else { throw SNNError.invalid("\(fn): num_layers must be >= 1, got \(L)") }
    guard options.dropout >= 0, options.dropout <= 1 else {
        throw SNNError.invalid("\(fn): dropout must be in [0, 1], got \(options.dropout)")
    }
    try input.requireFloating(fn, "input")
    guard input.rank == 2 || input.rank == 3 else {
        throw SNNError.shape("\(fn): input must be [T, B, I] (or [B, T, I] with batch_first, or unbatched [T, I]), got shape \(fmt(input.shape))")
    }
    let batched = input.rank == 3
    let T = batched && options.batchFirst ? input.shape[1] : input.shape[0]
    let B = batched ? (options.batchFirst ? input.shape[0] : input.shape[1]) : 1
    let I = input.shape[input.rank - 1]
    guard T >= 1, B >= 1, I >= 1 else {
        throw SNNError.shape("\(fn): input of shape \(fmt(input.shape)) is empty (T = \(T), B = \(B), input_size = \(I)); each must be >= 1")
    }
    let perDirection = options.hasBiases ? 4 : 2
    guard weights.count == L * D * perDirection else {
        throw SNNError.invalid("\(fn): expected \(L * D * perDirection) weight tensors (\(L) layer(s) x \(D) direction(s) x \(options.hasBiases ? "w_ih, w_hh, b_ih, b_hh" : "w_ih, w_hh")), got \(weights.count)")
    }
    let G = mode.gateCount
    let whh0 = weights[1]
    guard whh0.rank == 2, whh0.shape[1] >= 1, whh0.shape[0] == G * whh0.shape[1] else {
        throw SNNError.shape("\(fn): w_hh of layer 0 must be [\(G)*H, H] with H >= 1, got shape \(fmt(whh0.shape))")
    }
    let H = whh0.shape[1]
    try checkInputSize(input, weights[0], G * H, fn)
    var layers: [[DirectionWeights]] = []
    for l in 0..<L {
        var dirs: [DirectionWeights] = []
        for d in 0..<D {
            let base = (l * D + d) * perDirection
            let suffix = "_l\(l)\(d == 1 ? "_reverse" : "")"
            let inSize = l == 0 ? I : D * H
            let w = DirectionWeights(wih: weights[base], whh: weights[base + 1],
                                     bih: options.hasBiases ? weights[base + 2] : nil, bhh: options.hasBiases ? weights[base + 3] : nil)
            try checkWeight(w.wih, [G * H, inSize], input, fn, "weight_ih\(suffix)", l == 0 ? "input_size \(I)" : "\(D) x hidden_size")
            try checkWeight(w.whh, [G * H, H], input, fn, "weight_hh\(suffix)", "hidden_size \(H)")
            if let b = w.bih { try checkWeight(b, [G * H], input, fn, "bias_ih\(suffix)", "hidden_size \(H)") }
            if let b = w.bhh { try checkWeight(b, [G * H], input, fn, "bias_hh\(suffix)", "hidden_size \(H)") }
            dirs.append(w)
        }
        layers.append(dirs)
    }
    let fullState = batched ? [L * D, B, H] : [L * D, H]
    for (s, name) in [(h0, "h0"), (c0, "c0")] {
        guard let s else { continue }
        if name == "c0" && mode != .lstm { throw SNNError.invalid("\(fn): c0 is only used by LSTM") }
        try input.requireSameDType(s, fn, name)
        guard s.shape == fullState else {
            throw SNNError.shape("\(fn): \(name) must have shape \(fmt(fullState)) (num_layers * num_directions, \(batched ? "batch, " : "")hidden_size) for input \(fmt(input.shape)), got \(fmt(s.shape))")
        }
    }
    let lens = try lengthsArg(lengths, batch: B, steps: T, batched: batched, fn)
    try checkBLASSize(rows: T * B, cols: max(G * H, I, D * H), fn)

    let outputShape = batched ? (options.batchFirst ? [B, T, D * H] : [T, B, D * H]) : [T, D * H]
    let layerState = batched ? [D, B, H] : [D, H]
    var x = input
    var hs: [Tensor] = [], cs: [Tensor] = []
    // float64 (Recurrent64.swift) slices, joins and drops out with the general ops; float32
    // keeps the internal ones the fused layers were tuned with.
    let double = input.dtype == .float64
    for (l, dirs) in layers.enumerated() {
        let geo = RecurrentGeometry(mode: mode, steps: T, batch: B, inputSize: l == 0 ? I : D * H,
                                    hidden: H, directions: D, batchFirst: batched && options.batchFirst)
        func layerRows(_ t: Tensor) throws -> Tensor {
            if L == 1 { return t }
            if double { return try slice(t, dim: 0, start: l * D, end: (l + 1) * D) }
            return try leadingRows(t, start: l * D, count: D, shape: layerState)
        }
        let h0l = try h0.map(layerRows), c0l = try c0.map(layerRows)
        let (out, hN, cN) = try recurrentLayer(geo, x: x, h0: h0l, c0: c0l, weights: dirs, lengths: lens,
                                               outputShape: outputShape, stateShape: layerState)
        hs.append(hN)
        if let cN { cs.append(cN) }
        let drop = options.training && options.dropout > 0 && l < L - 1
        x = !drop ? out : double ? try dropout(out, p: options.dropout) : try recurrentDropout(out, p: options.dropout)
    }
    // With one layer the layer's states already have the full shape.
    func joined(_ parts: [Tensor]) throws -> Tensor {
        if L == 1 { return parts[0] }
        return double ? try cat(parts, dim: 0) : try concatenatingRows(parts, shape: fullState)
    }
    let hN = try joined(hs)
    let results = mode == .lstm ? [x, hN, try joined(cs)] : [x, hN]
    // One record for the whole network (Export.swift lowers it to one ONNX node per layer).
    trace(.recurrent, [input, h0, c0, lengths] + weights.map { Optional($0) }, results,
          [("mode", .int(mode.rawValue)), ("num_layers", .int(L)), ("has_biases", .bool(options.hasBiases)),
           ("batch_first", .bool(options.batchFirst)), ("bidirectional", .bool(options.bidirectional)),
           ("dropout_active", .bool(options.training && options.dropout > 0 && L > 1))])
    return results
}

/// One step of an RNN/LSTM/GRU cell (torch's rnn_tanh_cell, lstm_cell, gru_cell).
///
/// `input` [B, I] or unbatched [I]; `h`, `c` (nil: zeros; `c` only for LSTM) [B, H] or [H];
/// w_ih [G*H, I], w_hh [G*H, H], b_ih, b_hh [G*H] (each optional). Returns [h'] or, for LSTM,
/// [h', c'].
public func recurrentCell(_ mode: RecurrentMode, input: Tensor, h: Tensor? = nil, c: Tensor? = nil,
                          wIH: Tensor, wHH: Tensor, bIH: Tensor? = nil, bHH: Tensor? = nil) throws -> [Tensor] {
    let fn = mode.name + "_cell"
    try input.requireFloating(fn, "input")
    guard input.rank == 1 || input.rank == 2 else {
        throw SNNError.shape("\(fn): input must be [B, I] or unbatched [I], got shape \(fmt(input.shape))")
    }
    let batched = input.rank == 2
    let B = batched ? input.shape[0] : 1, I = input.shape[input.rank - 1]
    guard B >= 1, I >= 1 else { throw SNNError.shape("\(fn): input of shape \(fmt(input.shape)) is empty") }
    let G = mode.gateCount
    guard wHH.rank == 2, wHH.shape[1] >= 1, wHH.shape[0] == G * wHH.shape[1] else {
        throw SNNError.shape("\(fn): w_hh must be [\(G)*H, H] with H >= 1, got shape \(fmt(wHH.shape))")
    }
    let H = wHH.shape[1]
    try checkInputSize(input, wIH, G * H, fn)
    try checkWeight(wIH, [G * H, I], input, fn, "weight_ih", "input_size \(I)")
    try checkWeight(wHH, [G * H, H], input, fn, "weight_hh", "hidden_size \(H)")
    if let bIH { try checkWeight(bIH, [G * H], input, fn, "bias_ih", "hidden_size \(H)") }
    if let bHH { try checkWeight(bHH, [G * H], input, fn, "bias_hh", "hidden_size \(H)") }
    let state = batched ? [B, H] : [H]
    for (s, name) in [(h, "hx"), (c, "cx")] {
        guard let s else { continue }
        if name == "cx" && mode != .lstm { throw SNNError.invalid("\(fn): a cell state is only used by LSTM") }
        try input.requireSameDType(s, fn, name)
        guard s.shape == state else {
            throw SNNError.shape("\(fn): \(name) must have shape \(fmt(state)) for input \(fmt(input.shape)), got \(fmt(s.shape))")
        }
    }
    try checkBLASSize(rows: B, cols: max(G * H, I), fn)
    let geo = RecurrentGeometry(mode: mode, steps: 1, batch: B, inputSize: I, hidden: H, directions: 1, batchFirst: false)
    let (_, hN, cN) = try recurrentLayer(geo, x: input, h0: h, c0: c, weights: [DirectionWeights(wih: wIH, whh: wHH, bih: bIH, bhh: bHH)],
                                         lengths: nil, outputShape: state, stateShape: state)
    return [hN] + (cN.map { [$0] } ?? [])
}

/// Convenience: `recurrent(.lstm, ...)` as (output, h_n, c_n).
public func lstm(_ input: Tensor, h0: Tensor? = nil, c0: Tensor? = nil, weights: [Tensor], lengths: Tensor? = nil,
                 options: RecurrentOptions = RecurrentOptions()) throws -> (output: Tensor, hN: Tensor, cN: Tensor) {
    let r = try recurrent(.lstm, input: input, h0: h0, c0: c0, weights: weights, lengths: lengths, options: options)
    return (r[0], r[1], r[2])
}

/// Convenience: `recurrent(.gru, ...)` as (output, h_n).
public func gru(_ input: Tensor, h0: Tensor? = nil, weights: [Tensor], lengths: Tensor? = nil,
                options: RecurrentOptions = RecurrentOptions()) throws -> (output: Tensor, hN: Tensor) {
    let r = try recurrent(.gru, input: input, h0: h0, weights: weights, lengths: lengths, options: options)
    return (r[0], r[1])
}

/// A well-formed first w_ih [G*H, I] whose I differs from the input's last dimension: the
/// input is wrong, not the weight, so say so as PyTorch does (with the input's shape).
private func checkInputSize(_ input: Tensor, _ wih: Tensor, _ rows: Int, _ fn: String) throws {
    guard wih.rank == 2, wih.shape[0] == rows, wih.shape[1] != input.shape[input.rank - 1] else { return }
    throw SNNError.shape("\(fn): input.size(-1) must be equal to input_size. Expected \(wih.shape[1]), got \(input.shape[input.rank - 1]) (input of shape \(fmt(input.shape)))")
}

private func checkWeight(_ w: Tensor, _ expected: [Int], _ input: Tensor, _ fn: String, _ name: String, _ why: String) throws {
    try input.requireSameDType(w, fn, name)
    guard w.shape == expected else {
        throw SNNError.shape("\(fn): \(name) must have shape \(fmt(expected)) (from \(why)), got \(fmt(w.shape))")
    }
}

/// Validated per-sequence lengths: int64 [B], each in 1...T.
private func lengthsArg(_ lengths: Tensor?, batch: Int, steps: Int, batched: Bool, _ fn: String) throws -> [Int]? {
    guard let lengths else { return nil }
    guard batched else { throw SNNError.invalid("\(fn): lengths need a batched input ([T, B, I] or [B, T, I])") }
    guard lengths.dtype == .int64 else {
        throw SNNError.dtype("\(fn): lengths has dtype \(lengths.dtype.name), expected int64")
    }
    guard lengths.shape == [batch] else {
        throw SNNError.shape("\(fn): lengths must have shape [\(batch)] (one per batch entry), got \(fmt(lengths.shape))")
    }
    return try lengths.int64Scalars.enumerated().map { b, v in
        guard v >= 1, v <= Int64(steps) else {
            throw SNNError.range("\(fn): lengths[\(b)] = \(v) is out of range [1, \(steps)] (the sequence has \(steps) steps)")
        }
        return Int(v)
    }
}

/// OpenBLAS takes 32-bit sizes and leading dimensions.
private func checkBLASSize(rows: Int, cols: Int, _ fn: String) throws {
    let (n, o) = rows.multipliedReportingOverflow(by: cols)
    guard !o, n <= Int(Int32.max) else {
        throw SNNError.range("\(fn): \(rows) rows x \(cols) columns exceed BLAS's 32-bit limit")
    }
}

// MARK: - registry

extension OpDef {
    /// ONNX LSTM / GRU / RNN nodes with gate rows reordered (ExportRecurrent.swift,
    /// ImportRecurrent.swift hold the mappings, which are long).
    static let recurrent = OpDef("recurrent", c: "snn_tensor_lstm", python: "lstm", golden: ["lstm", "gru", "rnn"],
                                 export: { b, r in try b.lowerRecurrent(r) },
                                 imports: ["LSTM": { n in try compileRecurrent(n.node, n.label, .lstm) },
                                           "GRU": { n in try compileRecurrent(n.node, n.label, .gru) },
                                           "RNN": { n in try compileRecurrent(n.node, n.label, .rnnTanh) }])
}
