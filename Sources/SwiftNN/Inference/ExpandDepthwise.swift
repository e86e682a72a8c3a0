// An inverted residual's expansion (a 1x1 convolution), the depthwise convolution that alone
// reads it, and the 1x1 projection that alone reads the depthwise output, run as one step of
// the inference plan where those activations would otherwise go through memory. Each item is a
// band of depthwise output rows of one image: it expands the input rows the band needs into its
// worker's scratch, which stays in the core's L2, runs the depthwise rows there into a second
// scratch, and projects those rows (bias, residual, clamp) into the output. Unfused,
// MobileNetV2's first expansion at batch 8 writes 38 MB (16 -> 96 channels at 112x112) and the
// depthwise step reads it back: both steps ran at memory speed, 0.7-1.0x onnxruntime's time for
// the pair (`bench/compare_layers_ort.py --batch 8`).
//
// A direct convolution (few input channels: an RGB stem) takes the expansion's place the same
// way. MobileNetV2's stem wrote 1.6 MB at batch 1 that its first depthwise step read back, and
// those two steps took a third longer in the whole network than in the network cut after its
// fifth block (the later layers' 14 MB of weights had pushed the buffers out of the caches);
// fused, the forward takes 0.95-0.97 of the time at batch 1 and 0.985-0.99 at batch 8 (both
// builds in one process).
//
// The expansion's price is recomputation: a band of B output rows needs (B - 1) * stride + kh
// input rows, so the kh - stride rows shared with the next band are expanded twice. The rule
// below fuses an expansion only where the expanded activation cannot stay in the cores' caches
// (a memory-bound pair) and a band holds enough rows that the recomputed share stays small. A
// projection costs nothing extra and is fused onto every depthwise step it alone follows: on
// large planes its input then stays in cache, on small ones the step saves a barrier and the
// wait for the slower worker (MobileNetV2 at batch 1, projections fused at 14x14 and 7x7 too:
// 0.93-0.95 of the forward's time, both builds in one process; batch 8 unchanged).
//
// Bits: every expanded or projected element is the same FMA chain as in the GEMM step (the
// packed GEMM's element does not depend on the rows or columns of its call), with the same
// bias, residual and clamp, and the depthwise rows are the same calls; fused and unfused plans
// give the same bits (InferencePlanFusionTests).
import SwiftNNKernels

/// A depthwise step with the 1x1 expansion before it and/or the 1x1 projection after it, as one
/// step (at least one of the two). In the expansion's place there may be a direct convolution
/// (`stem`, few input channels: an RGB stem) whose output only the depthwise step reads: it is
/// computed by bands into the scratch as an expansion is.
struct ExpandDepthwiseStep {
    var expand: GemmStep?
    var stem: DenseConvStep? = nil
    var depthwise: DepthwiseStep
    var project: GemmStep?
    /// Expanded rows one worker's scratch holds (the input rows of `maxBand` output rows; 0
    /// without an expansion or stem).
    var scratchRows: Int
    var maxBand: Int
}

/// When a pair is fused, and how wide its bands may be.
enum ExpandDepthwiseRule {
    /// Floats of expanded rows a worker keeps: 768 KB of the core's 1 MB L2 (Zen 4), the rest
    /// for the depthwise output rows and the weights, and some of it spilling to L3. Half that
    /// (narrower bands, more of them, more rows expanded twice) measured the same at batch 1
    /// and 1-3% slower at batch 8 (MobileNetV2, both builds in one process).
    static let scratchFloats = 192 * 1024
    /// The activation of the whole batch from which a step's output leaves the caches between
    /// two steps: 1 MB, one core's L2. With 4 MB (both L2s), only MobileNetV2's first
    /// expansion was fused at batch 1; with 1 MB also the 56x56 blocks, and the forward took
    /// 0.93-0.97 of the time at batch 1 and 8 (medians of two runs each, both builds in one
    /// process; minima 0.94-1.01).
    static let memoryBoundFloats = 1 << 18
    /// The largest recomputed share of the expansion accepted.
    static let maxRecompute = 0.25

