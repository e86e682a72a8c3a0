// The eager convolution forward through the inference plan's channels-last kernels, for the
// small maps where they win: the input turned channels-last, each output position's patch row
// gathered (kernel rows of kw * C consecutive floats: copies, where the NCHW patch panels of
// ConvPacked.swift gather strided single floats), one GEMM against the weights packed for it
// with bias and clamp applied in the kernel's stores, and the result turned back to NCHW.
// Which shapes take it: ConvKernel.prefersChannelsLast (ConvKernelRule.swift). Their input
// gradient runs channels-last too (below, with the packed backward's bits); the weight gradient
// is ConvPacked.swift's.
//
// Each output element is one FMA chain over the patch in (kernel row, kernel column, channel)
// order whichever worker computes it, so the result does not depend on the thread count; it
// differs from the NCHW path's (channel, kernel row, kernel column) order by rounding only.
import SwiftNNKernels

extension ConvPlan {
    /// Output positions per item (their patch rows are gathered together), as the plan's.
    static let channelsLastRows = 64

    /// out = activation(conv(x, weight) + bias) through channels-last patch rows (see above).
    func forwardChannelsLast(_ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                             _ out: UnsafeMutablePointer<Float>, activation: FusedActivation, _ fn: String) throws {
        let patch = patchSize, plane = outPlane, positions = n * plane, pitch = (k + 15) / 16 * 16
        let macs = saturatingProduct(n, k, patch, plane)
        let threads = macs < 1 << 20 ? 1 : max(1, min(EngineThreads.count, 16))
        // Items of at most 64 positions, as many as a multiple of the workers, of equal size
        // (392 positions as 8 blocks of 49, not 7 of 64: one worker 4, the other 3).
        var items = (positions + ConvPlan.channelsLastRows - 1) / ConvPlan.channelsLastRows
        if items > 1 && threads > 1 { items = (items + threads - 1) / threads * threads }
        let block = (positions + items - 1) / items
        items = (positions + block - 1) / block
        let workers = max(1, min(threads, items))
        if workers > 1 { EngineThreads.shareOnePool() }  // as in forwardPacked
        // Scratch: the input channels-last [n * h * w, c], the weights packed [patch, pitch]
        // with the bias padded to the pitch, the output channels-last [positions, pitch], and
        // each worker's patch rows [block, patch].
        let inFloats = n * h * w * c, packedFloats = packedPanelsCount(k: patch, n: pitch)
        let perWorker = block * patch + block * pitch
        let scratch = try Tensor(empty: [inFloats + packedFloats + pitch + workers * perWorker], dtype: .float32, zeroed: false, fn)
        let xcl = scratch.floats, packed = xcl + inFloats, biasPadded = packed + packedFloats, rowsBase = biasPadded + pitch
        packChannelsLastWeights(weight, into: packed, pitch: pitch)
        for j in 0..<pitch { biasPadded[j] = j < k ? (bias?[j] ?? 0) : 0 }
        let (lo, hi, rest) = clampBounds(activation)
        let (c, h, w, k, n, kh, kw) = (c, h, w, k, n, kh, kw), geometry = geometry
        let g = PatchGeometry(c: c, h: h, w: w, kh: kh, kw: kw, sh: geometry.strideH, sw: geometry.strideW,
                              ph: geometry.padH, pw: geometry.padW, dh: geometry.dilationH, dw: geometry.dilationW,
                              oh: geometry.outH, ow: geometry.outW)
        let nchw = ActivationStrides(n: c * h * w, c: h * w, y: w, x: 1)
        let last = ActivationStrides(n: h * w * c, c: 1, y: w * c, x: c)
        let p = ChannelsLastPointers(x: UnsafeMutablePointer(mutating: x), xcl: xcl, packed: packed, bias: biasPadded,
                                     rows: rowsBase, out: out)
        let queue = RangedWorkQueue(count: items, workers: workers)
        StepTeam.shared.run(workers: workers) { ctx in
            // images turned channels-last, shared out by image
            for img in stride(from: ctx.worker, to: n, by: ctx.workers) {
                toChannelsLast(p.x, nchw, c: c, h: h, w: w, pitch: c, image: img, rows: 0, count: h, p.xcl)
            }
            ctx.barrier()
            let mine = p.rows + ctx.worker * perWorker, tile = mine + block * patch
            while let i = queue.claim(worker: ctx.worker) {
                let r0 = i * block, rows = min(block, positions - r0)
                gatherPatchRows(p.xcl, last, g, p0: r0, rows: rows, mine, ld: patch)
                gemmPackedEpilogue(m: rows, n: pitch, k: patch, a: mine, lda: patch, packed: p.packed, c: tile, ldc: pitch,
                                   bias: p.bias, residual: nil, ldr: 0, lo: lo, hi: hi)
                if rest != .none { for r in 0..<rows { rest.apply(tile + r * pitch, count: pitch) } }
                // the tile's positions back to NCHW while it is in cache (a pass over the whole
                // channels-last output afterwards was 12% of the forward)
                var pos = r0
                while pos < r0 + rows {
                    let img = pos / plane, q = pos - img * plane, run = min(plane - q, r0 + rows - pos)
                    let src = tile + (pos - r0) * pitch, dst = p.out + img * k * plane + q
                    for ch in 0..<k {
                        let d = dst + ch * plane
                        for r in 0..<run { d[r] = src[r * pitch + ch] }
                    }
                    pos += run
                }
            }
        }
        withExtendedLifetime(scratch) {}
    }

