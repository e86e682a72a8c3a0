// The channels-last convolution forward (ConvChannelsLast.swift) against a Double reference and
// against the NCHW path: padding, stride, dilation, output channels that are not a multiple of
// 16, blocks of positions that straddle images, with and without bias, a clamp and a
// Hardswish applied after the GEMM; the same bits on 1 and 2 threads; the rule that picks it;
// and the channels-last input gradient, bit for bit the packed backward's.
import Testing
import SwiftNNKernels
@testable import SwiftNN


/// conv2d in Double, then the activation.
private func reference(_ x: Tensor, _ w: Tensor, _ b: Tensor?, _ p: ConvPlan, _ activation: FusedActivation) -> [Double] {
    let g = p.geometry
    var out = [Double](repeating: 0, count: p.n * p.k * p.outPlane)
    for ni in 0..<p.n { for o in 0..<p.k { for i in 0..<g.outH { for j in 0..<g.outW {
        var s = Double(b?.floats[o] ?? 0)
        for ci in 0..<p.c { for a in 0..<p.kh { for bb in 0..<p.kw {
            let y = i * g.strideH - g.padH + a * g.dilationH, xx = j * g.strideW - g.padW + bb * g.dilationW
            guard y >= 0 && y < p.h && xx >= 0 && xx < p.w else { continue }
            s += Double(w.floats[((o * p.c + ci) * p.kh + a) * p.kw + bb]) * Double(x.floats[((ni * p.c + ci) * p.h + y) * p.w + xx])
        } } }
        switch activation {
        case .clamp(let lo, let hi): s = min(max(s, Double(lo)), Double(hi))
        case .hardswish: s = s * min(max(s + 3, 0), 6) / 6
        default: break
        }
        out[((ni * p.k + o) * g.outH + i) * g.outW + j] = s
    } } } }
    return out
}

// (batch, channels, size, out channels, kernel, stride, padding, dilation, bias, activation)
@Test(arguments: [
    (3, 32, 9, 64, 3, 1, 0, 1, true, 0),      // the DQN's 3x3 (positions straddling images)
    (2, 32, 20, 40, 4, 2, 0, 1, true, 1),     // its 4x4/2; 40 outputs (a pitch of 48)
    (2, 24, 10, 17, 3, 1, 1, 1, false, 2),    // padded, 17 outputs, Hardswish after the GEMM
    (1, 16, 12, 32, 3, 2, 1, 2, true, 0),     // stride 2, dilation 2
    (5, 8, 7, 16, 2, 1, 0, 1, true, 1),       // fewer positions than a block per image
])
func channelsLastForwardMatchesDoubleAndTheNCHWPath(_ t: (Int, Int, Int, Int, Int, Int, Int, Int, Bool, Int)) throws {
    let (n, c, size, k, ks, stride, pad, dil, hasBias, act) = t
    let activation: FusedActivation = [.none, .clamp(0, 6), .hardswish][act]
    let x = try noise([n, c, size, size], seed: 1), w = try noise([k, c, ks, ks], seed: 2)
    let b = hasBias ? try noise([k], seed: 3) : nil
    let plan = try ConvPlan(x, w, b, stride: (stride, stride), padding: (pad, pad), dilation: (dil, dil), groups: 1, "test")
    let want = reference(x, w, b, plan, activation)
    try expectForwardMatches("\(t)", plan, x, w, b, activation: activation, want: want) { plan, x, w, bias, out in
        try plan.forwardChannelsLast(x, w, bias, out, activation: activation, "test")
    }
}

