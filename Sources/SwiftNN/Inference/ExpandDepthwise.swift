// An inverted residual's expansion (a 1x1 convolution) and the depthwise convolution that
// alone reads it, run as one step of the inference plan: each item computes the expanded rows
// a band of depthwise output rows needs into its worker's scratch, which stays in the core's
// L2, and the depthwise rows read them there. Unfused, MobileNetV2's first expansion at batch 8
// writes 38 MB (16 -> 96 channels at 112x112) and the depthwise step reads it back: both steps
// ran at memory speed, 0.7-1.0x onnxruntime's time for the pair
// (`bench/compare_layers_ort.py --batch 8`).
//
// The price is recomputation: a band of B output rows needs (B - 1) * stride + kh input rows,
// so the kh - stride rows shared with the next band are expanded twice. The rule below fuses
// only where the expanded activation cannot stay in the cores' caches (a memory-bound pair) and
// a band holds enough rows that the recomputed share stays small.
//
// Bits: every expanded element is the same FMA chain as in the GEMM step (the packed GEMM's
// element does not depend on the rows or columns of its call), with the same bias and clamp,
// and the depthwise rows are the same calls; fused and unfused plans give the same bits
// (InferencePlanFusionTests).
import SwiftNNKernels

/// A 1x1 expansion GEMM whose output only the depthwise step reads, as one step.
struct ExpandDepthwiseStep {
    var expand: GemmStep
    var depthwise: DepthwiseStep
    /// Expanded rows one worker's scratch holds: the input rows of `maxBand` output rows.
    var scratchRows: Int
    var maxBand: Int
}

/// When a pair is fused, and how wide its bands may be.
enum ExpandDepthwiseRule {
    /// Floats of expanded rows a worker keeps: 768 KB, well inside a 2 MB L2 beside the
    /// depthwise output rows and the weights.
    static let scratchFloats = 192 * 1024
    /// The expanded activation of the whole batch from which the pair is memory-bound: larger
    /// than the two cores' L2 caches together.
    static let memoryBoundFloats = 1 << 20
    /// The largest recomputed share of the expansion accepted.
    static let maxRecompute = 0.25

    /// Input rows of `band` output rows.
    static func inputRows(band: Int, _ g: DepthwiseNHWCGeometry) -> Int {
        (band - 1) * g.sh + (g.kh - 1) * g.dh + 1
    }

    /// The widest band whose input rows fit the scratch, or nil when the pair should stay
    /// two steps: the expanded activation fits the caches, or even the widest band would
    /// recompute more than `maxRecompute` of the expansion.
    static func band(images: Int, expandedRowFloats rowFloats: Int, oh: Int, _ g: DepthwiseNHWCGeometry) -> Int? {
        guard images * g.h * rowFloats >= memoryBoundFloats else { return nil }
        var band = min(oh, 64)
        while band > 1 && inputRows(band: band, g) * rowFloats > scratchFloats { band -= 1 }
        guard inputRows(band: band, g) * rowFloats <= scratchFloats else { return nil }
        // Expanded rows per band against the rows the image has per band, when bands tile it.
        let needed = Double(min(g.h, band * g.sh))
        guard Double(inputRows(band: band, g)) / needed - 1 <= maxRecompute else { return nil }
        return band
    }
}

extension InferenceCompiler {
    /// Fuses each 1x1 GEMM step (4-D, no residual) followed by the depthwise step that alone
    /// reads its output, where `ExpandDepthwiseRule` says the pair is memory-bound.
    mutating func fuseExpandDepthwise(outputs: [Int]) {
        var readers = [Int: Int]()
        for s in steps { for b in s.access.reads { readers[aliases[b] ?? b, default: 0] += 1 } }
        let kept = Set(outputs.map { aliases[$0] ?? $0 })
        var i = 0
        while i + 1 < steps.count {
            guard case .gemm(let e) = steps[i], case .depthwise(let d) = steps[i + 1], e.residual == nil, d.x == e.y,
                  buffers[e.y].shape.count == 4, readers[e.y] == 1, !kept.contains(e.y), aliases[e.y] == nil,
                  let band = ExpandDepthwiseRule.band(images: buffers[e.y].shape[0], expandedRowFloats: d.geometry.w * d.geometry.pitch,
                                                      oh: d.oh, d.geometry) else {
                i += 1
                continue
            }
            let rows = min(d.geometry.h, ExpandDepthwiseRule.inputRows(band: band, d.geometry))
            steps[i] = .expandDepthwise(ExpandDepthwiseStep(expand: e, depthwise: d, scratchRows: rows, maxBand: band))
            steps.remove(at: i + 1)
            labels[i] += " + " + labels.remove(at: i + 1)
            i += 1
        }
    }
}

