// The recurrent layers: RNN (tanh or relu), LSTM and GRU, with PyTorch's constructor arguments,
// parameter names (weight_ih_l0, ..., bias_hh_l1_reverse) and forward results.

/// Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act tanh or relu.
public final class RNN: RNNBase {
    public let nonlinearity: String

    /// `nonlinearity` is "tanh" or "relu".
    public init(inputSize: Int, hiddenSize: Int, numLayers: Int = 1, nonlinearity: String = "tanh", bias: Bool = true,
                batchFirst: Bool = false, dropout: Double = 0, bidirectional: Bool = false) throws {
        guard nonlinearity == "tanh" || nonlinearity == "relu" else {
            throw SNNError.invalid("RNN: nonlinearity must be \"tanh\" or \"relu\", got \"\(nonlinearity)\"")
        }
        self.nonlinearity = nonlinearity
        try super.init(mode: nonlinearity == "relu" ? .rnnRelu : .rnnTanh, inputSize: inputSize, hiddenSize: hiddenSize,
                       numLayers: numLayers, bias: bias, batchFirst: batchFirst, dropout: dropout,
                       bidirectional: bidirectional, typeName: "RNN")
    }

    public override var typeName: String { "RNN" }
    public override var config: [(String, JSON)] { super.config + [("nonlinearity", .string(nonlinearity))] }

    static let build: ModuleRegistry.Builder = { json in
        let c = try RNNConfig(json, "RNN")
        return try RNN(inputSize: c.inputSize, hiddenSize: c.hiddenSize, numLayers: c.numLayers,
                       nonlinearity: try ConfigReader(json, "RNN").string("nonlinearity", "tanh"), bias: c.bias,
                       batchFirst: c.batchFirst, dropout: c.dropout, bidirectional: c.bidirectional)
    }
}

/// Long short-term memory (gate order i, f, g, o). Forward: `[output, h_n, c_n]`.
public final class LSTM: RNNBase {
    public init(inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false,
                dropout: Double = 0, bidirectional: Bool = false) throws {
        try super.init(mode: .lstm, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias,
                       batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional, typeName: "LSTM")
    }

    public override var typeName: String { "LSTM" }

    static let build: ModuleRegistry.Builder = { json in
        let c = try RNNConfig(json, "LSTM")
        return try LSTM(inputSize: c.inputSize, hiddenSize: c.hiddenSize, numLayers: c.numLayers, bias: c.bias,
                        batchFirst: c.batchFirst, dropout: c.dropout, bidirectional: c.bidirectional)
    }
}

/// Gated recurrent unit (gate order r, z, n; n = tanh(W_in x + b_in + r (W_hn h + b_hn))).
public final class GRU: RNNBase {
    public init(inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false,
                dropout: Double = 0, bidirectional: Bool = false) throws {
        try super.init(mode: .gru, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias,
                       batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional, typeName: "GRU")
    }

    public override var typeName: String { "GRU" }

    static let build: ModuleRegistry.Builder = { json in
        let c = try RNNConfig(json, "GRU")
        return try GRU(inputSize: c.inputSize, hiddenSize: c.hiddenSize, numLayers: c.numLayers, bias: c.bias,
                       batchFirst: c.batchFirst, dropout: c.dropout, bidirectional: c.bidirectional)
    }
}
