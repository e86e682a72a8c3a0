// The Winograd F(2x2, 3x3) forward (ConvWinograd.swift) against a Double reference and the
// NCHW packed path: padding 0 and 1, maps of odd size (the last tiles partly dropped), images
// of fewer tiles than a block (several to a block, blocks straddling images) and of more
// (several blocks an image), 8 input channels and 16 outputs (the smallest vectors), with and
// without bias and with a clamp; the same bits on 1 and 2 threads; and the rule that picks it.
import Testing
import SwiftNNKernels
@testable import SwiftNN


/// conv2d (3x3, stride 1) in Double, then the clamp if any.
private func reference(_ x: Tensor, _ w: Tensor, _ b: Tensor?, _ p: ConvPlan, clamp: Bool) -> [Double] {
    let g = p.geometry
    var out = [Double](repeating: 0, count: p.n * p.k * p.outPlane)
    for ni in 0..<p.n { for o in 0..<p.k { for i in 0..<g.outH { for j in 0..<g.outW {
        var s = Double(b?.floats[o] ?? 0)
        for ci in 0..<p.c { for a in 0..<3 { for bb in 0..<3 {
            let y = i - g.padH + a, xx = j - g.padW + bb
            guard y >= 0 && y < p.h && xx >= 0 && xx < p.w else { continue }
            s += Double(w.floats[((o * p.c + ci) * 3 + a) * 3 + bb]) * Double(x.floats[((ni * p.c + ci) * p.h + y) * p.w + xx])
        } } }
        out[((ni * p.k + o) * g.outH + i) * g.outW + j] = clamp ? min(max(s, 0), 6) : s
    } } } }
    return out
}

// (batch, channels, height, width, out channels, padding, bias, clamp)
@Test(arguments: [
    (2, 32, 9, 9, 64, 0, true, false),     // the DQN's 3x3: 7x7 outputs, 16 tiles, 4 images a block
    (3, 8, 7, 10, 16, 1, false, true),     // odd height, 8 channels, 16 outputs, clamp
    (2, 16, 20, 19, 32, 1, true, false),   // 100 tiles an image: two blocks, the second partial
    (5, 24, 5, 6, 48, 0, true, true),      // 3x4 outputs: 4 tiles, 5 images in one block
    (2, 32, 16, 16, 32, 1, true, false),   // even map
])
func winogradForwardMatchesDoubleAndTheNCHWPath(_ t: (Int, Int, Int, Int, Int, Int, Bool, Bool)) throws {
    let (n, c, h, w, k, pad, hasBias, clamp) = t
    let activation: FusedActivation = clamp ? .clamp(0, 6) : .none
    let x = try noise([n, c, h, w], seed: 11), wt = try noise([k, c, 3, 3], seed: 12)
    let b = hasBias ? try noise([k], seed: 13) : nil
    let plan = try ConvPlan(x, wt, b, stride: (1, 1), padding: (pad, pad), dilation: (1, 1), groups: 1, "test")
    let want = reference(x, wt, b, plan, clamp: clamp)
    try expectForwardMatches("\(t)", plan, x, wt, b, activation: activation, want: want) { plan, x, w, bias, out in
        try plan.forwardWinograd(x, w, bias, out, activation: activation, "test")
    }
}

@Test func winogradRuleTakesPlainThreeByThreeLayers() {
    func rule(_ n: Int, _ c: Int, _ k: Int, _ o: Int, kernel: Int = 3, stride: Int = 1, pad: Int = 1, dil: Int = 1,
              groups: Int = 1) -> Bool {
        ConvKernel.prefersWinograd(n: n, c: c, k: k, kh: kernel, kw: kernel, outH: o, outW: o, groups: groups,
                                   stride: (stride, stride), padding: (pad, pad), dilation: (dil, dil))
    }
    #expect(rule(64, 64, 128, 32))              // bench_conv's layer
    #expect(rule(32, 64, 64, 7, pad: 0))        // the DQN's conv3
    #expect(rule(8, 512, 512, 7))               // ResNet's last stage
    #expect(!rule(1, 64, 64, 32))               // one image (one worker)
    #expect(!rule(8, 64, 64, 28, stride: 2))    // strided
    #expect(!rule(8, 64, 64, 28, dil: 2))       // dilated
    #expect(!rule(8, 64, 64, 28, pad: 2))       // wider padding
    #expect(!rule(8, 64, 64, 28, groups: 2))    // grouped
    #expect(!rule(8, 64, 40, 28))               // outputs not a multiple of 16
    #expect(!rule(8, 12, 64, 28))               // inputs not a multiple of 8
    #expect(!rule(8, 64, 64, 28, kernel: 5))    // 5x5
    #expect(!rule(8, 32, 32, 28))               // 32 channels: a tie forward, slower backward
}

