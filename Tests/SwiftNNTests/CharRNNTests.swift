// The char-RNN's training forward (embedding folded into the first LSTM layer as a table)
// against the plain composition Embedding -> LSTM -> Linear: outputs, states and every
// parameter gradient, on one worker's path and on the batch-split path.
import Testing
@testable import SwiftNN

/// Deterministic pseudo-random floats in [-scale, scale).
/// Batch 5 (one worker, or units split) and 26 (two workers split the batch where the machine
/// has two threads); hidden 40 leaves a part panel, 64 does not.
@Test(arguments: [(5, 40), (26, 64)])
func embeddedInputMatchesThePlainComposition(batch B: Int, hidden H: Int) throws {
    let V = 23, E = 12, L = 2, T = 9
    let vocab = (0..<V).map { UInt8(97 + $0) }
    let ids = values(T * B, seed: 3).map { Int64((($0 + 1) / 2 * Float(V)).rounded(.down)).clamped(0, Int64(V - 1)) }
    let upstream = [values(T * B * V, seed: 4), values(L * B * H, seed: 5), values(L * B * H, seed: 6)]

    let m = try CharRNN(vocab: vocab, embeddingDim: E, hiddenSize: H, numLayers: L)
    /// Outputs, then each parameter's gradient, from the plain (false) or embedded (true) path.
    func run(embedded: Bool) throws -> [[Float]] {
        for p in m.parameters { p.grad = nil }
        let x = try Tensor(int64: ids, shape: [T, B])
        let h0 = try Tensor(values(L * B * H, seed: 7, scale: 0.5), shape: [L, B, H])
        let c0 = try Tensor(values(L * B * H, seed: 8, scale: 0.5), shape: [L, B, H])
        let outs = embedded ? try m.forwardWithEmbeddedInput(x, h0: h0, c0: c0) : try m.forward(optional: [x, h0, c0])
        for (k, o) in outs.enumerated() {
            try o.backward(try Tensor(upstream[k], shape: o.shape), retainGraph: k < outs.count - 1)
        }
        return outs.map(\.scalars) + m.parameters.map { $0.grad?.scalars ?? [] }
    }
    let plain = try run(embedded: false), folded = try run(embedded: true)
    let names = ["logits", "h_n", "c_n", "embed.weight", "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                 "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1", "head.weight", "head.bias"]
    #expect(plain.count == names.count && folded.count == names.count)
    for (k, (a, b)) in zip(plain, folded).enumerated() {
        #expect(a.count == b.count && !a.isEmpty, "\(names[k]): \(a.count) vs \(b.count) values")
        let scale = max(a.map { abs($0) }.max() ?? 0, 1e-3)
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 2e-5 * scale, "\(names[k]): max |embedded - plain| = \(worst) (largest |value| \(scale))")
    }
}

@Test func embeddedInputRejectsBadIndicesAndStates() throws {
    let m = try CharRNN(vocab: Array("abc".utf8), embeddingDim: 4, hiddenSize: 8, numLayers: 1)
    func fails(_ body: () throws -> Void) -> Bool {
        do { try body() } catch is SNNError { return true } catch { return false }
        return false
    }
    #expect(fails { _ = try m.forwardWithEmbeddedInput(try Tensor(int64: [0, 3], shape: [2, 1]), h0: nil, c0: nil) })
    #expect(fails { _ = try m.forwardWithEmbeddedInput(try Tensor(int64: [0, -1], shape: [2, 1]), h0: nil, c0: nil) })
    #expect(fails { _ = try m.forwardWithEmbeddedInput(try Tensor(int64: [0, 1], shape: [2]), h0: nil, c0: nil) })
    #expect(fails { _ = try m.forwardWithEmbeddedInput(try Tensor(int64: [0, 1], shape: [2, 1]), h0: try Tensor.zeros([1, 2, 8]), c0: nil) })
    #expect(try m.forwardWithEmbeddedInput(try Tensor(int64: [0, 2], shape: [2, 1]), h0: nil, c0: nil)[0].shape == [2, 3])
}

private extension Comparable {
    func clamped(_ lo: Self, _ hi: Self) -> Self { min(max(self, lo), hi) }
}
