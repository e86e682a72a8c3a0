// CharRNN: a byte-level language model, Embedding -> LSTM (L layers) -> Linear over the
// vocabulary: its vocabulary, encoding, forward and checkpoint builder. Training and
// evaluation live in CharRNN+Train.swift, the fused sampler in CharRNN+Sample.swift.

public final class CharRNN: Module {
    /// The byte each class index stands for (distinct).
    public let vocab: [UInt8]
    public let embeddingDim: Int, hiddenSize: Int, numLayers: Int
    let embed: Embedding
    let lstm: LSTM
    let head: Linear
    /// byte -> class index, -1 for bytes outside the vocabulary.
    private var index = [Int](repeating: -1, count: 256)
    /// Training state kept across `fit` calls: the optimizer (created on first use). Stored
    /// here because extensions (CharRNN+Train.swift) cannot add stored properties.
    var trainingOptimizer: Adam?

    public init(vocab: [UInt8], embeddingDim: Int, hiddenSize: Int, numLayers: Int) throws {
        let fn = "CharRNN"
        guard !vocab.isEmpty, vocab.count <= 256 else {
            throw SNNError.invalid("\(fn): the vocabulary must have 1 to 256 distinct bytes, got \(vocab.count)")
        }
        guard embeddingDim >= 1, embeddingDim <= 1 << 16, hiddenSize >= 1, hiddenSize <= 1 << 14,
              numLayers >= 1, numLayers <= 64 else {
            throw SNNError.invalid("\(fn): embedding_dim (\(embeddingDim)), hidden_size (\(hiddenSize)) and num_layers (\(numLayers)) must be >= 1 (and at most 65536, 16384, 64)")
        }
        for (i, b) in vocab.enumerated() {
            guard index[Int(b)] < 0 else { throw SNNError.invalid("\(fn): byte \(b) appears twice in the vocabulary") }
            index[Int(b)] = i
        }
        self.vocab = vocab
        self.embeddingDim = embeddingDim
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        embed = try Embedding(numEmbeddings: vocab.count, embeddingDim: embeddingDim)
        lstm = try LSTM(inputSize: embeddingDim, hiddenSize: hiddenSize, numLayers: numLayers)
        head = try Linear(inFeatures: hiddenSize, outFeatures: vocab.count)
        super.init()
        registerChild("embed", embed)
        registerChild("lstm", lstm)
        registerChild("head", head)
    }

    /// The longest text `fit`, `bitsPerCharacter` and `sample` accept.
    public static let maxTextLength = 1 << 31

    /// The distinct bytes of `text`, sorted: a vocabulary for it.
    public static func vocabulary(of text: UnsafeRawBufferPointer) -> [UInt8] {
        var seen = [Bool](repeating: false, count: 256)
        for b in text { seen[Int(b)] = true }
        return (0..<256).filter { seen[$0] }.map { UInt8($0) }
    }

    /// Class indices of `text`; a byte outside the vocabulary is an error naming its offset.
    public func encode(_ text: UnsafeRawBufferPointer, _ fn: String) throws -> [UInt8] {
        guard text.count <= CharRNN.maxTextLength else {
            throw SNNError.invalid("\(fn): the text has \(text.count) bytes; at most \(CharRNN.maxTextLength) (2 GiB) are supported")
        }
        var out = [UInt8](repeating: 0, count: text.count)
        for (i, b) in text.enumerated() {
            let k = index[Int(b)]
            guard k >= 0 else {
                throw SNNError.range("\(fn): byte \(b) at offset \(i) is not in the model's vocabulary of \(vocab.count) characters")
            }
            out[i] = UInt8(truncatingIfNeeded: k)
        }
        return out
    }

    public override var typeName: String { "CharRNN" }
    public override var config: [(String, JSON)] {
        [("vocab", .ints(vocab.map { Int($0) })), ("embedding_dim", .int(embeddingDim)),
         ("hidden_size", .int(hiddenSize)), ("num_layers", .int(numLayers))]
    }

    static let build: ModuleRegistry.Builder = { json in
        let r = ConfigReader(json, "CharRNN")
        let v = try r.ints("vocab")
        guard v.allSatisfy({ $0 >= 0 && $0 < 256 }) else { throw SNNError(.format, "architecture: CharRNN.vocab has a value outside 0...255") }
        return try CharRNN(vocab: v.map { UInt8($0) }, embeddingDim: try r.int("embedding_dim"),
                           hiddenSize: try r.int("hidden_size"), numLayers: try r.int("num_layers"))
    }

    /// indices int64 [T, B] (+ optional h0, c0) -> [logits [T*B, V], h_n, c_n].
    public override func forward(optional inputs: [Tensor?]) throws -> [Tensor] {
        guard let x = inputs.first ?? nil else { throw SNNError.invalid("CharRNN.forward: expected inputs x [, h0, c0]") }
        guard x.shape.count == 2 else { throw SNNError.shape("CharRNN.forward: x must be int64 [T, B], got shape \(x.shape)") }
        let e = try embed.forward(x)
        let outs = try lstm.forward(optional: [e, inputs.count > 1 ? inputs[1] : nil, inputs.count > 2 ? inputs[2] : nil])
        let flat = try reshape(outs[0], [x.shape[0] * x.shape[1], hiddenSize])
        return [try head.forward(flat), outs[1], outs[2]]
    }
    public override func forward(_ inputs: [Tensor]) throws -> [Tensor] { try forward(optional: inputs.map { $0 }) }
    public override func forward(_ input: Tensor) throws -> Tensor { try forward(optional: [input])[0] }
}
