// Behaviour tests of the conv area beyond the goldens: hand-checkable cases, conv2d against a
// naive loop and the adjoint identity on many configurations, dropout's mask, batch-norm's
// running statistics, and the validation messages.
import Testing
@testable import SwiftNN

private func tensor(_ values: [Float], _ shape: [Int]) throws -> Tensor { try Tensor(values, shape: shape) }

private func dot(_ a: Tensor, _ b: Tensor) -> Double {
    var s = 0.0
    for i in 0..<a.count { s += Double(a.floats[i]) * Double(b.floats[i]) }
    return s
}

/// Deterministic pseudo-random floats in [-1, 1) (a private generator: tests run in parallel).

@Test func maxPoolOfArangeIsHandCheckable() throws {
    let x = try Tensor.arange(0, 16).view(as: [1, 1, 4, 4])
    let (y, idx) = try maxPool2dWithIndices(x, kernelSize: (2, 2))
    #expect(y.shape == [1, 1, 2, 2])
    #expect(y.scalars == [5, 7, 13, 15])
    #expect(idx.int64Scalars == [5, 7, 13, 15])
}

/// The lecture's example: a 1-D correlation of z in R^6 with w in R^3 is W z for the 4x6 band
/// matrix W, and its transpose is a correlation of the zero-padded gradient with the flipped w.
@Test func lectureConvolutionIsAMatrixMultiply() throws {
    let z: [Float] = [1, -2, 3, 0.5, -1, 2], w: [Float] = [0.5, -1, 2]
    var band = [Float](repeating: 0, count: 24)
    for r in 0..<4 { for k in 0..<3 { band[r * 6 + r + k] = w[k] } }
    let zt = try tensor(z, [1, 1, 1, 6]), wt = try tensor(w, [1, 1, 1, 3])
    try zt.setRequiresGrad(true)
    let y = try conv2d(zt, weight: wt)
    let wz = try matmul(try tensor(band, [4, 6]), try tensor(z, [6]))
    #expect(y.scalars == wz.scalars)

    let g: [Float] = [1, 0.25, -3, 2]
    try y.backward(try tensor(g, [1, 1, 1, 4]))
    let wtg = try matmul(try tensor(g, [4]), try tensor(band, [4, 6]))   // W^T g
    let flipped = try conv2d(try tensor(g, [1, 1, 1, 4]), weight: try tensor(w.reversed(), [1, 1, 1, 3]), padding: (0, 2))
    let grad = try #require(zt.grad)
    #expect(grad.scalars == wtg.scalars)
    #expect(grad.scalars == flipped.scalars)
}