// (batch, channels, height, width, out channels, padding): the input gradient by Winograd
// (padding 2 - p on the output gradient, the filters flipped and transposed) and the weight
// gradient by Winograd (G^T [sum of (A dY A^T) * V] G), against Double; 1 and 2 threads the
// same bits. Image groups: one; two; five (four partials, the first a chain of two groups);
// one image of 100 tiles a group (two blocks, the second partial).
@Test(arguments: [(2, 48, 9, 9, 48, 0), (3, 64, 8, 11, 64, 1), (2, 64, 7, 7, 96, 1), (20, 48, 9, 9, 48, 0),
                  (2, 48, 20, 19, 64, 1)])
func winogradInputGradientMatchesDouble(_ t: (Int, Int, Int, Int, Int, Int)) throws {
    let (n, c, h, w, k, pad) = t
    let x = try noise([n, c, h, w], seed: 21), wt = try noise([k, c, 3, 3], seed: 22)
    let plan = try ConvPlan(x, wt, nil, stride: (1, 1), padding: (pad, pad), dilation: (1, 1), groups: 1, "test")
    #expect(plan.winograd)
    let (oh, ow) = (plan.geometry.outH, plan.geometry.outW)
    let g = try noise([n, k, oh, ow], seed: 23)
    var wantX = [Double](repeating: 0, count: n * c * h * w), wantW = [Double](repeating: 0, count: k * c * 9)
    for ni in 0..<n { for o in 0..<k { for i in 0..<oh { for j in 0..<ow {
        let gv = Double(g.floats[((ni * k + o) * oh + i) * ow + j])
        for ci in 0..<c { for a in 0..<3 { for b in 0..<3 {
            let y = i - pad + a, xx = j - pad + b
            guard y >= 0 && y < h && xx >= 0 && xx < w else { continue }
            wantX[((ni * c + ci) * h + y) * w + xx] += gv * Double(wt.floats[((o * c + ci) * 3 + a) * 3 + b])
            wantW[((o * c + ci) * 3 + a) * 3 + b] += gv * Double(x.floats[((ni * c + ci) * h + y) * w + xx])
        } } }
    } } } }
    let saved = EngineThreads.count
    defer { EngineThreads.count = saved }
    var results: [(Tensor, Tensor)] = []
    for threads in [1, 2] {
        EngineThreads.count = threads
        let gx = try Tensor(empty: x.shape, dtype: .float32, zeroed: false, "test")
        let gw = try Tensor(empty: wt.shape, dtype: .float32, zeroed: false, "test")
        try plan.backward(g.floats, x.floats, wt.floats, gx: gx.floats, gw: gw.floats, "test")
        results.append((gx, gw))
    }
    let (gx, gw) = results[0]
    let worstX = (0..<gx.count).map { abs(Double(gx.floats[$0]) - wantX[$0]) / (1 + abs(wantX[$0])) }.max() ?? 0
    let worstW = (0..<gw.count).map { abs(Double(gw.floats[$0]) - wantW[$0]) / (1 + abs(wantW[$0])) }.max() ?? 0
    #expect(worstX < 1e-5 && worstW < 1e-5, "\(t): input gradient off by \(worstX), weight gradient by \(worstW)")
    let differing = (0..<gx.count).filter { gx.floats[$0].bitPattern != results[1].0.floats[$0].bitPattern }.count
        + (0..<gw.count).filter { gw.floats[$0].bitPattern != results[1].1.floats[$0].bitPattern }.count
    #expect(differing == 0, "\(t): \(differing) gradient entries differ between 1 and 2 threads")
}
