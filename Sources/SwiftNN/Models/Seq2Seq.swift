// Seq2Seq: an LSTM or GRU encoder-decoder over token ids (Embedding + LSTM/GRU, optionally
// bidirectional, bridged to an Embedding + LSTM/GRU + Linear decoder), optional Luong attention
// (dot or general), and its teacher-forced training loss with padding masked out. Decoding is in
// Seq2SeqDecode.

/// Luong attention score functions, or none.
public enum Seq2SeqAttention: String, Sendable {
    case none, dot, general
}

/// The recurrent cell of both the encoder and the decoder.
public enum Seq2SeqCell: String, Sendable {
    case lstm, gru
}

/// Encoder-decoder for variable-length token sequences. Sources and targets are int64 [B, L]
/// batches whose rows are token ids followed by `padIdx` padding; the target rows hold the
/// tokens alone (the model adds `bosIdx` in front for teacher forcing and `eosIdx` behind).
///
/// Parameter names (PyTorch's): `src_embed.weight`, `encoder.weight_ih_l0[_reverse]`, ...,
/// `tgt_embed.weight`, `decoder.weight_ih_l0`, ..., `attn.weight` (general only),
/// `attn_combine.weight/bias` (with attention), `out.weight/bias`. A bidirectional encoder's
/// final forward and backward states are concatenated per layer, so the decoder's hidden size
/// is `directions * hiddenSize`. The encoder and decoder are both LSTMs or both GRUs (`cell`);
/// a GRU's weights have 3 * hidden rows instead of 4 and its state is h alone.
public final class Seq2Seq: Module {
    public let srcVocab: Int
    public let tgtVocab: Int
    public let embedDim: Int
    public let hiddenSize: Int
    public let numLayers: Int
    public let bidirectional: Bool
    public let attention: Seq2SeqAttention
    public let cell: Seq2SeqCell
    public let padIdx: Int
    public let bosIdx: Int
    public let eosIdx: Int
    /// Optional token strings (index = id), kept in the checkpoint's architecture.
    public var srcTokens: [String] = []
    public var tgtTokens: [String] = []

    let srcEmbed: Embedding
    let encoder: RNNBase
    let tgtEmbed: Embedding
    let decoder: RNNBase
    let attn: Linear?
    let attnCombine: Linear?
    let out: Linear

    /// The decoder's hidden size: `hiddenSize` times the encoder's directions.
    public var decoderHidden: Int { hiddenSize * (bidirectional ? 2 : 1) }

    public init(srcVocab: Int, tgtVocab: Int, embedDim: Int, hiddenSize: Int, numLayers: Int = 1,
                bidirectional: Bool = false, attention: Seq2SeqAttention = .none, cell: Seq2SeqCell = .lstm,
                padIdx: Int = 0, bosIdx: Int = 1, eosIdx: Int = 2) throws {
        let fn = "Seq2Seq"
        guard srcVocab >= 1, tgtVocab >= 3, srcVocab <= 1 << 24, tgtVocab <= 1 << 24 else {
            throw SNNError.invalid("\(fn): src_vocab must be in 1...16777216 and tgt_vocab in 3...16777216 (got \(srcVocab), \(tgtVocab))")
        }
        guard embedDim >= 1, hiddenSize >= 1, numLayers >= 1, embedDim <= 1 << 16, hiddenSize <= 1 << 16, numLayers <= 64 else {
            throw SNNError.invalid("\(fn): embed_dim and hidden_size must be in 1...65536 and num_layers in 1...64 (got \(embedDim), \(hiddenSize), \(numLayers))")
        }
        guard padIdx >= 0, padIdx < min(srcVocab, tgtVocab), bosIdx >= 0, bosIdx < tgtVocab, eosIdx >= 0, eosIdx < tgtVocab,
              padIdx != bosIdx, padIdx != eosIdx, bosIdx != eosIdx else {
            throw SNNError.range("\(fn): pad (\(padIdx)), bos (\(bosIdx)) and eos (\(eosIdx)) must be distinct target ids below tgt_vocab \(tgtVocab), and pad below src_vocab \(srcVocab)")
        }
        self.srcVocab = srcVocab
        self.tgtVocab = tgtVocab
        self.embedDim = embedDim
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.bidirectional = bidirectional
        self.attention = attention
        self.cell = cell
        self.padIdx = padIdx
        self.bosIdx = bosIdx
        self.eosIdx = eosIdx
        let hd = hiddenSize * (bidirectional ? 2 : 1)
        srcEmbed = try Embedding(numEmbeddings: srcVocab, embeddingDim: embedDim, paddingIdx: padIdx)
        switch cell {
        case .lstm:
            encoder = try LSTM(inputSize: embedDim, hiddenSize: hiddenSize, numLayers: numLayers, batchFirst: true, bidirectional: bidirectional)
            decoder = try LSTM(inputSize: embedDim, hiddenSize: hd, numLayers: numLayers, batchFirst: true)
        case .gru:
            encoder = try GRU(inputSize: embedDim, hiddenSize: hiddenSize, numLayers: numLayers, batchFirst: true, bidirectional: bidirectional)
            decoder = try GRU(inputSize: embedDim, hiddenSize: hd, numLayers: numLayers, batchFirst: true)
        }
        tgtEmbed = try Embedding(numEmbeddings: tgtVocab, embeddingDim: embedDim, paddingIdx: padIdx)
        attn = attention == .general ? try Linear(inFeatures: hd, outFeatures: hd, bias: false) : nil
        attnCombine = attention == .none ? nil : try Linear(inFeatures: 2 * hd, outFeatures: hd)
        out = try Linear(inFeatures: hd, outFeatures: tgtVocab)
        super.init()
        registerChild("src_embed", srcEmbed)
        registerChild("encoder", encoder)
        registerChild("tgt_embed", tgtEmbed)
        registerChild("decoder", decoder)
        if let attn { registerChild("attn", attn) }
        if let attnCombine { registerChild("attn_combine", attnCombine) }
        registerChild("out", out)
    }

