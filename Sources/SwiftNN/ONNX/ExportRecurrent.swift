// ONNX export of the recurrent networks (Ops/Recurrent.swift records one "recurrent" op per
// call): one ONNX LSTM / GRU / RNN node per layer (opset 17, layout 0, since onnxruntime lacks
// layout 1), both directions of a bidirectional layer in one node. Weights become constant
// initializers with PyTorch's gate rows reordered into ONNX's: LSTM i, f, g, o -> i, o, f, c;
// GRU r, z, n -> z, r, h (with linear_before_reset = 1, PyTorch's GRU); B = [Wb, Rb].

extension RecurrentMode {
    /// ONNX's gate blocks as indices of PyTorch's (ONNX block k is PyTorch block order[k]).
    var onnxGateOrder: [Int] {
        switch self {
        case .lstm: [0, 3, 1, 2]
        case .gru: [1, 0, 2]
        case .rnnTanh, .rnnRelu: [0]
        }
    }

    /// PyTorch's gate blocks as indices of ONNX's (the inverse of `onnxGateOrder`).
    var torchGateOrder: [Int] {
        let o = onnxGateOrder
        return o.indices.map { k in o.firstIndex(of: k) ?? k }
    }

    var onnxOpType: String {
        switch self {
        case .lstm: "LSTM"
        case .gru: "GRU"
        case .rnnTanh, .rnnRelu: "RNN"
        }
    }
}

/// The values of `t` (rows of G blocks of `block` floats) with its blocks in `order`.
func reorderedBlocks(_ t: Tensor, gates: Int, order: [Int]) throws -> [Float] {
    guard t.dtype == .float32, gates >= 1, t.count % gates == 0, order.count == gates,
          order.allSatisfy({ $0 >= 0 && $0 < gates }) else {
        throw SNNError(.internalError, "recurrent weight of shape \(fmt(t.shape)) is not \(gates) gate blocks")
    }
    let block = t.count / gates
    var out: [Float] = []
    out.reserveCapacity(t.count)
    for g in order { out.append(contentsOf: UnsafeBufferPointer(start: t.floats + g * block, count: block)) }
    return out
}

