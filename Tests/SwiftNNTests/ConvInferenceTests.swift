// The depthwise kernels against naive loops (forward and both gradients, both vector widths
// giving the same bits), the kernel rule, and the fused inference path (BatchNorm folded,
// activation inside the convolution) against the unfused layers.
import Testing
import SwiftNNKernels
@testable import SwiftNN


private func close(_ a: Tensor, _ b: Tensor, atol: Float = 1e-5, rtol: Float = 1e-4) -> Bool {
    guard a.shape == b.shape else { return false }
    for i in 0..<a.count where abs(a.floats[i] - b.floats[i]) > atol + rtol * abs(b.floats[i]) { return false }
    return true
}

@Test func kernelRuleChoosesByShape() throws {
    func rule(_ c: Int, _ k: Int, _ kh: Int, groups: Int, stride: Int = 1, pad: Int = 0, h: Int = 56) -> ConvKernel {
        ConvKernel.choose(c: c, k: k, kh: kh, kw: kh, h: h, w: h, groups: groups, stride: (stride, stride),
                          padding: (pad, pad), dilation: (1, 1))
    }
    #expect(rule(144, 144, 3, groups: 144, stride: 2, pad: 1) == .depthwise)
    #expect(rule(96, 96, 5, groups: 96, pad: 2) == .depthwise)
    #expect(rule(96, 192, 3, groups: 96, pad: 1) == .im2col)      // channel multiplier 2
    #expect(rule(96, 96, 3, groups: 96, stride: 3, pad: 1) == .im2col)
    #expect(rule(64, 128, 1, groups: 1) == .pointwise)
    #expect(rule(64, 128, 1, groups: 1, stride: 2) == .im2col)
    #expect(rule(1, 6, 5, groups: 1, pad: 2, h: 28) == .direct)
    #expect(rule(64, 128, 3, groups: 1, pad: 1, h: 32) == .im2col)
}

/// Depthwise conv2d in Double: out[n, c, i, j] = bias[c] + sum over the window of w * x.
private func naiveDepthwise(_ x: Tensor, _ w: Tensor, _ b: Tensor, stride: (Int, Int), pad: (Int, Int),
                            dil: (Int, Int)) -> (out: [Double], oh: Int, ow: Int) {
    let (n, c, h, wd, kh, kw) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3], w.shape[2], w.shape[3])
    let oh = (h + 2 * pad.0 - dil.0 * (kh - 1) - 1) / stride.0 + 1, ow = (wd + 2 * pad.1 - dil.1 * (kw - 1) - 1) / stride.1 + 1
    var out = [Double](repeating: 0, count: n * c * oh * ow)
    for ni in 0..<n { for ci in 0..<c { for i in 0..<oh { for j in 0..<ow {
        var s = Double(b.floats[ci])
        for a in 0..<kh { for bb in 0..<kw {
            let y = i * stride.0 - pad.0 + a * dil.0, xx = j * stride.1 - pad.1 + bb * dil.1
            if y >= 0 && y < h && xx >= 0 && xx < wd {
                s += Double(w.floats[(ci * kh + a) * kw + bb]) * Double(x.floats[((ni * c + ci) * h + y) * wd + xx])
            }
        } }
        out[((ni * c + ci) * oh + i) * ow + j] = s
    } } } }
    return (out, oh, ow)
}

// (kernel, stride, padding, dilation, height, width): odd sizes, rows of one vector or less
// (the flat runs' last vector and scalar paths), a 1x1 kernel at stride 2 (phases no tap reads).
/// The gradients of `naiveDepthwise` for output gradient g, in Double: each output's gradient
/// sent back to every input and weight its window read.
private func naiveDepthwiseGradients(_ x: Tensor, _ w: Tensor, _ g: Tensor, stride: (Int, Int), pad: (Int, Int),
                                     dil: (Int, Int)) -> (gx: [Double], gw: [Double]) {
    let (n, c, h, wd, kh, kw) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3], w.shape[2], w.shape[3])
    let (oh, ow) = (g.shape[2], g.shape[3])
    var gx = [Double](repeating: 0, count: x.count), gw = [Double](repeating: 0, count: w.count)
    for ni in 0..<n { for ci in 0..<c { for i in 0..<oh { for j in 0..<ow {
        let go = Double(g.floats[((ni * c + ci) * oh + i) * ow + j])
        for a in 0..<kh { for bb in 0..<kw {
            let y = i * stride.0 - pad.0 + a * dil.0, xx = j * stride.1 - pad.1 + bb * dil.1
            if y >= 0 && y < h && xx >= 0 && xx < wd {
                let xi = ((ni * c + ci) * h + y) * wd + xx, wi = (ci * kh + a) * kw + bb
                gx[xi] += go * Double(w.floats[wi])
                gw[wi] += go * Double(x.floats[xi])
            }
        } }
    } } } }
    return (gx, gw)
}

