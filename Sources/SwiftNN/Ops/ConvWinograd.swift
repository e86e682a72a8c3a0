// The eager convolution forward of 3x3 windows at stride 1 through Winograd F(2x2, 3x3)
// (SwiftNNKernels/Winograd.swift): per image, a zero-bordered channels-last copy, then blocks
// of 2x2-output tiles: the input transform, 16 GEMMs [tiles, C] x [C, K] on the packed kernels
// against the transformed filters, and the output transform with the bias, scattered to NCHW.
// 16 products per 2x2 outputs and channel pair where the direct method takes 36: 2.25x fewer
// FLOPs (fewer on maps of odd size, whose last tiles are partly dropped). Which shapes take it:
// ConvKernel.prefersWinograd (ConvKernelRule.swift); both gradients are Winograd's too (below).
//
// Each image is computed whole by one worker in a fixed order, so the result does not depend
// on the thread count. It differs from the direct sum by rounding: the transforms add and
// subtract inputs (and the filter's halves) before the products, about 1e-6 relative.
import SwiftNNKernels

extension ConvPlan {
    /// Tiles per block: the block's transformed inputs and products (16 x tiles x C and x K
    /// floats) stay in the L2 between the transforms and the GEMMs. Images of fewer tiles go
    /// several to a block (a 7x7 map has 16), so that the transformed filters (16 x C x K
    /// floats) stream through the GEMMs once per block, not once per image.
    static let winogradTileBlock = 64

    /// The Winograd algorithm of this plan's window (ConvWinogradForm.swift).
    var winogradForm: WinogradForm { WinogradForm(s: geometry.strideH, c: c) }

    /// out = activation(conv(x, weight) + bias) by Winograd F(2x2, 3x3), or F(2x2, 2x2) on
    /// blocks (see above).
    func forwardWinograd(_ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                         _ out: UnsafeMutablePointer<Float>, activation: FusedActivation, _ fn: String) throws {
        let form = winogradForm, products = form.products, cs = form.channels
        let pad = geometry.padH, outH = geometry.outH, outW = geometry.outW, plane = outH * outW
        let tilesH = (outH + 1) / 2, tilesW = (outW + 1) / 2, tiles = tilesH * tilesW
        let rowsP = form.reach(tilesH), colsP = form.reach(tilesW)  // the tiles' reach, zeros past the image
        let imageFloats = rowsP * colsP * cs
        let group = max(1, min(n, ConvPlan.winogradTileBlock / tiles))  // images per item
        let items = (n + group - 1) / group
        let block = min(group * tiles, ConvPlan.winogradTileBlock)
        // each product's block a cache line past a multiple of 4 KB (see winogradInputTiles)
        let vStride = block * cs + 16, mStride = block * k + 16
        let outFloats = group * form.outputScratch(tilesH: tilesH, tilesW: tilesW, k: k)
        let vFloats = products * vStride, mFloats = products * mStride, per = group * imageFloats + vFloats + mFloats + outFloats
        let workers = max(1, min(EngineThreads.count, 16, items))
        if workers > 1 { EngineThreads.shareOnePool() }  // as in forwardPacked
        let packedFloats = products * cs * k
        let scratch = try Tensor(empty: [packedFloats + workers * per], dtype: .float32, zeroed: false, fn)
        let p = PackedConvPointers(x: UnsafeMutablePointer(mutating: x), weight: UnsafeMutablePointer(mutating: weight),
                                   bias: bias.map { UnsafeMutablePointer(mutating: $0) }, out: out, scratch: scratch.floats)
        let (c, h, w, k, n) = (c, h, w, k, n)
        let queue = WorkQueue(count: items)
        StepTeam.shared.run(workers: workers) { ctx in
            // the transformed filters, each worker its share of the output-channel panels
            let panels = k / 16, (q0, q1) = (panels * ctx.worker / ctx.workers, panels * (ctx.worker + 1) / ctx.workers)
            form.packFilters(p.weight, k: k, outputs: q0 * 16, to: q1 * 16, p.scratch)
            ctx.barrier()
            let img = p.scratch + packedFloats + ctx.worker * per, v = img + group * imageFloats, m = v + vFloats
            let outputs = m + mFloats
            let packed = UnsafePointer(p.scratch)
            while let item = queue.claim() {
                let i0 = item * group, count = min(group, n - i0)
                for j in 0..<count {
                    form.image(p.x + (i0 + j) * c * h * w, h: h, w: w, pad: pad, rows: rowsP, columns: colsP,
                               img + j * imageFloats)
                }
                let dst = p.out + i0 * k * plane, all = count * tiles
                var t0 = 0
                while t0 < all {
                    let count = min(block, all - t0)
                    form.inputTiles(img, columns: colsP, tilesW: tilesW, imageTiles: tiles, imageStride: imageFloats,
                                    t0: t0, count: count, v, blockStride: vStride)
                    for q in 0..<products {
                        gemmPacked(m: count, n: k, k: cs, a: v + q * vStride, lda: cs, packed: packed + q * cs * k,
                                   c: m + q * mStride, ldc: k, accumulate: false)
                    }
                    form.outputTiles(m, blockStride: mStride, k: k, tilesW: tilesW, imageTiles: tiles, t0: t0, count: count,
                                     bias: p.bias.map { UnsafePointer($0) }, outH: outH, outW: outW, dst, scratch: outputs)
                    t0 += count
                }
                if !form.finishOutputs(outputs, count: count, k: k, tilesH: tilesH, tilesW: tilesW, outH: outH, outW: outW,
                                       activation: activation, dst) {
                    activation.apply(dst, count: count * k * plane)
                }
            }
        }
        withExtendedLifetime(scratch) {}
    }
}