    public override var typeName: String { "Seq2Seq" }

    public override var config: [(String, JSON)] {
        var c: [(String, JSON)] = [
            ("src_vocab", .int(srcVocab)), ("tgt_vocab", .int(tgtVocab)), ("embed_dim", .int(embedDim)),
            ("hidden_size", .int(hiddenSize)), ("num_layers", .int(numLayers)), ("bidirectional", .bool(bidirectional)),
            ("attention", .string(attention.rawValue)), ("cell", .string(cell.rawValue)), ("pad_idx", .int(padIdx)), ("bos_idx", .int(bosIdx)),
            ("eos_idx", .int(eosIdx))]
        if !srcTokens.isEmpty { c.append(("src_tokens", .array(srcTokens.map { .string($0) }))) }
        if !tgtTokens.isEmpty { c.append(("tgt_tokens", .array(tgtTokens.map { .string($0) }))) }
        return c
    }

    static let build: ModuleRegistry.Builder = { json in
        let r = ConfigReader(json, "Seq2Seq")
        let name = try r.string("attention", "none")
        guard let att = Seq2SeqAttention(rawValue: name) else {
            throw SNNError(.format, "architecture: Seq2Seq.attention must be none, dot or general, got \"\(name)\"")
        }
        // Checkpoints written before the cell was a choice hold LSTMs and no "cell".
        let cellName = try r.string("cell", "lstm")
        guard let cell = Seq2SeqCell(rawValue: cellName) else {
            throw SNNError(.format, "architecture: Seq2Seq.cell must be lstm or gru, got \"\(cellName)\"")
        }
        let m = try Seq2Seq(srcVocab: try r.int("src_vocab"), tgtVocab: try r.int("tgt_vocab"), embedDim: try r.int("embed_dim"),
                            hiddenSize: try r.int("hidden_size"), numLayers: try r.int("num_layers", 1),
                            bidirectional: try r.bool("bidirectional", false), attention: att, cell: cell, padIdx: try r.int("pad_idx", 0),
                            bosIdx: try r.int("bos_idx", 1), eosIdx: try r.int("eos_idx", 2))
        func strings(_ k: String) throws -> [String] {
            guard let v = json[k], v != .null else { return [] }
            guard let a = v.array else { throw SNNError(.format, "architecture: Seq2Seq.\(k) must be an array of strings") }
            return try a.map { e in
                guard case let .string(s) = e else { throw SNNError(.format, "architecture: Seq2Seq.\(k) must be an array of strings") }
                return s
            }
        }
        m.srcTokens = try strings("src_tokens")
        m.tgtTokens = try strings("tgt_tokens")
        return m
    }

    // MARK: Batches

    /// Checks an int64 [B, L] token batch against `vocab` and returns each row's length (the
    /// position of its first padding token; tokens after it must be padding too).
    func rowLengths(_ t: Tensor, vocab: Int, _ fn: String, _ arg: String, allowEmpty: Bool) throws -> [Int] {
        guard t.dtype == .int64, t.rank == 2, t.shape[0] >= 1, t.shape[1] >= 1 else {
            throw SNNError.shape("\(fn): \(arg) must be an int64 tensor [batch, length] with batch, length >= 1, got \(t.dtype.name) \(fmt(t.shape))")
        }
        let b = t.shape[0], l = t.shape[1]
        var lengths = [Int](repeating: l, count: b)
        let p = t.int64s
        for i in 0..<b {
            var seenPad = false
            for j in 0..<l {
                let v = p[i * l + j]
                guard v >= 0, v < Int64(vocab) else {
                    throw SNNError.range("\(fn): \(arg)[\(i), \(j)] = \(v) is out of range for a vocabulary of \(vocab)")
                }
                if v == Int64(padIdx) {
                    if !seenPad { lengths[i] = j; seenPad = true }
                } else if seenPad {
                    throw SNNError.invalid("\(fn): \(arg) row \(i) has token \(v) at position \(j) after padding; pad only at the end")
                }
            }
            if lengths[i] == 0 && !allowEmpty {
                throw SNNError.invalid("\(fn): \(arg) row \(i) is empty (starts with the padding id \(padIdx))")
            }
        }
        return lengths
    }

