// Fused per-time-step gate loops of RNN (tanh/relu), LSTM and GRU, forward and backward: gate
// nonlinearities, cell update and saves in one SIMD pass per batch row, for the hidden units one
// worker owns. Callers validate every size; row b of a matrix starts at `pointer + b * ld`.

/// The time step a gate loop works on.
public struct RecurrentStep {
    public let batch: Int
    public let hidden: Int
    /// The hidden units j this call handles (all gates of each).
    public let columns: Range<Int>
    /// Per-sequence lengths (nil: every row takes part in every step).
    public let lengths: UnsafePointer<Int>?
    public let t: Int
    /// Floats between rows of the forward steps' `hPrev` and `hNext`: `hidden`, or more where
    /// the state rows sit inside the [x_t | h] rows of the step's product.
    public let stateStride: Int

    public init(batch: Int, hidden: Int, columns: Range<Int>, lengths: UnsafePointer<Int>?, t: Int, stateStride: Int? = nil) {
        self.batch = batch
        self.hidden = hidden
        self.columns = columns
        self.lengths = lengths
        self.t = t
        self.stateStride = stateStride ?? hidden
    }

    /// Whether batch row `b` takes part in this step.
    @inline(__always)
    func active(_ b: Int) -> Bool {
        guard let lengths else { return true }
        return t < lengths[b]
    }

    @inline(__always) var j0: Int { columns.lowerBound }
    @inline(__always) var width: Int { columns.count }
}

@inline(__always)
private func copyRow(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int) {
    dst.update(from: src, count: n)
}

@inline(__always)
private func zeroRow(_ p: UnsafeMutablePointer<Float>, _ n: Int) {
    p.update(repeating: 0, count: n)
}

// MARK: - Forward

/// One LSTM step. `pre` [B, 4H] (ld `ldPre`) holds the pre-activations x W_ih^T + h W_hh^T (gate
/// order i, f, g, o) and `bias` [4H] is b_ih + b_hh; the activations go to `act` (ld `ldAct`,
/// which may be `pre` itself; the backward pass reads them there). The state before the step is
/// `hPrev` (ld `s.stateStride`) and `c` (ld H, updated in place); the new h goes to `hNext` (ld
/// `s.stateStride`: inactive rows copy hPrev) and `out` (zeros for inactive rows). Training saves h before the step to
/// `savedH` and c before and after to `prevC`/`newC` (ld `ldSaved`).
public func lstmForwardStep(_ s: RecurrentStep, pre: UnsafePointer<Float>, ldPre: Int,
                            act: UnsafeMutablePointer<Float>, ldAct: Int, bias: UnsafePointer<Float>,
                            hPrev: UnsafePointer<Float>, hNext: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>,
                            out: UnsafeMutablePointer<Float>, ldOut: Int,
                            savedH: UnsafeMutablePointer<Float>?, ldSavedH: Int,
                            prevC: UnsafeMutablePointer<Float>?, newC: UnsafeMutablePointer<Float>?, ldSaved: Int) {
    let H = s.hidden, j0 = s.j0, w = s.width
    for b in 0..<s.batch {
        let hp = hPrev + b &* s.stateStride, hn = hNext + b &* s.stateStride, cb = c + b &* H, o = out + b &* ldOut
        if let savedH { copyRow(savedH + (b &* ldSavedH &+ j0), hp + j0, w) }
        if let prevC { copyRow(prevC + (b &* ldSaved &+ j0), cb + j0, w) }
        guard s.active(b) else {
            copyRow(hn + j0, hp + j0, w)
            zeroRow(o + j0, w)
            continue
        }
        // Gate by gate, then the cell: short loops of independent 8-lane iterations, which the
        // core overlaps; one loop doing all five nonlinearities per iteration was bound by
        // the latency of its dependency chain.
        let x = pre + b &* ldPre, a = act + b &* ldAct
        for k in 0..<4 {
            let off = k &* H &+ j0
            if k == 2 { activate(a + off, x + off, bias + off, w, tanh8) }
            else { activate(a + off, x + off, bias + off, w, sigmoid8) }
        }
        lstmCell(a + j0, H, cb + j0, hn + j0, o + j0, newC.map { $0 + (b &* ldSaved &+ j0) }, w)
    }
}

