// RNNBase: what RNN, LSTM and GRU share (PyTorch's nn.RNNBase): per-layer, per-direction
// parameters under PyTorch's names and order, U(-1/sqrt(H), 1/sqrt(H)) initialisation, the
// forward through the functional `recurrent`, and the config checkpoints rebuild from.

public class RNNBase: Module {
    public let mode: RecurrentMode
    public let inputSize: Int
    public let hiddenSize: Int
    public let numLayers: Int
    public let bias: Bool
    public let batchFirst: Bool
    public let dropout: Double
    public let bidirectional: Bool

    init(mode: RecurrentMode, inputSize: Int, hiddenSize: Int, numLayers: Int, bias: Bool, batchFirst: Bool,
         dropout: Double, bidirectional: Bool, typeName: String) throws {
        guard inputSize >= 1, hiddenSize >= 1, numLayers >= 1, numLayers <= 1 << 16 else {
            throw SNNError.invalid("\(typeName): input_size, hidden_size and num_layers must be >= 1 (got \(inputSize), \(hiddenSize), \(numLayers))")
        }
        guard dropout >= 0, dropout <= 1 else {
            throw SNNError.invalid("\(typeName): dropout must be in [0, 1], got \(dropout)")
        }
        self.mode = mode
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.bias = bias
        self.batchFirst = batchFirst
        self.dropout = dropout
        self.bidirectional = bidirectional
        super.init()
        let G = mode.gateCount, D = bidirectional ? 2 : 1
        for l in 0..<numLayers {
            for d in 0..<D {
                let suffix = "_l\(l)" + (d == 1 ? "_reverse" : "")
                let inSize = l == 0 ? inputSize : D * hiddenSize
                try registerParameter("weight_ih" + suffix, try uniformInit([G * hiddenSize, inSize], hiddenSize))
                try registerParameter("weight_hh" + suffix, try uniformInit([G * hiddenSize, hiddenSize], hiddenSize))
                if bias {
                    try registerParameter("bias_ih" + suffix, try uniformInit([G * hiddenSize], hiddenSize))
                    try registerParameter("bias_hh" + suffix, try uniformInit([G * hiddenSize], hiddenSize))
                }
            }
        }
    }

    /// The parameters in PyTorch's flat-weights order (the `weights` of `recurrent`).
    public var flatWeights: [Tensor] { ownParameters.map(\.tensor) }

    var options: RecurrentOptions {
        RecurrentOptions(numLayers: numLayers, hasBiases: bias, batchFirst: batchFirst, bidirectional: bidirectional,
                         dropout: dropout, training: training)
    }

    /// Inputs `x [, h0 [, c0 (LSTM)]] [, lengths]`; absent ones nil, trailing ones may be left
    /// out, and an int64 tensor in the last place is always `lengths`. Returns
    /// `[output, h_n]` (+ `c_n` for LSTM).
    public override func forward(optional inputs: [Tensor?]) throws -> [Tensor] {
        let states = mode == .lstm ? 2 : 1
        var xs = inputs
        var lengths: Tensor? = nil
        if xs.count > 1, let last = xs[xs.count - 1], last.dtype == .int64 {
            lengths = last
            xs.removeLast()
        } else if xs.count == states + 2 {
            xs.removeLast()  // an absent (nil) lengths slot
            if let l = inputs.last ?? nil {
                throw SNNError.dtype("\(typeName).forward: input \(states + 1) (lengths) has dtype \(l.dtype.name), expected int64")
            }
        }
        guard xs.count >= 1, xs.count <= states + 1, let x = xs[0] else {
            throw SNNError.invalid("\(typeName).forward: expected inputs x\(mode == .lstm ? " [, h0 [, c0]]" : " [, h0]") [, lengths] with x present, got \(inputs.count) input(s)")
        }
        let h0 = xs.count > 1 ? xs[1] : nil
        let c0 = xs.count > 2 ? xs[2] : nil
        return try recurrent(mode, input: x, h0: h0, c0: c0, weights: flatWeights, lengths: lengths, options: options)
    }

    public override func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        try forward(optional: inputs.map { $0 })
    }

    /// The output sequence alone (what a Sequential passes on).
    public override func forward(_ input: Tensor) throws -> Tensor {
        try forward(optional: [input])[0]
    }

    public override var config: [(String, JSON)] {
        [("input_size", .int(inputSize)), ("hidden_size", .int(hiddenSize)), ("num_layers", .int(numLayers)),
         ("bias", .bool(bias)), ("batch_first", .bool(batchFirst)), ("dropout", .number(dropout)),
         ("bidirectional", .bool(bidirectional))]
    }
}

/// U(-1/sqrt(hidden), 1/sqrt(hidden)) from the global generator, PyTorch's recurrent default.
func uniformInit(_ shape: [Int], _ hidden: Int) throws -> Tensor {
    let t = try Tensor.rand(shape)
    let k = Float(1 / Double(hidden).squareRoot())
    for i in 0..<t.count { t.floats[i] = (2 * t.floats[i] - 1) * k }
    return t
}

/// The shared constructor arguments read back from a checkpoint's config.
struct RNNConfig {
    let inputSize, hiddenSize, numLayers: Int
    let bias, batchFirst, bidirectional: Bool
    let dropout: Double

    init(_ json: JSON, _ type: String) throws {
        let r = ConfigReader(json, type)
        inputSize = try r.int("input_size")
        hiddenSize = try r.int("hidden_size")
        numLayers = try r.int("num_layers", 1)
        bias = try r.bool("bias", true)
        batchFirst = try r.bool("batch_first", false)
        dropout = try r.double("dropout", 0)
        bidirectional = try r.bool("bidirectional", false)
    }
}
