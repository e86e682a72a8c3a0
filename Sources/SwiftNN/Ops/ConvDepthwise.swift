// Depthwise conv2d (groups = C = K: MobileNet's 3x3 and 5x5 layers) without im2col. Each plane
// is zero-padded once and split into its stride phases, so that a whole output plane is one
// flat run of full vectors whatever its width or stride (SwiftNNKernelsAVX512/
// DepthwisePhaseBodies.swift; before, each output row was its own run and the 28-, 14- and
// 7-wide rows of stride 2 and the small planes ended in scalar loops: stride 2 ran at 0.37x
// PyTorch). The forward goes plane by plane; both gradients go channel by channel over the
// batch (the flat output gradient is built once for the two), each item taken by whichever
// worker is free and computed by one worker in a fixed order, so results do not depend on the
// number of threads. 3x3 kernels at column stride 1 or 2 go by output rows read in place
// instead (DepthwiseRowBodies.swift: the same chains without the copies; `depthwiseByRows`),
// and so does their backward on planes up to 32 columns.
import SwiftNNKernels

/// Geometry of one plane's phase layout.
struct DepthwisePhases {
    let sh, sw, rows, cols, oh, ow: Int
    var phase: Int { rows * cols }
    /// Floats of a phased plane with the kernels' 16 floats of slack.
    var floats: Int { sh * sw * phase + 16 }
    /// The flat output run: output (oy, x) is element oy * cols + x.
    var flat: Int { (oh - 1) * cols + ow }
    var flat16: Int { (flat + 15) & ~15 }

    init(_ g: WindowGeometry) {
        sh = g.strideH; sw = g.strideW
        rows = (g.height + 2 * g.padH + sh - 1) / sh
        cols = (g.width + 2 * g.padW + sw - 1) / sw
        oh = g.outH; ow = g.outW
    }
}

/// Where each tap reads, in Ints: [0, taps) the offset of tap t in the phased plane (tap order);
/// then the taps sorted by phase (stable) and, in that order, minus each one's offset inside
/// its phase; then the sh * sw + 1 starts of each phase's taps in that order.
private struct DepthwiseTaps {
    let table: Tensor
    let taps: Int
    /// The largest offset inside a phase: the zero margin the input gradient's gather reads before
    /// the flat output gradient.
    let margin: Int
    var offsets: UnsafeMutablePointer<Int> { UnsafeMutableRawPointer(table.int64s).assumingMemoryBound(to: Int.self) }
    var order: UnsafeMutablePointer<Int> { offsets + taps }
    var inPhase: UnsafeMutablePointer<Int> { offsets + 2 * taps }
    var starts: UnsafeMutablePointer<Int> { offsets + 3 * taps }

    init(_ plan: ConvPlan, _ p: DepthwisePhases, _ fn: String) throws {
        let g = plan.geometry, (kh, kw) = (plan.kh, plan.kw)
        taps = kh * kw
        table = try Tensor(empty: [3 * taps + p.sh * p.sw + 1], dtype: .int64, zeroed: false, fn)
        let o = UnsafeMutableRawPointer(table.int64s).assumingMemoryBound(to: Int.self)
        var phaseOf = [Int](repeating: 0, count: taps), within = phaseOf
        for ki in 0..<kh {
            for kj in 0..<kw {
                let r = ki * g.dilationH, c = kj * g.dilationW, t = ki * kw + kj
                phaseOf[t] = (r % p.sh) * p.sw + c % p.sw
                within[t] = (r / p.sh) * p.cols + c / p.sw
                o[t] = phaseOf[t] * p.phase + within[t]
            }
        }
        var k = 0
        for q in 0..<(p.sh * p.sw) {
            o[3 * taps + q] = k
            for t in 0..<taps where phaseOf[t] == q {
                o[taps + k] = t
                o[2 * taps + k] = -within[t]
                k += 1
            }
        }
        o[3 * taps + p.sh * p.sw] = k
        margin = within.max() ?? 0
    }
}

/// Raw pointers handed to team workers (each writes only its own planes or channels).
private struct DepthwisePointers: @unchecked Sendable {
    /// Forward: a = x, out = the output; backward: a = the output gradient, b = x, out = gx.
    let a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>?, weights: UnsafeMutablePointer<Float>
    let out: UnsafeMutablePointer<Float>?, gw: UnsafeMutablePointer<Float>?
    let bias: UnsafeMutablePointer<Float>?
    let offsets: UnsafeMutablePointer<Int>, order: UnsafeMutablePointer<Int>, inPhase: UnsafeMutablePointer<Int>,
        starts: UnsafeMutablePointer<Int>
}

