// Seq2Seq inference: greedy decoding, beam search and sequence scoring. The encoder runs once
// through the layers without recording; the decoder is stepped here directly on the weights
// with sgemm into preallocated buffers (no graph, no per-step tensors).
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import SwiftNNKernels

/// The encoder's results for a batch, as the stepper reads them.
struct EncodedBatch {
    let outputs: Tensor   // [B, S, Hd]
    let keys: Tensor      // [B, S, Hd]: outputs, or attn(outputs) for general attention
    let h: Tensor, c: Tensor?  // [L, B, Hd]; c for LSTM only
    let lengths: [Int]
    var sourceLength: Int { outputs.shape[1] }
}

/// One decoder step for up to `capacity` rows, each attending to one source of the batch.
/// Its buffers are one Storage (an allocation failure is an error, not a trap) whose size
/// `Seq2Seq.checkDecoderMemory` bounds before anything is allocated.
final class DecoderStepper {
    let m: Seq2Seq
    let enc: EncodedBatch
    let capacity: Int, hd: Int, layers: Int, vocab: Int, embed: Int
    let storage: Storage
    let gru: Bool
    let h: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>      // [L, capacity, Hd]; c empty for GRU
    let h2: UnsafeMutablePointer<Float>, c2: UnsafeMutablePointer<Float>    // reorder scratch
    let x: UnsafeMutablePointer<Float>        // [capacity, E]
    let gates: UnsafeMutablePointer<Float>    // LSTM [capacity, 4Hd]; GRU [capacity, 3Hd] input part, then hidden part
    let comb: UnsafeMutablePointer<Float>     // [capacity, 2Hd]: context, h
    let att: UnsafeMutablePointer<Float>      // [capacity, Hd]
    let scores: UnsafeMutablePointer<Float>   // [S]
    /// Log-probabilities [capacity, V] after `step`.
    let logProbs: UnsafeMutablePointer<Float>
    var rowSource: [Int]

    /// Floats of every buffer, in the order they are carved out of the storage. A GRU has no
    /// c (nor its scratch) but keeps W_hn h apart from W_in x, so 6Hd gate columns, not 4Hd.
    static func bufferFloats(_ m: Seq2Seq, capacity: Int, sourceLength: Int) -> [Int] {
        let hd = m.decoderHidden, state = m.numLayers * capacity * hd
        let cState = m.cell == .lstm ? state : 0, gateColumns = m.cell == .lstm ? 4 * hd : 6 * hd
        return [state, cState, state, cState, capacity * m.embedDim, capacity * gateColumns, capacity * 2 * hd, capacity * hd,
                max(sourceLength, 1), capacity * m.tgtVocab]
    }

    /// `fn` names the caller in an allocation error; sizes were checked by checkDecoderMemory.
    init(_ m: Seq2Seq, _ enc: EncodedBatch, capacity: Int, _ fn: String) throws {
        self.m = m
        self.enc = enc
        self.capacity = capacity
        hd = m.decoderHidden
        layers = m.numLayers
        vocab = m.tgtVocab
        embed = m.embedDim
        gru = m.cell == .gru
        let sizes = DecoderStepper.bufferFloats(m, capacity: capacity, sourceLength: enc.sourceLength)
        storage = try Storage(byteCount: sizes.reduce(0, +) * MemoryLayout<Float>.stride, zeroed: false, fn)
        var next = storage.raw.bindMemory(to: Float.self, capacity: sizes.reduce(0, +))
        var parts: [UnsafeMutablePointer<Float>] = []
        for n in sizes { parts.append(next); next += n }
        (h, c, h2, c2, x) = (parts[0], parts[1], parts[2], parts[3], parts[4])
        (gates, comb, att, scores, logProbs) = (parts[5], parts[6], parts[7], parts[8], parts[9])
        rowSource = [Int](repeating: 0, count: capacity)
    }

