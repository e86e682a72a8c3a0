// The fused recurrent layer: one layer (one or two directions) of an RNN/LSTM/GRU over a whole
// sequence as one autograd node whose pullback is the fused BPTT; per step one packed-weight
// product and one SIMD gate loop, split over the StepTeam's workers by batch rows (or, for
// small batches, by hidden unit).
import CBLAS
import SwiftNNKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The cell type of a recurrent layer (PyTorch's mode strings in `name`).
public enum RecurrentMode: Int, Sendable, CaseIterable {
    case rnnTanh = 0, rnnRelu = 1, lstm = 2, gru = 3

    /// Gates per hidden unit: the row blocks of w_ih and w_hh (LSTM i,f,g,o; GRU r,z,n).
    public var gateCount: Int {
        switch self {
        case .lstm: 4
        case .gru: 3
        case .rnnTanh, .rnnRelu: 1
        }
    }

    public var name: String {
        switch self {
        case .rnnTanh: "rnn_tanh"
        case .rnnRelu: "rnn_relu"
        case .lstm: "lstm"
        case .gru: "gru"
        }
    }
}

/// Sizes and memory layout of one layer call. Inputs and outputs are matrices of T*B rows in
/// the caller's layout: [T, B, *] (row t*B + b) or, batch first, [B, T, *] (row b*T + t).
struct RecurrentGeometry {
    let mode: RecurrentMode
    let steps: Int       // T
    let batch: Int       // B
    let inputSize: Int   // I
    let hidden: Int      // H
    let directions: Int  // D
    let batchFirst: Bool

    var gates: Int { mode.gateCount * hidden }   // G*H
    var rows: Int { steps * batch }               // T*B
    /// Rows between time t and t + 1, and between batch entries b and b + 1.
    var timeStride: Int { batchFirst ? 1 : batch }
    var batchStride: Int { batchFirst ? steps : 1 }
}

/// One direction's parameters: w_ih [G*H, I], w_hh [G*H, H], b_ih, b_hh [G*H] (optional).
struct DirectionWeights {
    let wih: Tensor
    let whh: Tensor
    let bih: Tensor?
    let bhh: Tensor?
    var all: [Tensor] { [wih, whh] + [bih, bhh].compactMap { $0 } }
}

extension RecurrentGeometry {
    /// Columns of the weight-gradient operand: [x (I) | 1 | h before the step (H) | 1].
    var weightOperandWidth: Int { inputSize + hidden + 2 }

    /// Panels of 16 hidden units: the unit of work split between workers.
    var panelsPerGate: Int { (hidden + 15) / 16 }

    /// Workers worth using: one per core OpenBLAS may use, if a step has enough work (about
    /// 10 us) to pay for a barrier, and never more than there are panels.
    var workersWanted: Int {
        let macs = batch * gates * hidden
        guard macs >= 1 << 18 else { return 1 }
        let budget = recurrentWorkerLimit ?? EngineThreads.count
        return max(1, min(budget, panelsPerGate, 16))
    }

    /// The hidden units worker `w` of `workers` owns: whole panels, split evenly.
    func columns(worker w: Int, of workers: Int) -> Range<Int> {
        let p = panelsPerGate
        return min(hidden, (p * w / workers) * 16)..<min(hidden, (p * (w + 1) / workers) * 16)
    }

    /// Whether `workers` split the batch rather than the hidden units: each then runs every step
    /// of its own sequences (which never read each other's state) with no barrier per step,
    /// where splitting the units needs one per step to share h. Each worker reads all of W_hh
    /// per step instead of its share, which pays while it has at least 12 rows to reuse it on.
    func splitsBatch(workers: Int) -> Bool { workers > 1 && batch >= 12 * workers }
}

/// Caps the workers of the recurrent layers the calling thread runs (tests compare 1 with
/// several: results must not depend on the split); nil: the engine's thread count. Per thread,
/// as GradMode: tests run side by side, and one test's limit must not change another's runs.
var recurrentWorkerLimit: Int? {
    get { let v = Int(bitPattern: pthread_getspecific(workerLimitKey)); return v > 0 ? v : nil }
    set { pthread_setspecific(workerLimitKey, UnsafeRawPointer(bitPattern: max(newValue ?? 0, 0))) }
}

private let workerLimitKey: pthread_key_t = {
    var k = pthread_key_t()
    pthread_key_create(&k, nil)
    return k
}()

/// An LSTM layer's input given as rows of a table: the input projection x_r W_ih^T of row r is
/// row ids[r] of `table` [V, 4H]. An embedding feeding the layer folds into the table (the
/// embedding times W_ih^T, built by the caller with autograd ops, so its gradient reaches both):
/// the layer then skips its input product, input gradient and input-weight gradient (for a
/// char-RNN's first layer, 7% of a training step's FLOPs) and returns dL/dtable, the gate
/// gradients summed by id. The layer is called with input size 0 (no x, an empty W_ih).
struct GatheredInput {
    let table: Tensor  // [V, 4H]
    let ids: Tensor    // int64 [T*B] in the layer's row order, each in 0..<V
}

/// A raw pointer that may cross into the StepTeam's workers (they write disjoint columns).
private struct Shared: @unchecked Sendable {
    let p: UnsafeMutablePointer<Float>
    init(_ p: UnsafeMutablePointer<Float>) { self.p = p }
}

/// Runs one layer over the whole sequence. Per direction: one product for the input projection
/// of all steps, then per step one product with W_hh and one gate loop; backward per step: the
/// gate loop, dh += dG W_hh and dx += dG W_ih; then every weight and bias gradient from one
/// sgemm over all steps. Step products use weights packed once per call (SwiftNNKernels/PackedGemm).
///
/// `x` has T*B*I elements in `geo`'s layout; `h0`, `c0` (nil: zeros) have D*B*H; `lengths`
/// (validated to 1...T) marks padded steps, which leave the state unchanged and output zeros.
/// The three results are views of one packed tensor [output | h_n | c_n] that carries the
/// recorded node. The caller validated every shape; the counts are checked again here because
/// the kernels trust them.
///
/// With `gather` (LSTM, one direction, input size 0) the input projections are table rows.
func recurrentLayer(_ geo: RecurrentGeometry, x: Tensor, h0: Tensor?, c0: Tensor?, weights: [DirectionWeights],
                    lengths: [Int]?, outputShape: [Int], stateShape: [Int],
                    gather: GatheredInput? = nil) throws -> (output: Tensor, hN: Tensor, cN: Tensor?) {
    let fn = geo.mode.name
    let T = geo.steps, B = geo.batch, I = geo.inputSize, H = geo.hidden, D = geo.directions, GH = geo.gates, R = geo.rows
    let lstm = geo.mode == .lstm
    let stateCount = D * B * H
    guard weights.count == D, x.count == R * I, h0.map({ $0.count == stateCount }) ?? true,
          c0.map({ $0.count == stateCount }) ?? true, lengths.map({ $0.count == B && $0.allSatisfy { $0 >= 1 && $0 <= T } }) ?? true,
          weights.allSatisfy({ $0.wih.count == GH * I && $0.whh.count == GH * H
              && ($0.bih?.count ?? GH) == GH && ($0.bhh?.count ?? GH) == GH }),
          try elementCount(outputShape, fn) == R * D * H, try elementCount(stateShape, fn) == stateCount else {
        throw SNNError(.internalError, "\(fn): layer called with inconsistent sizes (T \(T), B \(B), I \(I), H \(H), D \(D))")
    }
    if x.dtype == .float64 && gather == nil {
        return try recurrentLayer64(geo, x: x, h0: h0, c0: c0, weights: weights, lengths: lengths,
                                    outputShape: outputShape, stateShape: stateShape)
    }
    if let gather {
        let V = gather.table.shape.first ?? 0
        guard lstm, D == 1, I == 0, gather.table.shape == [V, GH], gather.table.dtype == .float32, gather.ids.dtype == .int64,
              gather.ids.count == R, (0..<R).allSatisfy({ gather.ids.int64s[$0] >= 0 && gather.ids.int64s[$0] < V }) else {
            throw SNNError(.internalError, "\(fn): gathered input needs one LSTM direction, input size 0, a [V, \(GH)] table and \(R) ids in 0..<V")
        }
    }
    let inputs = [x] + [h0, c0].compactMap { $0 } + weights.flatMap(\.all) + (gather.map { [$0.table] } ?? [])
    let saving = GradMode.isEnabled && inputs.contains { $0.requiresGrad }
    let outCount = R * D * H
    let packed = try Tensor(empty: [outCount + stateCount * (lstm ? 2 : 1)], dtype: .float32, zeroed: false, fn)
    let out = packed.floats, hN = out + outCount, cN = hN + stateCount  // cN: LSTM only
    // lengths as an int64 buffer that outlives the workers' closures; the kernels read it as
    // Int, which is 64 bits on every platform the package builds for
    guard MemoryLayout<Int>.size == 8 else { throw SNNError(.unsupported, "\(fn): needs a 64-bit platform") }
    let lengthsBuffer = try lengths.map { l -> Tensor in
        let t = try Tensor(empty: [l.count], dtype: .int64, zeroed: false, fn)
        for (i, v) in l.enumerated() { t.int64s[i] = Int64(v) }
        return t
    }

    // The LSTM (and, without a backward pass, the RNN) computes each step's x_t W_ih^T with its
    // h W_hh^T into a small buffer: a [T*B, G*H] projection of all steps made first, tens of MB,
    // would be read back from memory at every step, cache-cold. Training then only writes the
    // activations there, for the backward pass. The GRU keeps the projection (r multiplies
    // only h's part of the n gate).
    let fused = lstm || (!saving && geo.mode != .gru)
    let stacked = fused && gather == nil, K = stacked ? I + H : H  // see runForward
    let panelsPerBlock = packedPanelsCount(k: K, n: geo.panelsPerGate * 16)
    var saved: [SavedStep] = []  // per direction, for the backward pass
    for (d, w) in weights.enumerated() {
        let P = try Tensor(empty: [fused && !saving ? 0 : R, GH], dtype: .float32, zeroed: false, fn)
        let biasIH = try Tensor.zeros([GH]), biasHH = try Tensor.zeros([GH])
        if let b = w.bih { biasIH.floats.update(from: b.floats, count: GH) }
        if let b = w.bhh { biasHH.floats.update(from: b.floats, count: GH) }
        if geo.mode != .gru { axpy(biasIH.floats, biasHH.floats, GH) }  // one combined bias

        let h = hN + d * B * H, c = lstm ? cN + d * B * H : h  // (c unused without LSTM)
        if let h0 { h.update(from: h0.floats + d * B * H, count: B * H) } else { h.update(repeating: 0, count: B * H) }
        if lstm {
            if let c0 { c.update(from: c0.floats + d * B * H, count: B * H) } else { c.update(repeating: 0, count: B * H) }
        }
        let step = ForwardBuffers(
            gates: P, bias: biasIH, biasHH: biasHH,
            xh: saving ? try operandsOfWeightGradients(geo, x: x, lengths: lengths) : nil,
            prevC: saving && lstm ? try Tensor(empty: [R, H], dtype: .float32, zeroed: false, fn) : nil,
            newC: saving && lstm ? try Tensor(empty: [R, H], dtype: .float32, zeroed: false, fn) : nil,
            hn: saving && geo.mode == .gru ? try Tensor(empty: [R, H], dtype: .float32, zeroed: false, fn) : nil,
            hh: fused || geo.mode == .gru ? try Tensor(empty: [B, GH], dtype: .float32, zeroed: false, fn) : nil,
            fused: fused,
            gather: gather,
            panels: try Tensor(empty: [geo.mode.gateCount * panelsPerBlock], dtype: .float32, zeroed: false, fn),
            inputPanels: try Tensor(empty: [fused ? 0 : packedPanelsCount(k: I, n: GH)], dtype: .float32, zeroed: false, fn),
            scratch: try Tensor(empty: [stacked ? 2 * B * K : B * H], dtype: .float32, zeroed: false, fn),
            stacked: stacked, panelRows: K)
        runForward(geo, direction: d, x: x, wih: w.wih, whh: w.whh, buffers: step, lengths: lengthsBuffer,
                   h: Shared(h), c: Shared(c), out: Shared(out), zeroStart: h0 == nil)
        if let xh = step.xh { saved.append(SavedStep(gates: P, xh: xh, prevC: step.prevC, newC: step.newC, hn: step.hn)) }
    }

    let savedSteps = saved
    let node = packed.recorded(geo.mode == .lstm ? "LSTMBackward" : geo.mode == .gru ? "GRUBackward" : "RNNBackward", inputs) { gp in
        // forward: per step h, c = cell(x_t W_ih^T + b_ih + h W_hh^T + b_hh, c); output_t = h
        try recurrentLayerBackward(geo, gp, x: x, h0: h0, c0: c0, weights: weights, lengths: lengthsBuffer, saved: savedSteps,
                                   gather: gather)
    }
    let output = try unpack(node, offset: 0, shape: outputShape, name: "RecurrentOutputBackward")
    let hState = try unpack(node, offset: outCount, shape: stateShape, name: "RecurrentHiddenBackward")
    let cState = lstm ? try unpack(node, offset: outCount + stateCount, shape: stateShape, name: "RecurrentCellBackward") : nil
    return (output, hState, cState)
}

/// One direction's working memory for the forward step loop.
private struct ForwardBuffers: @unchecked Sendable {
    let gates: Tensor     // [R, G*H]: x W_ih^T, then activations (fused: activations; empty without grad)
    let bias: Tensor      // [G*H]: b_ih + b_hh (GRU: b_ih)
    let biasHH: Tensor    // [G*H]: b_hh (GRU)
    let xh: Tensor?       // training: [R, I + H + 2] operand of the weight gradients
    let prevC: Tensor?    // training, LSTM: [R, H] c before each step
    let newC: Tensor?     // training, LSTM: [R, H] c after each step
    let hn: Tensor?       // training, GRU: [R, H] hh_n + b_hn
    let hh: Tensor?       // [B, G*H] h W_hh^T of the current step (fused: plus x_t W_ih^T); GRU or fused
    let fused: Bool       // x_t W_ih^T per step into hh; `gates` receives only activations (training)
    let gather: GatheredInput?  // x_t W_ih^T are table rows (fused LSTM only)
    let panels: Tensor    // W_hh^T (stacked: W_ih^T over W_hh^T) packed per gate block (PackedGemm)
    let inputPanels: Tensor  // W_ih^T packed for the projection of all steps (unfused only)
    let scratch: Tensor   // [B, H]: the other state buffer (h is double-buffered); stacked: two [B, I + H]
                          // row buffers [x_t | h] (see runForward)

    /// Whether each step multiplies rows [x_t | h] by W_ih^T stacked over W_hh^T (fused without
    /// a gathered input; see runForward).
    let stacked: Bool
    /// Rows of each packed panel: I + H stacked, else H.
    let panelRows: Int
}

/// Direction `d` of the forward pass on the StepTeam. The workers first pack the weights
/// together, each its share of the columns. Splitting the batch (enough rows), a worker then
/// runs every step of its rows with no barrier; otherwise each worker computes its hidden units
/// (all gates of each) of every row, and a barrier per step publishes the new h.
///
/// Products per step: the LSTM and the gradient-free RNN (`fused`, without a gathered input)
/// multiply rows [x_t | h] by one operand stacking W_ih^T over W_hh^T, so each pre-activation
/// is one FMA chain, x_t's terms then h's; the state lives in those rows (two buffers, read
/// one, write the other) and `h` receives the final state. The GRU and the training RNN add
/// h W_hh^T to the projection of all steps made first, and a gathered input copies its table
/// rows; their h is double-buffered in [B, H] buffers. With `zeroStart` (no h0: zeros), step 0
/// skips h W_hh^T, which is exactly zero unless W_hh holds an inf or NaN (each worker checks
/// the rows it packed; any keeps the product, whose NaNs PyTorch gives too). (OpenBLAS is not
/// used here: its idle threads spin for tens of milliseconds after a call and would compete
/// with the team's.)
private func runForward(_ geo: RecurrentGeometry, direction d: Int, x: Tensor, wih: Tensor, whh: Tensor, buffers f: ForwardBuffers,
                        lengths: Tensor?, h: Shared, c: Shared, out: Shared, zeroStart: Bool) {
    let T = geo.steps, B = geo.batch, I = geo.inputSize, H = geo.hidden, D = geo.directions, G = geo.mode.gateCount, GH = geo.gates
    let tS = geo.timeStride, bS = geo.batchStride, W = geo.weightOperandWidth
    let stacked = f.stacked, K = f.panelRows  // K: I + H stacked, else H
    let panelFloats = packedPanelsCount(k: K, n: geo.panelsPerGate * 16)  // per gate block
    // Unstacked, the buffer holding the state after step s is (s even ? second : first); make
    // the final one `h` (h_n in the packed output), starting from a copy of h0 in the other if
    // T is odd. Stacked, the state after step s is in the h columns of rows[(s + 1) % 2].
    let rows = stacked ? f.scratch.floats : nil
    let first = T % 2 == 0 ? h.p : f.scratch.floats, second = T % 2 == 0 ? f.scratch.floats : h.p  // (unstacked only)
    if let rows {
        for b in 0..<B { (rows + b * K + I).update(from: h.p + b * H, count: H) }
    } else if first != h.p {
        first.update(from: h.p, count: B * H)
    }
    let (firstS, secondS) = (Shared(first), Shared(second))
    let lengthsPtr: UnsafePointer<Int>? = lengths.map { UnsafeRawPointer($0.int64s).assumingMemoryBound(to: Int.self) }
    let R = geo.rows, inputPanels = (GH + 15) / 16
    let stepTime = { (s: Int) in d == 0 ? s : T - 1 - s }
    // Read once: the budget (snn_set_num_threads, a test's worker limit) may change on another
    // thread meanwhile, and finiteRows must have a slot for every worker the run gets.
    let workers = geo.workersWanted
    // Also read once, before the workers start: each worker computes the split itself, and two
    // granules (a test switching the kernels meanwhile) would leave rows to nobody.
    let granule = PackedGemmKernels.rowGranule
    if workers > 1 { EngineThreads.shareOnePool() }
    let finiteRows = UnsafeMutablePointer<Bool>.allocate(capacity: workers)  // per worker: its W_hh rows
    finiteRows.initialize(repeating: true, count: workers)
    defer { finiteRows.deallocate() }
    StepTeam.shared.run(workers: workers) { ctx in
        let (w, nw) = (ctx.worker, ctx.workers)
        // Splitting the batch, a worker computes every hidden unit of its rows b0..<b0 + nb
        // (more rows to the worker on the faster core: see balancedShare; rows are independent,
        // so the split never changes a result); splitting the units, its columns of every row.
        // Either way it packs the weight panels of `share` (its columns), which, splitting the
        // batch, every worker then reads.
        let byBatch = geo.splitsBatch(workers: nw)
        let share = geo.columns(worker: w, of: nw)
        let cols = byBatch ? 0..<H : share
        let batchRows = byBatch ? ctx.balancedShare(of: B, granule: granule) : 0..<B
        let j0 = cols.lowerBound, n = cols.count, b0 = batchRows.lowerBound, nb = batchRows.count
        let p0 = share.lowerBound, pn = share.count
        // Stacked rows take x_t from the worker owning them, or, when the workers split the
        // units, from worker 0, a step ahead (published by the step's barrier).
        let ownsRows = byBatch || nw == 1
        @inline(__always) func copyInputs(step s: Int, rows r0: Int, count: Int) {
            guard let rows else { return }
            let dst = rows + (s % 2) * B * K, src = x.floats + stepTime(s) * tS * I
            for b in r0..<(r0 + count) { (dst + b * K).update(from: src + b * bS * I, count: I) }
        }
        if stacked {
            for g in 0..<G where pn > 0 {
                packPanels(f.panels.floats + g * panelFloats + (p0 / 16) * K * 16, UnsafePointer(wih.floats), ldw: I,
                           transposed: true, k: I, c0: g * H + p0, n: pn, panelRows: K)
            }
            if !ownsRows && w == 0 { copyInputs(step: 0, rows: 0, count: B) }
        } else if !f.fused {  // (fused and unstacked: a gathered input, no W_ih)
            let p0 = inputPanels * w / nw, p1 = inputPanels * (w + 1) / nw
            if p1 > p0 {
                packPanels(f.inputPanels.floats + p0 * I * 16, UnsafePointer(wih.floats), ldw: I, transposed: true,
                           k: I, c0: p0 * 16, n: min(GH, p1 * 16) - p0 * 16)
            }
            ctx.barrier()
            let r0 = R * w / nw, r1 = R * (w + 1) / nw
            if r1 > r0 {
                gemmPacked(m: r1 - r0, n: GH, k: I, a: x.floats + r0 * I, lda: I, packed: f.inputPanels.floats,
                           c: f.gates.floats + r0 * GH, ldc: GH, accumulate: false)
            }
        }
        let wp = UnsafePointer(whh.floats)
        for g in 0..<G where pn > 0 {
            packPanels(f.panels.floats + g * panelFloats + (p0 / 16) * K * 16 + (stacked ? I * 16 : 0), wp, ldw: H,
                       transposed: true, k: H, c0: g * H + p0, n: pn, panelRows: K)
            if zeroStart && !allFinite(wp + (g * H + p0) * H, count: pn * H) { finiteRows[w] = false }
        }
        ctx.barrier()  // every panel and row of x W_ih^T is in place
        let skipFirst = zeroStart && (0..<nw).allSatisfy { finiteRows[$0] }
        for s in 0..<T {
            let t = stepTime(s)
            let row = t * tS + b0 * bS  // the first of this worker's rows of step t
            // this worker's rows of h before and after the step, `ldH` apart
            let (hPrev, hNext, ldH) = if let rows {
                (rows + (s % 2) * B * K + b0 * K + I, rows + ((s + 1) % 2) * B * K + b0 * K + I, K)
            } else {
                ((s % 2 == 0 ? firstS.p : secondS.p) + b0 * H, (s % 2 == 0 ? secondS.p : firstS.p) + b0 * H, H)
            }
            if stacked && ownsRows { copyInputs(step: s, rows: b0, count: nb) }
            if n > 0 && nb > 0 {
                // fused: the step's pre-activations are all in hh (row b of x_t at x + (row + b bS) I)
                let hhRows = f.hh.map { $0.floats + b0 * GH }
                let gRow = f.fused ? hhRows ?? f.gates.floats : f.gates.floats + row * GH, ldG = f.fused ? GH : bS * GH
                let step = RecurrentStep(batch: nb, hidden: H, columns: cols, lengths: lengthsPtr.map { $0 + b0 }, t: t,
                                         stateStride: ldH)
                let o = out.p + row * D * H + d * H, ldO = bS * D * H
                let savedH = f.xh.map { $0.floats + row * W + I + 1 }
                let sv = row * H, ldS = bS * H
                let hProduct = !(skipFirst && s == 0)  // false: h W_hh^T is exactly zero
                for g in 0..<G {
                    let panels = f.panels.floats + g * panelFloats + (j0 / 16) * K * 16
                    if stacked {  // [x_t | h] [W_ih^T ; W_hh^T]
                        gemmPacked(m: nb, n: n, k: hProduct ? K : I, a: hPrev - I, lda: K, packed: panels, panelRows: K,
                                   c: gRow + g * H + j0, ldc: GH, accumulate: false)
                    } else if f.fused {  // gathered: row b's x W_ih^T is table row ids[row + b bS]
                        if let gather = f.gather {
                            let ids = gather.ids.int64s, table = gather.table.floats + g * H + j0
                            for b in 0..<nb {
                                (gRow + (b * GH + g * H + j0)).update(from: table + Int(ids[row + b * bS]) * GH, count: n)
                            }
                        }
                        if hProduct {
                            gemmPacked(m: nb, n: n, k: H, a: hPrev, lda: H, packed: panels, c: gRow + g * H + j0, ldc: GH,
                                       accumulate: true)
                        }
                    } else if let hh = hhRows {  // GRU: r multiplies h W_hh^T's n block
                        gemmPacked(m: nb, n: n, k: hProduct ? H : 0, a: hPrev, lda: H, packed: panels, panelRows: H,
                                   c: hh + g * H + j0, ldc: GH, accumulate: false)
                    } else if hProduct {
                        gemmPacked(m: nb, n: n, k: H, a: hPrev, lda: H, packed: panels, c: gRow + g * H + j0, ldc: ldG, accumulate: true)
                    }
                }
                switch geo.mode {
                case .lstm:
                    let training = f.xh != nil
                    lstmForwardStep(step, pre: gRow, ldPre: ldG, act: training ? f.gates.floats + row * GH : gRow,
                                    ldAct: training ? bS * GH : ldG, bias: f.bias.floats, hPrev: hPrev, hNext: hNext, c: c.p + b0 * H,
                                    out: o, ldOut: ldO, savedH: savedH, ldSavedH: bS * W,
                                    prevC: f.prevC.map { $0.floats + sv }, newC: f.newC.map { $0.floats + sv }, ldSaved: ldS)
                case .gru:
                    if let hh = hhRows {
                        gruForwardStep(step, gates: gRow, ldGates: ldG, hh: hh, biasIH: f.bias.floats, biasHH: f.biasHH.floats,
                                       hPrev: hPrev, hNext: hNext, out: o, ldOut: ldO, savedH: savedH, ldSavedH: bS * W,
                                       hn: f.hn.map { $0.floats + sv }, ldSaved: ldS)
                    }
                case .rnnTanh, .rnnRelu:
                    rnnForwardStep(step, gates: gRow, ldGates: ldG, bias: f.bias.floats, relu: geo.mode == .rnnRelu,
                                   hPrev: hPrev, hNext: hNext, out: o, ldOut: ldO, savedH: savedH, ldSavedH: bS * W)
                }
            }
            if stacked && !ownsRows && w == 0 && s + 1 < T { copyInputs(step: s + 1, rows: 0, count: B) }
            if !byBatch { ctx.barrier() }  // h (and the next x_t) complete for every worker's next step
        }
        if let rows {  // the final state of this worker's rows and units into h
            let last = rows + (T % 2) * B * K + I
            for b in b0..<(b0 + nb) where n > 0 { (h.p + b * H + j0).update(from: last + b * K + j0, count: n) }
        }
    }
}

/// What the forward pass kept for one direction (all steps).
struct SavedStep {
    let gates: Tensor    // [R, G*H] activations
    let xh: Tensor       // [R, I + H + 2]: x, 1, h before the step, 1 (see operandsOfWeightGradients)
    let prevC: Tensor?   // LSTM: c before each step
    let newC: Tensor?    // LSTM: c after each step
    let hn: Tensor?      // GRU: hh_n + b_hn
}

/// The right operand of the weight gradients: with rows [x_t | 1 | h_{t-1} | 1], one sgemm
/// dG^T [x | 1 | h | 1] gives [dW_ih | db_ih | dW_hh | db_hh] for every step at once. The x of
/// padded steps is zeroed (their dG rows are zero, but 0 * NaN padding would be NaN); the h
/// columns are filled step by step during the forward pass.
private func operandsOfWeightGradients(_ geo: RecurrentGeometry, x: Tensor, lengths: [Int]?) throws -> Tensor {
    let R = geo.rows, I = geo.inputSize, H = geo.hidden, W = geo.weightOperandWidth
    let xh = try Tensor(empty: [R, W], dtype: .float32, zeroed: false, geo.mode.name)
    for r in 0..<R {
        let row = xh.floats + r * W
        row.update(from: x.floats + r * I, count: I)
        row[I] = 1
        row[I + 1 + H] = 1
    }
    if let lengths {
        for b in 0..<geo.batch where lengths[b] < geo.steps {
            for t in lengths[b]..<geo.steps {
                (xh.floats + (t * geo.timeStride + b * geo.batchStride) * W).update(repeating: 0, count: I)
            }
        }
    }
    return xh
}

/// The fused BPTT: gradients of x, h0, c0 and every weight from the packed output gradient
/// [d output | d h_n | d c_n], in the order the node recorded its inputs.
private func recurrentLayerBackward(_ geo: RecurrentGeometry, _ gp: Tensor, x: Tensor, h0: Tensor?, c0: Tensor?,
                                    weights: [DirectionWeights], lengths: Tensor?, saved: [SavedStep],
                                    gather: GatheredInput?) throws -> [Tensor?] {
    let fn = geo.mode.name + "_backward"
    let R = geo.rows, B = geo.batch, I = geo.inputSize, H = geo.hidden, D = geo.directions, GH = geo.gates
    let lstm = geo.mode == .lstm, gru = geo.mode == .gru
    let stateCount = D * B * H
    guard saved.count == D, gp.count == R * D * H + stateCount * (lstm ? 2 : 1) else {
        throw SNNError(.internalError, "\(fn): saved state does not match the layer")
    }
    let dOut = gp.floats, dhN = dOut + R * D * H, dcN = dhN + stateCount
    let dx = x.requiresGrad ? try Tensor(empty: x.shape, dtype: .float32, zeroed: true, fn) : nil
    let dh0 = h0?.requiresGrad == true ? try Tensor(empty: h0?.shape ?? [], dtype: .float32, zeroed: false, fn) : nil
    let dc0 = c0?.requiresGrad == true ? try Tensor(empty: c0?.shape ?? [], dtype: .float32, zeroed: false, fn) : nil
    var weightGrads: [Tensor?] = []
    var tableGrad: Tensor? = nil

    for (d, w) in weights.enumerated() {
        let sv = saved[d]
        let b = BackwardBuffers(
            dG: try Tensor(empty: [R, GH], dtype: .float32, zeroed: false, fn),
            dGh: gru ? try Tensor(empty: [R, GH], dtype: .float32, zeroed: false, fn) : nil,
            dh: try Tensor(empty: [B, H], dtype: .float32, zeroed: false, fn),
            dc: try Tensor(empty: [B, H], dtype: .float32, zeroed: false, fn),
            dx: dx,
            panels: try Tensor(empty: [packedPanelsCount(k: GH, n: geo.panelsPerGate * 16)], dtype: .float32, zeroed: false, fn))
        b.dh.floats.update(from: dhN + d * B * H, count: B * H)
        if lstm { b.dc.floats.update(from: dcN + d * B * H, count: B * H) }
        runBackward(geo, direction: d, whh: w.whh, saved: sv, buffers: b, lengths: lengths, dOut: Shared(dOut))
        // dx += dG W_ih for every step at once: one large product, off the step loop's
        // critical path (padded steps have zero dG rows, so they add nothing).
        if let dx { sgemm(false, false, R, I, GH, b.dG.floats, w.wih.floats, beta: 1, dx.floats) }
        // gathered input: dL/dtable[v] = the sum of dG over the rows whose id is v
        if let gather, gather.table.requiresGrad {
            let dTable = try Tensor(empty: gather.table.shape, dtype: .float32, zeroed: true, fn)
            let ids = gather.ids.int64s
            for r in 0..<R { axpy(dTable.floats + Int(ids[r]) * GH, b.dG.floats + r * GH, GH) }
            tableGrad = dTable
        }
        weightGrads += try weightGradients(geo, w, dG: b.dG, dGh: b.dGh ?? b.dG, xh: sv.xh)
        if let dh0 { (dh0.floats + d * B * H).update(from: b.dh.floats, count: B * H) }
        if let dc0 { (dc0.floats + d * B * H).update(from: b.dc.floats, count: B * H) }
    }
    return [dx] + (h0 == nil ? [] : [dh0]) + (c0 == nil ? [] : [dc0]) + weightGrads + (gather == nil ? [] : [tableGrad])
}

/// One direction's working memory for the backward step loop.
private struct BackwardBuffers: @unchecked Sendable {
    let dG: Tensor          // [R, G*H] gate pre-activation gradients (x side)
    let dGh: Tensor?        // GRU: [R, 3H] h-side gate gradients
    let dh: Tensor          // [B, H] carry of dL/dh
    let dc: Tensor          // [B, H] carry of dL/dc (LSTM)
    let dx: Tensor?         // [R, I] input gradient, accumulated over directions
    let panels: Tensor      // W_hh [G*H, H] packed by column panels
}

/// Direction `d` of the backward pass, in reverse time order, on the StepTeam. Per step each
/// worker (owning a range of hidden units, as in the forward pass) runs the gate backward for
/// its units; a barrier makes the step's dG complete; then the worker adds dG_t W_hh to its own
/// columns of dh (which only it reads next). dx waits for the loop's end (one product).
private func runBackward(_ geo: RecurrentGeometry, direction d: Int, whh: Tensor, saved sv: SavedStep,
                         buffers bb: BackwardBuffers, lengths: Tensor?, dOut: Shared) {
    let T = geo.steps, B = geo.batch, I = geo.inputSize, H = geo.hidden, D = geo.directions, GH = geo.gates
    let tS = geo.timeStride, bS = geo.batchStride, W = geo.weightOperandWidth
    let lengthsPtr: UnsafePointer<Int>? = lengths.map { UnsafeRawPointer($0.int64s).assumingMemoryBound(to: Int.self) }
    let workers = geo.workersWanted, granule = PackedGemmKernels.rowGranule  // read once, as in runForward
    if workers > 1 { EngineThreads.shareOnePool() }
    StepTeam.shared.run(workers: workers) { ctx in
        // As in the forward pass: split the batch (no barrier per step) or the hidden units.
        let byBatch = geo.splitsBatch(workers: ctx.workers)
        let share = geo.columns(worker: ctx.worker, of: ctx.workers)
        let cols = byBatch ? 0..<H : share
        let batchRows = byBatch ? ctx.balancedShare(of: B, granule: granule) : 0..<B
        let j0 = cols.lowerBound, n = cols.count, b0 = batchRows.lowerBound, nb = batchRows.count
        if share.count > 0 {
            packPanels(bb.panels.floats + (share.lowerBound / 16) * GH * 16, UnsafePointer(whh.floats), ldw: H, transposed: false,
                       k: GH, c0: share.lowerBound, n: share.count)
        }
        if byBatch { ctx.barrier() }  // every panel packed
        let panels = bb.panels.floats + (j0 / 16) * GH * 16
        let dGh = bb.dGh ?? bb.dG
        let dh = bb.dh.floats + b0 * H, dc = bb.dc.floats + b0 * H
        for s in 0..<T {
            let t = d == 0 ? T - 1 - s : s
            let row = t * tS + b0 * bS  // the first of this worker's rows of step t
            let g = sv.gates.floats + row * GH, ldG = bS * GH
            if n > 0 && nb > 0 {
                let step = RecurrentStep(batch: nb, hidden: H, columns: cols, lengths: lengthsPtr.map { $0 + b0 }, t: t)
                let o = dOut.p + row * D * H + d * H, ldO = bS * D * H
                let so = row * H, ldS = bS * H
                switch geo.mode {
                case .lstm:
                    if let prevC = sv.prevC, let newC = sv.newC {
                        lstmBackwardStep(step, gates: g, ldGates: ldG, prevC: prevC.floats + so, newC: newC.floats + so, ldSaved: ldS,
                                         dOut: o, ldOut: ldO, dh: dh, dc: dc, dGates: bb.dG.floats + row * GH, ldDGates: ldG)
                    }
                case .gru:
                    if let hn = sv.hn {
                        gruBackwardStep(step, gates: g, ldGates: ldG, hn: hn.floats + so, ldSaved: ldS,
                                        prevH: sv.xh.floats + row * W + I + 1, ldPrevH: bS * W, dOut: o, ldOut: ldO, dh: dh,
                                        dGx: bb.dG.floats + row * GH, dGh: dGh.floats + row * GH, ldDGates: ldG)
                    }
                case .rnnTanh, .rnnRelu:
                    rnnBackwardStep(step, act: g, ldAct: ldG, relu: geo.mode == .rnnRelu, dOut: o, ldOut: ldO, dh: dh,
                                    dGates: bb.dG.floats + row * GH, ldDGates: ldG)
                }
            }
            if !byBatch { ctx.barrier() }  // dG_t complete
            // dh_prev[own rows, own columns] += dGh_t[own rows] W_hh[:, own columns]
            if n > 0 && nb > 0 {
                gemmPacked(m: nb, n: n, k: GH, a: dGh.floats + row * GH, lda: ldG, packed: panels, c: dh + j0, ldc: H, accumulate: true)
            }
        }
    }
}

/// [dW_ih, dW_hh, db_ih?, db_hh?] of one direction (nil where not required) from one sgemm
/// over all steps, dG^T [x | 1 | h | 1] = [dW_ih | db_ih | dW_hh | db_hh] (two for GRU, whose
/// h-side gate gradients differ). OpenBLAS does this large product well.
private func weightGradients(_ geo: RecurrentGeometry, _ w: DirectionWeights, dG: Tensor, dGh: Tensor, xh: Tensor) throws -> [Tensor?] {
    let fn = geo.mode.name + "_backward"
    let I = geo.inputSize, H = geo.hidden, GH = geo.gates, R = geo.rows, W = geo.weightOperandWidth
    guard w.all.contains(where: { $0.requiresGrad }) else { return w.all.map { _ in nil } }
    let all = try Tensor(empty: [GH, W], dtype: .float32, zeroed: false, fn)
    if geo.mode == .gru {
        gemmTransposedA(GH, I + 1, R, dG.floats, GH, xh.floats, W, all.floats, W)
        gemmTransposedA(GH, H + 1, R, dGh.floats, GH, xh.floats + I + 1, W, all.floats + I + 1, W)
    } else {
        gemmTransposedA(GH, W, R, dG.floats, GH, xh.floats, W, all.floats, W)
    }
    /// Columns [from, from + n) of `all` as a tensor shaped like `p`, if `p` needs a gradient.
    func columns(_ p: Tensor?, _ from: Int, _ n: Int) throws -> Tensor? {
        guard let p, p.requiresGrad else { return nil }
        let t = try Tensor(empty: p.shape, dtype: .float32, zeroed: false, fn)
        for r in 0..<GH { (t.floats + r * n).update(from: all.floats + r * W + from, count: n) }
        return t
    }
    return [try columns(w.wih, 0, I), try columns(w.whh, I + 1, H)]
        + (w.bih == nil ? [] : [try columns(w.bih, I, 1)]) + (w.bhh == nil ? [] : [try columns(w.bhh, I + 1 + H, 1)])
}

/// C[m, n] = A^T B for row-major A [k, m] (ld lda), B [k, n] (ld ldb), C (ld ldc).
private func gemmTransposedA(_ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Float>, _ lda: Int,
                             _ b: UnsafePointer<Float>, _ ldb: Int, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
    sgemm(true, false, m, n, k, a, lda: lda, b, ldb: ldb, beta: 0, c, ldc: ldc)
}

/// A view of `count(shape)` elements of `packed` from `offset`, whose gradient flows back into
/// the packed tensor (zeros elsewhere).
private func unpack(_ packed: Tensor, offset: Int, shape: [Int], name: String) throws -> Tensor {
    let n = try elementCount(shape, name)
    guard offset >= 0, offset + n <= packed.count else {
        throw SNNError(.internalError, "\(name): view [\(offset), \(offset + n)) outside \(packed.count) elements")
    }
    let base = try packed.packed(name)  // a strided view's elements are not one block of its storage
    let v = Tensor(shape: shape, dtype: .float32, storage: base.storage, offset: base.offset + offset, count: n)
    return v.recorded(name, [packed], saves: [], readsOutput: false) { g in
        // forward: v = packed[offset ..< offset + n]
        let full = try Tensor(empty: [packed.count], dtype: .float32, zeroed: true, name)
        (full.floats + offset).update(from: g.floats, count: n)
        return [full]
    }
}