/// Raw pointers of the row kernels' backward (each worker writes only its own planes' lanes and input gradient).
private struct BackRowPointers: @unchecked Sendable {
    let x: UnsafeMutablePointer<Float>, gout: UnsafeMutablePointer<Float>, weights: UnsafeMutablePointer<Float>
    let gx: UnsafeMutablePointer<Float>?, lanes: UnsafeMutablePointer<Float>?, scratch: UnsafeMutablePointer<Float>
}

/// Raw pointers of the row kernels' forward (each worker writes only its own planes).
private struct RowPointers: @unchecked Sendable {
    let x: UnsafeMutablePointer<Float>, weights: UnsafeMutablePointer<Float>, bias: UnsafeMutablePointer<Float>?
    let out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
}

/// The weight gradient's per-plane lanes and where their per-channel sums go.
private struct LaneSums: @unchecked Sendable {
    let lanes: UnsafeMutablePointer<Float>, gw: UnsafeMutablePointer<Float>
}

extension ConvPlan {
    /// Workers for `parts` items of a depthwise convolution: one below 2^18 multiply-adds.
    func depthwiseWorkers(parts: Int) -> Int {
        let macs = saturatingProduct(n, c, kh * kw, outPlane)
        guard macs >= 1 << 18 else { return 1 }
        return max(1, min(EngineThreads.count, parts, 16))
    }

    /// The planes in runs of consecutive planes per claim, 8 runs per worker: each worker then
    /// streams through memory (an input that is not in cache came 2.5x slower with neighbouring
    /// planes on alternate workers) while 8 runs per worker still even out the load.
    func planeRuns(_ planes: Int, workers: Int) -> (run: Int, queue: WorkQueue) {
        let run = max(1, planes / (workers * 8))
        return (run, WorkQueue(count: (planes + run - 1) / run))
    }

    private func pointers(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>?, weights: UnsafePointer<Float>,
                          _ t: DepthwiseTaps, out: UnsafeMutablePointer<Float>?, gw: UnsafeMutablePointer<Float>? = nil,
                          bias: UnsafePointer<Float>? = nil) -> DepthwisePointers {
        DepthwisePointers(a: UnsafeMutablePointer(mutating: a), b: b.map { UnsafeMutablePointer(mutating: $0) },
                          weights: UnsafeMutablePointer(mutating: weights), out: out, gw: gw,
                          bias: bias.map { UnsafeMutablePointer(mutating: $0) },
                          offsets: t.offsets, order: t.order, inPhase: t.inPhase, starts: t.starts)
    }

    /// out = conv(x, weight) + bias, then `activation`, plane by plane; `byRows` overrides the
    /// rule's choice of kernels (tests compare the two).
    func forwardDepthwise(_ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                          _ out: UnsafeMutablePointer<Float>, activation: FusedActivation, _ fn: String, byRows: Bool? = nil) throws {
        if byRows ?? depthwiseByRows {
            return try forwardDepthwiseRows(x, weight, bias, out, activation: activation, fn)
        }
        let g = geometry, p = DepthwisePhases(g)
        let tapTable = try DepthwiseTaps(self, p, fn)
        let planes = n * c, workers = depthwiseWorkers(parts: planes)
        let perWorker = p.floats + p.flat
        let scratch = try Tensor(empty: [workers, perWorker], dtype: .float32, zeroed: false, fn)
        let ptrs = pointers(x, nil, weights: weight, tapTable, out: out, bias: bias)
        let (c, h, w, taps, oh, ow) = (c, h, w, kh * kw, p.oh, p.ow)
        let buf = scratch.floats
        let (run, queue) = planeRuns(planes, workers: workers)
        StepTeam.shared.run(workers: workers) { ctx in
            let xp = buf + ctx.worker * perWorker, flat = xp + p.floats
            while let r = queue.claim() { for i in (r * run)..<min(planes, r * run + run) {
                let ch = i % c
                depthwisePhases(ptrs.a + i * h * w, h: h, w: w, padH: g.padH, padW: g.padW, sh: p.sh, sw: p.sw,
                                rows: p.rows, cols: p.cols, xp)
                depthwiseGather(xp, ptrs.offsets, ptrs.weights + ch * taps, taps: taps, count: p.flat,
                                initial: ptrs.bias?[ch] ?? 0, flat)
                let o = ptrs.out! + i * oh * ow
                compactRows(flat, pitch: p.cols, rows: oh, count: ow, o)
                activation.apply(o, count: oh * ow)
            } }
        }
        withExtendedLifetime((tapTable, scratch)) {}
    }

