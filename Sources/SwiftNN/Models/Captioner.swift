// ImageCaptioner: a small CNN encoder whose image features initialise the decoder LSTM's
// (h0, c0) (the lecture's "Combining RNNs and CNNs"), and an Embedding + LSTM + Linear decoder
// over a caption vocabulary, trained with teacher forcing and cross-entropy that ignores padding.

/// A CNN-encoder / LSTM-decoder image captioner. Token ids 0...3 are `<pad>`, `<bos>`, `<eos>`,
/// `<unk>`; the vocabulary (in the config, so in a checkpoint's metadata) follows them.
public final class ImageCaptioner: Module {
    public static let pad = 0, bos = 1, eos = 2, unk = 3
    public static let specials = ["<pad>", "<bos>", "<eos>", "<unk>"]

    public let inChannels: Int, embedDim: Int, hiddenSize: Int, baseChannels: Int, convBlocks: Int
    /// The training preprocessing, kept with the weights so a host that reads an image file
    /// (values in [0, 1]) can normalise it the same way: x = (x01 - pixelMean) / pixelStd.
    public let pixelMean: Double, pixelStd: Double
    /// The training image size, 0 when unknown; `captionImage` refuses other sizes.
    public let imageHeight: Int, imageWidth: Int
    /// The encoder averages its last feature map over a featureGrid x featureGrid grid (not to
    /// one value per channel), so the features still say where things are: "a 3 to the left
    /// of a 7" needs that. Checkpoints from before this setting used 1.
    public let featureGrid: Int
    /// Every token, specials first: `vocabulary[id]`.
    public let vocabulary: [String]
    let ids: [String: Int]
    let encoder: Sequential
    let initH: Linear, initC: Linear
    let embed: Embedding
    let lstm: LSTM
    let out: Linear

    /// `words`: the caption words (the specials are prepended unless `words` already starts
    /// with them). Words must be non-empty, without spaces, and distinct.
    public init(words: [String], inChannels: Int = 3, embedDim: Int = 64, hiddenSize: Int = 256,
                baseChannels: Int = 32, convBlocks: Int = 3, pixelMean: Double = 0, pixelStd: Double = 1,
                imageHeight: Int = 0, imageWidth: Int = 0, featureGrid: Int = 2) throws {
        let fn = "ImageCaptioner"
        // conv_blocks 0: the input is already a feature map (a pretrained CNN's, e.g. cached
        // MobileNetV2 features [B, 1280, h, w]), so in_channels may be that wide.
        let maxChannels = convBlocks == 0 ? 4096 : 64
        guard (1...maxChannels).contains(inChannels), (1...4096).contains(embedDim), (1...4096).contains(hiddenSize),
              (1...512).contains(baseChannels), (0...6).contains(convBlocks) else {
            throw SNNError.invalid("\(fn): in_channels \(inChannels) (1...64; 1...4096 with conv_blocks 0), embed_dim \(embedDim) (1...4096), hidden_size \(hiddenSize) (1...4096), base_channels \(baseChannels) (1...512) or conv_blocks \(convBlocks) (0...6) out of range")
        }
        guard pixelMean.isFinite, pixelStd.isFinite, pixelStd > 0 else {
            throw SNNError.invalid("\(fn): pixel_mean \(pixelMean) must be finite and pixel_std \(pixelStd) finite and > 0")
        }
        guard (0...1_000_000).contains(imageHeight), (0...1_000_000).contains(imageWidth), (imageHeight == 0) == (imageWidth == 0) else {
            throw SNNError.invalid("\(fn): image_height \(imageHeight) and image_width \(imageWidth) must both be 0 (unknown) or both 1...1000000")
        }
        guard (1...8).contains(featureGrid) else {
            throw SNNError.invalid("\(fn): feature_grid \(featureGrid) out of range (1...8)")
        }
        let vocab = Array(words.prefix(4)) == ImageCaptioner.specials ? words : ImageCaptioner.specials + words
        guard vocab.count <= 1_000_000 else { throw SNNError.invalid("\(fn): vocabulary has \(vocab.count) tokens, at most 1000000") }
        var ids: [String: Int] = [:]
        for (i, w) in vocab.enumerated() {
            guard !w.isEmpty, !w.utf8.contains(where: { $0 == 32 || $0 == 10 || $0 == 9 || $0 == 13 }) else {
                throw SNNError.invalid("\(fn): vocabulary word \(i) '\(w)' is empty or contains whitespace")
            }
            guard ids[w] == nil else { throw SNNError.invalid("\(fn): vocabulary word '\(w)' appears twice") }
            ids[w] = i
        }
        self.inChannels = inChannels; self.embedDim = embedDim; self.hiddenSize = hiddenSize
        self.baseChannels = baseChannels; self.convBlocks = convBlocks
        self.pixelMean = pixelMean; self.pixelStd = pixelStd
        self.imageHeight = imageHeight; self.imageWidth = imageWidth
        self.featureGrid = featureGrid
        vocabulary = vocab
        self.ids = ids
        var layers: [Module] = []
        var c = inChannels
        for b in 0..<convBlocks {
            let o = baseChannels << b
            layers += [try Conv2d(inChannels: c, outChannels: o, kernelSize: (3, 3), padding: (1, 1)),
                       try BatchNorm(numFeatures: o, spatialDims: 2), ReLU(), MaxPool2d(kernelSize: (2, 2))]
            c = o
        }
        layers += [AdaptiveAvgPool2d(outputSize: (featureGrid, featureGrid)), Flatten(startDim: 1, endDim: -1),
                   try Linear(inFeatures: c * featureGrid * featureGrid, outFeatures: hiddenSize), ReLU()]
        encoder = Sequential(layers)
        initH = try Linear(inFeatures: hiddenSize, outFeatures: hiddenSize)
        initC = try Linear(inFeatures: hiddenSize, outFeatures: hiddenSize)
        embed = try Embedding(numEmbeddings: vocab.count, embeddingDim: embedDim, paddingIdx: ImageCaptioner.pad)
        lstm = try LSTM(inputSize: embedDim, hiddenSize: hiddenSize, batchFirst: true)
        out = try Linear(inFeatures: hiddenSize, outFeatures: vocab.count)
        super.init()
        registerChild("encoder", encoder)
        registerChild("init_h", initH)
        registerChild("init_c", initC)
        registerChild("embed", embed)
        registerChild("lstm", lstm)
        registerChild("out", out)
    }

