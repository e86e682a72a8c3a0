// Seq2Seq (LSTM and GRU cells) in Swift against the same golden files the C and Python tests
// read (PyTorch's loss, every parameter gradient, sequence scores and greedy decodes), beam
// search against brute force, the bounded candidate selection against a full sort, checkpoints, errors, memory cap.
import Testing
@testable import SwiftNN
#if canImport(Glibc)
import Glibc
#endif

/// Deterministic pseudo-random floats in [-scale, scale).
private func tokens(_ rows: [[Int]], pad: Int = 0) throws -> Tensor {
    let l = rows.map(\.count).max() ?? 1
    let flat = rows.flatMap { r in (r + [Int](repeating: pad, count: l - r.count)).map { Int64($0) } }
    return try Tensor(int64: flat, shape: [rows.count, l])
}

private func status(_ want: Status, _ body: () throws -> Void) -> Bool {
    do { try body() } catch let e as SNNError { return e.status == want } catch { return false }
    return false
}

/// Tests/golden/seq2seq_<name>.safetensors (tools/gen_golden_seq2seq.py): the model its
/// `config` metadata describes, with the file's weights loaded, and the file.
private func goldenModel(_ name: String) throws -> (Seq2Seq, SafeTensors) {
    let path = "\(goldenDir)/seq2seq_\(name).safetensors"
    let file = try SafeTensors.read(path: path)
    let cfg = try JSON.parse(Array((file.metadata("config") ?? "{}").utf8))
    func int(_ k: String) -> Int { Int(cfg[k]?.number ?? -1) }
    let attention = Seq2SeqAttention(rawValue: cfg["attention"]?.string ?? "")!
    let cell = Seq2SeqCell(rawValue: cfg["cell"]?.string ?? "lstm")!
    let m = try Seq2Seq(srcVocab: int("src_vocab"), tgtVocab: int("tgt_vocab"), embedDim: int("embed_dim"),
                        hiddenSize: int("hidden_size"), numLayers: int("num_layers"),
                        bidirectional: cfg["bidirectional"] == .bool(true), attention: attention, cell: cell)
    #expect(m.stateDict().allSatisfy { file[$0.name] != nil }, "\(name): the file holds every tensor of the model")
    try Checkpoint.loadWeights(into: m, from: path, strict: false)  // the file also holds inputs and results
    return (m, file)
}

@Test(arguments: ["attn", "dot", "plain", "gru"])
func seq2seqLossGradientsScoresAndGreedyMatchPyTorch(name: String) throws {
    let (m, g) = try goldenModel(name)
    let src = try #require(g["src"]), tgt = try #require(g["tgt"])
    let loss = try m.loss(src: src, tgt: tgt)
    let lv = try loss.item(), want = try #require(g["loss"]).scalars[0]
    #expect(abs(lv - want) < 1e-5, "\(name): loss \(lv) vs PyTorch \(want)")
    try loss.backward()
    let params = m.namedParameters()
    #expect(params.count == g.tensors.filter { $0.name.hasPrefix("grad.") }.count)
    for (n, p) in params {
        guard let grad = p.grad, let ref = g["grad.\(n)"] else { Issue.record("\(name): no gradient or golden for \(n)"); continue }
        if let bad = mismatch(grad, ref) { Issue.record("\(name): grad.\(n): \(bad)") }
    }

    let scores = try m.scoreSequences(src: src, tgt: tgt)
    if let bad = mismatch(try Tensor(scores.map { Float($0) }, shape: [scores.count]), try #require(g["score"])) {
        Issue.record("\(name): score: \(bad)")
    }
    // The mean loss is the negated mean per-token score (EOS included).
    let count = tgt.int64Scalars.filter { $0 != 0 }.count + tgt.shape[0]
    #expect(abs(-scores.reduce(0, +) / Double(count) - Double(lv)) < 1e-5)

    let greedy = try m.greedyDecode(src: src, maxLength: 6)
    let golden = try #require(g["greedy"]), l = golden.shape[1]
    for r in 0..<golden.shape[0] {
        let row = golden.int64Scalars[(r * l)..<((r + 1) * l)].filter { $0 != 0 }.map { Int($0) }
        #expect(greedy[r].tokens == row, "\(name): greedy row \(r) \(greedy[r].tokens) vs PyTorch \(row)")
    }
    let beam1 = try m.beamDecode(src: src, beamWidth: 1, maxLength: 6)
    for r in 0..<greedy.count {
        #expect(beam1[r].tokens == greedy[r].tokens && abs(beam1[r].logProb - greedy[r].logProb) < 1e-6, "\(name): beam 1 row \(r) is not greedy")
    }
}

