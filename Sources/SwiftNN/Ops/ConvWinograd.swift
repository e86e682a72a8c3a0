// The eager convolution forward of 3x3 windows at stride 1 through Winograd F(2x2, 3x3)
// (SwiftNNKernels/Winograd.swift): per image, a zero-bordered channels-last copy, then blocks
// of 2x2-output tiles: the input transform, 16 GEMMs [tiles, C] x [C, K] on the packed kernels
// against the transformed filters, and the output transform with the bias, scattered to NCHW.
// 16 products per 2x2 outputs and channel pair where the direct method takes 36: 2.25x fewer
// FLOPs (fewer on maps of odd size, whose last tiles are partly dropped). Which shapes take it:
// ConvKernel.prefersWinograd (ConvKernelRule.swift); the backward is ConvPacked.swift's.
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

    /// out = activation(conv(x, weight) + bias) by Winograd F(2x2, 3x3) (see above).
    func forwardWinograd(_ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                         _ out: UnsafeMutablePointer<Float>, activation: FusedActivation, _ fn: String) throws {
        let pad = geometry.padH, outH = geometry.outH, outW = geometry.outW, plane = outH * outW
        let tilesH = (outH + 1) / 2, tilesW = (outW + 1) / 2, tiles = tilesH * tilesW
        let rowsP = 2 * tilesH + 2, colsP = 2 * tilesW + 2  // the tiles' reach, zeros past the image
        let imageFloats = rowsP * colsP * c
        let group = max(1, min(n, ConvPlan.winogradTileBlock / tiles))  // images per item
        let items = (n + group - 1) / group
        let block = min(group * tiles, ConvPlan.winogradTileBlock)
        let vFloats = 16 * block * c, mFloats = 16 * block * k, per = group * imageFloats + vFloats + mFloats
        let workers = max(1, min(EngineThreads.count, 16, items))
        if workers > 1 { EngineThreads.shareOnePool() }  // as in forwardPacked
        let packedFloats = 16 * c * k
        let scratch = try Tensor(empty: [packedFloats + workers * per], dtype: .float32, zeroed: false, fn)
        let p = PackedConvPointers(x: UnsafeMutablePointer(mutating: x), weight: UnsafeMutablePointer(mutating: weight),
                                   bias: bias.map { UnsafeMutablePointer(mutating: $0) }, out: out, scratch: scratch.floats)
        let (c, h, w, k, n) = (c, h, w, k, n)
        let queue = WorkQueue(count: items)
        StepTeam.shared.run(workers: workers) { ctx in
            // the transformed filters, each worker its share of the output-channel panels
            let panels = k / 16, (q0, q1) = (panels * ctx.worker / ctx.workers, panels * (ctx.worker + 1) / ctx.workers)
            winogradPackFilters(p.weight, k: k, c: c, outputs: q0 * 16, to: q1 * 16, p.scratch)
            ctx.barrier()
            let img = p.scratch + packedFloats + ctx.worker * per, v = img + group * imageFloats, m = v + vFloats
            let packed = UnsafePointer(p.scratch)
            while let item = queue.claim() {
                let i0 = item * group, count = min(group, n - i0)
                // each image channels-last with its zero border: rows above and below, columns
                // left and right of each row
                for j in 0..<count {
                    let image = img + j * imageFloats
                    image.update(repeating: 0, count: pad * colsP * c)
                    let below = (pad + h) * colsP * c
                    (image + below).update(repeating: 0, count: imageFloats - below)
                    for y in 0..<h {
                        let row = image + (y + pad) * colsP * c
                        row.update(repeating: 0, count: pad * c)
                        (row + (pad + w) * c).update(repeating: 0, count: (colsP - pad - w) * c)
                        transposeRowToChannelsLast(p.x + ((i0 + j) * c * h + y) * w, planeStride: h * w, c: c, w: w, pitch: c,
                                                   row + pad * c)
                    }
                }
                let dst = p.out + i0 * k * plane, all = count * tiles
                var t0 = 0
                while t0 < all {
                    let count = min(block, all - t0)
                    winogradInputTiles(img, pitch: colsP, c: c, tilesW: tilesW, imageTiles: tiles, imageStride: imageFloats,
                                       t0: t0, count: count, v, blockStride: block * c)
                    for q in 0..<16 {
                        gemmPacked(m: count, n: k, k: c, a: v + q * block * c, lda: c, packed: packed + q * c * k,
                                   c: m + q * block * k, ldc: k, accumulate: false)
                    }
                    winogradOutputTiles(m, blockStride: block * k, k: k, tilesW: tilesW, imageTiles: tiles, t0: t0, count: count,
                                        bias: p.bias.map { UnsafePointer($0) }, outH: outH, outW: outW, dst)
                    t0 += count
                }
                activation.apply(dst, count: count * k * plane)
            }
        }
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
        stridedDirect = false
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

