// 2-D convolution (PyTorch's conv2d: cross-correlation, NCHW, weight [K, C / groups, kh, kw]) as
// im2col + cblas_sgemm, several images per GEMM when planes are small, and its backward: the
// weight gradient is a GEMM with the same patch matrix, the input gradient a GEMM with the
// transposed weight followed by col2im (the transpose of a convolution is a convolution with the
// flipped filter; col2im applies it without materialising the flip). Few channels at stride 1
// take the direct kernels of ConvDirect.swift instead.
import SwiftNNKernels

/// A validated convolution: sizes, geometry of one group's window, and how images are batched.
struct ConvPlan {
    let n, c, h, w: Int           // input [N, C, H, W]
    let k, kh, kw: Int            // weight [K, C / groups, kh, kw]
    let groups: Int
    let cg, kg: Int               // channels and filters per group
    let geometry: WindowGeometry  // one group's channels of one image
    let imagesPerGemm: Int
    /// 1x1 kernel, stride 1, no padding: the input plane stack is already the patch matrix.
    let direct: Bool
    /// Few channels at stride 1: the direct SIMD kernels of ConvDirect.swift.
    let directKernel: Bool
    /// One filter per channel: the depthwise kernels of ConvDepthwise.swift.
    let depthwise: Bool
    /// The forward channels-last (ConvChannelsLast.swift); taken only where it is packed.
    let channelsLast: Bool
    /// The forward by Winograd F(2x2, 3x3) (ConvWinograd.swift); taken only where it is packed.
    let winograd: Bool
    /// The weight gradient by Winograd (ConvWinograd.swift): where the forward is, and for
    /// strided windows where only the weight gradient wins (ConvKernel.prefersStridedWinograd).
    let winogradWeightGradient: Bool
    /// Wide strided kernels over few channels direct from the images, forward and weight
    /// gradient (ConvStridedDirect.swift); taken only where it is packed.
    let stridedDirect: Bool

    var outPlane: Int { geometry.outPlane }
    /// Whether `backward` overwrites gx (so the caller need not zero it).
    var overwritesInputGradient: Bool {
        // (the packed backward writes every image of the input gradient once, by col2imOverwriting
        // or, for a 1x1 convolution on one image per GEMM, by the product itself: ConvPacked.swift)
        directKernel || depthwise || (usesPackedForward && kg > 0)
    }
    var patchSize: Int { geometry.patchSize }
    var outShape: [Int] { [n, k, geometry.outH, geometry.outW] }

    init(_ input: Tensor, _ weight: Tensor, _ bias: Tensor?, stride: (Int, Int), padding: (Int, Int),
         dilation: (Int, Int), groups: Int, _ fn: String) throws {
        try input.requireFloating(fn, "input")
        try input.requireSameDType(weight, fn, "weight")
        try input.requireSameDType(bias, fn, "bias")
        try requireBoundedDims(input, "input", fn)
        try self.init(shape: try batchedNCHW(input, fn), weight, bias, stride: stride, padding: padding, dilation: dilation,
                      groups: groups, fn, inputShapeForMessages: input.shape)
    }

