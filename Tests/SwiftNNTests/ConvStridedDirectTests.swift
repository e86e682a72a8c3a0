// The wide strided convolutions over few channels run direct from the images
// (ConvStridedDirect.swift): the forward and the weight gradient against Double and against
// the packed path, unpadded (the DQN's 8x8/4, its first tap block read in place) and padded
// (a 7x7/2 stem), kernels of 7 to 11 taps (one or two tap blocks, blocks partly past the
// kernel), 5x7 at stride 3 by 2, 64 and 96 output channels; the same bits on 1 and 2
// threads; and the rule that picks it.
import Testing
import SwiftNNKernels
@testable import SwiftNN


/// Visits every (image, output channel, output position, input channel, tap) of the plan
/// whose input position is inside the image, with the flat indices of x, w and out.
private func eachTerm(_ p: ConvPlan, _ body: (_ xi: Int, _ wi: Int, _ oi: Int) -> Void) {
    let g = p.geometry
    for ni in 0..<p.n { for o in 0..<p.k { for i in 0..<g.outH { for j in 0..<g.outW {
        for ci in 0..<p.c { for a in 0..<p.kh { for bb in 0..<p.kw {
            let y = i * g.strideH - g.padH + a, xx = j * g.strideW - g.padW + bb
            guard y >= 0 && y < p.h && xx >= 0 && xx < p.w else { continue }
            body(((ni * p.c + ci) * p.h + y) * p.w + xx, ((o * p.c + ci) * p.kh + a) * p.kw + bb,
                 ((ni * p.k + o) * g.outH + i) * g.outW + j)
        } } }
    } } } }
}

// (batch, channels, height, width, out channels, kernel h, kernel w, stride h, stride w, pad h, pad w)
private let shapes = [
    (3, 4, 36, 36, 32, 8, 8, 4, 4, 0, 0),    // the DQN's first layer, smaller frames: read in place
    (2, 3, 29, 31, 64, 7, 7, 2, 2, 3, 3),    // a stem: padded, 7 taps of a block of 8
    (2, 4, 30, 29, 32, 5, 7, 3, 2, 2, 1),    // uneven kernel, strides and padding
    (2, 2, 40, 40, 96, 11, 11, 4, 4, 2, 2),  // two tap blocks, three blocks of 32 outputs
]

@Test(arguments: shapes)
func stridedDirectForwardMatchesDoubleAndThePackedPath(_ t: (Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int)) throws {
    let (n, c, h, w, k, kh, kw, sh, sw, ph, pw) = t
    let x = try noise([n, c, h, w], seed: 31), wt = try noise([k, c, kh, kw], seed: 32), b = try noise([k], seed: 33)
    let plan = try ConvPlan(x, wt, b, stride: (sh, sw), padding: (ph, pw), dilation: (1, 1), groups: 1, "test")
    #expect(plan.stridedDirect)
    var want = [Double](repeating: 0, count: n * k * plan.outPlane)
    for i in 0..<want.count { want[i] = Double(b.floats[(i / plan.outPlane) % k]) }
    eachTerm(plan) { xi, wi, oi in want[oi] += Double(x.floats[xi]) * Double(wt.floats[wi]) }
    want = want.map { max($0, 0) }
    try expectForwardMatches("\(t)", plan, x, wt, b, activation: .relu, want: want) { plan, x, w, bias, out in
        try plan.forwardStridedDirect(x, w, bias, out, activation: .relu, "test")
    }
}

@Test(arguments: shapes)
func stridedDirectWeightGradientMatchesDoubleAndThePackedPath(_ t: (Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int)) throws {
    let (n, c, h, w, k, kh, kw, sh, sw, ph, pw) = t
    let x = try noise([n, c, h, w], seed: 41), wt = try noise([k, c, kh, kw], seed: 42)
    let plan = try ConvPlan(x, wt, nil, stride: (sh, sw), padding: (ph, pw), dilation: (1, 1), groups: 1, "test")
    let gout = try noise(plan.outShape, seed: 43)
    var want = [Double](repeating: 0, count: wt.count)
    eachTerm(plan) { xi, wi, oi in want[wi] += Double(x.floats[xi]) * Double(gout.floats[oi]) }
    let grads = try onOneAndTwoThreads(wt.shape) { try plan.weightGradientStridedDirect(gout.floats, x.floats, $0, "test") }
    let packed = try Tensor(empty: wt.shape, dtype: .float32, zeroed: false, "test")
    try plan.backwardPacked(gout.floats, x.floats, wt.floats, gx: nil, gw: packed.floats, "test")
    let scale = want.reduce(0) { max($0, abs($1)) }
    var worst = 0.0, worstPacked = 0.0, differing = 0
    for i in 0..<want.count {
        worst = max(worst, abs(Double(grads[0].floats[i]) - want[i]) / scale)
        worstPacked = max(worstPacked, abs(Double(grads[0].floats[i]) - Double(packed.floats[i])) / scale)
        if grads[0].floats[i].bitPattern != grads[1].floats[i].bitPattern { differing += 1 }
    }
    #expect(worst < 1e-5, "\(t): off the Double reference by \(worst)")
    #expect(worstPacked < 2e-5, "\(t): off the packed path by \(worstPacked)")
    #expect(differing == 0, "\(t): \(differing) weight-gradient entries differ between 1 and 2 threads")
}

@Test func stridedDirectRuleTakesWideStridedKernelsOverFewChannels() {
    func rule(_ c: Int, _ k: Int, kernel: Int, stride: Int, dil: Int = 1, groups: Int = 1) -> Bool {
        ConvKernel.prefersStridedDirect(c: c, k: k, kh: kernel, kw: kernel, groups: groups, stride: (stride, stride),
                                        dilation: (dil, dil))
    }
    #expect(rule(4, 32, kernel: 8, stride: 4))      // the DQN's first layer
    #expect(rule(3, 64, kernel: 7, stride: 2))      // ResNet's stem
    #expect(rule(3, 64, kernel: 11, stride: 4))     // AlexNet's
    #expect(!rule(3, 32, kernel: 3, stride: 2))     // MobileNetV2's 3x3 stem: 3 of 8 taps used
    #expect(!rule(32, 64, kernel: 4, stride: 2))    // the DQN's second layer: many channels
    #expect(!rule(1, 32, kernel: 5, stride: 2))     // a patch of 25: its panels are short
    #expect(!rule(4, 32, kernel: 8, stride: 1))     // stride 1 (the direct kernels of ConvDirect.swift)
    #expect(!rule(4, 48, kernel: 8, stride: 4))     // outputs not a multiple of 32
    #expect(!rule(4, 32, kernel: 8, stride: 4, dil: 2))
    #expect(!rule(4, 32, kernel: 8, stride: 4, groups: 2))
}