    /// Row `row` starts from source `b`'s bridged encoder state.
    func start(row: Int, source b: Int) {
        rowSource[row] = b
        let batch = enc.h.shape[1]
        for l in 0..<layers {
            (h + (l * capacity + row) * hd).update(from: enc.h.floats + (l * batch + b) * hd, count: hd)
            if let ec = enc.c { (c + (l * capacity + row) * hd).update(from: ec.floats + (l * batch + b) * hd, count: hd) }
        }
    }

    /// Rows 0..<parents.count become copies of rows `parents` (beam reordering).
    func reorder(_ parents: [Int]) {
        for l in 0..<layers {
            for (r, p) in parents.enumerated() {
                (h2 + (l * capacity + r) * hd).update(from: h + (l * capacity + p) * hd, count: hd)
                if !gru { (c2 + (l * capacity + r) * hd).update(from: c + (l * capacity + p) * hd, count: hd) }
            }
        }
        let src = rowSource
        for (r, p) in parents.enumerated() { rowSource[r] = src[p] }
        for l in 0..<layers {
            (h + l * capacity * hd).update(from: h2 + l * capacity * hd, count: parents.count * hd)
            if !gru { (c + l * capacity * hd).update(from: c2 + l * capacity * hd, count: parents.count * hd) }
        }
    }

    /// Feeds `tokens` (one per row, rows 0..<tokens.count; ids checked by the caller) and
    /// leaves log-probabilities of the next token in `logProbs`.
    func step(_ tokens: [Int]) {
        let rows = tokens.count
        let emb = m.tgtEmbed.weight.floats
        for (r, t) in tokens.enumerated() { (x + r * embed).update(from: emb + t * embed, count: embed) }
        let w = m.decoder.flatWeights
        let g4 = 4 * hd
        for l in 0..<layers {
            let input = l == 0 ? UnsafePointer(x) : UnsafePointer(h + (l - 1) * capacity * hd)
            let inSize = l == 0 ? embed : hd
            if gru {
                gruLayer(l, rows: rows, input: input, inSize: inSize, w)
                continue
            }
            let hl = h + l * capacity * hd, cl = c + l * capacity * hd
            sgemm(false, true, rows, g4, inSize, input, w[4 * l].floats, beta: 0, gates)
            sgemm(false, true, rows, g4, hd, hl, w[4 * l + 1].floats, beta: 1, gates)
            let bi = w[4 * l + 2].floats, bh = w[4 * l + 3].floats
            // The nonlinearities go through the engine's SIMD kernels (the fused LSTM layer's
            // own): libm's scalar tanhf/expf took over a third of a greedy decode.
            for r in 0..<rows {
                let g = gates + r * g4, hr = hl + r * hd, cr = cl + r * hd
                for j in 0..<g4 { g[j] = g[j] + bi[j] + bh[j] }
                sigmoidKernel(g, g, 2 * hd)                     // i, f
                tanhKernel(g + 2 * hd, g + 2 * hd, hd)          // g
                sigmoidKernel(g + 3 * hd, g + 3 * hd, hd)       // o
                for j in 0..<hd { cr[j] = g[hd + j] * cr[j] + g[j] * g[2 * hd + j] }
                tanhKernel(cr, g + 2 * hd, hd)                  // tanh(c), over g's spent block
                for j in 0..<hd { hr[j] = g[3 * hd + j] * g[2 * hd + j] }
            }
        }
        let top = h + (layers - 1) * capacity * hd
        var feature = UnsafePointer(top)
        if let combine = m.attnCombine {
            let s = enc.sourceLength
            for r in 0..<rows {
                let b = rowSource[r], len = enc.lengths[b]
                let hr = top + r * hd
                let keys = enc.keys.floats + b * s * hd, vals = enc.outputs.floats + b * s * hd
                var mx = -Float.infinity
                for j in 0..<len {
                    var d: Float = 0
                    let k = keys + j * hd
                    for e in 0..<hd { d += hr[e] * k[e] }
                    scores[j] = d
                    mx = max(mx, d)
                }
                for j in 0..<len { scores[j] -= mx }
                expKernel(scores, scores, len)
                var sum: Float = 0
                for j in 0..<len { sum += scores[j] }
                let ctx = comb + r * 2 * hd
                ctx.update(repeating: 0, count: hd)
                for j in 0..<len {
                    let a = scores[j] / sum, v = vals + j * hd
                    for e in 0..<hd { ctx[e] += a * v[e] }
                }
                (ctx + hd).update(from: hr, count: hd)
            }
            sgemm(false, true, rows, hd, 2 * hd, comb, combine.weight.floats, beta: 0, att)
            if let bias = combine.bias?.floats {
                for r in 0..<rows { for e in 0..<hd { att[r * hd + e] += bias[e] } }
            }
            tanhKernel(att, att, rows * hd)
            feature = UnsafePointer(att)
        }
        sgemm(false, true, rows, vocab, hd, feature, m.out.weight.floats, beta: 0, logProbs)
        let ob = m.out.bias?.floats
        for r in 0..<rows {
            let lp = logProbs + r * vocab
            if let ob { for v in 0..<vocab { lp[v] += ob[v] } }
            var mx = -Float.infinity
            for v in 0..<vocab { mx = max(mx, lp[v]) }
            var sum: Float = 0
            for v in 0..<vocab { sum += expF(lp[v] - mx) }
            let lse = mx + logF(sum)
            for v in 0..<vocab { lp[v] -= lse }
        }
    }