    /// The widest band (at most 64 rows) whose depthwise output rows fit the scratch, for a
    /// projection.
    static func projectBand(ow: Int, pitch: Int, oh: Int) -> Int {
        max(1, min(oh, 64, scratchFloats / max(1, ow * pitch)))
    }

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
    /// Fuses each 1x1 GEMM step (4-D, no residual), or direct convolution, followed by the
    /// depthwise step that alone reads its output, where `ExpandDepthwiseRule` says the pair is
    /// memory-bound; then the 1x1 GEMM step that alone reads such a step's output or a
    /// depthwise step's.
    mutating func fuseExpandDepthwise(outputs: [Int]) {
        var readers = [Int: Int]()
        for s in steps { for b in s.access.reads { readers[aliases[b] ?? b, default: 0] += 1 } }
        let kept = Set(outputs.map { aliases[$0] ?? $0 })
        /// Whether `b` is a 4-D activation only the next step reads.
        func internal4D(_ b: Int) -> Bool {
            buffers[b].shape.count == 4 && readers[b] == 1 && !kept.contains(b) && aliases[b] == nil
        }
        var i = 0
        while i + 1 < steps.count {
            if case .gemm(let e) = steps[i], case .depthwise(let d) = steps[i + 1], e.residual == nil, d.x == e.y, internal4D(e.y),
               let band = ExpandDepthwiseRule.band(images: buffers[e.y].shape[0], expandedRowFloats: d.geometry.w * d.geometry.pitch,
                                                   oh: d.oh, d.geometry) {
                let rows = min(d.geometry.h, ExpandDepthwiseRule.inputRows(band: band, d.geometry))
                steps[i] = .expandDepthwise(ExpandDepthwiseStep(expand: e, depthwise: d, project: nil, scratchRows: rows, maxBand: band))
                steps.remove(at: i + 1)
                labels[i] += " + " + labels.remove(at: i + 1)
            } else if case .dense(let e) = steps[i], e.direct != nil, e.residual == nil, case .depthwise(let d) = steps[i + 1],
                      d.x == e.y, internal4D(e.y),
                      let band = ExpandDepthwiseRule.band(images: buffers[e.y].shape[0], expandedRowFloats: d.geometry.w * d.geometry.pitch,
                                                          oh: d.oh, d.geometry) {
                // A direct convolution (an RGB stem) in the expansion's place: MobileNetV2's
                // 112x112x32 stem output (1.6 MB) no longer goes through memory to the depthwise.
                let rows = min(d.geometry.h, ExpandDepthwiseRule.inputRows(band: band, d.geometry))
                steps[i] = .expandDepthwise(ExpandDepthwiseStep(expand: nil, stem: e, depthwise: d, project: nil, scratchRows: rows,
                                                                maxBand: band))
                steps.remove(at: i + 1)
                labels[i] += " + " + labels.remove(at: i + 1)
            }
            guard i + 1 < steps.count, case .gemm(let p) = steps[i + 1], buffers[p.y].shape.count == 4 else { i += 1; continue }
            var fused: ExpandDepthwiseStep? = nil
            switch steps[i] {
            case .expandDepthwise(let f) where f.project == nil && p.x == f.depthwise.y && internal4D(p.x):
                fused = f
            case .depthwise(let d) where p.x == d.y && internal4D(p.x):
                fused = ExpandDepthwiseStep(expand: nil, depthwise: d, project: nil, scratchRows: 0,
                                            maxBand: ExpandDepthwiseRule.projectBand(ow: d.geometry.ow, pitch: buffers[d.y].pitch, oh: d.oh))
            default: break
            }
            if var f = fused {
                f.project = p
                f.maxBand = min(f.maxBand, ExpandDepthwiseRule.projectBand(ow: f.depthwise.geometry.ow, pitch: buffers[p.x].pitch, oh: f.depthwise.oh))
                steps[i] = .expandDepthwise(f)
                steps.remove(at: i + 1)
                labels[i] += " + " + labels.remove(at: i + 1)
            }
            i += 1
        }
    }
}

extension InferencePlan {
    /// Floats of one worker's scratch for the fused steps: expanded rows, then depthwise rows.
    var fusedScratchFloats: Int {
        steps.reduce(0) { m, s in
            guard case .expandDepthwise(let f) = s else { return m }
            let g = f.depthwise.geometry
            return max(m, f.scratchRows * g.w * g.pitch + (f.project == nil ? 0 : f.maxBand * g.ow * buffers[f.depthwise.y].pitch))
        }
    }

