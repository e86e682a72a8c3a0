// Sequence to sequence (swiftnn/seq2seq.h): construct, loss, train step, fit with progress,
// greedy and beam decoding, scoring, token strings.
import CSwiftNN
import SwiftNN

func seq2seqArg(_ h: OpaquePointer?, _ fn: String, _ arg: String = "model") throws -> Seq2Seq {
    let m = try resolve(h, Module.self, fn, arg)
    guard let s = m as? Seq2Seq else {
        throw SNNError(.invalidArgument, "\(fn): \(arg) is a \(m.typeName), expected a Seq2Seq (made by snn_seq2seq_new)")
    }
    return s
}

extension snn_seq2seq_options {
    /// What snn_seq2seq_options_init writes: sizes 0 (the caller sets them).
    static var defaults: Self {
        Self(struct_size: MemoryLayout<Self>.stride, src_vocab: 0, tgt_vocab: 0, embed_dim: 0, hidden_size: 0, num_layers: 1,
             bidirectional: false, attention: Int32(SNN_SEQ2SEQ_ATTENTION_NONE.rawValue), pad_idx: 0, bos_idx: 1, eos_idx: 2,
             cell: Int32(SNN_SEQ2SEQ_CELL_LSTM.rawValue))
    }
}

@c @implementation
public func snn_seq2seq_options_init(_ options: UnsafeMutablePointer<snn_seq2seq_options>?) -> snn_status {
    boundary { fn in try outPointer(options, fn, "options").pointee = .defaults }
}

@c @implementation
public func snn_seq2seq_new(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ options: UnsafePointer<snn_seq2seq_options>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let c = try requiredOptionsArg(options, fn)
        let attention: Seq2SeqAttention
        switch c.attention {
        case Int32(SNN_SEQ2SEQ_ATTENTION_NONE.rawValue): attention = .none
        case Int32(SNN_SEQ2SEQ_ATTENTION_DOT.rawValue): attention = .dot
        case Int32(SNN_SEQ2SEQ_ATTENTION_GENERAL.rawValue): attention = .general
        default: throw SNNError(.invalidArgument, "\(fn): options->attention = \(c.attention), expected 0 (none), 1 (dot) or 2 (general)")
        }
        let cell: Seq2SeqCell
        switch c.cell {
        case Int32(SNN_SEQ2SEQ_CELL_LSTM.rawValue): cell = .lstm
        case Int32(SNN_SEQ2SEQ_CELL_GRU.rawValue): cell = .gru
        default: throw SNNError(.invalidArgument, "\(fn): options->cell = \(c.cell), expected 0 (SNN_SEQ2SEQ_CELL_LSTM) or 1 (SNN_SEQ2SEQ_CELL_GRU)")
        }
        func small(_ v: Int64, _ name: String) throws -> Int {
            guard v >= Int64(Int32.min), v <= Int64(Int32.max) else { throw SNNError(.invalidArgument, "\(fn): options->\(name) = \(v) is out of range") }
            return Int(v)
        }
        let m = try Seq2Seq(srcVocab: try small(c.src_vocab, "src_vocab"), tgtVocab: try small(c.tgt_vocab, "tgt_vocab"),
                            embedDim: try small(c.embed_dim, "embed_dim"), hiddenSize: try small(c.hidden_size, "hidden_size"),
                            numLayers: try small(c.num_layers, "num_layers"),
                            bidirectional: c.bidirectional, attention: attention, cell: cell, padIdx: try small(c.pad_idx, "pad_idx"),
                            bosIdx: try small(c.bos_idx, "bos_idx"), eosIdx: try small(c.eos_idx, "eos_idx"))
        o.pointee = Registry.shared.insert(m)
    }
}

@c @implementation
public func snn_seq2seq_loss(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ model: OpaquePointer?, _ src: OpaquePointer?,
                             _ tgt: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let m = try seq2seqArg(model, fn)
        give(try m.loss(src: try tensorArg(src, fn, "src"), tgt: try tensorArg(tgt, fn, "tgt")), o)
    }
}

@c @implementation
public func snn_seq2seq_train_step(_ outLoss: UnsafeMutablePointer<Double>?, _ model: OpaquePointer?, _ optimizer: OpaquePointer?,
                                   _ src: OpaquePointer?, _ tgt: OpaquePointer?, _ maxGradNorm: Double) -> snn_status {
    boundary { fn in
        let m = try seq2seqArg(model, fn)
        let opt = try resolve(optimizer, Optimizer.self, fn, "optimizer")
        guard !maxGradNorm.isNaN else { throw SNNError(.invalidArgument, "\(fn): max_grad_norm is NaN") }
        let v = try m.trainStep(src: try tensorArg(src, fn, "src"), tgt: try tensorArg(tgt, fn, "tgt"), optimizer: opt,
                                maxGradNorm: maxGradNorm)
        outLoss?.pointee = v
    }
}

@c @implementation
public func snn_seq2seq_fit(_ model: OpaquePointer?, _ optimizer: OpaquePointer?, _ src: OpaquePointer?, _ tgt: OpaquePointer?,
                            _ batchSize: Int, _ seed: UInt64, _ maxGradNorm: Double,
                            _ options: UnsafePointer<snn_fit_options>?) -> snn_status {
    boundary { fn in
        let m = try seq2seqArg(model, fn)
        let opt = try resolve(optimizer, Optimizer.self, fn, "optimizer")
        let f = try FitArgs(options, fn)
        guard !maxGradNorm.isNaN else { throw SNNError(.invalidArgument, "\(fn): max_grad_norm is NaN") }
        f.record(try m.fit(src: try tensorArg(src, fn, "src"), tgt: try tensorArg(tgt, fn, "tgt"), optimizer: opt,
                           epochs: f.epochs, batchSize: batchSize, seed: seed, maxGradNorm: maxGradNorm,
                           scheduler: f.scheduler, reportEvery: f.reportEvery,
                           dataParallel: try f.dataParallel(for: m, fn), checkpointEvery: f.checkpointEvery,
                           checkpointPath: f.checkpointPath, progress: f.progress))
    }
}