    /// One GRU layer step in place on h (PyTorch's gate order r, z, n):
    /// r = σ(W_ir x + b_ir + W_hr h + b_hr), z likewise, n = tanh(W_in x + b_in + r (W_hn h + b_hn)),
    /// h' = (1 - z) n + z h. The hidden product stays apart from the input one because r scales
    /// only its n part.
    private func gruLayer(_ l: Int, rows: Int, input: UnsafePointer<Float>, inSize: Int, _ w: [Tensor]) {
        let g3 = 3 * hd
        let gi = gates, gh = gates + capacity * g3
        let hl = h + l * capacity * hd
        sgemm(false, true, rows, g3, inSize, input, w[4 * l].floats, beta: 0, gi)
        sgemm(false, true, rows, g3, hd, hl, w[4 * l + 1].floats, beta: 0, gh)
        let bi = w[4 * l + 2].floats, bh = w[4 * l + 3].floats
        for r in 0..<rows {
            let a = gi + r * g3, b = gh + r * g3, hr = hl + r * hd
            for j in 0..<2 * hd { a[j] = a[j] + bi[j] + b[j] + bh[j] }
            sigmoidKernel(a, a, 2 * hd)                          // r, z
            for j in 0..<hd { a[2 * hd + j] = a[2 * hd + j] + bi[2 * hd + j] + a[j] * (b[2 * hd + j] + bh[2 * hd + j]) }
            tanhKernel(a + 2 * hd, a + 2 * hd, hd)               // n
            for j in 0..<hd { hr[j] = (1 - a[hd + j]) * a[2 * hd + j] + a[hd + j] * hr[j] }
        }
    }
}

@inline(__always) func expF(_ v: Float) -> Float { expf(v) }
@inline(__always) func logF(_ v: Float) -> Float { logf(v) }
@inline(__always) func powD(_ a: Double, _ b: Double) -> Double { pow(a, b) }

/// One decoded sequence: tokens without BOS and EOS, summed log-probability (EOS included
/// when emitted) and the score beam search ranked it by.
public struct Seq2SeqHypothesis: Sendable {
    public var tokens: [Int]
    public var logProb: Double
    public var score: Double
}

extension Seq2Seq {
    func encodeForDecoding(_ src: Tensor, _ fn: String) throws -> EncodedBatch {
        let e = try encode(src, fn)
        let keys = try attn.map { try $0.forward(e.outputs) } ?? e.outputs
        return EncodedBatch(outputs: e.outputs, keys: keys, h: e.h, c: e.c, lengths: e.lengths)
    }

