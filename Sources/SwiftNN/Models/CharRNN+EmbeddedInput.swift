// The char-RNN's training forward with the embedding folded into the first LSTM layer: a
// [V, 4H] table (embedding times W_ih^T) replaces that layer's input product, input gradient
// and input-weight gradient, which on a 65-100 character vocabulary are mostly repeated work.

extension CharRNN {
    /// indices int64 [T, B] (+ h0, c0 [L, B, H]) -> [logits [T*B, V], h_n, c_n], as `forward`,
    /// computed through `table = embed.weight W_ih_l0^T` (autograd ops, so the gradient reaches
    /// both) and a first layer that adds table rows (RecurrentLayer's GatheredInput). The same
    /// function as `forward` up to rounding (Tests: CharRNNTests). `fit` and `bitsPerCharacter`
    /// use it; `forward` stays the plain composition, which ONNX export traces.
    func forwardWithEmbeddedInput(_ x: Tensor, h0: Tensor?, c0: Tensor?) throws -> [Tensor] {
        let fn = "CharRNN"
        let H = hiddenSize, L = numLayers, V = vocab.count
        guard x.dtype == .int64, x.shape.count == 2, x.shape[0] >= 1, x.shape[1] >= 1 else {
            throw SNNError.shape("\(fn): x must be int64 [T, B], got shape \(x.shape)")
        }
        let T = x.shape[0], B = x.shape[1]
        let w = lstm.flatWeights  // per layer: w_ih, w_hh, b_ih, b_hh
        guard w.count == 4 * L, embed.weight.shape == [V, embeddingDim] else {
            throw SNNError(.internalError, "\(fn): unexpected parameter layout")
        }
        let state = [L, B, H]
        for (s, name) in [(h0, "h0"), (c0, "c0")] where s != nil && s?.shape != state {
            throw SNNError.shape("\(fn): \(name) must have shape \(state), got \(s?.shape ?? [])")
        }
        let table = try matmul(embed.weight, try transpose(w[0], 0, 1))  // [V, 4H]
        let noInput = try Tensor(empty: [0], dtype: .float32, zeroed: false, fn)
        var input = noInput
        var hs: [Tensor] = [], cs: [Tensor] = []
        for l in 0..<L {
            let geo = RecurrentGeometry(mode: .lstm, steps: T, batch: B, inputSize: l == 0 ? 0 : H, hidden: H,
                                        directions: 1, batchFirst: false)
            let h0l = try h0.map { L == 1 ? $0 : try leadingRows($0, start: l, count: 1, shape: [1, B, H]) }
            let c0l = try c0.map { L == 1 ? $0 : try leadingRows($0, start: l, count: 1, shape: [1, B, H]) }
            let weights = DirectionWeights(wih: l == 0 ? noInput : w[4 * l], whh: w[4 * l + 1], bih: w[4 * l + 2], bhh: w[4 * l + 3])
            let (out, hN, cN) = try recurrentLayer(geo, x: input, h0: h0l, c0: c0l, weights: [weights], lengths: nil,
                                                   outputShape: [T, B, H], stateShape: [1, B, H],
                                                   gather: l == 0 ? GatheredInput(table: table, ids: x) : nil)
            hs.append(hN)
            if let cN { cs.append(cN) }
            input = out
        }
        let hN = L == 1 ? hs[0] : try concatenatingRows(hs, shape: state)
        let cN = L == 1 ? cs[0] : try concatenatingRows(cs, shape: state)
        return [try head.forward(try reshape(input, [T * B, H])), hN, cN]
    }
}