    /// gw[ch, t] = the sum over images and lanes of `lanes` [n * c, taps * 16], in Double,
    /// channel by channel: eight Double lanes (lane k + lane k + 8 of each image), summed at the
    /// end. One scalar chain of 16 n adds per tap took 4% of a 7x7 block's backward (960
    /// channels).
    private func sumLanes(_ lanes: Tensor, into gw: UnsafeMutablePointer<Float>) {
        let sum = LaneSums(lanes: lanes.floats, gw: gw), (n, c, taps) = (n, c, kh * kw)
        let queue = WorkQueue(count: c)
        StepTeam.shared.run(workers: depthwiseWorkers(parts: c)) { _ in
            while let ch = queue.claim() {
                for t in 0..<taps {
                    var s = SIMD8<Double>()
                    for img in 0..<n {
                        let a = UnsafeRawPointer(sum.lanes + ((img * c + ch) * taps + t) * 16)
                        s += SIMD8<Double>(a.loadUnaligned(as: SIMD8<Float>.self))
                            + SIMD8<Double>(a.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
                    }
                    sum.gw[ch * taps + t] = Float(s.sum())
                }
            }
        }
    }

    /// `backwardDepthwise` for 3x3 taps by output rows read in place (DepthwiseRowBodies.swift):
    /// the weight gradient's lanes by rows (no phased copy of each input plane) and, at stride 1,
    /// the input gradient as the correlation of the output gradient with the taps walked from the
    /// far corner: the same chains as the gather over the phased planes, so the same bits.
    private func backwardDepthwiseRows(_ gout: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                                       gx: UnsafeMutablePointer<Float>?, gw: UnsafeMutablePointer<Float>?, _ fn: String) throws {
        let g = geometry, (oh, ow) = (g.outH, g.outW)
        let fwd = DepthwiseRowsGeometry(h: h, w: w, oh: oh, ow: ow, kh: kh, kw: kw, sh: g.strideH, sw: g.strideW,
                                        rowStep: g.dilationH, colStep: g.dilationW, rowOrigin: -g.padH, colOrigin: -g.padW)
        let back = DepthwiseRowsGeometry(h: oh, w: ow, oh: h, ow: w, kh: kh, kw: kw, sh: 1, sw: 1,
                                         rowStep: -g.dilationH, colStep: -g.dilationW, rowOrigin: g.padH, colOrigin: g.padW)
        let planes = n * c, plane = h * w, outPlane = oh * ow, taps = kh * kw, c = c
        // Per worker: copies with margins of the input and output-gradient planes at the
        // tensors' ends (read past a plane, masked off), then the zero rows of both geometries.
        let mx = fwd.margin, mg = max(fwd.margin, back.margin)
        let xCopy = 2 * mx + plane, gCopy = 2 * mg + outPlane, xZeros = w + 2 * mx, gZeros = ow + 2 * back.margin
        let perWorker = xCopy + gCopy + xZeros + gZeros
        let workers = depthwiseWorkers(parts: planes)
        let scratch = try Tensor(empty: [workers, perWorker], dtype: .float32, zeroed: true, fn)
        let lanes = gw == nil ? nil : try Tensor(empty: [planes, taps * 16], dtype: .float32, zeroed: true, fn)
        let ptrs = BackRowPointers(x: UnsafeMutablePointer(mutating: x), gout: UnsafeMutablePointer(mutating: gout),
                                   weights: UnsafeMutablePointer(mutating: weight), gx: gx, lanes: lanes?.floats,
                                   scratch: scratch.floats)
        let (run, queue) = planeRuns(planes, workers: workers)
        StepTeam.shared.run(workers: workers) { ctx in
            let base = ptrs.scratch + ctx.worker * perWorker
            let xc = base + mx, gc = base + xCopy + mg
            let zx = UnsafePointer(base + xCopy + gCopy + mx), zg = UnsafePointer(base + xCopy + gCopy + xZeros + back.margin)
            while let r = queue.claim() { for i in (r * run)..<min(planes, r * run + run) {
                var gs = UnsafePointer(ptrs.gout + i * outPlane)
                if i * outPlane < mg || (i + 1) * outPlane + mg > planes * outPlane {
                    gc.update(from: gs, count: outPlane)
                    gs = UnsafePointer(gc)
                }
                if let acc = ptrs.lanes {
                    var xs = UnsafePointer(ptrs.x + i * plane)
                    if i * plane < mx || (i + 1) * plane + mx > planes * plane {
                        xc.update(from: xs, count: plane)
                        xs = UnsafePointer(xc)
                    }
                    depthwiseRowsWeightGradient(gs, xs, fwd, zeros: zx, acc + i * taps * 16)
                }
                if let gx = ptrs.gx {
                    depthwiseRows(gs, back, ptrs.weights + (i % c) * taps, initial: 0, zeros: zg, gx + i * plane)
                }
            } }
        }
        if let lanes, let gw { sumLanes(lanes, into: gw) }
        withExtendedLifetime((scratch, lanes)) {}
    }

    /// The row kernels (DepthwiseRowBodies.swift; 3x3 at stride 1 with AVX-512 four or five rows
    /// a pass, CDepthwise/depthwise_rows.h) take 3-wide kernels at column stride 1 or 2; the phase
    /// kernels the rest. Forward, both paths in one process, 2 threads, batch 8, warm (Swift
    /// bodies): 14x14 planes 0.63-0.75 of the time (576 channels), at stride 2 0.42-0.45; 28x28
    /// 0.69-0.85, at stride 2 0.97; 56x56 0.60-0.73, 112x112 at stride 2 0.94-0.96; 5x5 lost
    /// (1.3-1.7: no specialised tap loop), so it stays with the phases. Backward only for 3x3 up
    /// to 32 columns (14x14 0.80-0.88, 28x28 0.51-0.66; 56x56 even, 112x112 lost: 1.4-1.6).
    /// With the C kernels the backward by rows also wins wider (112x112 0.84-0.91, MobileNetV2's
    /// training step 0.98) but the AVX2 bodies still lose there (1.5x at 112x112), and a rule
    /// that differed by instruction set would give the weight gradient different bits on AVX2
    /// and AVX-512 machines; so 32 columns for both. Table in docs/convolution.md, "Depthwise
    /// by rows".
    var depthwiseByRows: Bool { kw == 3 && geometry.strideW <= 2 }

    /// The backward by rows: 3x3 taps, at most 32 columns, and the input gradient (if asked)
    /// at stride 1 only (`canBackwardByRows`).
    func backwardDepthwiseByRows(gx: Bool) -> Bool { canBackwardByRows(gx: gx) && w <= 32 }

    /// What the row kernels can do in the backward: 3x3 taps at column stride 1 or 2; the input
    /// gradient as a correlation only at stride 1.
    func canBackwardByRows(gx: Bool) -> Bool {
        depthwiseByRows && kh == 3 && (!gx || (geometry.strideH == 1 && geometry.strideW == 1))
    }

    /// `forwardDepthwise` by output rows read in place (DepthwiseRowBodies.swift): the same
    /// chains, so the same bits, without the padded, phased copy of each plane.
    private func forwardDepthwiseRows(_ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                                      _ out: UnsafeMutablePointer<Float>, activation: FusedActivation, _ fn: String) throws {
        let g = geometry
        let rg = DepthwiseRowsGeometry(h: h, w: w, oh: g.outH, ow: g.outW, kh: kh, kw: kw, sh: g.strideH, sw: g.strideW,
                                       rowStep: g.dilationH, colStep: g.dilationW, rowOrigin: -g.padH, colOrigin: -g.padW)
        let planes = n * c, workers = depthwiseWorkers(parts: planes)
        let plane = h * w, outPlane = g.outH * g.outW, margin = rg.margin, total = planes * plane, taps = kh * kw
        // The first and last planes are read from a copy with margins: the kernel loads (and
        // masks off) up to `margin` floats beyond a plane, which there may lie outside x.
        // Per worker that copy, then a zero row with margins (never written) for the rows
        // outside the plane.
        let zeroRow = w + 2 * margin, perWorker = 2 * margin + plane + zeroRow
        let scratch = try Tensor(empty: [workers, perWorker], dtype: .float32, zeroed: true, fn)
        let ptrs = RowPointers(x: UnsafeMutablePointer(mutating: x), weights: UnsafeMutablePointer(mutating: weight),
                               bias: bias.map { UnsafeMutablePointer(mutating: $0) }, out: out, scratch: scratch.floats)
        let c = c
        let (run, queue) = planeRuns(planes, workers: workers)
        StepTeam.shared.run(workers: workers) { ctx in
            let copy = ptrs.scratch + ctx.worker * perWorker + margin, zeros = UnsafePointer(copy + plane + 2 * margin)
            while let r = queue.claim() { for i in (r * run)..<min(planes, r * run + run) {
                let ch = i % c
                var src = UnsafePointer(ptrs.x + i * plane)
                if i * plane < margin || (i + 1) * plane + margin > total {
                    copy.update(from: src, count: plane)
                    src = UnsafePointer(copy)
                }
                let o = ptrs.out + i * outPlane
                depthwiseRows(src, rg, ptrs.weights + ch * taps, initial: ptrs.bias?[ch] ?? 0, zeros: zeros, o)
                activation.apply(o, count: outPlane)
            } }
        }
        withExtendedLifetime(scratch) {}
    }

    /// Gradients of `forwardDepthwise` (without activation) for gout [N, C, OH, OW]: gx is
    /// overwritten with the input gradient, gw with the weight gradient.
    func backwardDepthwise(_ gout: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                           gx: UnsafeMutablePointer<Float>?, gw: UnsafeMutablePointer<Float>?, _ fn: String, byRows: Bool? = nil) throws {
        guard gx != nil || gw != nil else { return }
        if byRows ?? backwardDepthwiseByRows(gx: gx != nil) {
            return try backwardDepthwiseRows(gout, x, weight, gx: gx, gw: gw, fn)
        }
        let g = geometry, p = DepthwisePhases(g)
        let tapTable = try DepthwiseTaps(self, p, fn)
        let (c, h, w, taps, oh, ow, phases) = (c, h, w, kh * kw, p.oh, p.ow, p.sh * p.sw)
        let planes = n * c, margin = tapTable.margin
        // Per worker: the phased input plane (weight gradient), the flat output gradient between
        // zero margins, the phased input gradient and the weights in phase order. Zeroed once:
        // the margins, the columns past ow of each flat row and the phases no tap reads are
        // never written. Then per plane 16 weight-gradient lanes per tap, summed per channel
        // over the images afterwards in a fixed order.
        let gFloats = margin + max(p.rows, oh) * p.cols + 16
        let gxOffset = p.floats, gOffset = gxOffset + p.floats, wOffset = gOffset + gFloats
        let perWorker = wOffset + taps
        let workers = depthwiseWorkers(parts: planes)
        let scratch = try Tensor(empty: [workers, perWorker], dtype: .float32, zeroed: true, fn)
        let lanes = gw == nil ? nil : try Tensor(empty: [planes, taps * 16], dtype: .float32, zeroed: true, fn)
        let ptrs = pointers(gout, x, weights: weight, tapTable, out: gx, gw: lanes?.floats)
        let buf = scratch.floats
        // Runs of consecutive planes, as in the forward: each worker streams through the output
        // gradient, the input and the input gradient (channel by channel over the batch, planes
        // a whole image apart, this backward took 10-20% longer).
        let (run, queue) = planeRuns(planes, workers: workers)
        StepTeam.shared.run(workers: workers) { ctx in
            let xp = buf + ctx.worker * perWorker, gp = xp + gxOffset, flatG = xp + gOffset + margin
            let wperm = xp + wOffset
            while let r = queue.claim() { for i in (r * run)..<min(planes, r * run + run) {
                let ch = i % c
                spreadRows(ptrs.a + i * oh * ow, pitch: p.cols, rows: oh, count: ow, flatG)
                if let acc = ptrs.gw {
                    depthwisePhases(ptrs.b! + i * h * w, h: h, w: w, padH: g.padH, padW: g.padW, sh: p.sh, sw: p.sw,
                                    rows: p.rows, cols: p.cols, xp)
                    depthwiseWeightGradient(flatG, xp, ptrs.offsets, taps: taps, count: p.flat16, acc + i * taps * 16)
                }
                if let gx = ptrs.out {
                    // Phase q of the padded input gradient: the gather of the flat output
                    // gradient by the taps of phase q (minus their offsets inside the phase).
                    let wt = ptrs.weights + ch * taps
                    for k in 0..<taps { wperm[k] = wt[ptrs.order[k]] }
                    for q in 0..<phases {
                        let s = ptrs.starts[q], e = ptrs.starts[q + 1]
                        if s == e { continue }
                        depthwiseGather(flatG, ptrs.inPhase + s, wperm + s, taps: e - s, count: p.phase, initial: 0,
                                        gp + q * p.phase)
                    }
                    depthwiseUnphase(gp, h: h, w: w, padH: g.padH, padW: g.padW, sh: p.sh, sw: p.sw,
                                     rows: p.rows, cols: p.cols, gx + i * h * w)
                }
            } }
        }
        if let lanes, let gw { sumLanes(lanes, into: gw) }
        withExtendedLifetime((tapTable, scratch, lanes)) {}
    }
}