/// One image [c, h, w] channels-last with its zero border, [rows, columns, c]: `pad` rows
/// above and columns left, zeros past the image below and right.
func winogradImage(_ x: UnsafePointer<Float>, c: Int, h: Int, w: Int, pad: Int, rows: Int, columns: Int,
                   _ image: UnsafeMutablePointer<Float>) {
    image.update(repeating: 0, count: pad * columns * c)
    let below = (pad + h) * columns * c
    (image + below).update(repeating: 0, count: (rows - pad - h) * columns * c)
    for y in 0..<h {
        let row = image + (y + pad) * columns * c
        row.update(repeating: 0, count: pad * c)
        (row + (pad + w) * c).update(repeating: 0, count: (columns - pad - w) * c)
        transposeRowToChannelsLast(x + y * w, planeStride: h * w, c: c, w: w, pitch: c, row + pad * c)
    }
}

extension ConvPlan {
    /// gw = the weight gradient of this (Winograd) convolution, by Winograd: the forward's
    /// Y = A^T [U * V] A per tile, U = G g G^T, makes g's gradient G^T [sum over tiles of
    /// (A dY A^T) * V] G. Per block of tiles the input transform V (as the forward's, written as
    /// packed panels) and the output gradient's A dY A^T, then 16 products [k, tiles] x
    /// [tiles, c] summed into the block's partial; 16 x k x c products per 2x2 outputs where the
    /// patch GEMM takes 36. Partials as `backwardPacked`'s (image group j to partial j % 4, each
    /// a chain over its groups in order, added in order), so the bits do not depend on the
    /// thread count. c a multiple of 16, k of 8.
    func weightGradientWinograd(_ gout: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ gw: UnsafeMutablePointer<Float>,
                                _ fn: String) throws {
        let form = winogradForm, products = form.products, cs = form.channels
        let pad = geometry.padH, outH = geometry.outH, outW = geometry.outW, plane = outH * outW
        let tilesH = (outH + 1) / 2, tilesW = (outW + 1) / 2, tiles = tilesH * tilesW
        let rowsP = form.reach(tilesH), colsP = form.reach(tilesW), imageFloats = rowsP * colsP * cs
        let gradFloats = 2 * tilesH * 2 * tilesW * k  // an output gradient channels-last, zeros past the map
        // images per group: as many as fill a block, but at least two groups where the batch
        // allows (two images of 7x7 made one group, one partial: one worker). By the shape
        // alone, so that the bits do not depend on the thread count. (Four groups split the
        // blocks of a 512-channel layer further, and each block reads and writes the partial
        // sums, 16 MB there.)
        let group = max(1, min(n, ConvPlan.winogradTileBlock / tiles, (n + 1) / 2))
        let block = min(group * tiles, ConvPlan.winogradTileBlock)
        let items = (n + group - 1) / group, partials = min(items, ConvPlan.weightGradientPartials)
        let macs = saturatingProduct(n, k, patchSize, plane)
        let workers = macs < 1 << 20 ? 1 : max(1, min(EngineThreads.count, 16, partials))
        if workers > 1 { EngineThreads.shareOnePool() }
        // V's panels block + 1 rows apart, the products' blocks a cache line past multiples of
        // 4 KB (see winogradInputTiles)
        let vStride = (block + 1) * cs + 16, dStride = block * k + 16
        let vFloats = products * vStride, dFloats = products * dStride
        let per = group * (imageFloats + gradFloats) + vFloats + dFloats, sumFloats = products * k * cs
        let scratch = try Tensor(empty: [partials * sumFloats + workers * per], dtype: .float32, zeroed: false, fn)
        let p = PackedConvPointers(x: UnsafeMutablePointer(mutating: x), weight: gw, bias: nil, out: gw, scratch: scratch.floats,
                                   gout: UnsafeMutablePointer(mutating: gout))
        let (c, h, w, k, n) = (c, h, w, k, n)
        let queue = WorkQueue(count: partials)
        StepTeam.shared.run(workers: workers) { ctx in
            let img = p.scratch + partials * sumFloats + ctx.worker * per, grads = img + group * imageFloats
            let v = grads + group * gradFloats, d = v + vFloats
            while let slot = queue.claim() {
                let sums = p.scratch + slot * sumFloats
                var first = true
                for item in stride(from: slot, to: items, by: partials) {
                    let i0 = item * group, count = min(group, n - i0)
                    for j in 0..<count {
                        form.image(p.x + (i0 + j) * c * h * w, h: h, w: w, pad: pad, rows: rowsP, columns: colsP,
                                   img + j * imageFloats)
                        winogradImage(p.gout! + (i0 + j) * k * plane, c: k, h: outH, w: outW, pad: 0, rows: 2 * tilesH,
                                      columns: 2 * tilesW, grads + j * gradFloats)
                    }
                    let all = count * tiles
                    var t0 = 0
                    while t0 < all {
                        let count = min(block, all - t0)
                        form.inputTiles(img, columns: colsP, tilesW: tilesW, imageTiles: tiles, imageStride: imageFloats,
                                        t0: t0, count: count, v, blockStride: vStride, panelRows: block + 1)
                        form.gradientTiles(grads, pitch: 2 * tilesW, k: k, tilesW: tilesW, imageTiles: tiles,
                                           imageStride: gradFloats, t0: t0, count: count, d, blockStride: dStride)
                        for q in 0..<products {
                            // dU_q [k, cs] (+)= D_q^T [k, tiles] V_q [tiles, cs]
                            gemmPacked(m: k, n: cs, k: count, a: d + q * dStride, lda: 1, ka: k, packed: v + q * vStride,
                                       panelRows: block + 1, c: sums + q * k * cs, ldc: cs, accumulate: !first)
                        }
                        first = false
                        t0 += count
                    }
                }
            }
        }
        let total = scratch.floats
        for s in 1..<max(partials, 1) {
            let part = total + s * sumFloats
            for i in 0..<sumFloats { total[i] += part[i] }
        }
        form.filterGradients(total, k: k, gw)
        withExtendedLifetime(scratch) {}
    }
}

