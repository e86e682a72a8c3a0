// The inference plan's Winograd step: a 3x3 stride-1 convolution as F(2x2, 3x3) over the
// channels-last activations (SwiftNNKernels/WinogradNHWC.swift). Each item is a block of tiles
// and a block of output channels: its worker transforms the block's input tiles into its
// scratch, runs the 16 products' GEMMs [tiles, C] x [C, columns] against the filters
// transformed at compile time, and transforms the products back into the output rows with the
// bias, residual and clamp. 2.25x fewer multiplies than the patch rows, for the price of the
// transforms and of filters 16/9 the size.
import SwiftNNKernels

/// How a Winograd step's tiles and output channels are split into items.
struct WinogradTiling {
    /// Tiles of the largest block, blocks, output channels of a block (a multiple of 32, the
    /// last block's may be 16 fewer), column blocks.
    var tileBlock: Int, tileBlocks: Int, colBlock: Int, colBlocks: Int

    /// Floats of one worker's scratch: the block's 16 transformed tiles, then its 16 products.
    var scratchFloats: Int { 16 * tileBlock * (channels + colBlock) }
    var channels: Int

    /// Blocks of at most 64 tiles whose transformed tiles (16 x tiles x C floats) take at most
    /// 512 KB, half a core's L2, as many as a multiple of the workers and of equal size; the
    /// output channels split where the products would take more than that, or where there are
    /// fewer than two tile blocks a worker (ResNet-18's 7x7 layers at batch 1: 16 tiles, one
    /// block): each column block's item transforms the same tiles again, which costs less than
    /// a worker idle.
    init(tiles total: Int, channels c: Int, outputs n: Int, workers: Int) {
        channels = c
        let budget = 1 << 17
        var t = max(8, min(64, budget / (16 * c) / 8 * 8))
        var blocks = (total + t - 1) / t
        if blocks > workers { blocks = (blocks + workers - 1) / workers * workers }
        t = (total + blocks - 1) / blocks
        blocks = (total + t - 1) / t
        let pairs = (n + 31) / 32
        var parts = max(1, (16 * t * n + budget - 1) / budget)
        if blocks < 2 * workers { parts = max(parts, (2 * workers + blocks - 1) / blocks) }
        parts = min(parts, pairs)
        while parts < pairs && (blocks * parts) % workers != 0 { parts += 1 }
        colBlock = (pairs + parts - 1) / parts * 32
        colBlocks = (n + colBlock - 1) / colBlock
        tileBlock = t
        tileBlocks = blocks
    }
}

extension InferencePlan {
    func winogradTiling(_ s: WinogradStep, workers: Int) -> WinogradTiling {
        let g = s.geometry
        return WinogradTiling(tiles: buffers[s.x].shape[0] * g.imageTiles, channels: g.pitch, outputs: g.ldo, workers: workers)
    }

    /// Floats of one worker's scratch for the Winograd steps, split for `workers`.
    func winogradScratchFloats(workers: Int) -> Int {
        steps.reduce(0) { m, s in
            if case .winograd(let w) = s { return max(m, winogradTiling(w, workers: workers).scratchFloats) } else { return m }
        }
    }

    func winogradWork(_ s: WinogradStep, _ ctx: RunContext) -> StepWork {
        let g = s.geometry, images = buffers[s.x].shape[0], total = images * g.imageTiles
        let c = g.pitch, n = g.ldo, t = winogradTiling(s, workers: ctx.workers)
        let x = UnsafePointer(ptr(s.x, ctx)), y = ptr(s.y, ctx)
        let u = UnsafePointer(ctx.weights + s.weights), bias = UnsafePointer(ctx.weights + s.bias)
        let res = s.residual.map { UnsafePointer(ptr($0, ctx)) }, ldr = s.residual.map { buffers[$0].pitch } ?? 0
        let (lo, hi, _) = clampBounds(s.activation)
        let scratch = ctx.winograd, perWorker = ctx.winogradPerWorker
        let vStride = t.tileBlock * c, mStride = t.tileBlock * t.colBlock
        // FLOPs of the direct convolution (what the step stands for), as the other steps count.
        return StepWork(items: t.tileBlocks * t.colBlocks, flops: 2 * images * g.oh * g.ow * n * 9 * c) { item, worker in
            let tb = item / t.colBlocks, cb = item - tb * t.colBlocks
            let t0 = tb * t.tileBlock, count = min(t.tileBlock, total - t0)
            let k0 = cb * t.colBlock, cols = min(t.colBlock, n - k0)
            let v = scratch + worker * perWorker, m = v + 16 * vStride
            winogradInputTilesNHWC(x, g, t0: t0, count: count, v, blockStride: vStride)
            for q in 0..<16 {
                gemmPacked(m: count, n: cols, k: c, a: v + q * vStride, lda: c, packed: u + q * c * n + k0 * c, c: m + q * mStride,
                           ldc: cols, accumulate: false)
            }
            winogradOutputTilesNHWC(m, blockStride: mStride, ldm: cols, g, t0: t0, count: count, k0: k0, cols: cols, bias: bias,
                                    residual: res, ldr: ldr, lo: lo, hi: hi, y)
        }
    }
}
