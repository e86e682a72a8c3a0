// A compiled inference forward for one input shape: every activation channels-last
// ([positions, pitch], the channel pitch a multiple of 16) in one arena whose buffers are reused
// across the forward (BufferPlan.swift), weights packed once for the GEMM kernels, and each
// step a fused kernel: a 1x1 convolution or linear layer is one GEMM straight on the
// activations (no im2col), with bias, residual add and activation applied to each tile while
// it is in cache; a depthwise convolution vectorises over 16 channels; a convolution with at
// most 4 input channels runs direct from the image; a 3x3 stride-1 one of 32+ channels by
// Winograd F(2x2, 3x3) (WinogradStep.swift); other convolutions gather patch rows a block at
// a time into the same GEMM; an inverted residual (or a stem and the depthwise layer after
// it) whose activations would leave the caches runs as one step by bands of rows
// (ExpandDepthwise.swift). Built from an ONNX graph
// (InferenceCompile.swift) for ONNXModule's grad-free forward, which imported files and traced
// native modules (snn_module_compile) share.
//
// Every output element is one fixed chain of FMAs whichever worker computes it and however
// the rows and columns are split, so results do not depend on the thread count.
import SwiftNNKernels

/// What a step reads or writes: a buffer of the arena, or the caller's input.
struct PlanBuffer {
    /// Logical shape: [N, C, H, W] or [N, F].
    var shape: [Int]
    /// Floats between consecutive positions (4-D: a multiple of 16 >= C) or rows (2-D).
    var pitch: Int
    /// Offset in the arena; nil for the caller's input (read with its own strides).
    var offset: Int?
    var positions: Int { shape.count == 4 ? shape[0] * shape[2] * shape[3] : shape[0] }
    var channels: Int { shape[1] }
}

/// A GEMM step: y[M, pitchY] = x[M, k] W + bias (+ residual), then the activation; W packed
/// into 16-column panels (zeros past the real columns, so the pitch's padding comes out 0).
struct GemmStep {
    var x: Int, y: Int, residual: Int?
    var weights: Int, bias: Int       // offsets in the plan's weight store
    var k: Int
    var activation: FusedActivation
}

/// A dense convolution: patch rows gathered `denseRows` output positions at a time, then the
/// GEMM as above; or, with `direct`, output rows straight from the image (few input channels).
struct DenseConvStep {
    var x: Int, y: Int, residual: Int?
    var weights: Int, bias: Int
    var geometry: PatchGeometry
    var direct: DirectConvGeometry?
    var activation: FusedActivation
}

struct DepthwiseStep {
    var x: Int, y: Int
    var weights: Int, bias: Int       // [taps, pitch] and [pitch]
    var geometry: DepthwiseNHWCGeometry
    var oh: Int
    var activation: FusedActivation
}

/// A 3x3 stride-1 convolution by Winograd F(2x2, 3x3) (WinogradNHWC.swift): the 16 products'
/// transformed filters at `weights`, each [pitch of x, pitch of y] in packed panels; the
/// activation a clamp (applied in the output transform).
struct WinogradStep {
    var x: Int, y: Int, residual: Int?
    var weights: Int, bias: Int
    var geometry: WinogradNHWCGeometry
    var activation: FusedActivation
}

/// MaxPool or AveragePool over channels-last rows (NHWCPool.swift).
struct PoolStep {
    var x: Int, y: Int
    var geometry: PoolNHWCGeometry
    var oh: Int
    var isMax: Bool
    var countIncludePad: Bool
}