/// Naive conv2d in Double: out[n, k, i, j] = bias[k] + sum of weight * input over the window.
private func naiveConv(_ x: Tensor, _ w: Tensor, _ b: Tensor?, stride: (Int, Int), pad: (Int, Int),
                       dil: (Int, Int), groups: Int, oh: Int, ow: Int) -> [Float] {
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (k, cg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
    let kg = k / groups
    var out = [Float](repeating: 0, count: n * k * oh * ow)
    for ni in 0..<n { for ki in 0..<k { for i in 0..<oh { for j in 0..<ow {
        var s = Double(b?.floats[ki] ?? 0)
        let g = ki / kg
        for ci in 0..<cg { for a in 0..<kh { for bb in 0..<kw {
            let ih = i * stride.0 - pad.0 + a * dil.0, iw = j * stride.1 - pad.1 + bb * dil.1
            if ih < 0 || ih >= h || iw < 0 || iw >= wd { continue }
            s += Double(w.floats[((ki * cg + ci) * kh + a) * kw + bb]) * Double(x.floats[((ni * c + g * cg + ci) * h + ih) * wd + iw])
        } } }
        out[((ni * k + ki) * oh + i) * ow + j] = Float(s)
    } } } }
    return out
}

/// Many configurations, covering one image per GEMM, several (with a partial last batch), the
/// 1x1 path without im2col and the direct kernels for few channels at stride 1: the forward against the naive loop, the backward through
/// <conv(x, w), g> = <x, dx> = <w, dw> (the convolution is bilinear) and db = sum of g.
@Test func conv2dMatchesNaiveLoopAndAdjointIdentity() throws {
    let configs: [(n: Int, c: Int, h: Int, w: Int, k: Int, kh: Int, kw: Int, s: (Int, Int), p: (Int, Int), d: (Int, Int), g: Int)] = [
        (3, 2, 5, 6, 4, 3, 3, (1, 1), (1, 1), (1, 1), 1),
        (5, 4, 9, 7, 6, 2, 3, (2, 1), (1, 0), (1, 2), 2),
        (2, 3, 32, 34, 3, 1, 1, (1, 1), (0, 0), (1, 1), 1),    // 1x1 direct, one image per GEMM
        (3, 4, 20, 20, 4, 1, 1, (1, 1), (0, 0), (1, 1), 2),    // 1x1, two images then one
        (3, 2, 33, 32, 2, 3, 3, (1, 1), (1, 1), (1, 1), 1),    // one image per GEMM with im2col
        (4, 6, 6, 6, 6, 3, 3, (2, 2), (1, 1), (1, 1), 6),      // depthwise
        (2, 2, 8, 8, 3, 5, 5, (3, 3), (4, 4), (1, 1), 1),      // padding larger than stride
        (2, 3, 7, 10, 2, 2, 2, (1, 3), (0, 2), (3, 2), 1),
        (0, 3, 5, 5, 2, 3, 3, (1, 1), (0, 0), (1, 1), 1),      // empty batch
        // Unpadded windows, packed straight from the images (Im2ColPanels.swift): dilated and
        // grouped with blocks crossing images, and the DQN's first layer's 8x8/4.
        (5, 4, 12, 11, 6, 3, 2, (2, 3), (0, 0), (2, 2), 2),
        (3, 4, 36, 36, 8, 8, 8, (4, 4), (0, 0), (1, 1), 1),
        // The direct kernels (ConvDirect.swift): LeNet's conv1 (wide rows, input gradient wider
        // than 16), LeNet's conv2 (16 filters: by channels; input gradient by rows), 32 filters
        // with padding, and a partial 6-filter tile with uneven padding.
        (3, 1, 28, 28, 6, 5, 5, (1, 1), (2, 2), (1, 1), 1),
        (4, 6, 14, 14, 16, 5, 5, (1, 1), (0, 0), (1, 1), 1),
        (2, 3, 6, 6, 32, 3, 3, (1, 1), (1, 1), (1, 1), 1),
        (2, 2, 9, 20, 7, 3, 4, (1, 1), (2, 3), (1, 1), 1),
    ]
    for (ci, cf) in configs.enumerated() {
        let x = try noise([cf.n, cf.c, cf.h, cf.w], seed: UInt64(10 * ci + 1))
        let w = try noise([cf.k, cf.c / cf.g, cf.kh, cf.kw], seed: UInt64(10 * ci + 2))
        let b = try noise([cf.k], seed: UInt64(10 * ci + 3))
        for t in [x, w, b] { try t.setRequiresGrad(true) }
        let y = try conv2d(x, weight: w, bias: b, stride: cf.s, padding: cf.p, dilation: cf.d, groups: cf.g)
        let expected = naiveConv(x, w, b, stride: cf.s, pad: cf.p, dil: cf.d, groups: cf.g, oh: y.shape[2], ow: y.shape[3])
        for i in 0..<y.count where abs(y.floats[i] - expected[i]) > 1e-4 {
            Issue.record("config \(ci) element \(i): \(y.floats[i]) vs naive \(expected[i])")
            break
        }
        let g = try noise(y.shape, seed: UInt64(10 * ci + 4))
        try y.backward(g)
        let (gx, gw, gb) = (try #require(x.grad), try #require(w.grad), try #require(b.grad))
        let yNoBias = try GradMode.withoutGrad {
            try conv2d(x, weight: w, stride: cf.s, padding: cf.p, dilation: cf.d, groups: cf.g)
        }
        let lhs = dot(yNoBias, g)
        #expect(abs(lhs - dot(x, gx)) <= 1e-3 * max(1, abs(lhs)), "config \(ci): <conv, g> \(lhs) vs <x, dx> \(dot(x, gx))")
        #expect(abs(lhs - dot(w, gw)) <= 1e-3 * max(1, abs(lhs)), "config \(ci): <conv, g> \(lhs) vs <w, dw> \(dot(w, gw))")
        let gsum = try sum(g, dims: [0, 2, 3])
        for k in 0..<cf.k { #expect(abs(gb.floats[k] - gsum.floats[k]) <= 1e-4) }
    }
}

@Test func dropoutMaskComesFromRandAndBackwardReusesIt() throws {
    let p = 0.3
    let x = try noise([200, 500], seed: 7)
    try x.setRequiresGrad(true)
    let y = try dropout(x, p: p, generator: Generator(seed: 42))
    let u = try Tensor.rand([200, 500], generator: Generator(seed: 42))
    let scale = Float(1 / (1 - p))
    var dropped = 0
    for i in 0..<x.count {
        let keep = u.floats[i] >= Float(p)
        if !keep { dropped += 1 }
        let want = keep ? x.floats[i] * scale : 0
        if y.floats[i] != want { Issue.record("element \(i): \(y.floats[i]) vs \(want)"); break }
    }
    // 100,000 Bernoulli(0.3) draws: standard deviation 0.0014 of the fraction.
    let fraction = Double(dropped) / Double(x.count)
    #expect(abs(fraction - p) < 0.01, "dropped fraction \(fraction)")
    let g = try noise([200, 500], seed: 8)
    try y.backward(g)
    let gx = try #require(x.grad)
    for i in 0..<x.count {
        let want: Float = u.floats[i] >= Float(p) ? g.floats[i] * scale : 0
        if gx.floats[i] != want { Issue.record("grad element \(i): \(gx.floats[i]) vs mask * g / (1 - p) = \(want)"); break }
    }
}

@Test func dropoutIdentitiesAndLimits() throws {
    let x = try noise([4, 5], seed: 3)
    #expect(try dropout(x, p: 0) === x)
    #expect(try dropout(x, p: 0.5, training: false) === x)
    let generator = Generator(seed: 5)
    #expect(try dropout(x, p: 0.5, training: false, generator: generator) === x)
    #expect(generator.offset == 0, "evaluation-mode dropout must not draw")
    #expect(try dropout(x, p: 1).scalars.allSatisfy { $0 == 0 })
    for bad in [-0.1, 1.5, .nan] {
        #expect(throws: SNNError.self) { try dropout(x, p: bad) }
    }
}

@Test func batchNormUpdatesRunningStatisticsInPlace() throws {
    // One channel, values 1 and 3: mean 2, biased variance 1, unbiased 2.
    let x = try tensor([1, 3], [2, 1])
    let rm = try Tensor.zeros([1]), rv = try Tensor.ones([1])
    let y = try batchNorm(x, runningMean: rm, runningVar: rv, training: true, momentum: 0.1, eps: 0)
    #expect(y.scalars == [-1, 1])
    #expect(abs(rm.floats[0] - 0.2) < 1e-7)    // 0.9 * 0 + 0.1 * 2
    #expect(abs(rv.floats[0] - 1.1) < 1e-6)    // 0.9 * 1 + 0.1 * 2
    let e = try batchNorm(x, runningMean: rm, runningVar: rv, training: false, eps: 0)
    let invstd = 1 / Float(1.1).squareRoot()
    #expect(abs(e.floats[0] - (1 - 0.2) * invstd) < 1e-6)
    #expect(abs(rm.floats[0] - 0.2) < 1e-7, "evaluation must not update the running mean")
}

/// Runs `body`, expecting an SNNError whose message starts with `fn` and contains `fragment`.
private func expectError(_ fn: String, _ fragment: String, _ status: Status? = nil,
                         sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected \(fn) to fail with '\(fragment)'", sourceLocation: sourceLocation)
    } catch let e as SNNError {
        #expect(e.message.hasPrefix(fn + ":"), "\(e.message)", sourceLocation: sourceLocation)
        #expect(e.message.contains(fragment), "\(e.message)", sourceLocation: sourceLocation)
        if let status { #expect(e.status == status, "\(e.message)", sourceLocation: sourceLocation) }
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}

@Test func validationMessagesNameTheFunctionAndTheShapes() throws {
    let x = try Tensor.zeros([1, 3, 5, 5]), w = try Tensor.zeros([4, 3, 3, 3])
    expectError("conv2d", "expected weight.shape[1] * groups", .shapeMismatch) { _ = try conv2d(try Tensor.zeros([1, 2, 5, 5]), weight: w) }
    expectError("conv2d", "must divide the 4 output channels") { _ = try conv2d(x, weight: try Tensor.zeros([4, 1, 3, 3]), groups: 3) }
    expectError("conv2d", "spans more than the padded input") { _ = try conv2d(try Tensor.zeros([1, 3, 2, 2]), weight: w) }
    expectError("conv2d", "stride (0, 1) must be positive", .invalidArgument) { _ = try conv2d(x, weight: w, stride: (0, 1)) }
    expectError("conv2d", "padding (-1, 0) must be non-negative") { _ = try conv2d(x, weight: w, padding: (-1, 0)) }
    expectError("conv2d", "dilation (1, 0) must be positive") { _ = try conv2d(x, weight: w, dilation: (1, 0)) }
    expectError("conv2d", "groups is 0") { _ = try conv2d(x, weight: w, groups: 0) }
    expectError("conv2d", "bias has shape [3], expected [4]") { _ = try conv2d(x, weight: w, bias: try Tensor.zeros([3])) }
    expectError("conv2d", "expected input of rank 3 [C, H, W] or 4") { _ = try conv2d(try Tensor.zeros([5, 5]), weight: w) }
    expectError("conv2d", "expected weight of rank 4") { _ = try conv2d(x, weight: try Tensor.zeros([4, 3, 3])) }
    expectError("conv2d", "dtype int64", .dtypeMismatch) { _ = try conv2d(try Tensor(int64: [0], shape: [1, 1, 1, 1]), weight: w) }
    expectError("conv2d", "every dimension must be at most 2^40") {
        _ = try conv2d(try Tensor.zeros([0, 1, 1 << 50, 1 << 50]), weight: try Tensor.zeros([1, 1, 1, 1]))
    }
    expectError("max_pool2d", "must be at most half of kernel_size") { _ = try maxPool2d(x, kernelSize: (3, 3), padding: (2, 0)) }
    expectError("max_pool2d", "too small for kernel_size (6, 6)") { _ = try maxPool2d(x, kernelSize: (6, 6)) }
    expectError("max_pool2d", "empty channel or spatial dimension") { _ = try maxPool2d(try Tensor.zeros([1, 0, 4, 4]), kernelSize: (2, 2)) }
    expectError("avg_pool2d", "divisor_override is 0") { _ = try avgPool2d(x, kernelSize: (2, 2), divisorOverride: 0) }
    expectError("adaptive_avg_pool2d", "output_size (-1, 2) must be non-negative") { _ = try adaptiveAvgPool2d(x, outputSize: (-1, 2)) }
    expectError("batch_norm", "expected more than 1 value per channel") {
        _ = try batchNorm(try Tensor.zeros([1, 3]), runningMean: nil, runningVar: nil, training: true)
    }
    expectError("batch_norm", "required in evaluation mode") { _ = try batchNorm(x, runningMean: nil, runningVar: nil) }
    expectError("batch_norm", "running_mean has shape [4], expected [3]") {
        _ = try batchNorm(x, runningMean: try Tensor.zeros([4]), runningVar: try Tensor.ones([3]))
    }
    let rm = try Tensor.zeros([3])
    try rm.setRequiresGrad(true)
    expectError("batch_norm", "running_mean requires grad", .autograd) { _ = try batchNorm(x, runningMean: rm, runningVar: try Tensor.ones([3])) }
    expectError("linear", "expects 4") { _ = try linear(try Tensor.zeros([2, 3]), weight: try Tensor.zeros([5, 4])) }
    expectError("linear", "bias has shape [4], expected [5]") {
        _ = try linear(try Tensor.zeros([2, 4]), weight: try Tensor.zeros([5, 4]), bias: try Tensor.zeros([4]))
    }
    expectError("dropout", "must be between 0 and 1") { _ = try dropout(x, p: 2) }
}

@Test func emptyBatchesGiveEmptyOutputsAndZeroGradients() throws {
    let x = try Tensor.zeros([0, 2, 5, 5]), w = try noise([3, 2, 3, 3], seed: 1), b = try noise([3], seed: 2)
    for t in [x, w, b] { try t.setRequiresGrad(true) }
    let y = try conv2d(x, weight: w, bias: b)
    #expect(y.shape == [0, 3, 3, 3])
    try y.backward(try Tensor.zeros([0, 3, 3, 3]))
    #expect(try #require(w.grad).scalars.allSatisfy { $0 == 0 })
    #expect(try #require(b.grad).scalars.allSatisfy { $0 == 0 })
    #expect(try maxPool2d(x, kernelSize: (2, 2)).shape == [0, 2, 2, 2])
    // No input channels: the output is the bias alone.
    let y0 = try conv2d(try Tensor.zeros([2, 0, 4, 4]), weight: try Tensor.zeros([3, 0, 2, 2]), bias: try tensor([1, 2, 3], [3]))
    #expect(y0.shape == [2, 3, 3, 3])
    let perImage: [Float] = [1, 2, 3].flatMap { v -> [Float] in Array(repeating: v, count: 9) }
    #expect(y0.scalars == perImage + perImage)
    #expect(try linear(try Tensor.zeros([0, 4]), weight: try Tensor.zeros([3, 4])).shape == [0, 3])
}

/// Dilation can make a padded window skip the whole input: PyTorch returns -inf there (with an
/// index outside the plane); the engine returns -inf and index -1, and passes no gradient.
@Test func maxPoolWindowMissingTheInputIsSafe() throws {
    let x = try tensor([0.5], [1, 1, 1, 1])
    try x.setRequiresGrad(true)
    let (y, idx) = try maxPool2dWithIndices(x, kernelSize: (2, 2), stride: (1, 1), padding: (1, 1), dilation: (2, 2))
    #expect(y.scalars == [-.infinity])
    #expect(idx.int64Scalars == [-1])
    try y.backward(try tensor([1], [1, 1, 1, 1]))
    #expect(try #require(x.grad).scalars == [0])
    // Same parameters on 2x2 (checked with PyTorch): each output sees one input, mirrored.
    let (y2, idx2) = try maxPool2dWithIndices(try tensor([1, 2, 3, 4], [1, 1, 2, 2]), kernelSize: (2, 2), stride: (1, 1),
                                              padding: (1, 1), dilation: (2, 2))
    #expect(y2.scalars == [4, 3, 2, 1])
    #expect(idx2.int64Scalars == [3, 2, 1, 0])
}

/// The 2x2 stride-2 max pool without indices (a SIMD kernel whose backward finds the argmax
/// again) against the generic loop with indices, on planes whose rows take whole vectors, a
/// moved-back last vector, 4-wide steps and scalars, odd sizes (an uncovered last row and
/// column), ties, -inf and NaN: same values and the same gradient.
@Test func maxPool2x2MatchesTheGenericLoop() throws {
    for (i, shape) in [[2, 3, 28, 28], [3, 2, 10, 10], [1, 2, 7, 9], [2, 1, 5, 33], [1, 1, 2, 2], [1, 1, 3, 3], [1, 2, 6, 14]].enumerated() {
        let x = try noise(shape, seed: UInt64(100 + i))
        for j in stride(from: 0, to: x.count, by: 7) { x.floats[j] = x.floats[j + 1 < x.count ? j + 1 : j] }   // ties
        for j in stride(from: 3, to: x.count, by: 29) { x.floats[j] = -.infinity }
        for j in stride(from: 5, to: x.count, by: 41) { x.floats[j] = .nan }
        let xf = try noise(shape, seed: 0), xg = try noise(shape, seed: 0)
        for j in 0..<x.count { xf.floats[j] = x.floats[j]; xg.floats[j] = x.floats[j] }
        try xf.setRequiresGrad(true)
        try xg.setRequiresGrad(true)
        let fast = try maxPool2d(xf, kernelSize: (2, 2))
        let generic = try maxPool2dWithIndices(xg, kernelSize: (2, 2)).output
        #expect(fast.shape == generic.shape)
        for j in 0..<fast.count where !(fast.floats[j] == generic.floats[j] || (fast.floats[j].isNaN && generic.floats[j].isNaN)) {
            Issue.record("shape \(shape) output \(j): \(fast.floats[j]) vs \(generic.floats[j])")
            break
        }
        let g = try noise(fast.shape, seed: UInt64(200 + i))
        try fast.backward(g)
        try generic.backward(g)
        #expect(try #require(xf.grad).scalars == (try #require(xg.grad)).scalars, "shape \(shape)")
    }
}

/// The direct kernels hand images to whichever worker is free (WorkQueue), so which worker
/// computes an image changes from run to run; the results must not: repeated runs of LeNet-5's
/// two convolutions (forward and both gradients) give the same bits every time.
@Test func directConvolutionsGiveTheSameBitsWhicheverWorkerTakesAnImage() throws {
    for (c, k, pad, size) in [(1, 6, 2, 28), (6, 16, 0, 14)] {
        let x = try noise([64, c, size, size], seed: 40), w = try noise([k, c, 5, 5], seed: 41), b = try noise([k], seed: 42)
        let out = (size + 2 * pad - 4) * (size + 2 * pad - 4)
        let g = try noise([64, k, size + 2 * pad - 4, size + 2 * pad - 4], seed: 43)
        var first: [[Float]]? = nil
        for _ in 0..<6 {
            for t in [x, w, b] { t.grad = nil; try t.setRequiresGrad(true) }
            let y = try conv2d(x, weight: w, bias: b, padding: (pad, pad))
            try y.backward(g)
            let now = [y.scalars, x.grad?.scalars ?? [], w.grad?.scalars ?? [], b.grad?.scalars ?? []]
            #expect(now[0].count == 64 * k * out)
            if let first { #expect(now == first, "conv \(c) -> \(k): results changed between runs") } else { first = now }
        }
    }
}

/// Fewer image groups than workers (ConvPacked.swift): the forward splits one image's 1x1
/// convolution by column blocks, a padded 3x3 on one image by output-channel row blocks (each
/// redoing the im2col), and one group of images by row blocks through the shared result; the
/// backward (backwardPackedSplit, unpadded windows) splits the weight gradient by panels of
/// patch rows and the input gradient by input channels. Outputs equal the naive loop's,
/// gradients satisfy <conv(x, w), g> = <x, dx> = <w, dw>, and everything has the same bits on
/// one thread and two (sessions bound to this thread, leaving other tests' counts alone).
@Test(arguments: [
    (1, 16, 40, 40, 48, 1, 1, 0),   // 1.2M multiply-adds: columns in 4 blocks of 512; backward in place
    (1, 8, 24, 24, 64, 3, 3, 1),    // padded: 4 row blocks of 16 (backward unsplit)
    (6, 32, 7, 7, 128, 1, 1, 0),    // one group of 6 images: row blocks, result scattered
    (2, 16, 20, 20, 64, 3, 3, 0),   // one group of 2 images, 3x3: panels of 9-tap rows, col2im by channels
])
func convolutionSplitWithinAnImageGroupKeepsTheBits(_ n: Int, _ c: Int, _ h: Int, _ w: Int, _ k: Int, _ kh: Int, _ kw: Int,
                                                    _ pad: Int) throws {
    let x = try noise([n, c, h, w], seed: 71), wt = try noise([k, c, kh, kw], seed: 72), b = try noise([k], seed: 73)
    let oh = h + 2 * pad - kh + 1, ow = w + 2 * pad - kw + 1
    let g = try noise([n, k, oh, ow], seed: 74)
    func run(threads: Int) throws -> [[Float]] {
        let session = try EngineSession(numThreads: threads)
        session.enter()
        defer { try? session.exit("test") }
        for t in [x, wt, b] { t.grad = nil; try t.setRequiresGrad(true) }
        let y = try conv2d(x, weight: wt, bias: b, stride: (1, 1), padding: (pad, pad), dilation: (1, 1), groups: 1)
        try y.backward(g)
        return [y.scalars] + [x, wt, b].map { $0.grad?.scalars ?? [] }
    }
    let one = try run(threads: 1), two = try run(threads: 2)
    for (name, (a, c2)) in zip(["output", "dx", "dw", "db"], zip(one, two)) {
        let differ = zip(a, c2).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(a.count == c2.count && differ == 0, "\(n)x\(c)x\(h)x\(w) -> \(k), \(kh)x\(kw): \(differ) of \(name) differ between 1 and 2 threads")
    }
    let want = naiveConv(x, wt, b, stride: (1, 1), pad: (pad, pad), dil: (1, 1), groups: 1, oh: oh, ow: ow)
    let worst = zip(two[0], want).map { abs($0 - $1) }.max() ?? .infinity
    #expect(worst < 1e-4, "\(n)x\(c)x\(h)x\(w) -> \(k): max |split - naive| \(worst)")
    // <conv(x, w) without bias, g> against <x, dx> and <w, dw>
    let yNoBias = try GradMode.withoutGrad { try conv2d(x, weight: wt, stride: (1, 1), padding: (pad, pad), dilation: (1, 1), groups: 1) }
    let lhs = dot(yNoBias, g)
    let dx = try Tensor(two[1], shape: x.shape), dw = try Tensor(two[2], shape: wt.shape)
    #expect(abs(lhs - dot(x, dx)) <= 1e-3 * max(1, abs(lhs)), "<conv, g> \(lhs) vs <x, dx> \(dot(x, dx))")
    #expect(abs(lhs - dot(wt, dw)) <= 1e-3 * max(1, abs(lhs)), "<conv, g> \(lhs) vs <w, dw> \(dot(wt, dw))")
}

/// A convolution's bias gradient (the sum of the output gradient over images and positions per
/// channel, in Double) is split by channels between the workers for large gradients: the same
/// bits on 1 and 2 threads, and a Double reference's value.
@Test func convBiasGradientSplitByChannels() throws {
    let (n, c, s) = (8, 64, 400)
    let g = try noise([n, c, s], seed: 11)
    let outs = try onOneAndTwoThreads([c]) { out in
        let t = try Tensor(empty: [c], dtype: .float32, zeroed: false, "test")
        try channelTotals(g.floats, n: n, c: c, s: s, into: t, "test")
        out.update(from: t.floats, count: c)
    }
    for ch in 0..<c {
        var want = 0.0
        for b in 0..<n { for i in 0..<s { want += Double(g.floats[(b * c + ch) * s + i]) } }
        #expect(abs(Double(outs[1].floats[ch]) - want) < 1e-4, "channel \(ch): \(outs[1].floats[ch]) vs \(want)")
        #expect(outs[0].floats[ch].bitPattern == outs[1].floats[ch].bitPattern, "channel \(ch) differs between 1 and 2 threads")
    }
}