    /// A plan for an input of shape `x` [N, C, H, W] (conv_transpose2d plans a convolution
    /// whose input it never materialises).
    init(shape x: [Int], _ weight: Tensor, _ bias: Tensor?, stride: (Int, Int), padding: (Int, Int),
         dilation: (Int, Int), groups: Int, _ fn: String, inputShapeForMessages: [Int]? = nil) throws {
        let inputShape = inputShapeForMessages ?? x
        try weight.requireFloating(fn, "weight")
        guard weight.rank == 4 else {
            throw SNNError.shape("\(fn): expected weight of rank 4 [out_channels, in_channels / groups, kh, kw], got shape \(fmt(weight.shape))")
        }
        guard x.allSatisfy({ $0 <= maxElementCount }) else {
            throw SNNError.invalid("\(fn): input has shape \(fmt(inputShape)); every dimension must be at most 2^40")
        }
        try requireBoundedDims(weight, "weight", fn)
        try checkPair(stride, "stride", minimum: 1, fn)
        try checkPair(padding, "padding", minimum: 0, fn)
        try checkPair(dilation, "dilation", minimum: 1, fn)
        guard groups >= 1, groups <= maxWindowParameter else {
            throw SNNError.invalid("\(fn): groups is \(groups), expected a positive number")
        }
        (n, c, h, w) = (x[0], x[1], x[2], x[3])
        (k, kh, kw) = (weight.shape[0], weight.shape[2], weight.shape[3])
        cg = weight.shape[1]
        self.groups = groups
        guard k % groups == 0 else {
            throw SNNError.shape("\(fn): groups = \(groups) must divide the \(k) output channels of weight \(fmt(weight.shape))")
        }
        kg = k / groups
        let (expected, overflow) = cg.multipliedReportingOverflow(by: groups)
        guard !overflow, expected == c else {
            throw SNNError.shape("\(fn): input \(fmt(inputShape)) has \(c) channels, expected weight.shape[1] * groups = \(cg) * \(groups) (weight \(fmt(weight.shape)), groups = \(groups))")
        }
        guard kh >= 1, kw >= 1 else {
            throw SNNError.shape("\(fn): weight \(fmt(weight.shape)) has an empty kernel (kh and kw must be at least 1)")
        }
        if let bias {
            try weight.requireSameDType(bias, fn, "bias", "weight")
            guard bias.shape == [k] else {
                throw SNNError.shape("\(fn): bias has shape \(fmt(bias.shape)), expected [\(k)] (one per output channel of weight \(fmt(weight.shape)))")
            }
        }
        let oh = windowOutputSize(h, kernel: kh, stride: stride.0, pad: padding.0, dilation: dilation.0, ceilMode: false)
        let ow = windowOutputSize(w, kernel: kw, stride: stride.1, pad: padding.1, dilation: dilation.1, ceilMode: false)
        guard oh >= 1, ow >= 1 else {
            throw SNNError.shape("\(fn): kernel (\(kh), \(kw)) with dilation \(fmt(dilation)) spans more than the padded input (\(h + 2 * padding.0), \(w + 2 * padding.1)) (input \(fmt(inputShape)), padding \(fmt(padding)))")
        }
        geometry = WindowGeometry(channels: cg, height: h, width: w, kernelH: kh, kernelW: kw,
                                  strideH: stride.0, strideW: stride.1, padH: padding.0, padW: padding.1,
                                  dilationH: dilation.0, dilationW: dilation.1, outH: oh, outW: ow)
        _ = try elementCount([n, k, oh, ow], fn)
        let patch = try elementCount([cg, kh, kw], fn)
        direct = kh == 1 && kw == 1 && stride == (1, 1) && padding == (0, 0)
        let kernel = ConvKernel.choose(c: c, k: k, kh: kh, kw: kw, h: h, w: w, groups: groups,
                                       stride: stride, padding: padding, dilation: dilation)
        directKernel = kernel == .direct
        depthwise = kernel == .depthwise
        channelsLast = kernel == .im2col && ConvKernel.prefersChannelsLast(n: n, c: c, kh: kh, kw: kw, outH: oh, outW: ow, groups: groups,
                                                                        padded: padding != (0, 0))
        let plainWinograd = kernel == .im2col && ConvKernel.prefersWinograd(n: n, c: c, k: k, kh: kh, kw: kw, outH: oh, outW: ow,
                                                                            groups: groups, stride: stride, padding: padding,
                                                                            dilation: dilation)
        let strided = kernel == .im2col ? ConvKernel.prefersStridedWinograd(n: n, c: c, k: k, kh: kh, kw: kw, outH: oh, outW: ow,
                                                                            groups: groups, stride: stride, padding: padding,
                                                                            dilation: dilation) : (forward: false, weightGradient: false)
        winograd = plainWinograd || strided.forward
        winogradWeightGradient = (plainWinograd && c % 16 == 0) || strided.weightGradient
        stridedDirect = kernel == .im2col && ConvKernel.prefersStridedDirect(c: c, k: k, kh: kh, kw: kw, groups: groups,
                                                                            stride: stride, dilation: dilation)
        // Small planes make thin GEMMs that neither thread nor vectorise well: put several
        // images side by side in one patch matrix, up to about 512 columns and 4 MB (more was
        // slower in single-thread CPU-time measurements: the patch matrix leaves the cache).
        let plane = try elementCount([oh, ow], fn)
        var images = max(1, min(n, (512 + plane - 1) / plane))
        while images > 1 && saturatingProduct(patch, plane, images) > 1 << 20 { images -= 1 }
        // Groups in a multiple of the weight gradient's partials (4), of equal size where the
        // batch allows, so that two or four workers get equal shares: the DQN's 4x4/2 layer at
        // batch 32 made 5 groups of 7, 7, 7, 7 and 4 images (one worker 18 images, the other
        // 14), its 3x3 layer 3 groups (22 and 10); now 8 of 4 and 4 of 8.
        let groupsOfImages = (n + images - 1) / images
        if groupsOfImages > 1 { images = (n + (groupsOfImages + 3) / 4 * 4 - 1) / ((groupsOfImages + 3) / 4 * 4) }
        imagesPerGemm = images
        try requireBLASSize(patch, "the patch size C/groups*kh*kw", fn)
        try requireBLASSize(kg, "output channels per group", fn)
        try requireBLASSize(saturatingProduct(plane, images), "the number of output positions per GEMM", fn)
    }

