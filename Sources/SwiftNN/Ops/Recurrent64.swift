// The recurrent layer (RNN tanh/relu, LSTM, GRU; one or two directions; padded lengths) in
// float64, composed per step from float64 ops (matmul, add, sigmoid, tanh, mul), so its
// gradient is those ops' backwards: double-precision gradient checks of recurrent models.
// Slow by design (one node per op per step); the float32 layer keeps its fused BPTT.

/// One layer over the whole sequence, as `recurrentLayer` (same arguments and results), for
/// float64 tensors.
func recurrentLayer64(_ geo: RecurrentGeometry, x: Tensor, h0: Tensor?, c0: Tensor?, weights: [DirectionWeights],
                      lengths: [Int]?, outputShape: [Int], stateShape: [Int]) throws -> (output: Tensor, hN: Tensor, cN: Tensor?) {
    let T = geo.steps, B = geo.batch, H = geo.hidden, D = geo.directions
    let lstm = geo.mode == .lstm
    // The input as [T, B, I] whatever the caller's layout.
    let rowsInput = try reshape(x, geo.batchFirst ? [B, T, geo.inputSize] : [T, B, geo.inputSize])
    let seq = geo.batchFirst ? try transpose(rowsInput, 0, 1) : rowsInput
    let h0s = try h0.map { try reshape($0, [D, B, H]) }, c0s = try c0.map { try reshape($0, [D, B, H]) }
    let zeros = try Tensor(empty: [B, H], dtype: .float64, zeroed: true, geo.mode.name)
    // Per step, 1 for the sequences still running (t < length), as [B, 1].
    let masks: [Tensor]? = try lengths.map { lens in
        try (0..<T).map { t in
            let m = try Tensor(empty: [B, 1], dtype: .float64, zeroed: false, geo.mode.name)
            for b in 0..<B { m.doubles[b] = t < lens[b] ? 1 : 0 }
            return m
        }
    }
    var outputs: [Tensor] = [], hs: [Tensor] = [], cs: [Tensor] = []
    for (d, w) in weights.enumerated() {
        var h = try h0s.map { try select($0, dim: 0, index: d) } ?? zeros
        var c = try c0s.map { try select($0, dim: 0, index: d) } ?? zeros
        // Input projections of every step at once: [T, B, G*H].
        var xw = try matmul(seq, try transpose(w.wih, 0, 1))
        if let b = w.bih { xw = try add(xw, b) }
        var steps = [Tensor?](repeating: nil, count: T)
        for t in d == 0 ? Array(0..<T) : Array((0..<T).reversed()) {
            var hw = try matmul(h, try transpose(w.whh, 0, 1))
            if let b = w.bhh { hw = try add(hw, b) }
            let (hNew, cNew) = try cellStep64(geo.mode, try select(xw, dim: 0, index: t), hw, h: h, c: c, H)
            if let m = masks?[t] {
                // Finished sequences keep their state and output zeros.
                let keep = try sub(try Tensor.number(1.0), m)
                h = try add(try mul(m, hNew), try mul(keep, h))
                if lstm { c = try add(try mul(m, cNew), try mul(keep, c)) }
                steps[t] = try mul(m, hNew)
            } else {
                h = hNew
                if lstm { c = cNew }
                steps[t] = hNew
            }
        }
        outputs.append(try stack(steps.compactMap { $0 }, dim: 0))
        hs.append(h)
        cs.append(c)
    }
    let out = D == 1 ? outputs[0] : try cat(outputs, dim: 2)
    let output = try reshape(geo.batchFirst ? try transpose(out, 0, 1) : out, outputShape)
    let hN = try reshape(try stack(hs, dim: 0), stateShape)
    return (output, hN, lstm ? try reshape(try stack(cs, dim: 0), stateShape) : nil)
}

/// One cell step from the input projection `xw` [B, G*H] and the hidden projection `hw`
/// [B, G*H] (biases included): the new h and (LSTM) c, with PyTorch's gate order and formulas.
private func cellStep64(_ mode: RecurrentMode, _ xw: Tensor, _ hw: Tensor, h: Tensor, c: Tensor, _ H: Int) throws -> (Tensor, Tensor) {
    func gate(_ t: Tensor, _ k: Int) throws -> Tensor { try slice(t, dim: 1, start: k * H, end: (k + 1) * H) }
    switch mode {
    case .rnnTanh: return (try tanh(try add(xw, hw)), c)
    case .rnnRelu: return (try relu(try add(xw, hw)), c)
    case .lstm:
        // i, f, g, o = gates; c' = f c + i g; h' = o tanh(c')
        let z = try add(xw, hw)
        let i = try sigmoid(try gate(z, 0)), f = try sigmoid(try gate(z, 1))
        let g = try tanh(try gate(z, 2)), o = try sigmoid(try gate(z, 3))
        let cNew = try add(try mul(f, c), try mul(i, g))
        return (try mul(o, try tanh(cNew)), cNew)
    case .gru:
        // r, z from x and h together; n = tanh(x_n + r (W_hn h + b_hn)); h' = (1 - z) n + z h
        let r = try sigmoid(try add(try gate(xw, 0), try gate(hw, 0)))
        let z = try sigmoid(try add(try gate(xw, 1), try gate(hw, 1)))
        let n = try tanh(try add(try gate(xw, 2), try mul(r, try gate(hw, 2))))
        return (try add(try mul(try sub(try Tensor.number(1.0), z), n), try mul(z, h)), c)
    }
}
