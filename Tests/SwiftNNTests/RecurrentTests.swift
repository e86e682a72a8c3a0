// Recurrent layers beyond the golden files: multi-worker sizes against a Double reference, the
// same bits for any worker count, modules (PyTorch names, a PyTorch state dict, checkpoints,
// input forms, dropout), truncated BPTT, embedding, fast tanh/sigmoid, argument validation.
import Testing
@testable import SwiftNN
import SwiftNNKernels
#if canImport(Glibc)
import Glibc
#endif

/// Deterministic pseudo-random floats in [-scale, scale).
private struct Case {
    let cell: ReferenceRNN.Cell
    var mode: RecurrentMode { [.tanh: .rnnTanh, .relu: .rnnRelu, .lstm: .lstm, .gru: .gru][cell] ?? .lstm }
    // Big enough for two workers (B * G*H * H >= 2^18), H not a multiple of 16, odd B.
    let T = 5, I = 19, H = 72, L = 2, D = 2
    // LSTM and GRU: 21 rows, which two workers split by hidden unit; the RNNs: 51, which they
    // split by batch row (see splitsBatch); `batch` overrides.
    var batch: Int? = nil
    var B: Int { batch ?? (cell == .lstm || cell == .gru ? 21 : 51) }
    let batchFirst = true
    var lengths: [Int] { (0..<B).map { 1 + ($0 * 7 + 4) % T } }

    var ref: ReferenceRNN { ReferenceRNN(cell: cell, T: T, B: B, I: I, H: H, L: L, D: D, batchFirst: batchFirst) }
    var G: Int { ref.gates }

    func tensors() throws -> (x: Tensor, h0: Tensor, c0: Tensor?, weights: [Tensor], lengths: Tensor) {
        let k = 1 / Float(H).squareRoot()
        var weights: [Tensor] = []
        for l in 0..<L {
            for d in 0..<D {
                let seed = UInt64(100 + 10 * l + d)
                let inSize = l == 0 ? I : D * H
                weights.append(try Tensor(values(G * H * inSize, seed: seed, scale: k), shape: [G * H, inSize]))
                weights.append(try Tensor(values(G * H * H, seed: seed + 1, scale: k), shape: [G * H, H]))
                weights.append(try Tensor(values(G * H, seed: seed + 2, scale: k), shape: [G * H]))
                weights.append(try Tensor(values(G * H, seed: seed + 3, scale: k), shape: [G * H]))
            }
        }
        let x = try Tensor(values(B * T * I, seed: 1), shape: [B, T, I])
        let h0 = try Tensor(values(L * D * B * H, seed: 2, scale: 0.5), shape: [L * D, B, H])
        let c0 = cell == .lstm ? try Tensor(values(L * D * B * H, seed: 3, scale: 0.5), shape: [L * D, B, H]) : nil
        return (x, h0, c0, weights, try Tensor(int64: lengths.map(Int64.init), shape: [B]))
    }

    func run(_ x: Tensor, _ h0: Tensor, _ c0: Tensor?, _ w: [Tensor], _ lengths: Tensor) throws -> [Tensor] {
        try recurrent(mode, input: x, h0: h0, c0: c0, weights: w, lengths: lengths,
                      options: RecurrentOptions(numLayers: L, batchFirst: batchFirst, bidirectional: D == 2))
    }
}

private let cells: [ReferenceRNN.Cell] = [.tanh, .relu, .lstm, .gru]

@Test(arguments: cells)
func layersSplitOverWorkersMatchTheDoubleReference(cell: ReferenceRNN.Cell) throws {
    let c = Case(cell: cell)
    let (x, h0, c0, w, lengths) = try c.tensors()
    let outs = try GradMode.withoutGrad { try c.run(x, h0, c0, w, lengths) }
    let r = c.ref.run(x: x.scalars, weights: w.map(\.scalars), h0: h0.scalars, c0: c0?.scalars, lengths: c.lengths)
    for (name, got, want) in [("output", outs[0], r.out), ("h_n", outs[1], r.hN)] + (cell == .lstm ? [("c_n", outs[2], r.cN)] : []) {
        let worst = zip(got.scalars, want).map { abs(Double($0) - $1) }.max() ?? 0
        #expect(worst < 2e-5, "\(cell) \(name): max |engine - reference| = \(worst)")
    }
    // Padded steps output exact zeros.
    let out = outs[0].scalars
    for b in 0..<c.B where c.lengths[b] < c.T {
        let row = (b * c.T + c.lengths[b]) * 2 * c.H
        #expect(out[row..<row + 2 * c.H].allSatisfy { $0 == 0 })
    }
}

