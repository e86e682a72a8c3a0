// Embedding(num_embeddings, embedding_dim, padding_idx): a lookup table of vectors indexed by
// int64 tokens, N(0, 1) initialised with the padding row zeroed, as PyTorch's nn.Embedding.

public final class Embedding: Module {
    public let numEmbeddings: Int
    public let embeddingDim: Int
    /// The row that stays zero-gradient (normalised to 0..<numEmbeddings), or nil.
    public let paddingIdx: Int?
    public let weight: Tensor

    /// A negative `paddingIdx` counts from the end, as in PyTorch.
    public init(numEmbeddings: Int, embeddingDim: Int, paddingIdx: Int? = nil) throws {
        guard numEmbeddings >= 1, embeddingDim >= 1 else {
            throw SNNError.invalid("Embedding: num_embeddings and embedding_dim must be >= 1 (got \(numEmbeddings), \(embeddingDim))")
        }
        if let p = paddingIdx, p < -numEmbeddings || p >= numEmbeddings {
            throw SNNError.range("Embedding: padding_idx \(p) is out of range for \(numEmbeddings) embeddings (expected \(-numEmbeddings)..<\(numEmbeddings))")
        }
        self.numEmbeddings = numEmbeddings
        self.embeddingDim = embeddingDim
        self.paddingIdx = paddingIdx.map { $0 < 0 ? $0 + numEmbeddings : $0 }
        let w = try Tensor.randn([numEmbeddings, embeddingDim])
        if let p = self.paddingIdx { (w.floats + p * embeddingDim).update(repeating: 0, count: embeddingDim) }
        weight = w
        super.init()
        try registerParameter("weight", w)
    }

    public override var typeName: String { "Embedding" }

    /// indices int64 [...] -> [..., embedding_dim].
    public override func forward(_ input: Tensor) throws -> Tensor {
        try embedding(input, weight, paddingIdx: paddingIdx)
    }

    public override var config: [(String, JSON)] {
        [("num_embeddings", .int(numEmbeddings)), ("embedding_dim", .int(embeddingDim)),
         ("padding_idx", paddingIdx.map { .int($0) } ?? .null)]
    }

    static let build: ModuleRegistry.Builder = { json in
        let r = ConfigReader(json, "Embedding")
        let pad: Int? = json["padding_idx"] == nil || json["padding_idx"] == .null ? nil : try r.int("padding_idx")
        return try Embedding(numEmbeddings: try r.int("num_embeddings"), embeddingDim: try r.int("embedding_dim"), paddingIdx: pad)
    }
}
