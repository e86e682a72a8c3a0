// Row-major sgemm for the whole engine, and the engine's thread count. Until a recurrent layer's
// step team first runs, products use OpenBLAS's own threads; from then on BLAS runs
// single-threaded and products big enough to share are split between the step team's workers,
// so that one pool serves both and no second pool spins or yields beside it.
import CBLAS
import Synchronization
import SwiftNNKernels

/// The vector instruction set the engine's own products use (snn_cpu_capability): "AVX512"
/// where the CPU and OS allow it and SWIFTNN_NO_AVX512 is unset, else "AVX2" (the library's
/// minimum on x86-64); "DEFAULT" on other architectures. Names as torch.backends.cpu's.
public var cpuCapability: StaticString {
    #if arch(x86_64)
    PackedGemmKernels.useAVX512 ? "AVX512" : "AVX2"
    #else
    "DEFAULT"
    #endif
}

/// The engine's thread budget (snn_set_num_threads), and which pool runs the products. It
/// starts as OpenBLAS's own default (the core count or OPENBLAS_NUM_THREADS).
public enum EngineThreads {
    private static let initial: Int = max(1, Int(openblas_get_num_threads()))
    /// snn_set_num_threads's value, 0 until it is called. Atomic: any thread may set it while
    /// others run (docs/concurrency.md).
    private static let chosen = Atomic<Int>(0)
    private static let onePool = Atomic<Bool>(false)

    /// Threads the engine may use (1...1024) on the calling thread: the count of the session
    /// bound to it (snn_session_enter), else the process-wide one.
    public static var count: Int {
        get {
            if let session = EngineSession.current { return session.numThreads }
            return processWide
        }
        set {
            let n = max(1, min(newValue, 1024))
            chosen.store(n, ordering: .relaxed)
            if !sharesOnePool { openblas_set_num_threads(Int32(n)) }
        }
    }

    /// The process-wide count (snn_set_num_threads), whatever session the caller has bound.
    public static var processWide: Int {
        let n = chosen.load(ordering: .relaxed)
        return n > 0 ? n : initial
    }

    /// Whether products run on the step team (BLAS single-threaded).
    public static var sharesOnePool: Bool { onePool.load(ordering: .acquiring) }

    /// Called before a multi-worker recurrent loop: from now on the engine keeps one pool.
    /// OpenBLAS's idle threads spin and yield for tens of milliseconds after each parallel
    /// call; beside the step team that cost a 2-thread char-RNN training step 14% of its time
    /// in the scheduler. Products of convolutional and dense nets, which never start the step
    /// team's recurrent loops, keep OpenBLAS's threads (faster for their smaller products).
    public static func shareOnePool() {
        guard !sharesOnePool else { return }
        _ = processWide  // the budget is read from OpenBLAS before it is set to one thread
        openblas_set_num_threads(1)
        // Products are team runs now, often back to back: helpers spin about a millisecond
        // for the next before sleeping (without spinning LeNet-5 inference lost 40%). 200K
        // spins (100-200 us) let the helper fall asleep in the Python between a training
        // step's ops, and each wake-up cost tens of microseconds: 2M took 0.94-0.97 of the
        // time of a DQN update, 0.96 of an LSTM's and a char-RNN's (both builds in one process).
        // Intel's OpenMP spins 200 ms by default (KMP_BLOCKTIME).
        StepTeam.shared.idleSpins = 2_000_000
        onePool.store(true, ordering: .releasing)
    }
}

/// Row-major C [m, n] = op(A) @ op(B) + beta * C with A [m, k] (or [k, m] if transA) and B [k, n]
/// (or [n, k] if transB), all contiguous. Sizes were checked against BLAS's limits by the plan.
@inline(__always)
func sgemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
           _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, beta: Float, _ c: UnsafeMutablePointer<Float>) {
    sgemm(transA, transB, m, n, k, a, lda: transA ? m : k, b, ldb: transB ? k : n, beta: beta, c, ldc: n)
}