    public override var typeName: String { "ImageCaptioner" }
    public override var config: [(String, JSON)] {
        [("in_channels", .int(inChannels)), ("embed_dim", .int(embedDim)), ("hidden_size", .int(hiddenSize)),
         ("base_channels", .int(baseChannels)), ("conv_blocks", .int(convBlocks)),
         ("pixel_mean", .number(pixelMean)), ("pixel_std", .number(pixelStd)),
         ("image_height", .int(imageHeight)), ("image_width", .int(imageWidth)),
         ("feature_grid", .int(featureGrid)),
         ("vocab", .array(vocabulary.map { .string($0) }))]
    }

    static let build: ModuleRegistry.Builder = { json in
        let r = ConfigReader(json, "ImageCaptioner")
        guard let v = json["vocab"]?.array else { throw SNNError(.format, "architecture: ImageCaptioner.vocab is missing or not a list") }
        let words = try v.map { w in
            guard let s = w.string else { throw SNNError(.format, "architecture: ImageCaptioner.vocab has a non-string entry") }
            return s
        }
        return try ImageCaptioner(words: words, inChannels: try r.int("in_channels"), embedDim: try r.int("embed_dim"),
                                  hiddenSize: try r.int("hidden_size"), baseChannels: try r.int("base_channels"),
                                  convBlocks: try r.int("conv_blocks"),
                                  // Checkpoints from before these fields get the defaults: no normalisation, size unknown.
                                  pixelMean: try r.double("pixel_mean", 0), pixelStd: try r.double("pixel_std", 1),
                                  imageHeight: try r.int("image_height", 0), imageWidth: try r.int("image_width", 0),
                                  featureGrid: try r.int("feature_grid", 1))
    }

    // MARK: Text

    /// Token ids of a caption's words (lowercased by the caller; unknown words are `<unk>`),
    /// without `<bos>`/`<eos>`.
    public func encode(_ text: String) -> [Int] {
        text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map { ids[String($0)] ?? ImageCaptioner.unk }
    }

    /// The words of `tokens` joined by spaces; specials are skipped. Throws on an id out of range.
    public func decode(_ tokens: [Int]) throws -> String {
        var words: [String] = []
        for t in tokens {
            guard t >= 0, t < vocabulary.count else {
                throw SNNError.range("ImageCaptioner.decode: token \(t) is out of range for a vocabulary of \(vocabulary.count)")
            }
            if t >= 4 { words.append(vocabulary[t]) }
        }
        return words.joined(separator: " ")
    }