extension ConvPlan {
    /// The input gradient of a 3x3 convolution at stride 1 as one: the output gradient [n, k,
    /// oh, ow] with the filters flipped and transposed ([c, k, 3, 3], w'[i, o, a, b] = w[o, i,
    /// 2 - a, 2 - b]) and padding 2 - pad gives [n, c, h, w].
    init(inputGradientOf p: ConvPlan) {
        n = p.n; c = p.k; h = p.geometry.outH; w = p.geometry.outW; k = p.c; kh = 3; kw = 3
        groups = 1; cg = p.k; kg = p.c
        let pad = 2 - p.geometry.padH
        geometry = WindowGeometry(channels: p.k, height: h, width: w, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1,
                                  padH: pad, padW: pad, dilationH: 1, dilationW: 1, outH: p.h, outW: p.w)
        imagesPerGemm = 1; direct = false; directKernel = false; depthwise = false; channelsLast = false; winograd = true
        stridedDirect = false; winogradWeightGradient = false
    }

    /// gx = the input gradient of this (Winograd) convolution, by Winograd: every element written.
    func backwardInputWinograd(_ gout: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ gx: UnsafeMutablePointer<Float>,
                               _ fn: String) throws {
        let flipped = try Tensor(empty: [c, k, 3, 3], dtype: .float32, zeroed: false, fn)
        let f = flipped.floats
        for o in 0..<k {
            for i in 0..<c {
                let src = weight + (o * c + i) * 9, dst = f + (i * k + o) * 9
                for t in 0..<9 { dst[8 - t] = src[t] }
            }
        }
        try ConvPlan(inputGradientOf: self).forwardWinograd(gout, f, nil, gx, activation: .none, fn)
        withExtendedLifetime(flipped) {}
    }
}