/// A tiny model (target ids 3 and 4 besides pad 0, BOS 1, EOS 2) whose weights are spread
/// three times wider than the default so its distributions are peaked: greedy and the best
/// sequence then disagree more often.
private func tinyModel(_ attention: Seq2SeqAttention, cell: Seq2SeqCell = .lstm, numLayers: Int = 1) throws -> Seq2Seq {
    let m = try Seq2Seq(srcVocab: 6, tgtVocab: 5, embedDim: 4, hiddenSize: 3, numLayers: numLayers, bidirectional: attention == .general,
                        attention: attention, cell: cell)
    for (i, (_, p)) in m.namedParameters().enumerated() {
        let v = values(p.count, seed: 700 + UInt64(i), scale: 1.7)
        for j in 0..<p.count { p.floats[j] = v[j] }
    }
    return m
}

/// The best (tokens, logProb) over every sequence: y in {3, 4}^n + EOS (n < maxLength) and
/// {3, 4}^maxLength cut off, ranked by logProb / length^penalty (length counts EOS).
private func bruteForce(_ m: Seq2Seq, _ src: [Int], maxLength: Int, penalty: Double) throws -> (tokens: [Int], logProb: Double) {
    var seqs: [[Int]] = [[]], all: [[Int]] = [[]]
    for _ in 0..<maxLength {
        seqs = seqs.flatMap { [$0 + [3], $0 + [4]] }
        all += seqs
    }
    var best: (score: Double, tokens: [Int], logProb: Double)? = nil
    for y in all {
        let eos = y.count < maxLength
        let lp = try m.scoreSequences(src: try tokens([src]), tgt: try tokens([y + [0]]), withEOS: eos)[0]
        let n = Double(y.count + (eos ? 1 : 0))
        let s = penalty == 0 ? lp : lp / pow(n, penalty)
        if best == nil || s > best!.score { best = (s, y, lp) }
    }
    return (best!.tokens, best!.logProb)
}

@Test(arguments: [(Seq2SeqAttention.none, 0.0, Seq2SeqCell.lstm), (.dot, 0.0, .lstm), (.general, 0.7, .lstm),
                  (.none, 0.0, .gru), (.dot, 0.0, .gru), (.general, 0.7, .gru)])
func seq2seqWideBeamIsExhaustiveAndWidthOneIsGreedy(attention: Seq2SeqAttention, penalty: Double, cell: Seq2SeqCell) throws {
    // Two GRU layers: the stepper's layer loop and the reordering of every layer's state.
    let m = try tinyModel(attention, cell: cell, numLayers: cell == .gru ? 2 : 1)
    let sources = [[3, 4, 5], [5, 5], [4], [3, 3, 4, 5]]
    for s in sources {
        let want = try bruteForce(m, s, maxLength: 4, penalty: penalty)
        // 64 > 2^4: the beam never drops a hypothesis, so it is exhaustive.
        let got = try m.beamDecode(src: try tokens([s]), beamWidth: 64, maxLength: 4, lengthPenalty: penalty)[0]
        #expect(got.tokens == want.tokens, "\(attention) \(s): beam \(got.tokens), brute force \(want.tokens)")
        #expect(abs(got.logProb - want.logProb) < 1e-4)
        let g = try m.greedyDecode(src: try tokens([s]), maxLength: 4)[0]
        let b1 = try m.beamDecode(src: try tokens([s]), beamWidth: 1, maxLength: 4, lengthPenalty: penalty)[0]
        #expect(g.tokens == b1.tokens && abs(g.logProb - b1.logProb) < 1e-6, "\(attention) \(s): beam 1 \(b1.tokens) vs greedy \(g.tokens)")
    }
    // A batch gives each row's own result.
    let batch = try m.beamDecode(src: try tokens([[3, 4, 5], [5, 5]]), beamWidth: 64, maxLength: 4, lengthPenalty: penalty)
    for (i, s) in [[3, 4, 5], [5, 5]].enumerated() {
        let one = try m.beamDecode(src: try tokens([s]), beamWidth: 64, maxLength: 4, lengthPenalty: penalty)[0]
        #expect(batch[i].tokens == one.tokens && batch[i].logProb == one.logProb)
    }
}