enum PlanStep {
    case gemm(GemmStep)
    case dense(DenseConvStep)
    case winograd(WinogradStep)
    case depthwise(DepthwiseStep)
    /// A depthwise convolution with the 1x1 expansion before it and/or the 1x1 projection after
    /// it, by bands of rows (ExpandDepthwise.swift).
    case expandDepthwise(ExpandDepthwiseStep)
    /// Global average pool: [N, C, H, W] -> [N, C, 1, 1].
    case mean(x: Int, y: Int)
    case pool(PoolStep)
    case add(a: Int, b: Int, y: Int, activation: FusedActivation)
    case activation(x: Int, y: Int, FusedActivation)
    /// The caller's NCHW input into a channels-last buffer.
    case toChannelsLast(x: Int, y: Int)
    /// A channels-last [N, C, H, W] as rows [N, C * H * W] in NCHW order (Flatten before a
    /// linear layer).
    case flatten(x: Int, y: Int)
}

/// The clamp a kernel applies itself, and what remains to apply after it.
func clampBounds(_ a: FusedActivation) -> (lo: Float, hi: Float, rest: FusedActivation) {
    switch a {
    case .none: return (-.infinity, .infinity, .none)
    case .relu: return (0, .infinity, .none)
    case .clamp(let lo, let hi): return (lo, hi, .none)
    case .hardswish, .silu: return (-.infinity, .infinity, a)
    }
}

final class InferencePlan: @unchecked Sendable {
    let inputShape: [Int]
    let buffers: [PlanBuffer]
    let steps: [PlanStep]
    /// Each step's ONNX nodes, " + "-joined when fused.
    let labels: [String]
    let outputs: [Int]
    let arenaFloats: Int
    let weights: Tensor
    /// The constants the plan was built from, with their storage versions: the plan is stale
    /// once any of them is written.
    let sources: [(tensor: Tensor, version: Int)]
    private var arenas: [Tensor] = []
    private let lock = Lock()

    init(inputShape: [Int], buffers: [PlanBuffer], steps: [PlanStep], labels: [String], outputs: [Int], arenaFloats: Int,
         weights: Tensor, sources: [Tensor]) {
        self.inputShape = inputShape
        self.buffers = buffers
        self.steps = steps
        self.labels = labels
        self.outputs = outputs
        self.arenaFloats = arenaFloats
        self.weights = weights
        self.sources = sources.map { ($0, $0.storage.version) }
    }


    var isCurrent: Bool { sources.allSatisfy { $0.tensor.storage.version == $0.version } }

    /// Floats of activations one forward needs, and of packed weights.
    var memory: (arena: Int, weights: Int) { (arenaFloats, weights.count) }