@Test func channelsLastRuleTakesSmallMapsItWasMeasuredToWin() {
    func rule(_ n: Int, _ c: Int, _ size: Int, _ kernel: Int, stride: Int = 1, pad: Int = 0, groups: Int = 1) -> Bool {
        let o = (size + 2 * pad - kernel) / stride + 1
        return ConvKernel.prefersChannelsLast(n: n, c: c, kh: kernel, kw: kernel, outH: o, outW: o, groups: groups, padded: pad > 0)
    }
    #expect(rule(32, 32, 20, 4, stride: 2))          // the DQN's conv2: rows of 9
    #expect(rule(32, 64, 9, 3))                       // and conv3: rows of 7
    #expect(!rule(1, 64, 9, 3))                       // acting, batch 1: 49 positions
    #expect(!rule(16, 128, 10, 3))                    // rows of 8: whole rows per panel
    #expect(!rule(32, 32, 14, 3, stride: 2))          // a patch of 288
    #expect(rule(8, 128, 7, 3, pad: 1))               // padded, rows of 7
    #expect(rule(16, 64, 20, 5, stride: 2, pad: 2))  // padded 5x5/2, rows of 10
    #expect(!rule(8, 256, 7, 3, pad: 1))              // 256 channels
    #expect(!rule(32, 64, 16, 3, pad: 1))             // padded, rows of 16: whole rows per panel
    #expect(!rule(32, 128, 8, 3, pad: 1))             // and of 8
    #expect(!rule(8, 512, 7, 3, pad: 1))              // a patch of 4608
    #expect(!rule(32, 16, 20, 3, pad: 1))             // 16 channels
    #expect(!rule(8, 64, 56, 3, pad: 1))              // rows of 56
    #expect(!rule(8, 64, 28, 3, pad: 1, groups: 2))   // grouped
    #expect(!rule(32, 64, 9, 1))                      // 1x1 (pointwise, never im2col)
}

// (batch, channels, size, out channels, kernel, stride, pad, dilation): the input gradient
// channels-last against the packed backward's, bit for bit (the same products and col2im
// order), and against Double; 1 and 2 threads the same bits.
@Test(arguments: [
    (32, 32, 20, 64, 4, 2, 0, 1),   // the DQN's 4x4/2: groups of 4 images
    (3, 64, 9, 64, 4, 2, 0, 1),     // 3x3 outputs
    (4, 32, 14, 48, 3, 1, 1, 1),    // padded
    (2, 32, 13, 32, 3, 1, 1, 2),    // padded and dilated
    (2, 8, 11, 8, 5, 3, 2, 1),      // 8 channels, stride 3: rows read by one tap or none
])
func channelsLastInputGradientIsThePackedOnes(_ t: (Int, Int, Int, Int, Int, Int, Int, Int)) throws {
    let (n, c, size, k, kernel, stride, pad, dil) = t
    let x = try noise([n, c, size, size], seed: 51), wt = try noise([k, c, kernel, kernel], seed: 52)
    let plan = try ConvPlan(x, wt, nil, stride: (stride, stride), padding: (pad, pad), dilation: (dil, dil), groups: 1, "test")
    let gout = try noise(plan.outShape, seed: 53)
    let g = plan.geometry
    var want = [Double](repeating: 0, count: x.count)
    for ni in 0..<n { for o in 0..<k { for i in 0..<g.outH { for j in 0..<g.outW {
        let go = Double(gout.floats[((ni * k + o) * g.outH + i) * g.outW + j])
        for ci in 0..<c { for a in 0..<kernel { for b in 0..<kernel {
            let y = i * stride - pad + a * dil, xx = j * stride - pad + b * dil
            guard y >= 0 && y < size && xx >= 0 && xx < size else { continue }
            want[((ni * c + ci) * size + y) * size + xx] += go * Double(wt.floats[((o * c + ci) * kernel + a) * kernel + b])
        } } }
    } } } }
    let grads = try onOneAndTwoThreads(x.shape) { try plan.backwardInputChannelsLast(gout.floats, wt.floats, $0, "test") }
    let packed = try Tensor(empty: x.shape, dtype: .float32, zeroed: false, "test")
    try plan.backwardPacked(gout.floats, x.floats, wt.floats, gx: packed.floats, gw: nil, "test")
    let scale = want.reduce(0) { max($0, abs($1)) }
    var worst = 0.0, differing = 0, threadDiffs = 0
    for i in 0..<want.count {
        worst = max(worst, abs(Double(grads[0].floats[i]) - want[i]) / scale)
        if grads[0].floats[i].bitPattern != packed.floats[i].bitPattern { differing += 1 }
        if grads[0].floats[i].bitPattern != grads[1].floats[i].bitPattern { threadDiffs += 1 }
    }
    #expect(worst < 1e-5, "\(t): off the Double reference by \(worst)")
    #expect(differing == 0, "\(t): \(differing) entries differ from the packed backward's")
    #expect(threadDiffs == 0, "\(t): \(threadDiffs) entries differ between 1 and 2 threads")
}