@Test func beamSelectionKeepsWhatAFullSortKeeps() {
    // Few distinct log-probabilities, so ties (broken by parent, then token) are everywhere.
    let v = values(3000, seed: 11, scale: 4)
    var all: [BeamCandidate] = []
    for (i, x) in v.enumerated() { all.append(BeamCandidate(parent: i / 100, token: i % 100, logProb: Double(x.rounded()))) }
    let sorted = all.sorted(by: BeamCandidate.ranksAbove)
    for k in [1, 2, 7, 64, 2999, 3000, 4096] {
        var sel = BeamSelection(k: k)
        for c in all.reversed() { sel.offer(parent: c.parent, token: c.token, logProb: c.logProb) }  // order must not matter
        #expect(sel.best() == Array(sorted.prefix(k)), "k = \(k)")
        sel.removeAll()
        for c in all { sel.offer(parent: c.parent, token: c.token, logProb: c.logProb) }
        #expect(sel.best() == Array(sorted.prefix(k)), "k = \(k), offered in order")
    }
}

@Test(arguments: [Seq2SeqCell.lstm, .gru])
func seq2seqCheckpointRoundTripDecodesIdentically(cell: Seq2SeqCell) throws {
    let m = try tinyModel(.general, cell: cell)
    m.tgtTokens = ["<pad>", "<s>", "</s>", "a", "b"]
    let path = "/tmp/swiftnn-seq2seq-\(cell)-\(getpid()).safetensors"
    defer { unlink(path) }
    try Checkpoint.save(m, to: path)
    let back = try #require(try Checkpoint.load(from: path) as? Seq2Seq)
    #expect(back.cell == cell && back.attention == .general && back.bidirectional && back.tgtTokens == m.tgtTokens && back.srcTokens.isEmpty)
    let src = try tokens([[3, 4, 5], [5, 5], [4]])
    for width in [1, 3, 64] {
        let a = try m.beamDecode(src: src, beamWidth: width, maxLength: 6, lengthPenalty: 0.6)
        let b = try back.beamDecode(src: src, beamWidth: width, maxLength: 6, lengthPenalty: 0.6)
        #expect(a.map(\.tokens) == b.map(\.tokens) && a.map(\.logProb) == b.map(\.logProb), "beam \(width)")
    }
    #expect(try m.greedyDecode(src: src, maxLength: 6).map(\.tokens) == back.greedyDecode(src: src, maxLength: 6).map(\.tokens))
}