/// Two workers split the hidden units (batch 21) or the batch rows (batch 27: in proportion to
/// the workers' learned speeds, here also a lopsided 3:1); either way every output and gradient
/// has the bits one worker gives.
@Test(arguments: cells, [21, 27])
func resultsAreTheSameBitsWithOneWorkerOrSeveral(cell: ReferenceRNN.Cell, batch: Int) throws {
    // One pool from the start: the switch is once per process, and a product run before it
    // (OpenBLAS's threads) and after it (the team) need not have the same bits.
    EngineThreads.shareOnePool()
    let c = Case(cell: cell, batch: batch)
    let geo = RecurrentGeometry(mode: c.mode, steps: c.T, batch: c.B, inputSize: c.I, hidden: c.H, directions: c.D, batchFirst: true)
    #expect(geo.workersWanted >= 1 && geo.columns(worker: 0, of: 2) == 0..<32 && geo.columns(worker: 1, of: 2) == 32..<72)
    #expect(geo.splitsBatch(workers: 2) == (batch >= 24))
    func runOnce(limit: Int) throws -> [[Float]] {
        recurrentWorkerLimit = limit
        defer { recurrentWorkerLimit = nil }
        let (x, h0, c0, w, lengths) = try c.tensors()
        let leaves = [x, h0] + (c0.map { [$0] } ?? []) + w
        for t in leaves { try t.setRequiresGrad(true) }
        let outs = try c.run(x, h0, c0, w, lengths)
        for (k, o) in outs.enumerated() {
            try o.backward(try Tensor(values(o.count, seed: UInt64(50 + k)), shape: o.shape), retainGraph: k < outs.count - 1)
        }
        // without grad the LSTM and the RNN take the stacked [x_t | h] path (see runForward)
        let inference = try GradMode.withoutGrad { try c.run(x, h0, c0, w, lengths) }
        return outs.map(\.scalars) + leaves.map { $0.grad?.scalars ?? [] } + inference.map(\.scalars)
    }
    let one = try runOnce(limit: 1), two = try runOnce(limit: 2)
    #expect(one == two, "\(cell): outputs or gradients differ between 1 and 2 workers")
    StepTeam.shared.setSpeeds([3, 1])  // relearned after each run: only the first split is sure to be lopsided
    let lopsided = try runOnce(limit: 2)
    #expect(one == lopsided, "\(cell): outputs or gradients differ between 1 worker and a lopsided split")
}

