// Recurrent networks, cells and embeddings (swiftnn/recurrent.h): the options struct, module
// constructors and the functional forms. The engine validates tensors; this file validates
// what only C can get wrong (struct_size, enum values, NULL pointers).
import CSwiftNN
import SwiftNN

/// The options behind `opts`, after checking struct_size and every field.
private func rnnOptionsArg(_ opts: UnsafePointer<snn_rnn_options>?, _ fn: String) throws -> snn_rnn_options {
    let o = try requiredOptionsArg(opts, fn, arg: "opts")
    guard o.num_layers >= 1, o.num_layers <= 1 << 16 else {
        throw SNNError(.invalidArgument, "\(fn): opts->num_layers must be in [1, 65536], got \(o.num_layers)")
    }
    guard o.input_size >= 1, o.hidden_size >= 1, o.input_size <= Int64(Int32.max), o.hidden_size <= Int64(Int32.max) else {
        throw SNNError(.invalidArgument, "\(fn): opts->input_size and opts->hidden_size must be >= 1 (got \(o.input_size), \(o.hidden_size))")
    }
    guard o.dropout >= 0, o.dropout <= 1 else {
        throw SNNError(.invalidArgument, "\(fn): opts->dropout must be in [0, 1], got \(o.dropout)")
    }
    guard o.nonlinearity == Int32(SNN_RNN_TANH.rawValue) || o.nonlinearity == Int32(SNN_RNN_RELU.rawValue) else {
        throw SNNError(.invalidArgument, "\(fn): opts->nonlinearity must be SNN_RNN_TANH (0) or SNN_RNN_RELU (1), got \(o.nonlinearity)")
    }
    return o
}

private func nonlinearityArg(_ n: snn_rnn_nonlinearity, _ fn: String) throws -> String {
    switch n {
    case SNN_RNN_TANH: return "tanh"
    case SNN_RNN_RELU: return "relu"
    default: throw SNNError(.invalidArgument, "\(fn): nonlinearity must be SNN_RNN_TANH (0) or SNN_RNN_RELU (1), got \(n.rawValue)")
    }
}

private func optionalTensor(_ h: OpaquePointer?, _ fn: String, _ arg: String) throws -> Tensor? {
    h == nil ? nil : try tensorArg(h, fn, arg)
}

@c @implementation
public func snn_rnn_options_init(_ opts: UnsafeMutablePointer<snn_rnn_options>?) -> snn_status {
    boundary { fn in
        try outPointer(opts, fn, "opts").pointee = snn_rnn_options(
            struct_size: MemoryLayout<snn_rnn_options>.stride, input_size: 0, hidden_size: 0, num_layers: 1, bias: true,
            batch_first: false, bidirectional: false, training: false, dropout: 0, nonlinearity: Int32(SNN_RNN_TANH.rawValue))
    }
}

// MARK: - Modules

private func rnnModuleExport(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ opts: UnsafePointer<snn_rnn_options>?, caller: String = #function,
                             _ make: (snn_rnn_options) throws -> Module) -> snn_status {
    boundary(caller: caller) { fn in
        let o = try outHandle(out, fn)
        o.pointee = Registry.shared.insert(try make(try rnnOptionsArg(opts, fn)))
    }
}

@c @implementation
public func snn_module_rnn(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ opts: UnsafePointer<snn_rnn_options>?) -> snn_status {
    rnnModuleExport(out, opts) { o in
        try RNN(inputSize: Int(o.input_size), hiddenSize: Int(o.hidden_size), numLayers: Int(o.num_layers),
                nonlinearity: o.nonlinearity == Int32(SNN_RNN_RELU.rawValue) ? "relu" : "tanh", bias: o.bias,
                batchFirst: o.batch_first, dropout: Double(o.dropout), bidirectional: o.bidirectional)
    }
}

@c @implementation
public func snn_module_lstm(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ opts: UnsafePointer<snn_rnn_options>?) -> snn_status {
    rnnModuleExport(out, opts) { o in
        try LSTM(inputSize: Int(o.input_size), hiddenSize: Int(o.hidden_size), numLayers: Int(o.num_layers), bias: o.bias,
                 batchFirst: o.batch_first, dropout: Double(o.dropout), bidirectional: o.bidirectional)
    }
}

@c @implementation
public func snn_module_gru(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ opts: UnsafePointer<snn_rnn_options>?) -> snn_status {
    rnnModuleExport(out, opts) { o in
        try GRU(inputSize: Int(o.input_size), hiddenSize: Int(o.hidden_size), numLayers: Int(o.num_layers), bias: o.bias,
                batchFirst: o.batch_first, dropout: Double(o.dropout), bidirectional: o.bidirectional)
    }
}

/// Sizes of a cell constructor: >= 1 and within BLAS's 32-bit range.
private func cellSizes(_ i: Int64, _ h: Int64, _ fn: String) throws -> (Int, Int) {
    guard i >= 1, h >= 1, i <= Int64(Int32.max), h <= Int64(Int32.max) else {
        throw SNNError(.invalidArgument, "\(fn): input_size and hidden_size must be >= 1 (got \(i), \(h))")
    }
    return (Int(i), Int(h))
}