@Test func seq2seqArchitectureWithoutCellIsAnLSTM() throws {
    // What checkpoints held before the cell was a choice: no "cell" key.
    let old = try JSON.parse(Array(#"{"src_vocab": 6, "tgt_vocab": 5, "embed_dim": 4, "hidden_size": 3, "attention": "dot"}"#.utf8))
    let m = try #require(try Seq2Seq.build(old) as? Seq2Seq)
    #expect(m.cell == .lstm && m.namedParameters().first { $0.0 == "encoder.weight_ih_l0" }?.1.shape == [12, 4])
    let gru = try JSON.parse(Array(#"{"src_vocab": 6, "tgt_vocab": 5, "embed_dim": 4, "hidden_size": 3, "cell": "gru"}"#.utf8))
    let g = try #require(try Seq2Seq.build(gru) as? Seq2Seq)
    #expect(g.cell == .gru && g.namedParameters().first { $0.0 == "decoder.weight_hh_l0" }?.1.shape == [9, 3])
    let bad = try JSON.parse(Array(#"{"src_vocab": 6, "tgt_vocab": 5, "embed_dim": 4, "hidden_size": 3, "cell": "rnn"}"#.utf8))
    #expect(status(.format) { _ = try Seq2Seq.build(bad) })
}

@Test func seq2seqBadArgumentsThrowInsteadOfTrapping() throws {
    let m = try tinyModel(.dot)
    let src = try tokens([[3, 4], [5]])
    #expect(status(.invalidArgument) { _ = try m.beamDecode(src: src, beamWidth: 0, maxLength: 4) })
    #expect(status(.invalidArgument) { _ = try m.beamDecode(src: src, beamWidth: 4097, maxLength: 4) })
    #expect(status(.invalidArgument) { _ = try m.beamDecode(src: src, beamWidth: Int.max, maxLength: 4) })
    #expect(status(.invalidArgument) { _ = try m.beamDecode(src: src, beamWidth: 2, maxLength: 0) })
    #expect(status(.invalidArgument) { _ = try m.beamDecode(src: src, beamWidth: 2, maxLength: 65537) })
    #expect(status(.invalidArgument) { _ = try m.beamDecode(src: src, beamWidth: 2, maxLength: 4, lengthPenalty: -1) })
    #expect(status(.invalidArgument) { _ = try m.beamDecode(src: src, beamWidth: 2, maxLength: 4, lengthPenalty: .nan) })
    #expect(status(.invalidArgument) { _ = try m.greedyDecode(src: src, maxLength: 0) })
    #expect(status(.outOfRange) { _ = try m.beamDecode(src: try tokens([[3, 6]]), beamWidth: 2, maxLength: 4) })  // src vocab 6
    #expect(status(.outOfRange) { _ = try m.greedyDecode(src: try tokens([[-1]]), maxLength: 4) })
    #expect(status(.outOfRange) { _ = try m.scoreSequences(src: src, tgt: try tokens([[3], [5]])) })  // tgt vocab 5
    #expect(status(.invalidArgument) { _ = try m.greedyDecode(src: try tokens([[0, 3]]), maxLength: 4) })  // empty row
    #expect(status(.invalidArgument) { _ = try m.beamDecode(src: try tokens([[3, 0, 4]]), beamWidth: 2, maxLength: 4) })
    #expect(status(.shapeMismatch) { _ = try m.beamDecode(src: try Tensor(int64: [3, 4], shape: [2]), beamWidth: 2, maxLength: 4) })
    #expect(status(.shapeMismatch) { _ = try m.greedyDecode(src: try Tensor(int64: [3], shape: [1, 1, 1]), maxLength: 4) })
    #expect(status(.shapeMismatch) { _ = try m.greedyDecode(src: try Tensor([3, 4], shape: [1, 2]), maxLength: 4) })  // float ids
    #expect(status(.shapeMismatch) { _ = try m.scoreSequences(src: src, tgt: try tokens([[3]])) })  // batch sizes differ
    #expect(status(.outOfRange) { _ = try Seq2Seq(srcVocab: 6, tgtVocab: 5, embedDim: 4, hiddenSize: 3, padIdx: 7) })
    #expect(status(.invalidArgument) { _ = try Seq2Seq(srcVocab: 6, tgtVocab: 5, embedDim: 4, hiddenSize: 0) })
}

@Test func seq2seqDecoderMemoryAboveTheCapIsAnError() throws {
    // 4096 x 70000 log-probabilities alone are 1.07 GiB.
    let big = try Seq2Seq(srcVocab: 6, tgtVocab: 70_000, embedDim: 2, hiddenSize: 2)
    let src = try tokens([[3, 4]])
    do {
        _ = try big.beamDecode(src: src, beamWidth: 4096, maxLength: 5)
        Issue.record("beam 4096 over 70000 tokens was accepted")
    } catch let e as SNNError {
        #expect(e.status == .invalidArgument)
        for part in ["seq2seq_beam", "beam_width 4096", "target vocabulary 70000", "limit 1024 MiB", "smaller beam_width"] {
            #expect(e.message.contains(part), "'\(part)' not in: \(e.message)")
        }
    }
    // Greedy and scoring hold one row per source row: 4096 rows hit the same cap.
    let rows = try tokens([[Int]](repeating: [3], count: 4096))
    #expect(status(.invalidArgument) { _ = try big.greedyDecode(src: rows, maxLength: 2) })
    #expect(status(.invalidArgument) { _ = try big.scoreSequences(src: rows, tgt: rows) })
    // Long hypotheses count too: 4096 x 65536 tokens would be 4 GiB.
    let small = try tinyModel(.none)
    #expect(status(.invalidArgument) { _ = try small.beamDecode(src: src, beamWidth: 4096, maxLength: 65536) })
    // Under the cap, the widest beam works and, wider than every sequence, is still exhaustive.
    let wide = try small.beamDecode(src: try tokens([[3, 4, 5]]), beamWidth: 4096, maxLength: 4)[0]
    #expect(wide.tokens == (try bruteForce(small, [3, 4, 5], maxLength: 4, penalty: 0)).tokens)
    let fit = try big.beamDecode(src: src, beamWidth: 64, maxLength: 2)[0]
    #expect(fit.tokens.count <= 2 && fit.logProb < 0)
}