@Test(arguments: [(3, 1, 1, 1, 13, 35), (3, 2, 1, 1, 13, 35), (5, 1, 2, 1, 13, 35), (5, 2, 2, 1, 13, 35),
                  (3, 1, 2, 2, 13, 35), (3, 2, 0, 1, 13, 35), (7, 2, 3, 1, 13, 35), (1, 2, 0, 1, 13, 35),
                  (3, 2, 1, 3, 13, 35), (3, 2, 1, 1, 7, 7), (3, 1, 1, 1, 3, 5), (5, 2, 1, 1, 16, 17)])
func depthwiseMatchesNaiveLoopAndAdjoint(_ kernel: Int, _ stride: Int, _ pad: Int, _ dil: Int, _ hh: Int, _ ww: Int) throws {
    let x = try noise([2, 3, hh, ww], seed: 11), w = try noise([3, 1, kernel, kernel], seed: 12), b = try noise([3], seed: 13)
    let plan = try ConvPlan(x, w, b, stride: (stride, stride), padding: (pad, pad), dilation: (dil, dil), groups: 3, "test")
    #expect(plan.depthwise)
    let y = try conv2d(x, weight: w, bias: b, stride: (stride, stride), padding: (pad, pad), dilation: (dil, dil), groups: 3)
    let ref = naiveDepthwise(x, w, b, stride: (stride, stride), pad: (pad, pad), dil: (dil, dil))
    #expect(y.shape == [2, 3, ref.oh, ref.ow])
    for i in 0..<y.count { #expect(abs(Double(y.floats[i]) - ref.out[i]) <= 1e-5 + 1e-5 * abs(ref.out[i])) }

    // Adjoint identities: <g, conv(dx, w)> = <conv^T(g), dx> for the input gradient and
    // <g, conv(x, dw)> = <dW, dw> for the weight gradient (the convolution is linear in each).
    let g = try noise(y.shape, seed: 14)
    let gx = try Tensor(empty: x.shape, dtype: .float32, zeroed: false, "test")
    let gw = try Tensor(empty: w.shape, dtype: .float32, zeroed: false, "test")
    try plan.backward(g.floats, x.floats, w.floats, gx: gx.floats, gw: gw.floats, "test")
    let refGrad = naiveDepthwiseGradients(x, w, g, stride: (stride, stride), pad: (pad, pad), dil: (dil, dil))
    for i in 0..<gx.count { #expect(abs(Double(gx.floats[i]) - refGrad.gx[i]) <= 1e-5 + 1e-5 * abs(refGrad.gx[i])) }
    for i in 0..<gw.count { #expect(abs(Double(gw.floats[i]) - refGrad.gw[i]) <= 1e-4 + 1e-5 * abs(refGrad.gw[i])) }
    func dot(_ a: Tensor, _ b: Tensor) -> Double { (0..<a.count).reduce(0.0) { $0 + Double(a.floats[$1]) * Double(b.floats[$1]) } }
    let zero = try Tensor.zeros([3])
    let dx = try noise(x.shape, seed: 15), dw = try noise(w.shape, seed: 16)
    let convDx = try conv2d(dx, weight: w, bias: zero, stride: (stride, stride), padding: (pad, pad), dilation: (dil, dil), groups: 3)
    let convDw = try conv2d(x, weight: dw, bias: zero, stride: (stride, stride), padding: (pad, pad), dilation: (dil, dil), groups: 3)
    #expect(abs(dot(g, convDx) - dot(gx, dx)) <= 1e-3 * max(1, abs(dot(gx, dx))))
    #expect(abs(dot(g, convDw) - dot(gw, dw)) <= 1e-3 * max(1, abs(dot(gw, dw))))

    // AVX-512 and AVX2 compute the same chains: the same bits.
    let saved = PackedGemmKernels.useAVX512
    defer { PackedGemmKernels.useAVX512 = saved }
    for avx512 in [false, true] {
        PackedGemmKernels.useAVX512 = avx512
        let y2 = try conv2d(x, weight: w, bias: b, stride: (stride, stride), padding: (pad, pad), dilation: (dil, dil), groups: 3)
        let gx2 = try Tensor(empty: x.shape, dtype: .float32, zeroed: false, "test")
        let gw2 = try Tensor(empty: w.shape, dtype: .float32, zeroed: false, "test")
        try plan.backward(g.floats, x.floats, w.floats, gx: gx2.floats, gw: gw2.floats, "test")
        #expect(y2.scalars == y.scalars)
        #expect(gx2.scalars == gx.scalars)
        #expect(gw2.scalars == gw.scalars)
    }
}

/// A Sequential of conv + batch norm + activation blocks with trained-looking statistics.
private func convNet() throws -> Sequential {
    let layers: [Module] = [
        try Conv2d(inChannels: 3, outChannels: 8, kernelSize: (3, 3), stride: (2, 2), padding: (1, 1), bias: false),
        try BatchNorm(numFeatures: 8), ReLU6(),
        try Conv2d(inChannels: 8, outChannels: 8, kernelSize: (3, 3), padding: (1, 1), groups: 8, bias: false),
        try BatchNorm(numFeatures: 8), ReLU(),
        try Conv2d(inChannels: 8, outChannels: 6, kernelSize: (3, 3), padding: (1, 1)), ReLU(),
        try Conv2d(inChannels: 6, outChannels: 5, kernelSize: (1, 1)),
        try BatchNorm(numFeatures: 5),
        try Conv2d(inChannels: 5, outChannels: 4, kernelSize: (1, 1)), ReLU(),
    ]
    let net = Sequential(layers)
    var seed: UInt64 = 40
    for (name, t) in net.stateDict() where t.dtype == .float32 {
        seed += 1
        let r = try Tensor.rand(t.shape, generator: Generator(seed: seed))
        for i in 0..<t.count {
            t.floats[i] = name.hasSuffix("running_var") ? 0.5 + r.floats[i] : r.floats[i] - 0.5
        }
        t.storage.version &+= 1
    }
    net.train(false)
    return net
}

@Test func fusedSequentialMatchesTheLayersOneByOne() throws {
    let net = try convNet()
    let x = try noise([2, 3, 17, 15], seed: 50)
    // With grad mode on and trainable parameters the layers run one by one (recorded).
    #expect(try net.inferenceForward(x) == nil)
    let unfused = try net.forward(x)
    let fused = try GradMode.withoutGrad { () throws -> Tensor in
        #expect(try net.inferenceForward(x) != nil)   // the fused path is taken
        return try net.forward(x)
    }
    #expect(close(fused, unfused, atol: 1e-5, rtol: 1e-4))
    // The folded weights are cached until a statistic changes; then they are folded again.
    let bn = try #require(net.children[1].module as? BatchNorm)
    for i in 0..<8 { bn.runningMean!.floats[i] -= 2 }
    bn.runningMean!.storage.version &+= 1
    let unfused2 = try net.forward(x)
    let fused2 = try GradMode.withoutGrad { try net.forward(x) }
    #expect(close(fused2, unfused2, atol: 1e-5, rtol: 1e-4))
    #expect(!close(fused2, fused, atol: 1e-5, rtol: 1e-4))
    // Training mode: batch statistics, never fused.
    net.train(true)
    #expect(try GradMode.withoutGrad { try net.inferenceForward(x) } == nil)
}

/// The inference plan (Inference/): a traced convNet (every step kind but flatten) as an
/// ONNXModule, planned against node by node, and the same bits with the AVX2 and AVX-512
/// kernels (the plan's depthwise and epilogue bodies are one inlinable source compiled twice).
@Test func inferencePlanMatchesNodeByNodeAndBothKernelSets() throws {
    let net = try convNet()
    net.train(false)
    let x = try noise([2, 3, 13, 11], seed: 77)
    let model = try ONNXExport.model(net, exampleInputs: [x])
    let onnx = try ONNXModule(model, live: Dictionary(net.stateDict().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a }))
    // A narrow network (3-8 channels): forwards leave it node by node, and say why.
    let refused = try onnx.planReport(x, runs: 0)
    #expect(refused.hasPrefix("no inference plan") && refused.contains("fewer than 16 output channels take 100%"),
            "\(refused)")
    onnx.plansAlways = true   // its small channel counts reach every kernel's padding
    let report = try onnx.planReport(x, runs: 0)
    #expect(report.hasPrefix("inference plan for input [2, 3, 13, 11]"), "\(report)")
    #expect(report.contains("depthwise 3x3/1") && report.contains("conv 1x1 (GEMM)") && report.contains("conv 3x3/2 (direct)"))
    #expect(report.contains("conv 3x3/1 (patch rows + GEMM)"))
    let eager = try GradMode.withoutGrad { try net.forward(x) }
    let planned = try GradMode.withoutGrad { try onnx.forward(x) }
    onnx.usesPlan = false
    let unplanned = try GradMode.withoutGrad { try onnx.forward(x) }
    onnx.usesPlan = true
    #expect(close(planned, eager) && close(planned, unplanned))
    let saved = PackedGemmKernels.useAVX512
    defer { PackedGemmKernels.useAVX512 = saved }
    var outs: [[Float]] = []
    for avx512 in [false, true] {
        PackedGemmKernels.useAVX512 = avx512
        outs.append(try GradMode.withoutGrad { try onnx.forward(x) }.scalars)
    }
    #expect(outs[0] == outs[1])
    #expect(outs[1] == planned.scalars || !PackedGemmKernels.avx512Supported)
}
