// The channels-last depthwise convolution for small planes (ConvDepthwiseNHWC.swift,
// SwiftNNKernels/DepthwiseNHWCGradients.swift): forward (with bias and a clamp) and both
// gradients against a Double reference and against the plane-by-plane kernels, at strides 1
// and 2, with padding, dilation, odd sizes and channel counts off the 16-channel vectors; the
// same bits on 1 and 2 threads; and the rule that picks it.
import Testing
import SwiftNNKernels
@testable import SwiftNN

/// (batch, channels, height, width, kernel, stride, padding, dilation)
typealias DepthwiseNHWCCase = (Int, Int, Int, Int, Int, Int, Int, Int)

/// out = conv + bias (clamped to [0, 6] if asked), and the gradients of sum(out * g) before
/// the clamp, in Double.
private struct DepthwiseReference {
    var out: [Double], gx: [Double], gw: [Double]

    init(_ x: Tensor, _ w: Tensor, _ b: Tensor, _ g: Tensor, _ p: ConvPlan, clamp: Bool) {
        let geo = p.geometry, k = p.kh
        out = [Double](repeating: 0, count: p.n * p.c * p.outPlane)
        gx = [Double](repeating: 0, count: p.n * p.c * p.h * p.w)
        gw = [Double](repeating: 0, count: p.c * k * k)
        for ni in 0..<p.n { for ch in 0..<p.c { for i in 0..<geo.outH { for j in 0..<geo.outW {
            let at = ((ni * p.c + ch) * geo.outH + i) * geo.outW + j
            var s = Double(b.floats[ch])
            let gv = Double(g.floats[at])
            for a in 0..<k { for bb in 0..<k {
                let y = i * geo.strideH - geo.padH + a * geo.dilationH, xx = j * geo.strideW - geo.padW + bb * geo.dilationW
                guard y >= 0 && y < p.h && xx >= 0 && xx < p.w else { continue }
                let xi = ((ni * p.c + ch) * p.h + y) * p.w + xx, wi = (ch * k + a) * k + bb
                s += Double(w.floats[wi]) * Double(x.floats[xi])
                gx[xi] += gv * Double(w.floats[wi])
                gw[wi] += gv * Double(x.floats[xi])
            } }
            out[at] = clamp ? min(max(s, 0), 6) : s
        } } } }
    }
}

private func worst(_ got: Tensor, _ want: [Double]) -> Double {
    (0..<want.count).map { abs(Double(got.floats[$0]) - want[$0]) / (1 + abs(want[$0])) }.max() ?? 0
}

private func sameBits(_ a: Tensor, _ b: Tensor) -> Bool {
    (0..<a.count).allSatisfy { a.floats[$0].bitPattern == b.floats[$0].bitPattern }
}

@Test(arguments: [
    (8, 96, 7, 7, 3, 1, 1, 1),     // MobileNetV2's 7x7 layers (960 channels there)
    (4, 48, 14, 14, 3, 2, 1, 1),   // its 14x14 -> 7x7 at stride 2
    (2, 64, 8, 8, 3, 1, 1, 1),     // 8x8, the largest plane the rule takes
    (2, 16, 7, 9, 3, 1, 1, 1),     // 63 positions: the transposes' last 8-position block overlaps
    (3, 40, 9, 11, 5, 2, 2, 1),    // 5x5 at stride 2, height and width differ, 40 channels (a vector and a half)
    (2, 24, 8, 8, 3, 1, 2, 2),     // dilation 2, padding 2
    (2, 19, 6, 5, 3, 1, 0, 1),     // no padding, 19 channels (a partial vector)
    (5, 32, 10, 10, 3, 2, 0, 1),   // stride 2 without padding: the last input row and column unread
] as [DepthwiseNHWCCase])
func depthwiseChannelsLastMatchesDoubleAndThePlaneKernels(_ t: DepthwiseNHWCCase) throws {
    let (n, c, h, w, k, s, pad, dil) = t
    let x = try noise([n, c, h, w], seed: 41), wt = try noise([c, 1, k, k], seed: 42), b = try noise([c], seed: 43)
    let p = try ConvPlan(x, wt, b, stride: (s, s), padding: (pad, pad), dilation: (dil, dil), groups: c, "test")
    #expect(p.depthwise && p.depthwiseChannelsLast, "\(t): the rule should take the channels-last path")
    let g = try noise(p.outShape, seed: 44)
    let want = DepthwiseReference(x, wt, b, g, p, clamp: true)
    let saved = EngineThreads.count
    defer { EngineThreads.count = saved }
    var runs: [(out: Tensor, gx: Tensor, gw: Tensor)] = []
    for threads in [1, 2] {
        EngineThreads.count = threads
        let out = try Tensor(empty: p.outShape, dtype: .float32, zeroed: false, "test")
        try p.forward(x.floats, wt.floats, b.floats, out.floats, activation: .clamp(0, 6), "test")
        let gx = try Tensor(empty: x.shape, dtype: .float32, zeroed: false, "test")
        let gw = try Tensor(empty: wt.shape, dtype: .float32, zeroed: false, "test")
        try p.backward(g.floats, x.floats, wt.floats, gx: gx.floats, gw: gw.floats, "test")
        runs.append((out, gx, gw))
    }
    let (out, gx, gw) = runs[0]
    #expect(worst(out, want.out) < 1e-5, "\(t): forward off the Double reference by \(worst(out, want.out))")
    #expect(worst(gx, want.gx) < 1e-5, "\(t): input gradient off by \(worst(gx, want.gx))")
    #expect(worst(gw, want.gw) < 1e-5, "\(t): weight gradient off by \(worst(gw, want.gw))")
    #expect(sameBits(out, runs[1].out) && sameBits(gx, runs[1].gx) && sameBits(gw, runs[1].gw),
            "\(t): results differ between 1 and 2 threads")
    // the plane-by-plane kernels on the same inputs
    let planes = try Tensor(empty: p.outShape, dtype: .float32, zeroed: false, "test")
    try p.forwardDepthwise(x.floats, wt.floats, b.floats, planes.floats, activation: .clamp(0, 6), "test")
    let pgx = try Tensor(empty: x.shape, dtype: .float32, zeroed: false, "test")
    let pgw = try Tensor(empty: wt.shape, dtype: .float32, zeroed: false, "test")
    try p.backwardDepthwise(g.floats, x.floats, wt.floats, gx: pgx.floats, gw: pgw.floats, "test")
    let apart = [(out, planes), (gx, pgx), (gw, pgw)].map { a, b in
        (0..<a.count).map { abs(a.floats[$0] - b.floats[$0]) / (1 + abs(b.floats[$0])) }.max() ?? 0
    }
    #expect(apart.allSatisfy { $0 < 2e-5 }, "\(t): off the plane kernels by \(apart) (forward, gx, gw)")
}

@Test func depthwiseChannelsLastRuleTakesSmallPlanesOfSeveralImages() {
    #expect(ConvKernel.prefersChannelsLastDepthwise(n: 8, c: 960, outPlane: 49))
    #expect(ConvKernel.prefersChannelsLastDepthwise(n: 2, c: 16, outPlane: 64))
    #expect(!ConvKernel.prefersChannelsLastDepthwise(n: 1, c: 960, outPlane: 49), "one image: the planes keep both workers busy")
    #expect(!ConvKernel.prefersChannelsLastDepthwise(n: 8, c: 576, outPlane: 196), "14x14 outputs: the plane kernels")
    #expect(!ConvKernel.prefersChannelsLastDepthwise(n: 8, c: 8, outPlane: 49), "fewer channels than a vector")
}