    // MARK: Forward

    func checkImages(_ images: Tensor, _ fn: String) throws {
        try images.requireFloat(fn, "images")
        guard images.rank == 4, images.shape[1] == inChannels, images.shape[0] >= 1 else {
            throw SNNError.shape("\(fn): images have shape \(fmt(images.shape)), expected [B, \(inChannels), H, W] with B >= 1")
        }
        // Each conv block halves H and W; say so here rather than in a max pool's terms.
        let least = 1 << convBlocks
        guard images.shape[2] >= least, images.shape[3] >= least else {
            throw SNNError.shape("\(fn): images are \(images.shape[2]) x \(images.shape[3]) pixels, but \(convBlocks) conv blocks need at least \(least) x \(least)")
        }
    }

    /// The decoder's initial state from the images [B, C, H, W]: h0 = tanh(W_h f + b_h),
    /// c0 = W_c f + b_c with f the encoder's features; each [1, B, hidden].
    public func initialState(_ images: Tensor) throws -> (h0: Tensor, c0: Tensor) {
        try checkImages(images, "ImageCaptioner.initial_state")
        let f = try encoder.forward(images)
        return (try unsqueeze(try tanh(try initH.forward(f)), dim: 0), try unsqueeze(try initC.forward(f), dim: 0))
    }

    /// Teacher-forced logits [B, T, V] for `images` [B, C, H, W] and input tokens [B, T].
    public func logits(_ images: Tensor, _ tokens: Tensor) throws -> Tensor {
        let fn = "ImageCaptioner.forward"
        try checkTokens(tokens, fn, "tokens")
        guard tokens.shape[0] == images.shape.first else {
            throw SNNError.shape("\(fn): images \(fmt(images.shape)) and tokens \(fmt(tokens.shape)) have different batch sizes")
        }
        let (h0, c0) = try initialState(images)
        let y = try lstm.forward(optional: [try embed.forward(tokens), h0, c0])
        return try out.forward(y[0])
    }

    func checkTokens(_ t: Tensor, _ fn: String, _ what: String) throws {
        guard t.dtype == .int64, t.rank == 2, t.shape[1] >= 1 else {
            throw SNNError.shape("\(fn): \(what) must be int64 [B, T] with T >= 1, got \(t.dtype.name) \(fmt(t.shape))")
        }
        let p = t.int64s, v = Int64(vocabulary.count)
        for i in 0..<t.count where p[i] < 0 || p[i] >= v {
            throw SNNError.range("\(fn): \(what) contains token \(p[i]), expected 0..<\(v)")
        }
    }

    /// Mean cross-entropy of next-token prediction with teacher forcing. `captions` [B, L]
    /// hold `<bos> w1 ... wn <eos>` padded with `<pad>` (0), which the loss ignores.
    public func loss(_ images: Tensor, _ captions: Tensor) throws -> Tensor {
        let fn = "ImageCaptioner.loss"
        try checkTokens(captions, fn, "captions")
        guard captions.shape[1] >= 2 else { throw SNNError.shape("\(fn): captions \(fmt(captions.shape)) need at least 2 tokens (<bos> ... <eos>)") }
        let l = captions.shape[1], b = captions.shape[0]
        let inputs = try slice(captions, dim: 1, start: 0, end: l - 1)
        let targets = try slice(captions, dim: 1, start: 1, end: l)
        var any = false
        for i in 0..<targets.count where targets.int64s[i] != Int64(ImageCaptioner.pad) { any = true; break }
        guard any else { throw SNNError.invalid("\(fn): every target token is <pad>; nothing to learn") }
        let z = try logits(images, inputs)
        return try crossEntropy(try reshape(z, [b * (l - 1), vocabulary.count]), try reshape(targets, [b * (l - 1)]),
                                ignoreIndex: ImageCaptioner.pad)
    }

    /// Inputs `[images, tokens]`: the teacher-forced logits [B, T, V].
    public override func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        guard inputs.count == 2 else {
            throw SNNError.invalid("ImageCaptioner.forward: expected 2 inputs (images [B, C, H, W], tokens int64 [B, T]), got \(inputs.count)")
        }
        return [try logits(inputs[0], inputs[1])]
    }

    public override func forward(_ input: Tensor) throws -> Tensor {
        throw SNNError.invalid("ImageCaptioner.forward: expected 2 inputs (images, tokens); use forward_multi, the captioner's loss, or caption()")
    }
}