extension InferencePlan {
    /// Floats of one worker's scratch for the fused steps.
    var fusedScratchFloats: Int {
        steps.reduce(0) { m, s in
            guard case .expandDepthwise(let f) = s else { return m }
            return max(m, f.scratchRows * f.depthwise.geometry.w * f.depthwise.geometry.pitch)
        }
    }

    /// Items: bands of output rows of one image. Each expands its input rows into the worker's
    /// scratch 64 positions at a time (bias and clamp while the tile is in cache), then runs the
    /// depthwise rows on the scratch as if it were the image.
    func expandDepthwiseWork(_ s: ExpandDepthwiseStep, _ ctx: RunContext) -> StepWork {
        let e = s.expand, d = s.depthwise, g = d.geometry, oh = d.oh
        let bx = buffers[e.x], by = buffers[d.y]
        let k = e.k, lda = bx.pitch, n = g.pitch, rowFloats = g.w * n, images = bx.shape[0]
        let x = UnsafePointer(ptr(e.x, ctx)), y = ptr(d.y, ctx)
        let we = UnsafePointer(ctx.weights + e.weights), be = UnsafePointer(ctx.weights + e.bias)
        let wd = UnsafePointer(ctx.weights + d.weights), bd = UnsafePointer(ctx.weights + d.bias)
        let (elo, ehi, erest) = clampBounds(e.activation), (dlo, dhi, drest) = clampBounds(d.activation)
        let outRow = g.ow * by.pitch, scratch = ctx.fused, perWorker = fusedScratchFloats
        // Bands no wider than the rule allows, and enough of them for every worker.
        let workers = max(1, EngineThreads.count)
        let band = max(1, min(s.maxBand, (images * oh + 2 * workers - 1) / (2 * workers)))
        let bands = (oh + band - 1) / band
        let expandFlops = 2 * images * g.h * g.w * n * k, depthwiseFlops = 2 * by.positions * by.pitch * g.kh * g.kw
        return StepWork(items: images * bands, flops: expandFlops + depthwiseFlops) { item, worker in
            let img = item / bands, oy0 = (item - img * bands) * band, oy1 = min(oh, oy0 + band)
            let lo = max(0, oy0 * g.sh - g.ph), hi = min(g.h, (oy1 - 1) * g.sh - g.ph + (g.kh - 1) * g.dh + 1)
            let buf = scratch + worker * perWorker
            let positions = max(0, hi - lo) * g.w, a = x + (img * g.h + lo) * g.w * lda
            var r0 = 0
            while r0 < positions {
                let rows = min(64, positions - r0), tile = buf + r0 * n
                gemmPacked(m: rows, n: n, k: k, a: a + r0 * lda, lda: lda, packed: we, c: tile, ldc: n, accumulate: false)
                nhwcEpilogue(tile, ldc: n, rows: rows, cols: n, bias: be, residual: nil, ldr: 0, lo: elo, hi: ehi)
                if erest != .none { erest.apply(tile, count: rows * n) }
                r0 += 64
            }
            // The scratch as the image: row lo of the image is the scratch's first row (the
            // depthwise rows read only rows lo ..< hi).
            let image = UnsafePointer(buf) - lo * rowFloats
            for oy in oy0..<oy1 {
                let row = y + (img * oh + oy) * outRow
                depthwiseNHWCRow(image, g, oy: oy, wd, bd, row, lo: dlo, hi: dhi)
                drest.apply(row, count: outRow)
            }
        }
    }
}