/// The general form: leading dimensions given. Splits C between workers by rows (or, when it
/// has fewer rows than columns, by columns) in blocks of 16, so each part is an ordinary BLAS
/// call on a sub-matrix; every element is computed by the same k-loop as without the split.
/// The split follows the workers' measured speeds (StepTeam's balancedShare).
func sgemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
           _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
           beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int) {
    if m == 1, !transA, transB, beta == 0 || beta == 1, EngineThreads.sharesOnePool || EngineThreads.count == 1,
       isSplitSized(m: m, n: n, k: k) {
        // One row times a weight stored by rows (a batch-1 linear layer): its dot products.
        // OpenBLAS packed the whole weight first (sgemm_incopy: 47% of a one-thread DQN acting
        // forward, 0.8-1.0 ms against the compiled plan's 0.31-0.37).
        return packedProduct(transA, transB, m, n, k, a, lda: lda, b, ldb: ldb, accumulate: beta == 1, c, ldc: ldc)
    }
    if EngineThreads.sharesOnePool, beta == 0 || beta == 1, isSplitSized(m: m, n: n, k: k),
       !gemmSplitKeepsBits || thinProductPrefersPackedKernels(m: m, k: k) {
        // OpenBLAS's kernel here gives other bits when a product is split, so products that
        // one pool would split run on the engine's packed kernels instead, for any worker
        // count (one included): their elements are one FMA chain over k each, wherever the
        // split falls, so results do not depend on the thread count. Thin products take them
        // where OpenBLAS would do as well (see thinProductPrefersPackedKernels).
        return packedProduct(transA, transB, m, n, k, a, lda: lda, b, ldb: ldb, accumulate: beta == 1, c, ldc: ldc)
    }
    let workers = gemmWorkers(m: m, n: n, k: k)
    guard workers > 1 else {
        blasGemm(transA, transB, m, n, k, a, lda, b, ldb, beta, c, ldc)
        return
    }
    let byRows = m >= n
    let p = GemmOperands(a: a, b: b, c: c)
    StepTeam.shared.run(workers: workers) { ctx in
        // blocks of 16, more to the worker on the faster core (balancedShare); OpenBLAS gives
        // the same bits whatever the block boundaries (GemmSplitTests checks the recurrent
        // layers' shapes), so the split never changes a result
        let part = ctx.balancedShare(of: byRows ? m : n, granule: 16)
        let lo = part.lowerBound, hi = part.upperBound
        guard hi > lo else { return }
        if byRows {
            // rows lo..<hi of C: A's rows (or columns, if transposed) from lo
            blasGemm(transA, transB, hi - lo, n, k, p.a + (transA ? lo : lo * lda), lda, p.b, ldb, beta, p.c + lo * ldc, ldc)
        } else {
            blasGemm(transA, transB, m, hi - lo, k, p.a, lda, p.b + (transB ? lo * ldb : lo), ldb, beta, p.c + lo, ldc)
        }
    }
}

/// Whether a product that two workers would share runs faster on the packed AVX-512 kernels
/// than split between OpenBLAS calls: a batch of at most 64 rows (but more than one) against a
/// weight, or an inner dimension of at most 64 (a weight gradient over such a batch). Decided by
/// the shape and the CPU alone, so a product's bits never depend on anything else. Measured
/// (swiftnn.matmul m x k x n, 2 threads, best of 40, two runs each), OpenBLAS -> packed: the
/// DQN's linear layer at batch 32, 32x3136x512 0.665-0.670 -> 0.584-0.588 ms, its input gradient
/// 32x512x3136 0.584-0.591 -> 0.545, its weight gradient 512x32x3136 0.564 -> 0.483-0.485, and
/// 3200x64x1024 2.27-2.31 -> 1.95-2.07. Not wider: 65x3200x256 went 0.59-0.61 -> 0.88 ms (its
/// 65 rows become 65 packed columns, the last panel one column wide), and a char-RNN training
/// step through every product took 1.13x as long.
func thinProductPrefersPackedKernels(m: Int, k: Int) -> Bool {
    PackedGemmKernels.avx512Supported && m > 1 && min(m, k) <= 64
}