/// Without h0 (zeros), step 0 skips h W_hh^T: outputs, states and gradients must equal those
/// of explicit zero states, with one worker or two, with and without grad, and where W_hh holds
/// a NaN and an inf (which must reach step 0's outputs as the product would carry them).
@Test(arguments: cells, [21, 27])
func aZeroInitialStateGivesWhatExplicitZerosGive(cell: ReferenceRNN.Cell, batch: Int) throws {
    EngineThreads.shareOnePool()  // as above: every run on one side of the pool switch
    let c = Case(cell: cell, batch: batch)
    let (x, _, _, weights, lengths) = try c.tensors()
    var w = weights
    let options = RecurrentOptions(numLayers: c.L, batchFirst: true, bidirectional: true)
    let zeros = try Tensor.zeros([c.L * c.D, c.B, c.H])
    func run(explicit: Bool, grad: Bool) throws -> [[UInt32]] {
        let leaves = [x] + w
        for t in leaves { t.grad = nil; try t.setRequiresGrad(grad) }
        func forward() throws -> [Tensor] {
            try recurrent(c.mode, input: x, h0: explicit ? zeros : nil, c0: explicit && cell == .lstm ? zeros : nil,
                          weights: w, lengths: lengths, options: options)
        }
        let outs = grad ? try forward() : try GradMode.withoutGrad { try forward() }
        if grad {
            for (k, o) in outs.enumerated() {
                try o.backward(try Tensor(values(o.count, seed: UInt64(80 + k)), shape: o.shape), retainGraph: k < outs.count - 1)
            }
        }
        // bits, with -0 as +0 (0 - 0 and 0 + -0 differ only there)
        return (outs.map(\.scalars) + leaves.map { $0.grad?.scalars ?? [] }).map { $0.map { ($0 == 0 ? 0 : $0).bitPattern } }
    }
    /// Where two runs' results first differ (result k, element i), or nil.
    func firstDifference(_ a: [[UInt32]], _ b: [[UInt32]]) -> String? {
        guard a.count == b.count else { return "\(a.count) results against \(b.count)" }
        for (k, (x, y)) in zip(a, b).enumerated() where x != y {
            let i = (0..<min(x.count, y.count)).first { x[$0] != y[$0] } ?? min(x.count, y.count)
            return "result \(k) element \(i) of \(x.count)"
        }
        return nil
    }
    for limit in [1, 2] {
        recurrentWorkerLimit = limit
        defer { recurrentWorkerLimit = nil }
        for grad in [false, true] {
            let difference = firstDifference(try run(explicit: false, grad: grad), try run(explicit: true, grad: grad))
            #expect(difference == nil, "\(cell), \(limit) worker(s), grad \(grad): no h0 differs from zero h0 at \(difference ?? "")")
        }
    }
    // A NaN and an inf in layer 0's forward W_hh: 0 * NaN and 0 * inf are NaN at step 0 too.
    let whh = try Tensor(w[1].scalars, shape: w[1].shape)
    whh.floats[5] = .nan
    whh.floats[c.H * c.H + 7] = .infinity
    w[1] = whh
    let difference = firstDifference(try run(explicit: false, grad: false), try run(explicit: true, grad: false))
    #expect(difference == nil, "\(cell): a non-finite W_hh must not be skipped at step 0 (\(difference ?? ""))")
    let nanOutputs = try GradMode.withoutGrad { try recurrent(c.mode, input: x, weights: w, lengths: lengths, options: options) }[0]
    #expect(nanOutputs.scalars.contains { $0.isNaN })
}

/// allFinite (which decides whether step 0 may skip h W_hh^T) finds a NaN or an infinity at
/// every position, in the blocks of 32, of 8 and in the scalar tail.
@Test func allFiniteFindsEveryNonFiniteValue() {
    for count in [1, 7, 8, 9, 31, 32, 33, 71] {
        var v = values(count, seed: UInt64(count + 1), scale: Float.greatestFiniteMagnitude)
        #expect(v.withUnsafeBufferPointer { allFinite($0.baseAddress!, count: count) }, "\(count) finite values")
        for i in 0..<count {
            for bad in [Float.nan, .infinity, -.infinity] {
                let kept = v[i]
                v[i] = bad
                #expect(!v.withUnsafeBufferPointer { allFinite($0.baseAddress!, count: count) }, "\(bad) at \(i) of \(count)")
                v[i] = kept
            }
        }
    }
}