    /// Whether the decoder may emit `v` (never padding or BOS).
    @inline(__always) func emittable(_ v: Int) -> Bool { v != padIdx && v != bosIdx }

    func checkMaxLength(_ maxLength: Int, _ fn: String) throws {
        guard maxLength >= 1, maxLength <= 1 << 16 else {
            throw SNNError.invalid("\(fn): max_length must be in 1...65536, got \(maxLength)")
        }
    }

    /// Most bytes one greedy, beam or score call may set aside for its decoder: the
    /// log-probabilities [rows, V], the LSTM or GRU state and scratch, and (beam) the alive
    /// hypotheses' tokens. 1 GiB: beam 4096 over a 65536-token vocabulary would need more.
    public static let decoderMemoryLimit = 1 << 30

    /// Throws before anything is allocated when `rows` decoder rows (the batch, or the beam
    /// width) would pass `decoderMemoryLimit`. `hypothesisTokens`: tokens kept per row (beam).
    func checkDecoderMemory(rows: Int, sourceLength: Int, hypothesisTokens: Int, _ fn: String, _ rowsName: String, _ advice: String) throws {
        // Doubles: a batch dimension may be anything, and the products must not overflow.
        let floats = DecoderStepper.bufferFloats(self, capacity: 1, sourceLength: 0).map { Double($0) * Double(rows) }.reduce(0, +)
            + Double(max(sourceLength, 1))
        let hypotheses = 2 * Double(rows) * Double(hypothesisTokens) * Double(MemoryLayout<Int>.stride)  // alive and next
        let bytes = floats * Double(MemoryLayout<Float>.stride) + hypotheses
        let limit = Seq2Seq.decoderMemoryLimit
        guard bytes <= Double(limit) else {
            let mib = 1024.0 * 1024.0
            throw SNNError.invalid("\(fn): \(rowsName) \(rows) x target vocabulary \(tgtVocab) (decoder hidden \(decoderHidden), \(numLayers) layers"
                + (hypothesisTokens > 0 ? ", max_length \(hypothesisTokens)" : "")
                + ") needs \(Int((bytes / mib).rounded(.up))) MiB of decoder buffers, limit \(limit / (1 << 20)) MiB; use \(advice)")
        }
    }

    /// The source length of a [B, S] batch, 0 if `src` is not one (rowLengths then says why).
    func sourceLength(_ src: Tensor) -> Int { src.rank == 2 ? src.shape[1] : 0 }

    /// Greedy decoding of `src` [B, S]: at most `maxLength` tokens per row (EOS included).
    public func greedyDecode(src: Tensor, maxLength: Int) throws -> [Seq2SeqHypothesis] {
        let fn = "seq2seq_greedy"
        try checkMaxLength(maxLength, fn)
        return try GradMode.withoutGrad {
            let b = src.shape.first ?? 0
            try checkDecoderMemory(rows: b, sourceLength: sourceLength(src), hypothesisTokens: 0, fn, "batch", "smaller batches")
            let enc = try encodeForDecoding(src, fn)
            let st = try DecoderStepper(self, enc, capacity: b, fn)
            for r in 0..<b { st.start(row: r, source: r) }
            var hyps = [Seq2SeqHypothesis](repeating: Seq2SeqHypothesis(tokens: [], logProb: 0, score: 0), count: b)
            var done = [Bool](repeating: false, count: b)
            var last = [Int](repeating: bosIdx, count: b)
            for _ in 0..<maxLength where done.contains(false) {
                st.step(last)
                for r in 0..<b where !done[r] {
                    let lp = st.logProbs + r * tgtVocab
                    var best = -1, bestLP = -Float.infinity
                    for v in 0..<tgtVocab where emittable(v) && (best < 0 || lp[v] > bestLP) { best = v; bestLP = lp[v] }
                    hyps[r].logProb += Double(bestLP)
                    if best == eosIdx { done[r] = true } else { hyps[r].tokens.append(best); last[r] = best }
                }
            }
            for r in 0..<b { hyps[r].score = hyps[r].logProb }
            return hyps
        }
    }