/// Workers for an m x n x k product (1: one BLAS call, multi-threaded by OpenBLAS itself until
/// the engine shares one pool): one per engine thread, if each gets at least about 2M
/// multiply-adds (below that the dispatch and the split's smaller BLAS blocks cost more than
/// the second core gives) and at least one block of 16 rows or columns. A product whose larger
/// operand has a million elements or more counts as that much work whatever its MACs: a batch-1
/// linear layer (1 x 3136 by 3136 x 512, the DQN's acting step) only streams its 6.4 MB weight,
/// and two cores stream it in about half the time (0.52 -> 0.38 ms per acting forward).
private func gemmWorkers(m: Int, n: Int, k: Int) -> Int {
    let threads = EngineThreads.count
    guard threads > 1, EngineThreads.sharesOnePool, gemmSplitKeepsBits else { return 1 }
    return splitWorkers(threads, m: m, n: n, k: k)
}

/// Whether two workers would share an m x n x k product (see gemmWorkers).
private func isSplitSized(m: Int, n: Int, k: Int) -> Bool { splitWorkers(2, m: m, n: n, k: k) > 1 }

private func splitWorkers(_ threads: Int, m: Int, n: Int, k: Int) -> Int {
    let macs = m.multipliedReportingOverflow(by: n).partialValue.multipliedReportingOverflow(by: k)
    let operand = max(m, n).multipliedReportingOverflow(by: k)
    let work = macs.overflow || operand.overflow ? Int.max : max(macs.partialValue, 4 * operand.partialValue)
    return max(1, min(threads, work / (1 << 21), (max(m, n) + 15) / 16, 16))
}

/// Whether splitting a product into row (or column) blocks keeps every element's bits, so that
/// the engine may split products between workers without results depending on the worker
/// count. It holds for OpenBLAS's SkylakeX sgemm kernels (which Cooperlake, and so Zen 4, also
/// run), checked at the block boundaries a split uses by GemmSplitTests. It does not hold for
/// its Haswell kernels, which hosts that set OPENBLAS_CORETYPE=Haswell run even on AVX-512
/// CPUs (measured: every boundary of a 1024 x 514 x 800 product differs), nor is it known for
/// other cores: there the engine does not split, and each product is one single-threaded call.
let gemmSplitKeepsBits: Bool = {
    guard let name = openblas_get_corename() else { return false }
    return ["skylakex", "cooperlake", "sapphirerapids"].contains(String(cString: name).lowercased())
}()