/// <dL/dX, v> from backward against (L(X + e v) - L(X - e v)) / 2e of the Double reference,
/// for a random direction v in every input (x, h0, c0, each weight).
@Test(arguments: [ReferenceRNN.Cell.tanh, .lstm, .gru])
func gradientsMatchDirectionalDerivativesOfTheReference(cell: ReferenceRNN.Cell) throws {
    let c = Case(cell: cell)
    let (x, h0, c0, w, lengths) = try c.tensors()
    let leaves = [x, h0] + (c0.map { [$0] } ?? []) + w
    for t in leaves { try t.setRequiresGrad(true) }
    let outs = try c.run(x, h0, c0, w, lengths)
    let gouts = try outs.enumerated().map { k, o in try Tensor(values(o.count, seed: UInt64(60 + k)), shape: o.shape) }
    for (k, o) in outs.enumerated() { try o.backward(gouts[k], retainGraph: k < outs.count - 1) }

    func loss(_ vals: [[Float]]) -> Double {
        let n = c0 == nil ? 2 : 3
        let r = c.ref.run(x: vals[0], weights: Array(vals[n...]), h0: vals[1], c0: c0 == nil ? nil : vals[2], lengths: c.lengths)
        var l = 0.0
        for (k, ys) in [r.out, r.hN, r.cN].prefix(outs.count).enumerated() {
            for (y, g) in zip(ys, gouts[k].scalars) { l += y * Double(g) }
        }
        return l
    }
    // One random direction per group of inputs: x; the initial states; all weights.
    let base = leaves.map(\.scalars)
    let groups = [[0], Array(1..<(c0 == nil ? 2 : 3)), Array((c0 == nil ? 2 : 3)..<leaves.count)]
    for (k, group) in groups.enumerated() {
        let eps = 1e-3
        var plus = base, minus = base
        var analytic = 0.0
        for i in group {
            let v = values(leaves[i].count, seed: UInt64(70 + i))
            plus[i] = zip(base[i], v).map { Float(Double($0) + eps * Double($1)) }
            minus[i] = zip(base[i], v).map { Float(Double($0) - eps * Double($1)) }
            // The steps were rounded to Float: use the actual difference of the perturbed inputs.
            for (g, (p, m)) in zip(leaves[i].grad?.scalars ?? [], zip(plus[i], minus[i])) {
                analytic += Double(g) * (Double(p) - Double(m)) / 2
            }
        }
        let numeric = (loss(plus) - loss(minus)) / 2
        #expect(abs(numeric - analytic) <= 1e-5 + 1e-3 * abs(analytic), "\(cell) input group \(k): backward \(analytic), reference \(numeric)")
    }
}

@Test func lstmParametersHavePyTorchNamesOrderShapesAndInitRange() throws {
    let m = try LSTM(inputSize: 5, hiddenSize: 6, numLayers: 2, bidirectional: true)
    var expected: [String] = []
    for l in 0..<2 {
        for suffix in ["", "_reverse"] {
            expected += ["weight_ih", "weight_hh", "bias_ih", "bias_hh"].map { "\($0)_l\(l)\(suffix)" }
        }
    }
    #expect(m.stateDict().map(\.name) == expected)
    #expect(m.stateDict()[0].tensor.shape == [24, 5] && m.stateDict()[4].tensor.shape == [24, 5])
    #expect(m.stateDict()[8].tensor.shape == [24, 12] && m.stateDict()[9].tensor.shape == [24, 6])
    let bound = 1 / Float(6).squareRoot()
    #expect(m.parameters.allSatisfy { $0.requiresGrad && $0.scalars.allSatisfy { abs($0) <= bound } })
    let gru = try GRU(inputSize: 3, hiddenSize: 4, bias: false)
    #expect(gru.stateDict().map(\.name) == ["weight_ih_l0", "weight_hh_l0"])
    let cell = try LSTMCell(inputSize: 3, hiddenSize: 2)
    #expect(cell.stateDict().map(\.name) == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"])
    #expect(cell.stateDict()[0].tensor.shape == [8, 3])
}