    /// out = activation(conv(x, weight) + bias), x [N, C, H, W], out [N, K, OH, OW]. Every GEMM
    /// writes its output block first (so fresh output pages are touched inside BLAS's threads)
    /// and the bias and activation are applied while the block is still in cache.
    func forward(_ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                 _ out: UnsafeMutablePointer<Float>, activation: FusedActivation = .none, _ fn: String) throws {
        let plane = outPlane, patch = patchSize
        if n == 0 || kg == 0 { return }
        if patch == 0 {   // no input channels: the bias alone
            if let bias { fillChannels(out, values: bias, n: n, c: k, s: plane) } else { out.update(repeating: 0, count: n * k * plane) }
            activation.apply(out, count: n * k * plane)
            return
        }
        if depthwise {
            if depthwisePairsForward { return try forwardDepthwisePairs(x, weight, bias, out, activation: activation, fn) }
            if depthwiseChannelsLast { return try forwardDepthwiseNHWC(x, weight, bias, out, activation: activation, fn) }
            return try forwardDepthwise(x, weight, bias, out, activation: activation, fn)
        }
        if directKernel {
            try forwardDirect(x, weight, bias, out, fn)
            activation.apply(out, count: n * k * plane)
            return
        }
        if usesPackedForward {
            if winograd { return try forwardWinograd(x, weight, bias, out, activation: activation, fn) }
            if stridedDirect { return try forwardStridedDirect(x, weight, bias, out, activation: activation, fn) }
            if channelsLast { return try forwardChannelsLast(x, weight, bias, out, activation: activation, fn) }
            return try forwardPacked(x, weight, bias, out, activation: activation, fn)
        }
        let batch = imagesPerGemm
        let useDirect = direct && batch == 1
        let col = useDirect ? nil : try Tensor(empty: [patch, batch * plane], dtype: .float32, zeroed: false, fn)
        let tmp = batch > 1 ? try Tensor(empty: [kg, batch * plane], dtype: .float32, zeroed: false, fn) : nil
        for n0 in stride(from: 0, to: n, by: batch) {
            let nb = min(batch, n - n0), cols = nb * plane
            for g in 0..<groups {
                let wg = weight + g * kg * patch
                let dst = out + (n0 * k + g * kg) * plane
                let biasG = bias.map { $0 + g * kg }
                let b: UnsafePointer<Float>
                if let col {
                    patchMatrices(x + (n0 * c + g * cg) * h * w, images: nb, col.floats, ld: cols)
                    b = UnsafePointer(col.floats)
                } else {
                    b = x + (n0 * c + g * cg) * h * w
                }
                if let tmp, nb > 1 {
                    sgemm(false, false, kg, cols, patch, wg, b, beta: 0, tmp.floats)
                    storeColumnBlocks(tmp.floats, rows: kg, blocks: nb, blockSize: plane, dst, dstBlockStride: k * plane, bias: biasG)
                    if activation != .none { for i in 0..<nb { activation.apply(dst + i * k * plane, count: kg * plane) } }
                } else {
                    sgemm(false, false, kg, plane, patch, wg, b, beta: 0, dst)
                    if let biasG { addRowBias(dst, rows: kg, cols: plane, biasG) }
                    activation.apply(dst, count: kg * plane)
                }
            }
        }
    }