extension GraphBuilder {
    mutating func lowerRecurrent(_ r: TraceRecord) throws {
        guard case let .int(m)? = r.attribute("mode"), let mode = RecurrentMode(rawValue: m),
              case let .int(L)? = r.attribute("num_layers"), L >= 1 else {
            throw SNNError(.internalError, "recurrent record without mode or num_layers")
        }
        let fn = mode.name
        if r.attribute("dropout_active") == .bool(true) {
            throw SNNError.invalid("\(fn) applies dropout between layers (training mode); call eval() (snn_module_train(m, false)) before exporting")
        }
        let hasBiases = r.attribute("has_biases") == .bool(true), batchFirst = r.attribute("batch_first") == .bool(true)
        let D = r.attribute("bidirectional") == .bool(true) ? 2 : 1
        let per = hasBiases ? 4 : 2, G = mode.gateCount
        let weights = r.inputs.dropFirst(4).compactMap { $0 }
        guard r.inputs.count == 4 + L * D * per, weights.count == L * D * per, let xT = r.inputs.first ?? nil,
              weights[1].rank == 2, r.outputs.count == (mode == .lstm ? 3 : 2) else {
            throw SNNError(.internalError, "\(fn) record with \(r.inputs.count) inputs for \(L) layer(s)")
        }
        for w in weights where values[ObjectIdentifier(w)] != nil {
            throw SNNError(.unsupported, "\(fn): a weight computed by the traced forward (not a parameter or constant) cannot become an ONNX \(mode.onnxOpType) initializer")
        }
        let H = weights[1].shape[1]
        let x = try value(xT)
        let batched = xT.rank == 3
        var seq: String  // [T, B, I_l]
        if !batched {
            seq = node1("Unsqueeze", [x.name, constInts([1], "axes")])
        } else if batchFirst {
            seq = node1("Transpose", [x.name], [ONNXAttribute("perm", .ints([1, 0, 2]))])
        } else {
            seq = x.name
        }
        let lens = try r.inputs[3].map { node1("Cast", [try value($0).name], [ONNXAttribute("to", .int(Int64(ONNXDataType.int32.rawValue)))]) } ?? ""
        let h0 = try r.inputs[1].map { try value($0) }, c0 = try r.inputs[2].map { try value($0) }
        var attrs = [ONNXAttribute("hidden_size", .int(Int64(H))),
                     ONNXAttribute("direction", .string(D == 2 ? "bidirectional" : "forward"))]
        if mode == .gru { attrs.append(ONNXAttribute("linear_before_reset", .int(1))) }
        if mode == .rnnRelu { attrs.append(ONNXAttribute("activations", .strings([String](repeating: "Relu", count: D)))) }

        var hs: [String] = [], cs: [String] = []
        for l in 0..<L {
            let dirs = (0..<D).map { d in Array(weights[((l * D + d) * per)..<((l * D + d + 1) * per)]) }
            let inSize = dirs[0][0].shape.last ?? 0
            let order = mode.onnxGateOrder
            let base = stateNames[ObjectIdentifier(dirs[0][0])].map { n in
                String(n.split(separator: ".").dropLast().joined(separator: ".")) } ?? ""
            let prefix = base.isEmpty ? "\(fn)_l\(l)" : "\(base).onnx_l\(l)"
            var args = [seq,
                        constFloats(try dirs.flatMap { try reorderedBlocks($0[0], gates: G, order: order) }, shape: [D, G * H, inSize], "\(prefix)_W"),
                        constFloats(try dirs.flatMap { try reorderedBlocks($0[1], gates: G, order: order) }, shape: [D, G * H, H], "\(prefix)_R")]
            if hasBiases {
                args.append(constFloats(try dirs.flatMap { try reorderedBlocks($0[2], gates: G, order: order) + reorderedBlocks($0[3], gates: G, order: order) },
                                        shape: [D, 2 * G * H], "\(prefix)_B"))
            } else {
                args.append("")
            }
            args.append(lens)
            args.append(h0.map { stateOfLayer($0, layer: l, directions: D, layers: L, batched: batched) } ?? "")
            if mode == .lstm { args.append(c0.map { stateOfLayer($0, layer: l, directions: D, layers: L, batched: batched) } ?? "") }
            while args.last == "" { args.removeLast() }
            let outs = node(mode.onnxOpType, args, attrs, outputs: mode == .lstm ? 3 : 2)
            hs.append(outs[1])
            if mode == .lstm { cs.append(outs[2]) }
            // Y [T, D, B, H] -> [T, B, D*H]
            let yt = node1("Transpose", [outs[0]], [ONNXAttribute("perm", .ints([0, 2, 1, 3]))])
            seq = node1("Reshape", [yt, constInts([0, 0, D * H], "shape")])
        }
        let dynamic = batched && x.batch != .none
        if !batched {
            seq = node1("Squeeze", [seq, constInts([1], "axes")])
        } else if batchFirst {
            seq = node1("Transpose", [seq], [ONNXAttribute("perm", .ints([1, 0, 2]))])
        }
        define(r.outputs[0], seq, batch: dynamic ? .exact(batchFirst ? 0 : 1) : .none)
        for (k, states) in [hs, cs].enumerated() where k < r.outputs.count - 1 {
            var s = states.count == 1 ? states[0] : node1("Concat", states, [ONNXAttribute("axis", .int(0))])
            if !batched { s = node1("Squeeze", [s, constInts([1], "axes")]) }
            define(r.outputs[k + 1], s, batch: dynamic ? .exact(1) : .none)
        }
    }

    /// Rows [l*D, (l+1)*D) of an initial state [L*D, B, H] (unbatched [L*D, H]) as [D, B, H].
    mutating func stateOfLayer(_ s: GraphValue, layer l: Int, directions D: Int, layers L: Int, batched: Bool) -> String {
        var v = s.name
        if !batched { v = node1("Unsqueeze", [v, constInts([1], "axes")]) }
        if L == 1 { return v }
        return node1("Slice", [v, constInts([l * D], "starts"), constInts([(l + 1) * D], "ends"), constInts([0], "axes")])
    }
}