@c @implementation
public func snn_module_rnn_cell(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ inputSize: Int64, _ hiddenSize: Int64, _ bias: Bool,
                                _ nonlinearity: snn_rnn_nonlinearity) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let (i, h) = try cellSizes(inputSize, hiddenSize, fn)
        o.pointee = Registry.shared.insert(try RNNCell(inputSize: i, hiddenSize: h, bias: bias, nonlinearity: try nonlinearityArg(nonlinearity, fn)))
    }
}

@c @implementation
public func snn_module_lstm_cell(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ inputSize: Int64, _ hiddenSize: Int64, _ bias: Bool) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let (i, h) = try cellSizes(inputSize, hiddenSize, fn)
        o.pointee = Registry.shared.insert(try LSTMCell(inputSize: i, hiddenSize: h, bias: bias))
    }
}

@c @implementation
public func snn_module_gru_cell(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ inputSize: Int64, _ hiddenSize: Int64, _ bias: Bool) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let (i, h) = try cellSizes(inputSize, hiddenSize, fn)
        o.pointee = Registry.shared.insert(try GRUCell(inputSize: i, hiddenSize: h, bias: bias))
    }
}

@c @implementation
public func snn_module_embedding(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ numEmbeddings: Int64, _ embeddingDim: Int64,
                                 _ paddingIdx: Int64) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        guard numEmbeddings >= 1, embeddingDim >= 1, numEmbeddings <= 1 << 40, embeddingDim <= 1 << 40 else {
            throw SNNError(.invalidArgument, "\(fn): num_embeddings and embedding_dim must be >= 1 (got \(numEmbeddings), \(embeddingDim))")
        }
        guard paddingIdx == -1 || (paddingIdx >= 0 && paddingIdx < numEmbeddings) else {
            throw SNNError(.outOfRange, "\(fn): padding_idx \(paddingIdx) is out of range for \(numEmbeddings) embeddings (expected 0..<\(numEmbeddings), or -1 for none)")
        }
        o.pointee = Registry.shared.insert(try Embedding(numEmbeddings: Int(numEmbeddings), embeddingDim: Int(embeddingDim),
                                                         paddingIdx: paddingIdx == -1 ? nil : Int(paddingIdx)))
    }
}

// MARK: - Functional

/// Shared body of snn_tensor_rnn/lstm/gru: validates the C side, runs `recurrent`, hands out
/// the results.
private func recurrentExport(_ mode: (snn_rnn_options) -> RecurrentMode, _ outs: [UnsafeMutablePointer<OpaquePointer?>?],
                             _ input: OpaquePointer?, _ h0: OpaquePointer?, _ c0: OpaquePointer?,
                             _ weights: UnsafePointer<OpaquePointer?>?, _ nWeights: Int, _ lengths: OpaquePointer?,
                             _ opts: UnsafePointer<snn_rnn_options>?, caller: String = #function) -> snn_status {
    boundary(caller: caller) { fn in
        let names = ["out_output", "out_h_n", "out_c_n"]
        let o = try outs.enumerated().map { try outHandle($1, fn, names[$0]) }
        let options = try rnnOptionsArg(opts, fn)
        let x = try tensorArg(input, fn, "input")
        let ws = try tensorsArg(weights, nWeights, fn, "weights")
        if let i = x.shape.last, i != Int(options.input_size) {
            throw SNNError(.shapeMismatch, "\(fn): input has shape \(x.shape) (input_size \(i)), but opts->input_size is \(options.input_size)")
        }
        if ws.count > 1, ws[1].rank == 2, ws[1].shape[1] != Int(options.hidden_size) {
            throw SNNError(.shapeMismatch, "\(fn): w_hh has shape \(ws[1].shape) (hidden_size \(ws[1].shape[1])), but opts->hidden_size is \(options.hidden_size)")
        }
        let results = try recurrent(mode(options), input: x, h0: try optionalTensor(h0, fn, "h0"), c0: try optionalTensor(c0, fn, "c0"),
                                    weights: ws, lengths: try optionalTensor(lengths, fn, "lengths"),
                                    options: RecurrentOptions(numLayers: Int(options.num_layers), hasBiases: options.bias,
                                                              batchFirst: options.batch_first, bidirectional: options.bidirectional,
                                                              dropout: Double(options.dropout), training: options.training))
        for (slot, t) in zip(o, results) { give(t, slot) }
    }
}

@c @implementation
public func snn_tensor_rnn(_ outOutput: UnsafeMutablePointer<OpaquePointer?>?, _ outHN: UnsafeMutablePointer<OpaquePointer?>?,
                           _ input: OpaquePointer?, _ h0: OpaquePointer?, _ weights: UnsafePointer<OpaquePointer?>?, _ nWeights: Int,
                           _ lengths: OpaquePointer?, _ opts: UnsafePointer<snn_rnn_options>?) -> snn_status {
    recurrentExport({ $0.nonlinearity == Int32(SNN_RNN_RELU.rawValue) ? .rnnRelu : .rnnTanh }, [outOutput, outHN],
                    input, h0, nil, weights, nWeights, lengths, opts)
}