    /// Beam search per row of `src`: keeps the `beamWidth` best partial hypotheses by summed
    /// log-probability; a hypothesis ends at EOS or at `maxLength` tokens and is ranked by
    /// logProb / length^lengthPenalty (length counts EOS). Stops when the beam is empty, when
    /// `beamWidth` hypotheses have ended, or (lengthPenalty 0) when none alive can win.
    public func beamDecode(src: Tensor, beamWidth: Int, maxLength: Int, lengthPenalty: Double = 0) throws -> [Seq2SeqHypothesis] {
        let fn = "seq2seq_beam"
        try checkMaxLength(maxLength, fn)
        guard beamWidth >= 1, beamWidth <= 4096 else { throw SNNError.invalid("\(fn): beam_width must be in 1...4096, got \(beamWidth)") }
        guard lengthPenalty.isFinite, lengthPenalty >= 0, lengthPenalty <= 10 else {
            throw SNNError.invalid("\(fn): length_penalty must be in [0, 10], got \(lengthPenalty)")
        }
        return try GradMode.withoutGrad {
            try checkDecoderMemory(rows: beamWidth, sourceLength: sourceLength(src), hypothesisTokens: maxLength, fn, "beam_width",
                                   "a smaller beam_width or max_length")
            let enc = try encodeForDecoding(src, fn)
            let st = try DecoderStepper(self, enc, capacity: beamWidth, fn)
            let search = BeamSearch(width: beamWidth, maxLength: maxLength, startToken: bosIdx, endToken: eosIdx, vocabulary: tgtVocab,
                                    selection: .bestPairs, endAtMaxLength: true, stopWhenSettled: lengthPenalty == 0,
                                    score: { lp, length in lengthPenalty == 0 ? lp : lp / powD(Double(length), lengthPenalty) })
            let mask = (0..<tgtVocab).map { emittable($0) }
            return (0..<src.shape[0]).map { b in
                st.start(row: 0, source: b)
                let best = search.run(emittable: mask, step: { st.step($0); return UnsafePointer(st.logProbs) }, reorder: st.reorder)
                return best.map { Seq2SeqHypothesis(tokens: $0.tokens, logProb: $0.logProb, score: $0.score) }
                    ?? Seq2SeqHypothesis(tokens: [], logProb: -.infinity, score: -.infinity)
            }
        }
    }

    /// Summed log-probability of each target row (its tokens, then EOS unless `withEOS` is
    /// false) given its source, through the same decoder step as decoding. `tgt` [B, T] int64.
    public func scoreSequences(src: Tensor, tgt: Tensor, withEOS: Bool = true) throws -> [Double] {
        let fn = "seq2seq_score"
        let lengths = try rowLengths(tgt, vocab: tgtVocab, fn, "tgt", allowEmpty: true)
        guard tgt.shape[0] == src.shape.first else {
            throw SNNError.shape("\(fn): src \(fmt(src.shape)) and tgt \(fmt(tgt.shape)) must have the same batch size")
        }
        return try GradMode.withoutGrad {
            let b = tgt.shape[0], l = tgt.shape[1]
            try checkDecoderMemory(rows: b, sourceLength: sourceLength(src), hypothesisTokens: 0, fn, "batch", "smaller batches")
            let enc = try encodeForDecoding(src, fn)
            let st = try DecoderStepper(self, enc, capacity: b, fn)
            for r in 0..<b { st.start(row: r, source: r) }
            var total = [Double](repeating: 0, count: b)
            var last = [Int](repeating: bosIdx, count: b)
            for t in 0...l {
                st.step(last)
                for r in 0..<b where t < lengths[r] || (t == lengths[r] && withEOS) {
                    let v = t < lengths[r] ? Int(tgt.int64s[r * l + t]) : eosIdx
                    total[r] += Double(st.logProbs[r * tgtVocab + v])
                    last[r] = v
                }
            }
            return total
        }
    }
}