    /// Gradients of `forward` for the upstream gradient `gout` [N, K, OH, OW]: gx (zeroed by the
    /// caller unless `overwritesInputGradient`) receives the input gradient, gw the
    /// weight gradient.
    func backward(_ gout: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                  gx: UnsafeMutablePointer<Float>?, gw: UnsafeMutablePointer<Float>?, _ fn: String) throws {
        let plane = outPlane, patch = patchSize
        if let gw, n == 0 || plane == 0 || kg == 0 { gw.update(repeating: 0, count: k * patch) }
        if patch == 0 || n == 0 || kg == 0 || (gx == nil && gw == nil) { return }
        if depthwise {
            if depthwiseChannelsLast { return try backwardDepthwiseNHWC(gout, x, weight, gx: gx, gw: gw, fn) }
            return try backwardDepthwise(gout, x, weight, gx: gx, gw: gw, fn)
        }
        if directKernel {
            // The direct weight gradient multiplies the dropped wide columns' zero gradient by
            // input values: an inf or NaN there would leak in, so such inputs take im2col.
            let finite = gw == nil || allFinite(x, count: n * c * h * w)
            try backwardDirect(gout, x, weight, gx: gx, gw: finite ? gw : nil, fn)
            if finite { return }
            return try backwardIm2col(gout, x, weight, gx: nil, gw: gw, fn)
        }
        if usesPackedForward {
            // each gradient by its own kernel where one applies, the rest by the packed path
            // (both at once when neither has one: they share the patch panels)
            var gxLeft = gx, gwLeft = gw
            if let g = gx, winograd && winogradForm.s == 1 && c % 16 == 0 {
                // the input gradient of a 3x3 window is a 3x3 convolution too (ConvWinograd.swift)
                try backwardInputWinograd(gout, weight, g, fn)
                gxLeft = nil
            } else if let g = gx, channelsLast && c % 8 == 0 && k % 8 == 0 {
                try backwardInputChannelsLast(gout, weight, g, fn)
                gxLeft = nil
            }
            if let g = gw, winogradWeightGradient {
                try weightGradientWinograd(gout, x, g, fn)
                gwLeft = nil
            } else if let g = gw, stridedDirect {
                try weightGradientStridedDirect(gout, x, g, fn)
                gwLeft = nil
            }
            if gxLeft != nil || gwLeft != nil { try backwardPacked(gout, x, weight, gx: gxLeft, gw: gwLeft, fn) }
            return
        }
        try backwardIm2col(gout, x, weight, gx: gx, gw: gw, fn)
    }

    /// `backward` through im2col + GEMM (gx zeroed by the caller, accumulated).
    func backwardIm2col(_ gout: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                        gx: UnsafeMutablePointer<Float>?, gw: UnsafeMutablePointer<Float>?, _ fn: String) throws {
        let plane = outPlane, patch = patchSize
        let batch = imagesPerGemm
        let useDirect = direct && batch == 1
        let col = useDirect ? nil : try Tensor(empty: [patch, batch * plane], dtype: .float32, zeroed: false, fn)
        let gathered = batch > 1 ? try Tensor(empty: [kg, batch * plane], dtype: .float32, zeroed: false, fn) : nil
        for n0 in stride(from: 0, to: n, by: batch) {
            let nb = min(batch, n - n0), cols = nb * plane
            for g in 0..<groups {
                let wg = weight + g * kg * patch
                // This group's upstream gradient as a [kg, cols] matrix.
                let src = gout + (n0 * k + g * kg) * plane
                let gmat: UnsafePointer<Float>
                if let gathered, nb > 1 {
                    gatherColumnBlocks(src, srcBlockStride: k * plane, rows: kg, blocks: nb, blockSize: plane, gathered.floats)
                    gmat = UnsafePointer(gathered.floats)
                } else {
                    gmat = src
                }
                let xg = x + (n0 * c + g * cg) * h * w
                if let gw {
                    // gw_g [kg, patch] += G [kg, cols] @ col^T [cols, patch]
                    let b: UnsafePointer<Float>
                    if let col {
                        patchMatrices(xg, images: nb, col.floats, ld: cols)
                        b = UnsafePointer(col.floats)
                    } else {
                        b = xg
                    }
                    sgemm(false, true, kg, patch, cols, gmat, b, beta: n0 == 0 ? 0 : 1, gw + g * kg * patch)
                }
                if let gx {
                    // dcol [patch, cols] = W_g^T [patch, kg] @ G [kg, cols], then scattered back.
                    let gxg = gx + (n0 * c + g * cg) * h * w
                    if let col {
                        sgemm(true, false, patch, cols, kg, wg, gmat, beta: 0, col.floats)
                        scatterPatchMatrices(col.floats, ld: cols, images: nb, gxg)
                    } else {
                        sgemm(true, false, patch, cols, kg, wg, gmat, beta: 1, gxg)
                    }
                }
            }
        }
    }
}

