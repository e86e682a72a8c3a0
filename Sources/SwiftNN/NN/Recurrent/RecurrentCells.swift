// Single-step cells: RNNCell, LSTMCell, GRUCell (PyTorch's names: weight_ih [G*H, I],
// weight_hh [G*H, H], bias_ih, bias_hh). One call is one fused step of the recurrent layer.

public class RNNCellBase: Module {
    public let mode: RecurrentMode
    public let inputSize: Int
    public let hiddenSize: Int
    public let bias: Bool

    init(mode: RecurrentMode, inputSize: Int, hiddenSize: Int, bias: Bool, typeName: String) throws {
        guard inputSize >= 1, hiddenSize >= 1 else {
            throw SNNError.invalid("\(typeName): input_size and hidden_size must be >= 1 (got \(inputSize), \(hiddenSize))")
        }
        self.mode = mode
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.bias = bias
        super.init()
        let GH = mode.gateCount * hiddenSize
        try registerParameter("weight_ih", try uniformInit([GH, inputSize], hiddenSize))
        try registerParameter("weight_hh", try uniformInit([GH, hiddenSize], hiddenSize))
        if bias {
            try registerParameter("bias_ih", try uniformInit([GH], hiddenSize))
            try registerParameter("bias_hh", try uniformInit([GH], hiddenSize))
        }
    }

    /// Inputs `x [, h [, c (LSTM)]]` (absent ones nil: zeros). Returns `[h']` or `[h', c']`.
    public override func forward(optional inputs: [Tensor?]) throws -> [Tensor] {
        let states = mode == .lstm ? 2 : 1
        guard inputs.count >= 1, inputs.count <= states + 1, let x = inputs[0] else {
            throw SNNError.invalid("\(typeName).forward: expected inputs x\(mode == .lstm ? " [, h [, c]]" : " [, h]") with x present, got \(inputs.count) input(s)")
        }
        let p = ownParameters.map(\.tensor)
        return try recurrentCell(mode, input: x, h: inputs.count > 1 ? inputs[1] : nil, c: inputs.count > 2 ? inputs[2] : nil,
                                 wIH: p[0], wHH: p[1], bIH: bias ? p[2] : nil, bHH: bias ? p[3] : nil)
    }

    public override func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        try forward(optional: inputs.map { $0 })
    }

    /// The new hidden state alone.
    public override func forward(_ input: Tensor) throws -> Tensor {
        try forward(optional: [input])[0]
    }

    public override var config: [(String, JSON)] {
        [("input_size", .int(inputSize)), ("hidden_size", .int(hiddenSize)), ("bias", .bool(bias))]
    }
}

/// h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act tanh or relu.
public final class RNNCell: RNNCellBase {
    public let nonlinearity: String

    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true, nonlinearity: String = "tanh") throws {
        guard nonlinearity == "tanh" || nonlinearity == "relu" else {
            throw SNNError.invalid("RNNCell: nonlinearity must be \"tanh\" or \"relu\", got \"\(nonlinearity)\"")
        }
        self.nonlinearity = nonlinearity
        try super.init(mode: nonlinearity == "relu" ? .rnnRelu : .rnnTanh, inputSize: inputSize, hiddenSize: hiddenSize,
                       bias: bias, typeName: "RNNCell")
    }

    public override var typeName: String { "RNNCell" }
    public override var config: [(String, JSON)] { super.config + [("nonlinearity", .string(nonlinearity))] }

    static let build: ModuleRegistry.Builder = { json in
        let r = ConfigReader(json, "RNNCell")
        return try RNNCell(inputSize: try r.int("input_size"), hiddenSize: try r.int("hidden_size"),
                           bias: try r.bool("bias", true), nonlinearity: try r.string("nonlinearity", "tanh"))
    }
}

/// One LSTM step: (h', c') from x and (h, c).
public final class LSTMCell: RNNCellBase {
    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true) throws {
        try super.init(mode: .lstm, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, typeName: "LSTMCell")
    }

    public override var typeName: String { "LSTMCell" }

    static let build: ModuleRegistry.Builder = { json in
        let r = ConfigReader(json, "LSTMCell")
        return try LSTMCell(inputSize: try r.int("input_size"), hiddenSize: try r.int("hidden_size"), bias: try r.bool("bias", true))
    }
}

/// One GRU step: h' from x and h.
public final class GRUCell: RNNCellBase {
    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true) throws {
        try super.init(mode: .gru, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, typeName: "GRUCell")
    }

    public override var typeName: String { "GRUCell" }

    static let build: ModuleRegistry.Builder = { json in
        let r = ConfigReader(json, "GRUCell")
        return try GRUCell(inputSize: try r.int("input_size"), hiddenSize: try r.int("hidden_size"), bias: try r.bool("bias", true))
    }
}