/// dst[k] = f(x[k] + bias[k]) for k in 0..<n: full vectors, then the tail through one padded
/// vector (the same function, so every element's result is independent of its position).
@inline(__always)
private func activate(_ dst: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ bias: UnsafePointer<Float>, _ n: Int,
                      _ f: (SIMD8<Float>) -> SIMD8<Float>) {
    var k = 0
    while k &+ 8 <= n {
        store8(dst + k, f(load8(x + k) + load8(bias + k)))
        k &+= 8
    }
    if k < n { store8(dst + k, f(load8(x + k, n &- k) + load8(bias + k, n &- k)), n &- k) }
}

/// The LSTM cell update over n units of one row, from activated gates (i at g, f, g, o at
/// g + H, 2H, 3H): c' = f c + i g, h = o tanh(c'), stored to c, h, out and (training) newC.
@inline(__always)
private func lstmCell(_ g: UnsafeMutablePointer<Float>, _ H: Int, _ c: UnsafeMutablePointer<Float>,
                      _ h: UnsafeMutablePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                      _ newC: UnsafeMutablePointer<Float>?, _ n: Int) {
    @inline(__always)
    func cell(_ k: Int, _ m: Int) {
        let cn = (load8(g + k, m) * load8(g + (2 &* H &+ k), m)).addingProduct(load8(g + (H &+ k), m), load8(c + k, m))
        let hv = load8(g + (3 &* H &+ k), m) * tanh8(cn)
        store8(c + k, cn, m)
        store8(h + k, hv, m)
        store8(out + k, hv, m)
        if let newC { store8(newC + k, cn, m) }
    }
    var k = 0
    while k &+ 8 <= n {
        cell(k, 8)
        k &+= 8
    }
    if k < n { cell(k, n &- k) }
}

/// One Elman RNN step: h = act(gates + bias) with act tanh or relu. `gates` [B, H] holds
/// x W_ih^T + h W_hh^T and is overwritten with h (the backward pass reads act' from it). State
/// and saves as in `lstmForwardStep`.
public func rnnForwardStep(_ s: RecurrentStep, gates: UnsafeMutablePointer<Float>, ldGates: Int, bias: UnsafePointer<Float>,
                           relu: Bool, hPrev: UnsafePointer<Float>, hNext: UnsafeMutablePointer<Float>,
                           out: UnsafeMutablePointer<Float>, ldOut: Int, savedH: UnsafeMutablePointer<Float>?, ldSavedH: Int) {
    let j0 = s.j0, w = s.width
    let zero = SIMD8<Float>()
    for b in 0..<s.batch {
        let g = gates + b &* ldGates, hp = hPrev + b &* s.stateStride, hn = hNext + b &* s.stateStride, o = out + b &* ldOut
        if let savedH { copyRow(savedH + (b &* ldSavedH &+ j0), hp + j0, w) }
        guard s.active(b) else {
            copyRow(hn + j0, hp + j0, w)
            zeroRow(o + j0, w)
            continue
        }
        var j = j0
        while j < s.columns.upperBound {
            let n = s.columns.upperBound &- j
            let pre = load8(g + j, n) + load8(bias + j, n)
            // relu keeps NaN (x < 0 is false for NaN), as torch.relu does.
            let a = relu ? pre.replacing(with: zero, where: pre .< zero) : tanh8(pre)
            store8(g + j, a, n)
            store8(hn + j, a, n)
            store8(o + j, a, n)
            j &+= 8
        }
    }
}