extension ConvPlan {
    /// im2col of `images` consecutive images from `x` (image i at x + i * c * h * w) into one
    /// patch matrix, image i's columns at i * outPlane. The copies are split between the
    /// engine's threads by image: alone they were 46% of the main thread's time in a DQN update
    /// (batch 32, perf), while OpenBLAS's second thread, idle between products, spun.
    func patchMatrices(_ x: UnsafePointer<Float>, images: Int, _ col: UnsafeMutablePointer<Float>, ld: Int) {
        let (plane, geometry, imageStride) = (outPlane, geometry, c * h * w)
        let workers = copyWorkers(images: images)
        if workers == 1 {
            for i in 0..<images { im2col(x + i * imageStride, geometry, col + i * plane, ld: ld) }
            return
        }
        let p = ConvCopyPointers(src: UnsafeMutablePointer(mutating: x), dst: col)
        StepTeam.shared.run(workers: workers) { ctx in
            for i in stride(from: ctx.worker, to: images, by: ctx.workers) {
                im2col(p.src + i * imageStride, geometry, p.dst + i * plane, ld: ld)
            }
        }
    }

    /// col2im of a patch matrix holding `images` images back onto gx (image i at gx + i * c * h
    /// * w), split by image like `patchMatrices` (each image's gradient is written by one worker).
    func scatterPatchMatrices(_ col: UnsafePointer<Float>, ld: Int, images: Int, _ gx: UnsafeMutablePointer<Float>) {
        let (plane, geometry, imageStride) = (outPlane, geometry, c * h * w)
        let workers = copyWorkers(images: images)
        if workers == 1 {
            for i in 0..<images { col2im(col + i * plane, ld: ld, geometry, gx + i * imageStride) }
            return
        }
        let p = ConvCopyPointers(src: UnsafeMutablePointer(mutating: col), dst: gx)
        StepTeam.shared.run(workers: workers) { ctx in
            for i in stride(from: ctx.worker, to: images, by: ctx.workers) {
                col2im(p.src + i * plane, ld: ld, geometry, p.dst + i * imageStride)
            }
        }
    }

    /// Threads for copying `images` images' patches: one per engine thread when there are at
    /// least two images and about 64K floats each worker (below that a worker's wake-up, tens
    /// of microseconds on this VM, costs more than it saves).
    private func copyWorkers(images: Int) -> Int {
        let floats = saturatingProduct(images, patchSize, outPlane)
        return max(1, min(EngineThreads.count, images, floats / (1 << 16), 16))
    }
}

/// The source and destination of a patch copy, handed to team workers (each writes only its
/// own images' columns or gradients).
private struct ConvCopyPointers: @unchecked Sendable {
    let src: UnsafeMutablePointer<Float>, dst: UnsafeMutablePointer<Float>
}

/// torch.nn.functional.conv2d: cross-correlation of `input` [N, C, H, W] (or unbatched
/// [C, H, W]) with `weight` [K, C / groups, kh, kw], plus `bias` [K]; output [N, K, OH, OW] with
/// OH = floor((H + 2 padding.0 - dilation.0 (kh - 1) - 1) / stride.0) + 1 (and likewise OW).
/// Parameters are (height, width) pairs.
public func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                   padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1) throws -> Tensor {
    let fn = "conv2d"
    let plan = try ConvPlan(input, weight, bias, stride: stride, padding: padding, dilation: dilation, groups: groups, fn)
    if input.dtype == .float64 { return try conv2d64(input, weight: weight, bias: bias, plan) }
    let out4 = try Tensor(empty: plan.outShape, dtype: .float32, zeroed: false, fn)
    try plan.forward(input.floats, weight.floats, bias.map { UnsafePointer($0.floats) }, out4.floats, fn)
    let out = input.rank == 3 ? try out4.view(as: Array(plan.outShape.dropFirst())) : out4
    let inputs = bias.map { [input, weight, $0] } ?? [input, weight]
    return out.traced(.conv2d, [input, weight, bias], [("stride", .pair(stride)), ("padding", .pair(padding)),
                                                      ("dilation", .pair(dilation)), ("groups", .int(groups))])
        .recorded("ConvolutionBackward", inputs, readsOutput: false) { g in try convolutionGradients(plan, g, input, weight, bias) }
}