@c @implementation
public func snn_tensor_lstm(_ outOutput: UnsafeMutablePointer<OpaquePointer?>?, _ outHN: UnsafeMutablePointer<OpaquePointer?>?,
                            _ outCN: UnsafeMutablePointer<OpaquePointer?>?, _ input: OpaquePointer?, _ h0: OpaquePointer?,
                            _ c0: OpaquePointer?, _ weights: UnsafePointer<OpaquePointer?>?, _ nWeights: Int,
                            _ lengths: OpaquePointer?, _ opts: UnsafePointer<snn_rnn_options>?) -> snn_status {
    recurrentExport({ _ in .lstm }, [outOutput, outHN, outCN], input, h0, c0, weights, nWeights, lengths, opts)
}

@c @implementation
public func snn_tensor_gru(_ outOutput: UnsafeMutablePointer<OpaquePointer?>?, _ outHN: UnsafeMutablePointer<OpaquePointer?>?,
                           _ input: OpaquePointer?, _ h0: OpaquePointer?, _ weights: UnsafePointer<OpaquePointer?>?, _ nWeights: Int,
                           _ lengths: OpaquePointer?, _ opts: UnsafePointer<snn_rnn_options>?) -> snn_status {
    recurrentExport({ _ in .gru }, [outOutput, outHN], input, h0, nil, weights, nWeights, lengths, opts)
}

/// Shared body of the cell exports.
private func cellExport(_ mode: (_ fn: String) throws -> RecurrentMode, _ outs: [UnsafeMutablePointer<OpaquePointer?>?], _ input: OpaquePointer?,
                        _ h: OpaquePointer?, _ c: OpaquePointer?, _ wIH: OpaquePointer?, _ wHH: OpaquePointer?,
                        _ bIH: OpaquePointer?, _ bHH: OpaquePointer?, caller: String = #function) -> snn_status {
    boundary(caller: caller) { fn in
        let names = ["out_h", "out_c"]
        let o = try outs.enumerated().map { try outHandle($1, fn, names[$0]) }
        let results = try recurrentCell(try mode(fn), input: try tensorArg(input, fn, "input"), h: try optionalTensor(h, fn, "h"),
                                        c: try optionalTensor(c, fn, "c"), wIH: try tensorArg(wIH, fn, "w_ih"),
                                        wHH: try tensorArg(wHH, fn, "w_hh"), bIH: try optionalTensor(bIH, fn, "b_ih"),
                                        bHH: try optionalTensor(bHH, fn, "b_hh"))
        for (slot, t) in zip(o, results) { give(t, slot) }
    }
}

@c @implementation
public func snn_tensor_rnn_cell(_ outH: UnsafeMutablePointer<OpaquePointer?>?, _ input: OpaquePointer?, _ h: OpaquePointer?,
                                _ wIH: OpaquePointer?, _ wHH: OpaquePointer?, _ bIH: OpaquePointer?, _ bHH: OpaquePointer?,
                                _ nonlinearity: snn_rnn_nonlinearity) -> snn_status {
    cellExport({ fn in try nonlinearityArg(nonlinearity, fn) == "relu" ? .rnnRelu : .rnnTanh }, [outH], input, h, nil,
               wIH, wHH, bIH, bHH)
}

@c @implementation
public func snn_tensor_lstm_cell(_ outH: UnsafeMutablePointer<OpaquePointer?>?, _ outC: UnsafeMutablePointer<OpaquePointer?>?,
                                 _ input: OpaquePointer?, _ h: OpaquePointer?, _ c: OpaquePointer?, _ wIH: OpaquePointer?,
                                 _ wHH: OpaquePointer?, _ bIH: OpaquePointer?, _ bHH: OpaquePointer?) -> snn_status {
    cellExport({ _ in .lstm }, [outH, outC], input, h, c, wIH, wHH, bIH, bHH)
}

@c @implementation
public func snn_tensor_gru_cell(_ outH: UnsafeMutablePointer<OpaquePointer?>?, _ input: OpaquePointer?, _ h: OpaquePointer?,
                                _ wIH: OpaquePointer?, _ wHH: OpaquePointer?, _ bIH: OpaquePointer?, _ bHH: OpaquePointer?) -> snn_status {
    cellExport({ _ in .gru }, [outH], input, h, nil, wIH, wHH, bIH, bHH)
}

@c @implementation
public func snn_tensor_embedding(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ indices: OpaquePointer?, _ weight: OpaquePointer?,
                                 _ paddingIdx: Int64) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        guard paddingIdx >= -1 else {
            throw SNNError(.outOfRange, "\(fn): padding_idx \(paddingIdx) is negative (a row index, or -1 for none)")
        }
        give(try embedding(try tensorArg(indices, fn, "indices"), try tensorArg(weight, fn, "weight"), paddingIdx: paddingIdx == -1 ? nil : Int(paddingIdx)), o)
    }
}