    /// Runs the forward on `input` (its shape is `inputShape`, float32). Concurrent calls each
    /// take an arena of their own from the pool.
    func run(_ input: Tensor, stepSeconds: UnsafeMutablePointer<Double>? = nil) throws -> [Tensor] {
        // An arena per concurrent caller, from the pool; a new one through the engine's
        // allocator (a failure is SNN_ERR_OUT_OF_MEMORY, not a trap).
        let arenaTensor = try lock.withLock { arenas.popLast() } ?? Tensor(empty: [max(arenaFloats, 16)], dtype: .float32,
                                                                             zeroed: false, "inference plan")
        defer { lock.withLock { arenas.append(arenaTensor) } }
        let arena = arenaTensor.floats
        let x = input.isContiguous ? input : try input.contiguous()
        let workers = max(1, min(EngineThreads.count, 16))
        // Each worker's patch rows for the dense convolutions (denseScratchRows x patch floats).
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(1, workers * Self.denseScratchRows * maxPatch))
        defer { scratch.deallocate() }
        // Each worker's expanded and depthwise rows for the fused steps.
        let fusedFloats = fusedScratchFloats
        let fused = UnsafeMutablePointer<Float>.allocate(capacity: max(1, workers * fusedFloats))
        defer { fused.deallocate() }
        // Each worker's transformed tiles and products for the Winograd steps (their split
        // from this call's worker count: another thread may change the engine's meanwhile).
        let winogradFloats = winogradScratchFloats(workers: workers)
        let winograd = UnsafeMutablePointer<Float>.allocate(capacity: max(1, workers * winogradFloats))
        defer { winograd.deallocate() }
        try withExtendedLifetime(x) {
            let ctx = RunContext(arena: arena, input: x.floats, weights: weights.floats, scratch: scratch, fused: fused,
                                 fusedPerWorker: fusedFloats, winograd: winograd, winogradPerWorker: winogradFloats,
                                 workers: workers)
            let works = steps.map { work($0, ctx) }
            execute(works, workers: workers, stepSeconds: stepSeconds)
        }
        return try outputs.map { try output($0, arena) }
    }

    /// Floats of the largest patch row of the dense steps that gather patch rows (not the direct ones).
    private var maxPatch: Int {
        steps.reduce(0) { m, s in if case .dense(let d) = s, d.direct == nil { return max(m, d.geometry.patch) } else { return m } }
    }

    /// A step as independent items and the work they amount to.
    struct StepWork {
        let items: Int
        let flops: Int
        let body: (_ item: Int, _ worker: Int) -> Void
    }

    /// Steps below this many FLOPs run on one worker: a hand-off costs more than it saves.
    private static let parallelFlops = 1 << 19

    /// Runs the steps in order on one team run: every worker takes items of a step as they
    /// come free, then all meet at a barrier (about a microsecond) before the next step;
    /// a team run per step (a job posted and helpers woken 55 times for MobileNetV2) cost more
    /// at batch 1. Small steps run on worker 0 while the others wait at the barrier.
    private func execute(_ works: [StepWork], workers: Int, stepSeconds: UnsafeMutablePointer<Double>?) {
        let parallelAny = works.contains { $0.flops >= Self.parallelFlops && $0.items > 1 }
        if workers == 1 || !parallelAny {
            for (i, w) in works.enumerated() {
                let t0 = stepSeconds == nil ? 0 : Clock.now()
                for item in 0..<w.items { w.body(item, 0) }
                stepSeconds?[i] = Clock.now() - t0
            }
            return
        }
        // The steps are back to back: helpers spin between runs instead of sleeping.
        EngineThreads.shareOnePool()
        // Ranged: each worker runs mostly its own block of every step's items (rows), so a
        // depthwise layer reads the rows the same core's GEMM just wrote.
        let queues = works.map { RangedWorkQueue(count: $0.flops >= Self.parallelFlops ? $0.items : 0, workers: workers) }
        let times = stepSeconds.map { SecondsPointer(p: $0) }
        StepTeam.shared.run(workers: workers) { team in
            for (i, w) in works.enumerated() {
                let t0 = times == nil || team.worker != 0 ? 0 : Clock.now()
                if w.flops < Self.parallelFlops || team.workers == 1 {
                    if team.worker == 0 {
                        for item in 0..<w.items { w.body(item, 0) }
                    }
                } else {
                    while let item = queues[i].claim(worker: team.worker) { w.body(item, team.worker) }
                }
                team.barrier()
                if let times, team.worker == 0 { times.p[i] = Clock.now() - t0 }
            }
        }
    }

    private struct SecondsPointer: @unchecked Sendable { let p: UnsafeMutablePointer<Double> }

    private func output(_ b: Int, _ arena: UnsafeMutablePointer<Float>) throws -> Tensor {
        let buf = buffers[b]
        let src = arena + buf.offset!
        let out = try Tensor(empty: buf.shape, dtype: .float32, zeroed: false, "inference plan")
        if buf.shape.count == 4 {
            let (n, c, h, w) = (buf.shape[0], buf.shape[1], buf.shape[2], buf.shape[3])
            fromChannelsLast(src, c: c, h: h, w: w, pitch: buf.pitch, images: 0, count: n, out.floats)
        } else {
            let (n, f) = (buf.shape[0], buf.shape[1])
            for r in 0..<n { (out.floats + r * f).update(from: src + r * buf.pitch, count: f) }
        }
        return out
    }

    struct RunContext: @unchecked Sendable {
        let arena: UnsafeMutablePointer<Float>
        let input: UnsafeMutablePointer<Float>
        let weights: UnsafeMutablePointer<Float>
        let scratch: UnsafeMutablePointer<Float>
        let fused: UnsafeMutablePointer<Float>
        let fusedPerWorker: Int
        let winograd: UnsafeMutablePointer<Float>
        let winogradPerWorker: Int
        /// The workers this forward's scratch was sized for.
        let workers: Int
    }

    func ptr(_ b: Int, _ ctx: RunContext) -> UnsafeMutablePointer<Float> {
        buffers[b].offset.map { ctx.arena + $0 } ?? ctx.input
    }

    /// The caller's input strides (NCHW) or a channels-last buffer's.
    func strides(_ b: Int) -> ActivationStrides {
        let buf = buffers[b], (c, h, w) = (buf.shape[1], buf.shape[2], buf.shape[3])
        if buf.offset == nil { return ActivationStrides(n: c * h * w, c: h * w, y: w, x: 1) }
        return ActivationStrides(n: h * w * buf.pitch, c: 1, y: w * buf.pitch, x: buf.pitch)
    }

    private func work(_ step: PlanStep, _ ctx: RunContext) -> StepWork {
        switch step {
        case .gemm(let s): return gemmWork(s, ctx)
        case .dense(let s): return denseWork(s, ctx)
        case .winograd(let s): return winogradWork(s, ctx)
        case .depthwise(let s): return depthwiseWork(s, ctx)
        case .expandDepthwise(let s): return expandDepthwiseWork(s, ctx)
        case let .mean(x, y):
            let bx = buffers[x], plane = bx.shape[2] * bx.shape[3], pitch = bx.pitch
            let src = UnsafePointer(ptr(x, ctx)), dst = ptr(y, ctx)
            return StepWork(items: bx.shape[0], flops: bx.positions * pitch) { img, _ in
                channelsLastMean(src, plane: plane, pitch: pitch, image: img, dst)
            }
        case .pool(let p):
            let bx = buffers[p.x], by = buffers[p.y], g = p.geometry, oh = p.oh
            let inImage = bx.shape[2] * bx.shape[3] * bx.pitch, outRow = g.ow * by.pitch
            let x = UnsafePointer(ptr(p.x, ctx)), y = ptr(p.y, ctx)
            return StepWork(items: bx.shape[0] * oh, flops: by.positions * by.pitch * g.kh * g.kw) { item, _ in
                let img = item / oh, oy = item - img * oh, row = y + item * outRow
                if p.isMax {
                    maxPoolNHWCRow(x + img * inImage, g, oy: oy, row)
                } else {
                    avgPoolNHWCRow(x + img * inImage, g, oy: oy, countIncludePad: p.countIncludePad, row)
                }
            }
        case let .add(a, b, y, activation):
            let (lo, hi, rest) = clampBounds(activation)
            let rows = buffers[y].positions, pitch = buffers[y].pitch
            let pa = UnsafePointer(ptr(a, ctx)), pb = UnsafePointer(ptr(b, ctx)), py = ptr(y, ctx)
            let block = 256
            return StepWork(items: (rows + block - 1) / block, flops: rows * pitch) { i, _ in
                let r0 = i * block, n = min(block, rows - r0)
                channelsLastAdd(pa + r0 * pitch, pb + r0 * pitch, py + r0 * pitch, rows: n, cols: pitch, ld: pitch, lo: lo, hi: hi)
                rest.apply(py + r0 * pitch, count: n * pitch)
            }
        case let .activation(x, y, activation):
            let count = buffers[y].positions * buffers[y].pitch
            let px = UnsafePointer(ptr(x, ctx)), py = ptr(y, ctx)
            let block = 1 << 14
            return StepWork(items: (count + block - 1) / block, flops: count * 4) { i, _ in
                let o = i * block, n = min(block, count - o)
                if px != UnsafePointer(py) { (py + o).update(from: px + o, count: n) }
                activation.apply(py + o, count: n)
            }
        case let .toChannelsLast(x, y):
            let bx = buffers[x], s = strides(x), pitch = buffers[y].pitch
            let (c, h, w) = (bx.shape[1], bx.shape[2], bx.shape[3])
            let src = UnsafePointer(ptr(x, ctx)), dst = ptr(y, ctx)
            let block = 16, blocks = (h + block - 1) / block
            return StepWork(items: bx.shape[0] * blocks, flops: bx.positions * pitch * 4) { i, _ in
                let img = i / blocks, y0 = (i - img * blocks) * block
                toChannelsLast(src, s, c: c, h: h, w: w, pitch: pitch, image: img, rows: y0, count: min(block, h - y0), dst)
            }
        case let .flatten(x, y):
            let bx = buffers[x], (c, h, w) = (bx.shape[1], bx.shape[2], bx.shape[3]), rowPitch = buffers[y].pitch
            let src = UnsafePointer(ptr(x, ctx)), dst = ptr(y, ctx), pitch = bx.pitch
            return StepWork(items: bx.shape[0], flops: 0) { img, _ in
                let row = dst + img * rowPitch
                fromChannelsLast(src, c: c, h: h, w: w, pitch: pitch, images: img, count: 1, row)
                if rowPitch > c * h * w { (row + c * h * w).update(repeating: 0, count: rowPitch - c * h * w) }
            }
        }
    }

    /// Rows and columns of a GEMM split into items: 64-row blocks, and the columns in 32-wide
    /// multiples when there are fewer than 4 row blocks per worker. Items are claimed whole, so
    /// with 2 per worker MobileNetV2's 7x7 layers at batch 4 (196 rows: 3 blocks of 64 and one
    /// of 4) left one worker 128 rows and the other 68, and ran at 0.80x onnxruntime; with 4 per
    /// worker the idle worker takes the other's last column block (whole forward: 0.97 of the
    /// time at batch 1 and 4, both builds in one process). Where that still leaves a count of
    /// items the workers cannot share evenly (49 rows and 5 column blocks at batch 1: 3 items
    /// against 2, those layers scaled 1.6x on 2 threads), the rows are split into more, equal
    /// blocks until it can. Blocks are also equal from the start: 196 rows as 4 x 49 (not
    /// 3 x 64 + 4), 784 as 14 x 56 (not 13 blocks, 7 against 6), and 30 column pairs as 6
    /// blocks of 5 (not 7 of 4 and one of 2): the forward took 0.971-0.989 of the time at batch
    /// 1 and 0.989 at batch 8 (both builds in one process).
    private func tiles(rows m: Int, cols n: Int) -> (rowBlock: Int, colBlock: Int, rowBlocks: Int, colBlocks: Int) {
        let workers = max(1, EngineThreads.count), want = 4 * workers
        // Row blocks of at most 64, as many as a multiple of the workers, of equal size.
        var rowBlocks = (m + 63) / 64
        if rowBlocks > workers { rowBlocks = (rowBlocks + workers - 1) / workers * workers }
        var rowBlock = (m + rowBlocks - 1) / rowBlocks
        rowBlocks = (m + rowBlock - 1) / rowBlock
        var colBlock = n
        if rowBlocks < want && n > 32 {
            let pairs = (n + 31) / 32
            var parts = min((want + rowBlocks - 1) / rowBlocks, pairs)
            // Equal column blocks the workers can share evenly, if a count near that has them:
            // the nearest within half to twice it, the smaller on a tie. (Runs each forward:
            // a loop, no allocation.)
            func fits(_ p: Int) -> Bool { pairs % p == 0 && (p * rowBlocks) % workers == 0 }
            if !fits(parts) {
                let lowest = max(1, parts / 2), highest = min(pairs, 2 * parts)
                for d in 1...parts {
                    if parts - d >= lowest && fits(parts - d) { parts -= d; break }
                    if parts + d <= highest && fits(parts + d) { parts += d; break }
                }
            }
            colBlock = (pairs + parts - 1) / parts * 32
        }
        let colBlocks = (n + colBlock - 1) / colBlock
        if rowBlocks * colBlocks < want {
            var r = rowBlocks
            while (r * colBlocks) % workers != 0 && (m + r) / (r + 1) >= 8 { r += 1 }
            if (r * colBlocks) % workers == 0 {
                rowBlock = (m + r - 1) / r
                rowBlocks = (m + rowBlock - 1) / rowBlock
            }
        }
        return (rowBlock, colBlock, rowBlocks, colBlocks)
    }

    private func gemmWork(_ s: GemmStep, _ ctx: RunContext) -> StepWork {
        let bx = buffers[s.x], by = buffers[s.y]
        let m = by.positions, n = by.pitch, k = s.k, lda = bx.pitch, ldc = by.pitch
        let a = UnsafePointer(ptr(s.x, ctx)), c = ptr(s.y, ctx)
        let w = UnsafePointer(ctx.weights + s.weights), bias = UnsafePointer(ctx.weights + s.bias)
        let res = s.residual.map { UnsafePointer(ptr($0, ctx)) }, ldr = s.residual.map { buffers[$0].pitch } ?? 0
        let (lo, hi, rest) = clampBounds(s.activation)
        let t = tiles(rows: m, cols: n)
        return StepWork(items: t.rowBlocks * t.colBlocks, flops: 2 * m * n * k) { item, _ in
            let rb = item / t.colBlocks, cb = item - rb * t.colBlocks
            let r0 = rb * t.rowBlock, rows = min(t.rowBlock, m - r0), c0 = cb * t.colBlock, cols = min(t.colBlock, n - c0)
            let tile = c + r0 * ldc + c0
            gemmPackedEpilogue(m: rows, n: cols, k: k, a: a + r0 * lda, lda: lda, packed: w + c0 * k, c: tile, ldc: ldc, bias: bias + c0,
                               residual: res.map { $0 + r0 * ldr + c0 }, ldr: ldr, lo: lo, hi: hi, live: by.channels - c0)
            if rest != .none { for r in 0..<rows { rest.apply(tile + r * ldc, count: cols) } }
        }
    }

    /// Output positions per dense-convolution item (its patch rows are gathered together), and
    /// the most an item may have (its blocks start at multiples of 8: up to 7 more).
    static let denseRows = 64
    static let denseScratchRows = denseRows + 8

    private func denseWork(_ s: DenseConvStep, _ ctx: RunContext) -> StepWork {
        let by = buffers[s.y], g = s.geometry, st = strides(s.x)
        let m = by.positions, n = by.pitch, patch = g.patch, ldc = by.pitch
        let x = UnsafePointer(ptr(s.x, ctx)), c = ptr(s.y, ctx)
        let w = UnsafePointer(ctx.weights + s.weights), bias = UnsafePointer(ctx.weights + s.bias)
        let res = s.residual.map { UnsafePointer(ptr($0, ctx)) }, ldr = s.residual.map { buffers[$0].pitch } ?? 0
        let (lo, hi, rest) = clampBounds(s.activation)
        if let d = s.direct {
            // Items of one output row; the same weights and bias for all.
            let images = by.shape[0], inImage = st.n, outRow = g.ow * ldc
            return StepWork(items: images * g.oh, flops: 2 * m * n * patch) { i, _ in
                let img = i / g.oh, oy = i - img * g.oh, row = c + i * outRow
                directConvRow(x + img * inImage, d, oy: oy, w, cols: n, bias, residual: res.map { $0 + i * g.ow * ldr }, row, lo: lo, hi: hi)
                if rest != .none { rest.apply(row, count: outRow) }
            }
        }
        let block = Self.denseRows, scratch = ctx.scratch
        let workers = max(1, EngineThreads.count)
        // Row blocks of about `block` rows, as many as a multiple of the workers, each starting
        // at a multiple of 8 (the 8-row kernel's groups; only the last has a remainder): 196
        // positions (ResNet-18's 14x14 layers at batch 1) as 48, 48, 48, 52, not 64, 64, 64, 4,
        // which left one worker 128 rows and the other 68.
        var rowBlocks = (m + block - 1) / block
        if rowBlocks > workers && rowBlocks % workers != 0 { rowBlocks = (rowBlocks + workers - 1) / workers * workers }
        func rowStart(_ i: Int) -> Int { i >= rowBlocks ? m : i * m / rowBlocks / 8 * 8 }
        // Fewer row blocks than two a worker (ResNet's 7x7 layers at batch 1: 49 positions, one
        // block): the columns are split too, one part a worker, each gathering the same patch
        // rows, rather than one worker doing the layer alone (there 1.2 ms a layer, not 2.3).
        let pairs = (n + 31) / 32
        let parts = rowBlocks < 2 * workers ? max(1, min(workers, pairs)) : 1
        let colBlock = (pairs + parts - 1) / parts * 32, colBlocks = (n + colBlock - 1) / colBlock
        return StepWork(items: rowBlocks * colBlocks, flops: 2 * m * n * patch) { i, worker in
            let rb = i / colBlocks, c0 = (i - rb * colBlocks) * colBlock, cols = min(colBlock, n - c0)
            let r0 = rowStart(rb), rows = rowStart(rb + 1) - r0
            let rowsBuf = scratch + worker * Self.denseScratchRows * patch
            gatherPatchRows(x, st, g, p0: r0, rows: rows, rowsBuf, ld: patch)
            let tile = c + r0 * ldc + c0
            gemmPackedEpilogue(m: rows, n: cols, k: patch, a: rowsBuf, lda: patch, packed: w + c0 * patch, c: tile, ldc: ldc,
                               bias: bias + c0, residual: res.map { $0 + r0 * ldr + c0 }, ldr: ldr, lo: lo, hi: hi,
                               live: by.channels - c0)
            if rest != .none { for r in 0..<rows { rest.apply(tile + r * ldc, count: cols) } }
        }
    }

    private func depthwiseWork(_ s: DepthwiseStep, _ ctx: RunContext) -> StepWork {
        let bx = buffers[s.x], by = buffers[s.y], g = s.geometry, oh = s.oh
        let x = UnsafePointer(ptr(s.x, ctx)), y = ptr(s.y, ctx)
        let w = UnsafePointer(ctx.weights + s.weights), bias = UnsafePointer(ctx.weights + s.bias)
        let (lo, hi, rest) = clampBounds(s.activation)
        let inImage = bx.shape[2] * bx.shape[3] * bx.pitch, outRow = g.ow * by.pitch
        let images = bx.shape[0]
        // Items of consecutive output rows: a worker's next row reads the input rows its last
        // one did (kh - stride of them) while they are in its cache.
        let rows = max(1, min(8, images * oh / (4 * max(1, EngineThreads.count))))
        let blocks = (oh + rows - 1) / rows
        return StepWork(items: images * blocks, flops: 2 * by.positions * by.pitch * g.kh * g.kw) { item, _ in
            let img = item / blocks, oy0 = (item - img * blocks) * rows, oy1 = min(oh, oy0 + rows)
            let first = y + (img * oh + oy0) * outRow
            depthwiseNHWCRows(x + img * inImage, g, rows: oy0..<oy1, w, bias, first, ldo: outRow, lo: lo, hi: hi)
            if rest != .none { rest.apply(first, count: (oy1 - oy0) * outRow) }
        }
    }
}