    /// Items: bands of depthwise output rows of one image. Each expands the input rows the band
    /// reads into the worker's scratch 64 positions at a time (bias and clamp while the tile is
    /// in cache) and runs the depthwise rows on the scratch as if it were the image; with a
    /// projection, the depthwise rows go to the scratch too and are projected 64 at a time.
    func expandDepthwiseWork(_ s: ExpandDepthwiseStep, _ ctx: RunContext) -> StepWork {
        let d = s.depthwise, g = d.geometry, oh = d.oh, by = buffers[d.y]
        let images = by.shape[0], rowFloats = g.w * g.pitch, outRow = g.ow * by.pitch
        let wd = UnsafePointer(ctx.weights + d.weights), bd = UnsafePointer(ctx.weights + d.bias)
        let (dlo, dhi, drest) = clampBounds(d.activation)
        let scratch = ctx.fused, perWorker = ctx.fusedPerWorker, expanded = s.scratchRows * rowFloats
        // Bands no wider than the rule allows, enough of them for every worker, and narrower
        // still until the workers can share them evenly: MobileNetV2's first fused block at
        // batch 1 (56 rows, bands of at most 8) had 7 items, 4 against 3, and scaled 1.7x on 2
        // threads.
        let workers = max(1, EngineThreads.count)
        var band = max(1, min(s.maxBand, (images * oh + 2 * workers - 1) / (2 * workers)))
        var bands = (oh + band - 1) / band
        var more = bands
        while (images * bands) % workers != 0 && more < oh {
            more += 1
            let narrower = (oh + more - 1) / more
            if (images * ((oh + narrower - 1) / narrower)) % workers == 0 {
                band = narrower
                bands = (oh + band - 1) / band
            }
        }
        var flops = 2 * by.positions * by.pitch * g.kh * g.kw
        let expand = s.expand.map { e in
            flops += 2 * images * g.h * g.w * g.pitch * e.k
            return Pointwise(self, e, ctx)
        }
        let stem = s.stem.map { e in
            flops += 2 * images * g.h * g.w * g.pitch * e.geometry.patch
            return Stem(self, e, ctx)
        }
        let project = s.project.map { p in
            flops += 2 * by.positions * buffers[p.y].pitch * p.k
            return Pointwise(self, p, ctx)
        }
        let x = UnsafePointer(ptr(s.expand?.x ?? s.stem?.x ?? d.x, ctx)), y = ptr(s.project?.y ?? d.y, ctx)
        // One image with fewer rows than four a worker (7x7 at batch 1): bands of whole rows
        // cannot be shared evenly (7 rows as bands of 1, 2, 2 and 2: one worker projected 21
        // positions, the other 28, in tiles of 7 and 14 rows). Instead each worker projects a
        // run of positions starting at a multiple of 8 (24 and 25), after the depthwise rows
        // that run touches (a row on the boundary is computed by both, the same calls).
        let positions = oh * g.ow, runs = ctx.workers
        if images == 1, let project, expand == nil, stem == nil, oh < 4 * runs, s.maxBand >= oh, positions >= 8 * runs {
            return StepWork(items: runs, flops: flops) { item, worker in
                let p0 = item * positions / runs / 8 * 8
                let p1 = item + 1 == runs ? positions : (item + 1) * positions / runs / 8 * 8
                let oyA = p0 / g.ow, oyB = (p1 - 1) / g.ow + 1
                let rows = scratch + worker * perWorker
                depthwiseNHWCRows(x, g, rows: oyA..<oyB, wd, bd, rows, ldo: outRow, lo: dlo, hi: dhi)
                if drest != .none { drest.apply(rows, count: (oyB - oyA) * outRow) }
                project.rows(UnsafePointer(rows + (p0 - oyA * g.ow) * by.pitch), count: p1 - p0, into: y + p0 * project.ldc,
                             residual: project.residual.map { $0 + p0 * project.ldr })
            }
        }
        return StepWork(items: images * bands, flops: flops) { item, worker in
            // Band b of an image is rows [b * oh / bands, (b + 1) * oh / bands): sizes differ by
            // at most one row (14 rows in 4 bands: 3, 4, 3, 4, so 7 rows a worker; as 4, 4, 4, 2
            // one worker took 8 and the other 6).
            let img = item / bands, b = item - img * bands, oy0 = b * oh / bands, oy1 = (b + 1) * oh / bands
            let buf = scratch + worker * perWorker
            let image: UnsafePointer<Float>
            if let expand {
                let lo = max(0, oy0 * g.sh - g.ph), hi = min(g.h, (oy1 - 1) * g.sh - g.ph + (g.kh - 1) * g.dh + 1)
                let first = img * g.h * g.w + lo * g.w
                expand.rows(x + first * expand.lda, count: max(0, hi - lo) * g.w, into: buf, residual: nil)
                // The scratch as the image: row lo of the image is the scratch's first row (the
                // depthwise rows read only rows lo ..< hi).
                image = UnsafePointer(buf) - lo * rowFloats
            } else if let stem {
                let lo = max(0, oy0 * g.sh - g.ph), hi = min(g.h, (oy1 - 1) * g.sh - g.ph + (g.kh - 1) * g.dh + 1)
                for r in lo..<max(lo, hi) { stem.row(x, image: img, oy: r, into: buf + (r - lo) * rowFloats) }
                image = UnsafePointer(buf) - lo * rowFloats
            } else {
                image = x + img * g.h * rowFloats
            }
            let rows = project == nil ? y + (img * oh + oy0) * outRow : buf + expanded
            depthwiseNHWCRows(image, g, rows: oy0..<oy1, wd, bd, rows, ldo: outRow, lo: dlo, hi: dhi)
            if drest != .none { drest.apply(rows, count: (oy1 - oy0) * outRow) }
            if let project {
                let first = (img * oh + oy0) * g.ow
                project.rows(UnsafePointer(rows), count: (oy1 - oy0) * g.ow, into: y + first * project.ldc,
                             residual: project.residual.map { $0 + first * project.ldr })
            }
        }
    }
}