    /// Runs the encoder: outputs [B, S, Hd] (zero past each length), the decoder's initial
    /// h and (LSTM) c [L, B, Hd] and the row lengths.
    func encode(_ src: Tensor, _ fn: String) throws -> (outputs: Tensor, h: Tensor, c: Tensor?, lengths: [Int]) {
        let lengths = try rowLengths(src, vocab: srcVocab, fn, "src", allowEmpty: false)
        let b = src.shape[0]
        let lens = try Tensor(int64: lengths.map { Int64($0) }, shape: [b])
        let states = cell == .lstm ? 2 : 1
        let r = try encoder.forward(optional: [try srcEmbed.forward(src)] + [Tensor?](repeating: nil, count: states) + [lens])
        guard r.count == 1 + states else { throw SNNError(.internalError, "\(fn): the encoder returned \(r.count) results") }
        return (r[0], try bridge(r[1], b), states == 2 ? try bridge(r[2], b) : nil, lengths)
    }

    /// [L * D, B, H] -> [L, B, D * H]: a bidirectional layer's directions side by side.
    func bridge(_ s: Tensor, _ b: Int) throws -> Tensor {
        guard bidirectional else { return s }
        let v = try reshape(s, [numLayers, 2, b, hiddenSize])
        return try reshape(try permute(v, [0, 2, 1, 3]), [numLayers, b, 2 * hiddenSize])
    }

    /// Teacher forcing: `[BOS, y...]` and `[y..., EOS]` padded, from target rows `y` + padding.
    func teacherBatches(_ tgt: Tensor, _ fn: String) throws -> (input: Tensor, output: Tensor) {
        let lengths = try rowLengths(tgt, vocab: tgtVocab, fn, "tgt", allowEmpty: true)
        let b = tgt.shape[0], l = tgt.shape[1], t = l + 1
        var inp = [Int64](repeating: Int64(padIdx), count: b * t), outp = inp
        let p = tgt.int64s
        for i in 0..<b {
            inp[i * t] = Int64(bosIdx)
            for j in 0..<lengths[i] {
                let v = p[i * l + j]
                inp[i * t + j + 1] = v
                outp[i * t + j] = v
            }
            outp[i * t + lengths[i]] = Int64(eosIdx)
        }
        return (try Tensor(int64: inp, shape: [b, t]), try Tensor(int64: outp, shape: [b, t]))
    }

    /// Logits [B, T, V] for teacher-forced decoder inputs `tgtIn` [B, T] (recorded for backward).
    func logits(src: Tensor, tgtIn: Tensor, _ fn: String) throws -> Tensor {
        let enc = try encode(src, fn)
        guard tgtIn.shape.first == src.shape.first else {
            throw SNNError.shape("\(fn): src \(fmt(src.shape)) and tgt \(fmt(tgtIn.shape)) must have the same batch size")
        }
        let b = tgtIn.shape[0], t = tgtIn.shape[1], hd = decoderHidden
        let r = try decoder.forward(optional: [try tgtEmbed.forward(tgtIn), enc.h] + (enc.c.map { [$0] } ?? []))
        var h = r[0]  // [B, T, Hd]
        if let attnCombine {
            let s = enc.outputs.shape[1]
            let keys = try attn.map { try $0.forward(enc.outputs) } ?? enc.outputs
            var mask = [Float](repeating: 0, count: b * s)
            for i in 0..<b { for j in enc.lengths[i]..<max(s, enc.lengths[i]) { mask[i * s + j] = -1e9 } }
            let scores = try add(try matmul(h, try transpose(keys, 1, 2)), try Tensor(mask, shape: [b, 1, s]))
            let weights = try softmax(scores, dim: 2)
            let context = try matmul(weights, enc.outputs)
            h = try tanh(try attnCombine.forward(try cat([context, h], dim: 2)))
        }
        return try reshape(try out.forward(try reshape(h, [b * t, hd])), [b, t, tgtVocab])
    }

    /// Mean cross-entropy over the non-padding target positions (EOS included) of the
    /// teacher-forced decoder, recorded for backward. `src` [B, S] and `tgt` [B, T] int64.
    public func loss(src: Tensor, tgt: Tensor) throws -> Tensor {
        let fn = "seq2seq_loss"
        let (tin, tout) = try teacherBatches(tgt, fn)
        let lg = try logits(src: src, tgtIn: tin, fn)
        let n = tin.count
        return try crossEntropy(try reshape(lg, [n, tgtVocab]), try reshape(tout, [n]), ignoreIndex: padIdx)
    }
}
