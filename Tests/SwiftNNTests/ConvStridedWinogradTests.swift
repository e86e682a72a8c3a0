// Winograd F(2x2, 2x2) over space-to-depth blocks (ConvWinogradForm.swift, SwiftNNKernels/
// WinogradStrided.swift) for 2s x 2s windows at stride s: the forward against a Double
// reference and the NCHW packed path, the weight gradient (and the input gradient beside it)
// against Double, the same bits on 1 and 2 threads; and the rule that picks it.
import Testing
import SwiftNNKernels
@testable import SwiftNN

/// (batch, channels, height, width, out channels, stride, padding, bias, clamp)
typealias StridedWinogradCase = (Int, Int, Int, Int, Int, Int, Int, Bool, Bool)

/// The forward in Double (then the clamp if any), and the gradients of sum(out * g).
private struct Reference {
    var out: [Double], gx: [Double], gw: [Double]

    init(_ x: Tensor, _ w: Tensor, _ b: Tensor?, _ g: Tensor, _ p: ConvPlan, clamp: Bool) {
        let geo = p.geometry, (kh, kw, sh, sw) = (p.kh, p.kw, geo.strideH, geo.strideW)
        out = [Double](repeating: 0, count: p.n * p.k * p.outPlane)
        gx = [Double](repeating: 0, count: p.n * p.c * p.h * p.w)
        gw = [Double](repeating: 0, count: p.k * p.c * kh * kw)
        for ni in 0..<p.n { for o in 0..<p.k { for i in 0..<geo.outH { for j in 0..<geo.outW {
            let at = ((ni * p.k + o) * geo.outH + i) * geo.outW + j
            var s = Double(b?.floats[o] ?? 0)
            let gv = Double(g.floats[at])
            for ci in 0..<p.c { for a in 0..<kh { for bb in 0..<kw {
                let y = i * sh - geo.padH + a, xx = j * sw - geo.padW + bb
                guard y >= 0 && y < p.h && xx >= 0 && xx < p.w else { continue }
                let xi = ((ni * p.c + ci) * p.h + y) * p.w + xx, wi = ((o * p.c + ci) * kh + a) * kw + bb
                s += Double(w.floats[wi]) * Double(x.floats[xi])
                gx[xi] += gv * Double(w.floats[wi])
                gw[wi] += gv * Double(x.floats[xi])
            } } }
            out[at] = clamp ? min(max(s, 0), 6) : s
        } } } }
    }
}

private func plan(_ t: StridedWinogradCase, _ x: Tensor, _ w: Tensor, _ b: Tensor?) throws -> ConvPlan {
    try ConvPlan(x, w, b, stride: (t.5, t.5), padding: (t.6, t.6), dilation: (1, 1), groups: 1, "test")
}