@Test func aPyTorchLSTMStateDictLoadsAndGivesPyTorchsOutputs() throws {
    let path = goldenDir + "/lstm_torch_state.safetensors"
    let file = try SafeTensors.read(path: path)
    let m = try LSTM(inputSize: 5, hiddenSize: 6, numLayers: 2, bidirectional: true)
    #expect(m.stateDict().allSatisfy { file[$0.name] != nil }, "the file holds every parameter of the model")
    try Checkpoint.loadWeights(into: m, from: path, strict: false)  // the file also holds inputs and outputs
    func t(_ k: String) throws -> Tensor { try #require(file[k]) }
    let plain = try m.forward([try t("input"), try t("h0"), try t("c0")])
    let packed = try m.forward([try t("input"), try t("h0"), try t("c0"), try t("lengths")])
    for (outs, prefix) in [(plain, "out"), (packed, "packed")] {
        for (o, k) in zip(outs, ["output", "h_n", "c_n"]) {
            if let bad = mismatch(o, try t("\(prefix).\(k)")) { Issue.record("\(prefix).\(k): \(bad)") }
        }
    }
}

@Test func checkpointsRebuildRecurrentModulesWithTheSameOutputs() throws {
    let x = try Tensor(values(4 * 3 * 5, seed: 9), shape: [3, 4, 5])
    let modules: [Module] = [
        try LSTM(inputSize: 5, hiddenSize: 6, numLayers: 2, batchFirst: true, dropout: 0.25, bidirectional: true),
        try GRU(inputSize: 5, hiddenSize: 3, batchFirst: true),
        try RNN(inputSize: 5, hiddenSize: 4, nonlinearity: "relu", bias: false, batchFirst: true),
        try LSTMCell(inputSize: 5, hiddenSize: 2), try GRUCell(inputSize: 5, hiddenSize: 2),
        try RNNCell(inputSize: 5, hiddenSize: 2, nonlinearity: "relu"),
    ]
    for (i, m) in modules.enumerated() {
        m.train(false)
        let path = "/tmp/swiftnn-rnn-checkpoint-\(getpid())-\(i).safetensors"
        defer { unlink(path) }
        try Checkpoint.save(m, to: path)
        let back = try Checkpoint.load(from: path)
        back.train(false)
        #expect(back.typeName == m.typeName)
        #expect(back.architecture.serialized == m.architecture.serialized)
        let input = m is RNNCellBase ? try Tensor(values(3 * 5, seed: 10), shape: [3, 5]) : x
        let a = try GradMode.withoutGrad { try m.forward([input]) }, b = try GradMode.withoutGrad { try back.forward([input]) }
        #expect(a.map(\.scalars) == b.map(\.scalars), "\(m.typeName): outputs differ after a checkpoint round trip")
    }
    let emb = try Embedding(numEmbeddings: 7, embeddingDim: 3, paddingIdx: -2)
    let path = "/tmp/swiftnn-emb-\(getpid()).safetensors"
    defer { unlink(path) }
    try Checkpoint.save(emb, to: path)
    let back = try #require(try Checkpoint.load(from: path) as? Embedding)
    #expect(back.paddingIdx == 5 && back.weight.scalars == emb.weight.scalars)
}

@Test func recurrentModulesTakeOptionalInputsInAnyOfTheDocumentedForms() throws {
    let m = try LSTM(inputSize: 2, hiddenSize: 3)
    let x = try Tensor(values(4 * 2 * 2, seed: 11), shape: [4, 2, 2])
    let lengths = try Tensor(int64: [4, 2], shape: [2])
    let h0 = try Tensor(values(6, seed: 12), shape: [1, 2, 3])
    let zeros = try Tensor.zeros([1, 2, 3])
    let padded = try m.forward([x, lengths]).map(\.scalars)
    #expect(try m.forward(optional: [x, nil, nil, lengths]).map(\.scalars) == padded)
    #expect(try m.forward(optional: [x, zeros, nil, lengths]).map(\.scalars) == padded)
    #expect(try m.forward([x, zeros, zeros]).map(\.scalars) == m.forward([x]).map(\.scalars))
    #expect(try m.forward([x, h0]).count == 3)
    #expect(try m.forward(x).shape == [4, 2, 3])
    #expect(throws: SNNError.self) { try m.forward([x, h0, h0, lengths, lengths]) }
    #expect(throws: SNNError.self) { try m.forward(optional: [nil, h0]) }
    #expect(throws: SNNError.self) { try m.forward(optional: [x, h0, h0, h0]) }  // lengths must be int64
    let gru = try GRU(inputSize: 2, hiddenSize: 3)
    #expect(try gru.forward(optional: [x, nil, lengths]).count == 2)
    #expect(throws: SNNError.self) { try gru.forward([x, h0, h0]) }  // no c0 for GRU
    let cell = try LSTMCell(inputSize: 2, hiddenSize: 3)
    let xc = try Tensor(values(4, seed: 13), shape: [2, 2])
    #expect(try cell.forward(optional: [xc, nil, nil]).map(\.shape) == [[2, 3], [2, 3]])
    #expect(try cell.forward(xc).shape == [2, 3])
    #expect(throws: SNNError.self) { try Sequential([]).forward(optional: [x, nil]) }
}

@Test func dropoutActsBetweenLayersOnlyInTrainingMode() throws {
    let m = try LSTM(inputSize: 3, hiddenSize: 4, numLayers: 2, dropout: 0.5)
    let x = try Tensor(values(5 * 2 * 3, seed: 14), shape: [5, 2, 3])
    m.train(false)
    let a = try m.forward([x])[0].scalars, b = try m.forward([x])[0].scalars
    #expect(a == b)
    m.train(true)
    Generator.global.manualSeed(3)
    let c = try m.forward([x])[0].scalars
    Generator.global.manualSeed(3)
    let d = try m.forward([x])[0].scalars
    #expect(c == d, "dropout masks come from the seeded Philox generator")
    #expect(c != a)
    let single = try LSTM(inputSize: 3, hiddenSize: 4, dropout: 0.5)  // one layer: nothing to drop
    single.train(true)
    let e = try single.forward([x])[0].scalars
    single.train(false)
    #expect(try single.forward([x])[0].scalars == e)
}

/// Truncated BPTT is the caller's: detach the state between chunks. The second chunk's
/// gradients then equal those of a run that starts from the same state as a constant, and
/// nothing flows into the first chunk.
@Test func truncatedBPTTDetachesStatesBetweenChunks() throws {
    let m = try LSTM(inputSize: 3, hiddenSize: 4)
    let x1 = try Tensor(values(6 * 2 * 3, seed: 15), shape: [6, 2, 3])
    let x2 = try Tensor(values(6 * 2 * 3, seed: 16), shape: [6, 2, 3])
    try x1.setRequiresGrad(true)
    let first = try m.forward([x1])
    let (h, c) = (first[1].detach(), first[2].detach())
    #expect(!h.requiresGrad && h.gradFnName == nil)
    let second = try m.forward([x2, h, c])
    try sum(second[0]).backward()
    #expect(x1.grad == nil, "backward stopped at the chunk boundary")
    let chunked = m.parameters.map { $0.grad?.scalars ?? [] }

    for p in m.parameters { p.grad = nil }
    let again = try m.forward([x2, try h.clone(), try c.clone()])
    try sum(again[0]).backward()
    #expect(m.parameters.map { $0.grad?.scalars ?? [] } == chunked)
    #expect(chunked.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isFinite) })
}

@Test func embeddingLooksUpRowsAndChecksIndices() throws {
    let e = try Embedding(numEmbeddings: 5, embeddingDim: 3, paddingIdx: 1)
    #expect(e.weight.scalars[3..<6].allSatisfy { $0 == 0 }, "the padding row starts at zero")
    let idx = try Tensor(int64: [4, 1, 4, 0], shape: [2, 2])
    let out = try e.forward(idx)
    #expect(out.shape == [2, 2, 3])
    #expect(Array(out.scalars[0..<3]) == Array(e.weight.scalars[12..<15]))
    try out.backward(try Tensor.ones([2, 2, 3]))
    let g = try #require(e.weight.grad).scalars
    #expect(Array(g[12..<15]) == [2, 2, 2] && Array(g[3..<6]) == [0, 0, 0] && Array(g[0..<3]) == [1, 1, 1])
    do {
        _ = try e.forward(try Tensor(int64: [0, 5], shape: [2]))
        Issue.record("index 5 accepted")
    } catch let err as SNNError {
        #expect(err.status == .outOfRange && err.message.contains("index 5") && err.message.contains("5 embeddings"))
    }
    #expect(throws: SNNError.self) { try e.forward(try Tensor(int64: [-1], shape: [1])) }
    #expect(throws: SNNError.self) { try e.forward(try Tensor([0], shape: [1])) }
    #expect(throws: SNNError.self) { try Embedding(numEmbeddings: 3, embeddingDim: 2, paddingIdx: 3) }
}

@Test func fastTanhAndSigmoidStayWithin1e6OfLibm() {
    // A sweep of float bit patterns over [0, 40] (tanh is odd; sigmoid checked on both sides).
    var worstTanh = 0.0, worstSigmoid = 0.0
    let top = (40 as Float).bitPattern
    var bits: UInt32 = 0
    while bits <= top {
        let x = Float(bitPattern: bits)
        worstTanh = max(worstTanh, abs(Double(fastTanh(x)) - tanh(Double(x))))
        worstSigmoid = max(worstSigmoid, abs(Double(fastSigmoid(x)) - 1 / (1 + exp(-Double(x)))),
                           abs(Double(fastSigmoid(-x)) - 1 / (1 + exp(Double(x)))))
        bits &+= 997
    }
    #expect(worstTanh <= 1e-6 && worstSigmoid <= 1e-6, "tanh \(worstTanh), sigmoid \(worstSigmoid)")
    #expect(fastTanh(Float.nan).isNaN && fastTanh(100) <= 1 && fastTanh(-100) >= -1)
}

@Test func recurrentArgumentsAreValidatedWithMessages() throws {
    let x = try Tensor.zeros([4, 2, 3])
    let w = [try Tensor.zeros([16, 3]), try Tensor.zeros([16, 4]), try Tensor.zeros([16]), try Tensor.zeros([16])]
    func fails(_ status: Status, _ text: String, _ body: () throws -> Any) {
        do {
            _ = try body()
            Issue.record("expected \(status) containing '\(text)'")
        } catch let e as SNNError {
            #expect(e.status == status && e.message.contains(text), "\(e.status): \(e.message)")
        } catch { Issue.record("\(error)") }
    }
    // issue 20: a wrong input size names the input's shape and the expected size, not weight_ih_l0
    fails(.shapeMismatch, "input.size(-1) must be equal to input_size. Expected 3, got 5 (input of shape [4, 2, 5])") {
        try recurrent(.lstm, input: try Tensor.zeros([4, 2, 5]), weights: w)
    }
    fails(.shapeMismatch, "input.size(-1) must be equal to input_size. Expected 3, got 7 (input of shape [2, 7])") {
        try recurrentCell(.lstm, input: try Tensor.zeros([2, 7]), wIH: w[0], wHH: w[1])
    }
    fails(.shapeMismatch, "weight_ih_l0 must have shape [16, 3]") {
        try recurrent(.lstm, input: x, weights: [try Tensor.zeros([12, 3])] + Array(w.dropFirst()))
    }
    fails(.shapeMismatch, "h0 must have shape [1, 2, 4]") { try recurrent(.lstm, input: x, h0: try Tensor.zeros([1, 3, 4]), weights: w) }
    fails(.invalidArgument, "expected 4 weight tensors") { try recurrent(.lstm, input: x, weights: Array(w.prefix(3))) }
    fails(.outOfRange, "lengths[1] = 5 is out of range [1, 4]") {
        try recurrent(.lstm, input: x, weights: w, lengths: try Tensor(int64: [4, 5], shape: [2]))
    }
    fails(.outOfRange, "lengths[0] = 0") { try recurrent(.lstm, input: x, weights: w, lengths: try Tensor(int64: [0, 1], shape: [2])) }
    fails(.dtypeMismatch, "lengths has dtype float32") { try recurrent(.lstm, input: x, weights: w, lengths: try Tensor([1, 1], shape: [2])) }
    fails(.shapeMismatch, "lengths must have shape [2]") { try recurrent(.lstm, input: x, weights: w, lengths: try Tensor(int64: [1], shape: [1])) }
    fails(.shapeMismatch, "input must be [T, B, I]") { try recurrent(.lstm, input: try Tensor.zeros([1, 4, 2, 3]), weights: w) }
    fails(.shapeMismatch, "is empty") { try recurrent(.lstm, input: try Tensor.zeros([0, 2, 3]), weights: w) }
    fails(.invalidArgument, "c0 is only used by LSTM") {
        try recurrent(.gru, input: x, c0: try Tensor.zeros([1, 2, 4]),
                      weights: [try Tensor.zeros([12, 3]), try Tensor.zeros([12, 4]), try Tensor.zeros([12]), try Tensor.zeros([12])])
    }
    fails(.invalidArgument, "num_layers must be >= 1") { try recurrent(.lstm, input: x, weights: w, options: RecurrentOptions(numLayers: 0)) }
    fails(.invalidArgument, "dropout must be in [0, 1]") { try recurrent(.lstm, input: x, weights: w, options: RecurrentOptions(dropout: 2)) }
    fails(.shapeMismatch, "hx must have shape [2, 4]") {
        try recurrentCell(.lstm, input: try Tensor.zeros([2, 3]), h: try Tensor.zeros([3, 4]), wIH: w[0], wHH: w[1])
    }
    fails(.invalidArgument, "input_size, hidden_size and num_layers must be >= 1") { try LSTM(inputSize: 0, hiddenSize: 3) }
    fails(.invalidArgument, "nonlinearity must be") { try RNN(inputSize: 2, hiddenSize: 3, nonlinearity: "sigmoid") }
}
