// ONNX LSTM / GRU / RNN nodes on the engine's recurrent layers (Ops/Recurrent.swift): gate rows
// reordered back into PyTorch's (LSTM i, o, f, c -> i, f, g, o; GRU z, r, h -> r, z, n), B split
// into b_ih and b_hh. Directions forward, reverse and bidirectional; sequence_lens; initial
// states; layout 0 and 1. Only the default activations (RNN may also use Relu), no clip and no
// input_forget. LSTM peepholes and GRU with linear_before_reset = 0 run unrolled
// (ImportRecurrentUnrolled.swift).

/// `cell` is the node's type as the registry entry that claims it says (.lstm, .gru, .rnnTanh).
func compileRecurrent(_ node: ONNXNode, _ label: String, _ cell: RecurrentMode) throws -> ImportKernel {
    let op = node.opType  // for messages only
    var known = ["activation_alpha", "activation_beta", "activations", "clip", "direction", "hidden_size", "layout"]
    if cell == .lstm { known.append("input_forget") }
    if cell == .gru { known.append("linear_before_reset") }
    let a = try NodeAttributes(node, label, known: known)
    let direction = try a.string("direction", "forward")
    guard ["forward", "reverse", "bidirectional"].contains(direction) else {
        throw SNNError.invalid("\(label): direction '\(direction)' is not one of forward, reverse, bidirectional")
    }
    let D = direction == "bidirectional" ? 2 : 1
    let layout = try a.int("layout", 0)
    guard layout == 0 || layout == 1 else { throw SNNError.invalid("\(label): layout must be 0 or 1, got \(layout)") }
    if a.has("clip") { throw SNNError(.unsupported, "\(label): clip is not supported") }
    if a.has("activation_alpha") || a.has("activation_beta") {
        throw SNNError(.unsupported, "\(label): activation_alpha / activation_beta are not supported (only the default activations are)")
    }
    var mode: RecurrentMode
    let defaults: [String]
    switch cell {
    case .lstm:
        mode = .lstm
        defaults = ["Sigmoid", "Tanh", "Tanh"]
        guard try a.int("input_forget", 0) == 0 else { throw SNNError(.unsupported, "\(label): input_forget = 1 is not supported") }
    case .gru:
        mode = .gru
        defaults = ["Sigmoid", "Tanh"]
        let lbr = try a.int("linear_before_reset", 0)
        guard lbr == 0 || lbr == 1 else { throw SNNError.invalid("\(label): linear_before_reset must be 0 or 1, got \(lbr)") }
    default:
        mode = .rnnTanh
        defaults = ["Tanh"]
    }
    if let v = node.attribute("activations") {
        guard case let .strings(acts) = v else { throw SNNError(.format, "\(label): attribute 'activations' is not a list of strings") }
        let lower = acts.map { $0.lowercased() }
        if lower == [[String]](repeating: defaults, count: D).flatMap({ $0 }).map({ $0.lowercased() }) {
            // the defaults
        } else if mode == .rnnTanh, lower == [String](repeating: "relu", count: D) {
            mode = .rnnRelu
        } else {
            throw SNNError(.unsupported, "\(label): activations \(acts) are not supported (only the defaults \(defaults)\(mode == .rnnTanh ? " or Relu" : "") per direction)")
        }
    }
    // PyTorch's cells (the engine's fused layers) have neither peepholes nor the reset gate
    // before GRU's recurrent linear map: those nodes run unrolled from engine ops.
    let peepholes = cell == .lstm && node.inputs.count > 7 && !node.inputs[7].isEmpty
    let resetBeforeLinear = cell == .gru ? try a.int("linear_before_reset", 0) == 0 : false
    if peepholes || resetBeforeLinear {
        let reverse: [Bool] = direction == "bidirectional" ? [false, true] : [direction == "reverse"]
        return unrolledRecurrentKernel(UnrolledRecurrence(cell: cell, directions: reverse, batchFirst: layout == 1,
                                                          outputs: node.outputs.count, op: label))
    }
    let hiddenAttr: Int? = try a.has("hidden_size") ? a.int("hidden_size", 0) : nil
    let G = mode.gateCount
    let finalMode = mode
    let present = node.outputs.count
    let batchFirst = layout == 1
    return { xs in
        let x = try input(xs, 0, "X"), w = try input(xs, 1, "W"), r = try input(xs, 2, "R")
        guard w.rank == 3, r.rank == 3, w.shape[0] == D, r.shape[0] == D, r.shape[2] >= 1, r.shape[1] == G * r.shape[2],
              w.shape[1] == G * r.shape[2] else {
            throw SNNError.shape("\(op): W \(fmt(w.shape)) and R \(fmt(r.shape)) must be [\(D), \(G)*H, I] and [\(D), \(G)*H, H]")
        }
        let H = r.shape[2]
        if let hiddenAttr, hiddenAttr != H { throw SNNError.shape("\(op): hidden_size \(hiddenAttr) does not match R \(fmt(r.shape))") }
        guard x.rank == 3 else { throw SNNError.shape("\(op): X must be 3-D, got \(fmt(x.shape))") }
        let bias = optionalInput(xs, 3)
        if let bias, bias.shape != [D, 2 * G * H] { throw SNNError.shape("\(op): B must be [\(D), \(2 * G * H)], got \(fmt(bias.shape))") }
        let order = finalMode.torchGateOrder
        /// Direction d of `t` [D, rows, cols] (cols = 0: [D, rows]) with PyTorch's gate order.
        func part(_ t: Tensor, _ d: Int, from: Int, rows: Int, cols: Int) throws -> Tensor {
            let width = cols == 0 ? 1 : cols
            let rowCount = t.count / Swift.max(1, D)
            guard from + rows * width <= rowCount else { throw SNNError(.internalError, "\(op): weight slice out of range") }
            let flat = try reshape(t, [D, rowCount])
            let slice = try narrowed(try narrowed(flat, 0, d, 1, 1, op), 1, from, rows * width, 1, op)
            let values = try reorderedBlocks(slice, gates: G, order: order)
            return try Tensor(values, shape: cols == 0 ? [rows] : [rows, cols])
        }
        let I = w.shape[2]
        var weights: [Tensor] = []
        for d in 0..<D {
            weights += [try part(w, d, from: 0, rows: G * H, cols: I), try part(r, d, from: 0, rows: G * H, cols: H)]
            if let bias { weights += [try part(bias, d, from: 0, rows: G * H, cols: 0), try part(bias, d, from: G * H, rows: G * H, cols: 0)] }
        }
        let reverseOnly = direction == "reverse"
        // reverse alone: the engine's reverse direction of a bidirectional layer whose forward
        // direction (zero weights) is dropped.
        if reverseOnly { weights = try weights.map { try Tensor.zeros($0.shape) } + weights }
        let lens = try optionalInput(xs, 4).map { $0.dtype == .int64 ? $0 : try truncatedInt64($0) }
        func state(_ i: Int) throws -> Tensor? {
            guard var s = optionalInput(xs, i) else { return nil }
            if batchFirst { s = try permute(s, [1, 0, 2]) }  // [B, D, H] -> [D, B, H]
            if reverseOnly { s = try cat([try Tensor.zeros(s.shape), s], dim: 0) }
            return s
        }
        let h0 = try state(5), c0 = finalMode == .lstm ? try state(6) : nil
        let options = RecurrentOptions(numLayers: 1, hasBiases: bias != nil, batchFirst: batchFirst,
                                       bidirectional: D == 2 || reverseOnly)
        let res = try recurrent(finalMode, input: x, h0: h0, c0: c0, weights: weights, lengths: lens, options: options)
        guard res.count >= 2 else { throw SNNError(.internalError, "\(op): the engine returned \(res.count) results") }
        let E = reverseOnly ? 2 : D
        let T = batchFirst ? x.shape[1] : x.shape[0], B = batchFirst ? x.shape[0] : x.shape[1]
        // output [T, B, E*H] (layout 1: [B, T, E*H]) -> Y [T, D, B, H] (layout 1: [B, T, D, H])
        var y = try reshape(res[0], batchFirst ? [B, T, E, H] : [T, B, E, H])
        if reverseOnly { y = try narrowed(y, 2, 1, 1, 1, op) }
        if !batchFirst { y = try permute(y, [0, 2, 1, 3]) }
        var outs = [y]
        for s in res.dropFirst() {
            var st = reverseOnly ? try narrowed(s, 0, 1, 1, 1, op) : s  // [D, B, H]
            if batchFirst { st = try permute(st, [1, 0, 2]) }
            outs.append(st)
        }
        return Array(outs.prefix(Swift.max(1, present)))
    }
}