@Test(arguments: [
    (2, 4, 84, 84, 32, 4, 0, true, false),    // the DQN's 8x8/4: 10x10 tiles of 64-channel blocks, two blocks of tiles an image
    (3, 32, 20, 20, 64, 2, 0, true, true),    // the DQN's 4x4/2: 9x9 outputs (last tiles partly dropped), clamp
    (2, 16, 15, 15, 32, 2, 1, false, false),  // DCGAN's 4x4/2 with padding 1, an odd map (the last input row unread)
    (2, 16, 13, 14, 16, 3, 2, true, false),   // 6x6/3, padding 2, 144-channel blocks, height and width differ
] as [StridedWinogradCase])
func stridedWinogradMatchesDoubleAndTheNCHWPath(_ t: StridedWinogradCase) throws {
    let (n, c, h, w, k, s, _, hasBias, clamp) = t
    let activation: FusedActivation = clamp ? .clamp(0, 6) : .none
    let x = try noise([n, c, h, w], seed: 31), wt = try noise([k, c, 2 * s, 2 * s], seed: 32)
    let b = hasBias ? try noise([k], seed: 33) : nil
    let p = try plan(t, x, wt, b)
    #expect(p.winogradWeightGradient && p.winogradForm.s == s, "\(t): the rule should take F(2x2, 2x2) on blocks")
    let g = try noise(p.outShape, seed: 34)
    let want = Reference(x, wt, b, g, p, clamp: clamp)
    // 2e-5: F(2x2, 2x2) cancels the d1 g0 terms of its products (y0 = (d0 - d1) g0 + d1 (g0 +
    // g1)): worst errors (relative to 1 + |y|) 4.5e-6 to 1.06e-5 on these cases where the
    // packed path's are 3.4e-6 to 5.9e-6; the golden files allow 1e-5 + 1e-4 |y|.
    try expectForwardMatches("\(t)", p, x, wt, b, activation: activation, want: want.out, tolerance: 2e-5) { p, x, w, bias, out in
        try p.forwardWinograd(x, w, bias, out, activation: activation, "test")
    }
    // both gradients (of the unclamped convolution) through backward, on 1 and 2 threads
    let saved = EngineThreads.count
    defer { EngineThreads.count = saved }
    var results: [(Tensor, Tensor)] = []
    for threads in [1, 2] {
        EngineThreads.count = threads
        let gx = try Tensor(empty: x.shape, dtype: .float32, zeroed: !p.overwritesInputGradient, "test")
        let gw = try Tensor(empty: wt.shape, dtype: .float32, zeroed: false, "test")
        try p.backward(g.floats, x.floats, wt.floats, gx: gx.floats, gw: gw.floats, "test")
        results.append((gx, gw))
    }
    let (gx, gw) = results[0]
    let worstX = (0..<gx.count).map { abs(Double(gx.floats[$0]) - want.gx[$0]) / (1 + abs(want.gx[$0])) }.max() ?? 0
    let worstW = (0..<gw.count).map { abs(Double(gw.floats[$0]) - want.gw[$0]) / (1 + abs(want.gw[$0])) }.max() ?? 0
    #expect(worstX < 1e-5 && worstW < 1e-5, "\(t): input gradient off by \(worstX), weight gradient by \(worstW)")
    let differing = (0..<gw.count).filter { gw.floats[$0].bitPattern != results[1].1.floats[$0].bitPattern }.count
        + (0..<gx.count).filter { gx.floats[$0].bitPattern != results[1].0.floats[$0].bitPattern }.count
    #expect(differing == 0, "\(t): \(differing) gradient entries differ between 1 and 2 threads")
}

@Test func stridedWinogradRuleTakesWindowsTwiceTheirStride() {
    func rule(_ n: Int, _ c: Int, _ k: Int, out: Int, kernel: Int, stride: Int, pad: Int = 0, dil: Int = 1,
              groups: Int = 1) -> (forward: Bool, weightGradient: Bool) {
        ConvKernel.prefersStridedWinograd(n: n, c: c, k: k, kh: kernel, kw: kernel, outH: out, outW: out, groups: groups,
                                          stride: (stride, stride), padding: (pad, pad), dilation: (dil, dil))
    }
    #expect(rule(32, 4, 32, out: 20, kernel: 8, stride: 4) == (true, true))            // the DQN's conv1
    #expect(rule(32, 32, 64, out: 9, kernel: 4, stride: 2) == (true, true))            // the DQN's conv2
    #expect(rule(16, 64, 128, out: 16, kernel: 4, stride: 2, pad: 1) == (true, true))  // DCGAN's discriminator
    #expect(rule(2, 64, 128, out: 16, kernel: 4, stride: 2, pad: 1) == (false, true))  // 128 tiles: the weight gradient only
    #expect(rule(32, 256, 512, out: 4, kernel: 4, stride: 2, pad: 1) == (false, true)) // 4.7M-float filters
    let neither = (forward: false, weightGradient: false)
    #expect(rule(1, 32, 64, out: 9, kernel: 4, stride: 2) == neither)                  // one image
    #expect(rule(8, 32, 64, out: 9, kernel: 3, stride: 2) == neither)                  // window not twice the stride
    #expect(rule(8, 32, 64, out: 9, kernel: 2, stride: 1) == neither)                  // stride 1
    #expect(rule(8, 3, 64, out: 32, kernel: 4, stride: 2) == neither)                  // 12-channel blocks
    #expect(rule(8, 32, 40, out: 9, kernel: 4, stride: 2) == neither)                  // outputs not a multiple of 16
    #expect(rule(8, 32, 64, out: 9, kernel: 4, stride: 2, dil: 2) == neither)          // dilated
    #expect(rule(8, 32, 64, out: 9, kernel: 4, stride: 2, groups: 2) == neither)
}