/// Hypotheses as int64 [B, L] padded with pad (L >= 1) and float32 [B] log-probabilities.
private func giveHypotheses(_ hyps: [Seq2SeqHypothesis], _ m: Seq2Seq, _ outTokens: UnsafeMutablePointer<OpaquePointer?>,
                            _ outLogProbs: UnsafeMutablePointer<OpaquePointer?>?) throws {
    let l = max(1, hyps.map(\.tokens.count).max() ?? 1)
    var toks = [Int64](repeating: Int64(m.padIdx), count: hyps.count * l)
    for (i, h) in hyps.enumerated() { for (j, t) in h.tokens.enumerated() { toks[i * l + j] = Int64(t) } }
    give(try Tensor(int64: toks, shape: [hyps.count, l]), outTokens)
    if let outLogProbs { give(try Tensor(hyps.map { Float($0.logProb) }, shape: [hyps.count]), outLogProbs) }
}

@c @implementation
public func snn_seq2seq_greedy(_ outTokens: UnsafeMutablePointer<OpaquePointer?>?, _ outLogProbs: UnsafeMutablePointer<OpaquePointer?>?,
                               _ model: OpaquePointer?, _ src: OpaquePointer?, _ maxLength: Int64) -> snn_status {
    boundary { fn in
        outLogProbs?.pointee = nil
        let o = try outHandle(outTokens, fn, "out_tokens")
        let m = try seq2seqArg(model, fn)
        guard maxLength >= 1, maxLength <= 1 << 16 else { throw SNNError(.invalidArgument, "\(fn): max_length must be in 1...65536, got \(maxLength)") }
        try giveHypotheses(try m.greedyDecode(src: try tensorArg(src, fn, "src"), maxLength: Int(maxLength)), m, o, outLogProbs)
    }
}

@c @implementation
public func snn_seq2seq_beam(_ outTokens: UnsafeMutablePointer<OpaquePointer?>?, _ outLogProbs: UnsafeMutablePointer<OpaquePointer?>?,
                             _ model: OpaquePointer?, _ src: OpaquePointer?, _ beamWidth: Int64, _ maxLength: Int64,
                             _ lengthPenalty: Double) -> snn_status {
    boundary { fn in
        outLogProbs?.pointee = nil
        let o = try outHandle(outTokens, fn, "out_tokens")
        let m = try seq2seqArg(model, fn)
        guard maxLength >= 1, maxLength <= 1 << 16 else { throw SNNError(.invalidArgument, "\(fn): max_length must be in 1...65536, got \(maxLength)") }
        guard beamWidth >= 1, beamWidth <= 4096 else { throw SNNError(.invalidArgument, "\(fn): beam_width must be in 1...4096, got \(beamWidth)") }
        try giveHypotheses(try m.beamDecode(src: try tensorArg(src, fn, "src"), beamWidth: Int(beamWidth), maxLength: Int(maxLength),
                                            lengthPenalty: lengthPenalty), m, o, outLogProbs)
    }
}

@c @implementation
public func snn_seq2seq_score(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ model: OpaquePointer?, _ src: OpaquePointer?,
                              _ tgt: OpaquePointer?, _ withEOS: Bool) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let m = try seq2seqArg(model, fn)
        let s = try m.scoreSequences(src: try tensorArg(src, fn, "src"), tgt: try tensorArg(tgt, fn, "tgt"), withEOS: withEOS)
        give(try Tensor(s.map { Float($0) }, shape: [s.count]), o)
    }
}

@c @implementation
public func snn_seq2seq_set_tokens(_ model: OpaquePointer?, _ target: Bool, _ tokens: UnsafePointer<UnsafePointer<CChar>?>?,
                                   _ count: Int) -> snn_status {
    boundary { fn in
        let m = try seq2seqArg(model, fn)
        let vocab = target ? m.tgtVocab : m.srcVocab
        guard count == 0 || count == vocab else {
            throw SNNError(.invalidArgument, "\(fn): count is \(count), expected 0 or the \(target ? "target" : "source") vocabulary size \(vocab)")
        }
        var strings: [String] = []
        if count > 0 {
            guard let tokens else { throw SNNError(.invalidArgument, "\(fn): tokens is NULL but count is \(count)") }
            for i in 0..<count {
                let s = try stringArg(tokens[i], fn, "tokens[\(i)]")
                guard !s.utf8.contains(10) else { throw SNNError(.invalidArgument, "\(fn): tokens[\(i)] contains a newline") }
                strings.append(s)
            }
        }
        if target { m.tgtTokens = strings } else { m.srcTokens = strings }
    }
}

@c @implementation
public func snn_seq2seq_tokens(_ buf: UnsafeMutablePointer<CChar>?, _ capacity: Int, _ outLen: UnsafeMutablePointer<Int>?,
                               _ model: OpaquePointer?, _ target: Bool) -> snn_status {
    boundary { fn in
        let m = try seq2seqArg(model, fn)
        try writeString((target ? m.tgtTokens : m.srcTokens).joined(separator: "\n"), buf, capacity, outLen, fn)
    }
}