    /// The weight [K, C, kh, kw] as the GEMM's right-hand operand [patch, pitch] in 16-column
    /// panels, rows in patch-row order (kernel row, kernel column, channel), zeros past K.
    func packChannelsLastWeights(_ weight: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, pitch: Int) {
        // (written in order: this runs on every call, on the forward's path)
        let taps = kh * kw
        var d = dst
        for panel in 0..<(pitch / 16) {
            for t in 0..<taps {
                for ch in 0..<c {
                    for j in 0..<16 {
                        let o = panel * 16 + j
                        d[j] = o < k ? weight[(o * c + ch) * taps + t] : 0
                    }
                    d += 16
                }
            }
        }
    }
}

/// The operands handed to the workers (each writes only its own images, rows and tiles).
private struct ChannelsLastPointers: @unchecked Sendable {
    let x: UnsafeMutablePointer<Float>, xcl: UnsafeMutablePointer<Float>, packed: UnsafeMutablePointer<Float>
    let bias: UnsafeMutablePointer<Float>, rows: UnsafeMutablePointer<Float>
    let out: UnsafeMutablePointer<Float>
}

extension ConvPlan {
    /// gx = the input gradient of a channels-last plan, channels-last too, where channels and
    /// filters are multiples of 8: per image group the output gradient turned channels-last
    /// [positions, k], times the filters packed once as [k, patch] with the patch in (kernel
    /// row, kernel column, channel) order, gives each position's patch-row gradient; those are
    /// summed onto each input position's channels (col2imChannelsLast) and turned back to NCHW.
    /// The packed backward's W^T G read the filters down their columns and scattered the rows
    /// back with masked adds: the DQN's 4x4/2 input gradient took 1.2 ms at batch 32. Each
    /// product element is the same FMA chain over k as there, and col2im adds in the same order,
    /// so the bits are the packed backward's (ConvChannelsLastTests).
    func backwardInputChannelsLast(_ gout: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ gx: UnsafeMutablePointer<Float>,
                                   _ fn: String) throws {
        let patch = patchSize, plane = outPlane, taps = kh * kw, batch = imagesPerGemm
        let chunks = (n + batch - 1) / batch, maxRows = batch * plane
        let macs = saturatingProduct(n, k, patch, plane)
        let threads = macs < 1 << 20 ? 1 : max(1, min(EngineThreads.count, 16))
        let workers = max(1, min(threads, chunks))
        if workers > 1 { EngineThreads.shareOnePool() }
        // Scratch: the filters [k, patch] tap-major and packed; per worker the group's output
        // gradient [rows, k], its patch-row gradients [rows, patch] and one image's input
        // gradient channels-last [h * w, c].
        let panelFloats = packedPanelsCount(k: k, n: patch), per = maxRows * k + maxRows * patch + h * w * c
        let scratch = try Tensor(empty: [k * patch + panelFloats + workers * per], dtype: .float32, zeroed: false, fn)
        let tapMajor = scratch.floats, panels = tapMajor + k * patch
        for o in 0..<k {
            for ch in 0..<c {
                for t in 0..<taps { tapMajor[o * patch + t * c + ch] = weight[(o * c + ch) * taps + t] }
            }
        }
        packRowsIntoPanels(panels, tapMajor, ldb: patch, k: k, n: patch)
        let g = PatchGeometry(c: c, h: h, w: w, kh: kh, kw: kw, sh: geometry.strideH, sw: geometry.strideW,
                              ph: geometry.padH, pw: geometry.padW, dh: geometry.dilationH, dw: geometry.dilationW,
                              oh: geometry.outH, ow: geometry.outW)
        let p = PackedConvPointers(x: gx, weight: panels, bias: nil, out: gx, scratch: panels + panelFloats,
                                   gout: UnsafeMutablePointer(mutating: gout))
        let (c, h, w, k, n) = (c, h, w, k, n)
        let queue = WorkQueue(count: chunks)
        StepTeam.shared.run(workers: workers) { ctx in
            let gT = p.scratch + ctx.worker * per, rows = gT + maxRows * k, image = rows + maxRows * patch
            while let j = queue.claim() {
                let n0 = j * batch, nb = min(batch, n - n0)
                for i in 0..<nb {
                    transposeRowToChannelsLast(p.gout! + (n0 + i) * k * plane, planeStride: plane, c: k, w: plane, pitch: k,
                                               gT + i * plane * k)
                }
                gemmPacked(m: nb * plane, n: patch, k: k, a: gT, lda: k, packed: p.weight, c: rows, ldc: patch, accumulate: false)
                for i in 0..<nb {
                    col2imChannelsLast(rows + i * plane * patch, g, image)
                    transposeToPlanes(image, positions: h * w, c: c, pitch: c, p.out + (n0 + i) * c * h * w, planeStride: h * w)
                }
            }
        }
        withExtendedLifetime(scratch) {}
    }
}