/// C = (accumulate ? C : 0) + op(A) op(B) on the engine's packed kernels (SwiftNNKernels'
/// gemmPacked), split between the engine's workers by rows (or by 16-column panels when C has
/// fewer rows than columns). One operand is packed into panels, the other read in place,
/// transposed or not, through its row and column steps. The packed one is op(B), unless op(B)
/// is far larger than op(A) (a linear layer's weight against a batch of 32): then C^T =
/// op(B)^T op(A)^T is computed with op(A)^T packed, and stored transposed. Packing the weight
/// (6.4 MB for the DQN's 3136 x 512) cost more than the product's own reads of it. Sizes were
/// checked by the plans, so the products below do not overflow. Either way each element is the
/// same FMA chain over k in order, so the bits do not depend on the choice. One row against a
/// B stored by rows (m = 1) is a third way, dot products (matVec), whose lane order is fixed
/// too: its bits do not depend on the worker count either.
func packedProduct(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
                           _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
                           accumulate: Bool, _ c: UnsafeMutablePointer<Float>, ldc: Int, swap: Bool? = nil) {
    // op(A)[i, kk] = a[i * aRow + kk * aCol], op(B)[kk, j] = b[kk * bRow + j * bCol]
    let aRow = transA ? 1 : lda, aCol = transA ? lda : 1
    let bRow = transB ? 1 : ldb, bCol = transB ? ldb : 1
    let workers = max(1, min(EngineThreads.count, splitWorkers(EngineThreads.count, m: m, n: n, k: k)))
    if m == 1, aCol == 1, bRow == 1, swap == nil {
        // One row times a weight stored by rows (a batch-1 linear layer): dot products of the
        // weight's rows, split by rows. Panels would compute 16 columns for 1 (the AVX2 edge
        // kernels took half of a DQN acting forward). Each output is matVec's fixed lane
        // order over k, whichever worker and row group computes it.
        let p = GemmOperands(a: a, b: b, c: c)
        StepTeam.shared.run(workers: workers) { ctx in
            let part = ctx.balancedShare(of: n, granule: 16)
            guard !part.isEmpty else { return }
            matVec(m: part.count, n: k, ldw: bCol, w: p.b + part.lowerBound * bCol, x: p.a, y: p.c + part.lowerBound,
                   accumulate: accumulate)
        }
        return
    }
    // Packing writes each packed element once and the swap adds a transposed store of C (read
    // and written when accumulating): swap when that is clearly less traffic.
    // (`swap` overrides the rule, for tests.)
    let swapped = swap ?? (n > m && n * k > 2 * (m * k + 2 * m * n))
    // The product computed: P [pm, pn] = L [pm, k] R [k, pn], R packed.
    let pm = swapped ? n : m, pn = swapped ? m : n
    let lRow = swapped ? bCol : aRow, lCol = swapped ? bRow : aCol
    let l = swapped ? b : a
    // Through Storage: a block of 1 MB or more is reused from BufferCache every step instead of
    // coming back from malloc as fresh pages, and a failed allocation is not a trap; it leaves
    // the product to one BLAS call.
    let panelFloats = packedPanelsCount(k: k, n: pn), resultFloats = swapped ? m * n : 0
    guard let block = try? Storage(byteCount: (panelFloats + resultFloats) * 4, zeroed: false, "sgemm") else {
        blasGemm(transA, transB, m, n, k, a, lda, b, ldb, accumulate ? 1 : 0, c, ldc)
        return
    }
    let panels = block.raw.bindMemory(to: Float.self, capacity: panelFloats + resultFloats)
    // R [k, pn]: op(B), or op(A)^T (R[kk, j] = op(A)[j, kk])
    let (r, rRow, rCol) = swapped ? (a, aCol, aRow) : (b, bRow, bCol)
    if rCol == 1 {
        packRowsIntoPanels(panels, r, ldb: rRow, k: k, n: pn)
    } else {
        packPanels(panels, r, ldw: rCol, transposed: true, k: k, c0: 0, n: pn)
    }
    let result = panels + panelFloats
    // P's rows: C's own, or a scratch [n, m] stored transposed below
    let (out, ldo, acc) = swapped ? (result, m, false) : (c, ldc, accumulate)
    let byRows = pm >= pn
    let p = GemmOperands(a: l, b: UnsafePointer(panels), c: out, d: c)
    StepTeam.shared.run(workers: workers) { ctx in
        if byRows {
            let part = ctx.balancedShare(of: pm, granule: 16)
            guard !part.isEmpty else { return }
            gemmPacked(m: part.count, n: pn, k: k, a: p.a + part.lowerBound * lRow, lda: lRow, ka: lCol,
                       packed: p.b, c: p.c + part.lowerBound * ldo, ldc: ldo, accumulate: acc)
            if swapped, let d = p.d {
                // C [m, n] (+)= P^T for this worker's rows of P (its columns of C), while they
                // are in its cache, 8x8 blocks in registers. After the caller's thread alone
                // did it element by element, that loop was the linear layer's backward's
                // largest serial part (the DQN's 32 x 3136 input gradient).
                transposeToPlanes(p.c + part.lowerBound * ldo, positions: part.count, c: pn, pitch: ldo,
                                  d + part.lowerBound, planeStride: ldc, accumulate: accumulate)
            }
        } else {
            let part = ctx.balancedShare(of: (pn + 15) / 16, granule: 1)  // whole panels
            guard !part.isEmpty else { return }
            let c0 = part.lowerBound * 16, width = min(pn, part.upperBound * 16) - c0
            gemmPacked(m: pm, n: width, k: k, a: p.a, lda: lRow, ka: lCol, packed: p.b + part.lowerBound * 16 * k,
                       c: p.c + c0, ldc: ldo, accumulate: acc)
            if swapped, let d = p.d {  // (only when `swap` forces it: a swap has pm > pn by rule)
                transposeToPlanes(p.c + c0, positions: pm, c: width, pitch: ldo, d + c0 * ldc, planeStride: ldc, accumulate: accumulate)
            }
        }
    }
    withExtendedLifetime(block) {}
}

private struct GemmOperands: @unchecked Sendable {
    let a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>
    /// Where a swapped product stores C = P^T (packedProduct).
    var d: UnsafeMutablePointer<Float>? = nil
}

@inline(__always)
private func blasGemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Float>, _ lda: Int,
                      _ b: UnsafePointer<Float>, _ ldb: Int, _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}