/// A fused step's direct convolution (no residual: the rule fuses none with one).
private struct Stem {
    let geometry: DirectConvGeometry, cols: Int, inImage: Int, rowFloats: Int
    let weights: UnsafePointer<Float>, bias: UnsafePointer<Float>
    let lo: Float, hi: Float, rest: FusedActivation

    init(_ plan: InferencePlan, _ s: DenseConvStep, _ ctx: InferencePlan.RunContext) {
        geometry = s.direct!; cols = plan.buffers[s.y].pitch; inImage = plan.strides(s.x).n
        rowFloats = s.geometry.ow * cols
        weights = UnsafePointer(ctx.weights + s.weights); bias = UnsafePointer(ctx.weights + s.bias)
        (lo, hi, rest) = clampBounds(s.activation)
    }

    /// Output row `oy` of image `image` of the input at x into `row`: the dense step's row.
    func row(_ x: UnsafePointer<Float>, image: Int, oy: Int, into row: UnsafeMutablePointer<Float>) {
        directConvRow(x + image * inImage, geometry, oy: oy, weights, cols: cols, bias, residual: nil, row, lo: lo, hi: hi)
        if rest != .none { rest.apply(row, count: rowFloats) }
    }
}

/// A fused step's 1x1 convolution: its packed weights, bias, residual and activation.
private struct Pointwise {
    let k: Int, n: Int, live: Int, lda: Int, ldc: Int, ldr: Int
    let weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, residual: UnsafePointer<Float>?
    let lo: Float, hi: Float, rest: FusedActivation

    init(_ plan: InferencePlan, _ s: GemmStep, _ ctx: InferencePlan.RunContext) {
        k = s.k; n = plan.buffers[s.y].pitch; live = plan.buffers[s.y].channels; lda = plan.buffers[s.x].pitch; ldc = n
        ldr = s.residual.map { plan.buffers[$0].pitch } ?? 0
        weights = UnsafePointer(ctx.weights + s.weights); bias = UnsafePointer(ctx.weights + s.bias)
        residual = s.residual.map { UnsafePointer(plan.ptr($0, ctx)) }
        (lo, hi, rest) = clampBounds(s.activation)
    }

    /// `count` output rows from the rows at `a` (pitch lda) into `c` (pitch ldc), 64 at a time:
    /// the GEMM step's tiles with their bias, residual (rows at `residual`, pitch ldr) and clamp.
    func rows(_ a: UnsafePointer<Float>, count: Int, into c: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?) {
        var r0 = 0
        while r0 < count {
            let m = min(64, count - r0), tile = c + r0 * ldc
            gemmPackedEpilogue(m: m, n: n, k: k, a: a + r0 * lda, lda: lda, packed: weights, c: tile, ldc: ldc, bias: bias,
                               residual: residual.map { $0 + r0 * ldr }, ldr: ldr, lo: lo, hi: hi, live: live)
            if rest != .none { rest.apply(tile, count: m * ldc) }
            r0 += 64
        }
    }
}