/// One GRU step (PyTorch's r, z, n order): r = s(x_r + b_ir + hh_r + b_hr), z likewise,
/// n = tanh(x_n + b_in + r * (hh_n + b_hn)), h' = (1 - z) n + z h. `gates` [B, 3H] holds
/// x W_ih^T and is overwritten with r, z, n; `hh` [B, 3H] (ld 3H) holds h W_hh^T. Training
/// saves hh_n + b_hn to `hn` (ld `ldSaved`) and h before the step to `savedH`.
public func gruForwardStep(_ s: RecurrentStep, gates: UnsafeMutablePointer<Float>, ldGates: Int, hh: UnsafePointer<Float>,
                           biasIH: UnsafePointer<Float>, biasHH: UnsafePointer<Float>,
                           hPrev: UnsafePointer<Float>, hNext: UnsafeMutablePointer<Float>,
                           out: UnsafeMutablePointer<Float>, ldOut: Int, savedH: UnsafeMutablePointer<Float>?, ldSavedH: Int,
                           hn: UnsafeMutablePointer<Float>?, ldSaved: Int) {
    let H = s.hidden, j0 = s.j0, w = s.width
    for b in 0..<s.batch {
        let g = gates + b &* ldGates, q = hh + b &* (3 &* H), hp = hPrev + b &* s.stateStride, hb = hNext + b &* s.stateStride
        let o = out + b &* ldOut
        if let savedH { copyRow(savedH + (b &* ldSavedH &+ j0), hp + j0, w) }
        guard s.active(b) else {
            copyRow(hb + j0, hp + j0, w)
            zeroRow(o + j0, w)
            continue
        }
        var j = j0
        while j < s.columns.upperBound {
            let n = s.columns.upperBound &- j
            let r = sigmoid8(load8(g + j, n) + load8(biasIH + j, n) + load8(q + j, n) + load8(biasHH + j, n))
            let z = sigmoid8(load8(g + (H &+ j), n) + load8(biasIH + (H &+ j), n)
                                + load8(q + (H &+ j), n) + load8(biasHH + (H &+ j), n))
            let hnv = load8(q + (2 &* H &+ j), n) + load8(biasHH + (2 &* H &+ j), n)
            let nn = tanh8((load8(g + (2 &* H &+ j), n) + load8(biasIH + (2 &* H &+ j), n)).addingProduct(r, hnv))
            let hv = load8(hp + j, n)
            let hnew = nn.addingProduct(z, hv - nn)
            store8(g + j, r, n)
            store8(g + (H &+ j), z, n)
            store8(g + (2 &* H &+ j), nn, n)
            if let hn { store8(hn + (b &* ldSaved &+ j), hnv, n) }
            store8(hb + j, hnew, n)
            store8(o + j, hnew, n)
            j &+= 8
        }
    }
}

// MARK: - Backward

/// Zeroes the gate-gradient columns of `s.columns` in each of `gateCount` blocks of one row.
@inline(__always)
private func zeroGateRow(_ dg: UnsafeMutablePointer<Float>, _ s: RecurrentStep, _ gateCount: Int) {
    for k in 0..<gateCount { zeroRow(dg + (k &* s.hidden &+ s.j0), s.width) }
}

/// Backward of one LSTM step. `dh`, `dc` [B, H] carry the gradient of the state after the step
/// in and before it out (inactive rows pass through); `dOut` (nil: no output gradient) adds
/// the output's. Writes the pre-activation gate gradients to `dGates` (zero rows for inactive
/// rows) and sets dh of active rows to 0: the caller then adds dGates W_hh.
public func lstmBackwardStep(_ s: RecurrentStep, gates: UnsafePointer<Float>, ldGates: Int,
                             prevC: UnsafePointer<Float>, newC: UnsafePointer<Float>, ldSaved: Int,
                             dOut: UnsafePointer<Float>?, ldOut: Int,
                             dh: UnsafeMutablePointer<Float>, dc: UnsafeMutablePointer<Float>,
                             dGates: UnsafeMutablePointer<Float>, ldDGates: Int) {
    let H = s.hidden
    let one = SIMD8<Float>(repeating: 1)
    for b in 0..<s.batch {
        let dg = dGates + b &* ldDGates
        guard s.active(b) else { zeroGateRow(dg, s, 4); continue }
        let g = gates + b &* ldGates, cp = prevC + b &* ldSaved, cn = newC + b &* ldSaved
        let dhb = dh + b &* H, dcb = dc + b &* H
        let dob: UnsafePointer<Float>? = dOut.map { $0 + b &* ldOut }
        // forward: c = f c_prev + i g; h = o tanh(c)
        @inline(__always)
        func unit(_ j: Int, _ n: Int) {
            var dhv = load8(dhb + j, n)
            if let dob { dhv += load8(dob + j, n) }
            let i = load8(g + j, n), f = load8(g + (H &+ j), n)
            let gg = load8(g + (2 &* H &+ j), n), o = load8(g + (3 &* H &+ j), n)
            let tc = tanh8(load8(cn + j, n))
            let dcv = load8(dcb + j, n) + dhv * o * (one - tc * tc)
            store8(dg + j, dcv * gg * i * (one - i), n)
            store8(dg + (H &+ j), dcv * load8(cp + j, n) * f * (one - f), n)
            store8(dg + (2 &* H &+ j), dcv * i * (one - gg * gg), n)
            store8(dg + (3 &* H &+ j), dhv * tc * o * (one - o), n)
            store8(dcb + j, dcv * f, n)
            store8(dhb + j, SIMD8(), n)
        }
        var j = s.j0
        let end = s.columns.upperBound
        while j &+ 8 <= end {
            unit(j, 8)
            j &+= 8
        }
        if j < end { unit(j, end &- j) }
    }
}