/// conv2d's pullback: the gradients of input, weight and (if given) bias for the output's
/// gradient `g` (contiguous, the output's shape), nil where one needs none.
func convolutionGradients(_ plan: ConvPlan, _ g: Tensor, _ input: Tensor, _ weight: Tensor, _ bias: Tensor?) throws -> [Tensor?] {
    // forward: out[n, k] = bias[k] + sum over c in k's group of weight[k, c] (cross-correlated with) input[n, c]
    let bwd = "conv2d_backward"
    let gx = input.requiresGrad ? try Tensor(empty: input.shape, dtype: .float32, zeroed: !plan.overwritesInputGradient, bwd) : nil
    let gw = weight.requiresGrad ? try Tensor(empty: weight.shape, dtype: .float32, zeroed: false, bwd) : nil
    try plan.backward(g.floats, input.floats, weight.floats, gx: gx?.floats, gw: gw?.floats, bwd)
    var grads: [Tensor?] = [gx, gw]
    if let bias {
        // d out / d bias[k] = 1 at every image and position.
        var gb: Tensor? = nil
        if bias.requiresGrad {
            let t = try Tensor(empty: bias.shape, dtype: .float32, zeroed: false, bwd)
            try channelTotals(g.floats, n: plan.n, c: plan.k, s: plan.outPlane, into: t, bwd)
            gb = t
        }
        grads.append(gb)
    }
    return grads
}

/// t[c] = sum over n, s of x[n, c, s] for [N, C, S] data, accumulated in Double.
func channelTotals(_ x: UnsafePointer<Float>, n: Int, c: Int, s: Int, into t: Tensor, _ fn: String) throws {
    let sums = try DoubleScratch(c, fn)
    // Channels split between the workers (each channel's sum in the same order, so the same
    // bits): on one thread the DQN's three bias gradients read 2.7 MB while the other idled.
    let out = sums.pointer
    teamRanges(c, granule: 1, work: saturatingProduct(n, c, s)) { lo, hi in channelSums(x, n: n, c: c, s: s, out, channels: lo..<hi) }
    for i in 0..<c { t.floats[i] = Float(sums[i]) }
}

// MARK: - registry

extension OpDef {
    /// ONNX Conv; an unbatched [C, H, W] input gains a batch of one around the node. Import
    /// takes 1-D and 2-D Conv (ImportWindow.swift: compileConv).
    static let conv2d = OpDef("conv2d", c: "snn_tensor_conv2d", python: "conv2d",
                              export: { b, r in
                                  let x = try b.value(try r.input(0)), w = try b.value(try r.input(1))
                                  let bias = try r.inputs.count > 2 ? r.inputs[2].map { try b.value($0) } : nil
                                  let k = w.shape.count == 4 ? [Int64(w.shape[2]), Int64(w.shape[3])] : []
                                  let s = try r.ints("stride"), p = try r.ints("padding"), d = try r.ints("dilation")
                                  let attrs = [ONNXAttribute("kernel_shape", .ints(k)), ONNXAttribute("strides", .ints(s.map { Int64($0) })),
                                               ONNXAttribute("pads", .ints((p + p).map { Int64($0) })), ONNXAttribute("dilations", .ints(d.map { Int64($0) })),
                                               ONNXAttribute("group", .int(Int64(try r.int("groups"))))]
                                  let y = b.batched4D(x) { b, x4 in b.node1("Conv", [x4, w.name] + (bias.map { [$0.name] } ?? []), attrs) }
                                  b.define(r.outputs[0], y, batch: x.batch)
                              },
                              imports: ["Conv": { n in try compileConv(n.node, n.label) }])
}