/// Backward of one Elman RNN step; `act` [B, H] holds the step's outputs h. Same carry and
/// dGates conventions as `lstmBackwardStep`.
public func rnnBackwardStep(_ s: RecurrentStep, act: UnsafePointer<Float>, ldAct: Int, relu: Bool,
                            dOut: UnsafePointer<Float>?, ldOut: Int, dh: UnsafeMutablePointer<Float>,
                            dGates: UnsafeMutablePointer<Float>, ldDGates: Int) {
    let H = s.hidden
    let one = SIMD8<Float>(repeating: 1), zero = SIMD8<Float>()
    for b in 0..<s.batch {
        let dg = dGates + b &* ldDGates
        guard s.active(b) else { zeroGateRow(dg, s, 1); continue }
        let a = act + b &* ldAct, dhb = dh + b &* H
        let dob: UnsafePointer<Float>? = dOut.map { $0 + b &* ldOut }
        var j = s.j0
        while j < s.columns.upperBound {
            let n = s.columns.upperBound &- j
            // forward: h = tanh(pre) or relu(pre)
            var dhv = load8(dhb + j, n)
            if let dob { dhv += load8(dob + j, n) }
            let hv = load8(a + j, n)
            let d = relu ? dhv.replacing(with: zero, where: .!(hv .> zero)) : dhv * (one - hv * hv)
            store8(dg + j, d, n)
            store8(dhb + j, zero, n)
            j &+= 8
        }
    }
}

/// Backward of one GRU step. `gates` holds r, z, n; `hn` the saved hh_n + b_hn; `prevH` (row
/// b at prevH + b * ldPrevH) h before the step. Writes the gradients of the x-side
/// pre-activations to `dGx` and of the h-side ones (hh + b_hh) to `dGh` (they differ in the n
/// block: dGh_n = dGx_n * r), and leaves dh = dh' z for active rows: the caller then adds
/// dGh W_hh.
public func gruBackwardStep(_ s: RecurrentStep, gates: UnsafePointer<Float>, ldGates: Int,
                            hn: UnsafePointer<Float>, ldSaved: Int, prevH: UnsafePointer<Float>, ldPrevH: Int,
                            dOut: UnsafePointer<Float>?, ldOut: Int, dh: UnsafeMutablePointer<Float>,
                            dGx: UnsafeMutablePointer<Float>, dGh: UnsafeMutablePointer<Float>, ldDGates: Int) {
    let H = s.hidden
    let one = SIMD8<Float>(repeating: 1)
    for b in 0..<s.batch {
        let dx = dGx + b &* ldDGates, dq = dGh + b &* ldDGates
        guard s.active(b) else { zeroGateRow(dx, s, 3); zeroGateRow(dq, s, 3); continue }
        let g = gates + b &* ldGates, q = hn + b &* ldSaved, hp = prevH + b &* ldPrevH, dhb = dh + b &* H
        let dob: UnsafePointer<Float>? = dOut.map { $0 + b &* ldOut }
        var j = s.j0
        while j < s.columns.upperBound {
            let n = s.columns.upperBound &- j
            // forward: n = tanh(x_n + r hh_n); h' = (1 - z) n + z h
            var dhv = load8(dhb + j, n)
            if let dob { dhv += load8(dob + j, n) }
            let r = load8(g + j, n), z = load8(g + (H &+ j), n), nn = load8(g + (2 &* H &+ j), n)
            let dnp = dhv * (one - z) * (one - nn * nn)
            let dzp = dhv * (load8(hp + j, n) - nn) * z * (one - z)
            let drp = dnp * load8(q + j, n) * r * (one - r)
            store8(dx + j, drp, n)
            store8(dx + (H &+ j), dzp, n)
            store8(dx + (2 &* H &+ j), dnp, n)
            store8(dq + j, drp, n)
            store8(dq + (H &+ j), dzp, n)
            store8(dq + (2 &* H &+ j), dnp * r, n)
            store8(dhb + j, dhv * z, n)
            j &+= 8
        }
    }
}
