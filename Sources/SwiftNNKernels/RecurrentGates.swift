// Fused per-time-step gate loops of the recurrent layers (RNN tanh/relu, LSTM, GRU): gate
// nonlinearities, cell update and the state copy for backward in one SIMD pass over each batch
// row, and the matching backward passes. Callers (Ops/RecurrentLayer.swift) validate every
// size and pointer; row b of a matrix argument starts at `pointer + b * ld`.

/// Whether batch row `b` takes part in time step `t` (all rows do without lengths).
@inline(__always)
func active(_ lengths: UnsafePointer<Int>?, _ b: Int, _ t: Int) -> Bool {
    guard let lengths else { return true }
    return t < lengths[b]
}

@inline(__always)
func zeroRow(_ p: UnsafeMutablePointer<Float>, _ n: Int) {
    p.update(repeating: 0, count: n)
}

// MARK: - Forward

/// One LSTM step. `gates` [B, 4H] holds x W_ih^T + h W_hh^T (gate order i, f, g, o) and is
/// overwritten with the activations; `bias` [4H] is b_ih + b_hh. `h`, `c` [B, H] (ld H) are the
/// state, updated in place for active rows; `out` gets h (zeros for inactive rows). When
/// `prevH`/`prevC`/`newC` are given (training), the state before and c after the step are
/// saved there for the backward pass.
public func lstmForwardStep(gates: UnsafeMutablePointer<Float>, ldGates: Int, bias: UnsafePointer<Float>,
                            h: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>,
                            out: UnsafeMutablePointer<Float>, ldOut: Int,
                            prevH: UnsafeMutablePointer<Float>?, prevC: UnsafeMutablePointer<Float>?,
                            newC: UnsafeMutablePointer<Float>?, ldSaved: Int,
                            lengths: UnsafePointer<Int>?, t: Int, batch: Int, hidden: Int) {
    let H = hidden
    for b in 0..<batch {
        let g = gates + b &* ldGates, hb = h + b &* H, cb = c + b &* H, o = out + b &* ldOut
        if let prevH { (prevH + b &* ldSaved).update(from: hb, count: H) }
        if let prevC { (prevC + b &* ldSaved).update(from: cb, count: H) }
        guard active(lengths, b, t) else {
            zeroRow(o, H)
            if let newC { (newC + b &* ldSaved).update(from: cb, count: H) }
            continue
        }
        var j = 0
        while j < H {
            let n = H &- j
            let i = fastSigmoid(load8(g + j, n) + load8(bias + j, n))
            let f = fastSigmoid(load8(g + (H &+ j), n) + load8(bias + (H &+ j), n))
            let gg = fastTanh(load8(g + (2 &* H &+ j), n) + load8(bias + (2 &* H &+ j), n))
            let og = fastSigmoid(load8(g + (3 &* H &+ j), n) + load8(bias + (3 &* H &+ j), n))
            let cn = (i * gg).addingProduct(f, load8(cb + j, n))
            let hn = og * fastTanh(cn)
            store8(g + j, i, n)
            store8(g + (H &+ j), f, n)
            store8(g + (2 &* H &+ j), gg, n)
            store8(g + (3 &* H &+ j), og, n)
            store8(cb + j, cn, n)
            store8(hb + j, hn, n)
            store8(o + j, hn, n)
            if let newC { store8(newC + (b &* ldSaved &+ j), cn, n) }
            j &+= 8
        }
    }
}

/// One Elman RNN step: h = act(gates + bias) with act tanh or relu. `gates` [B, H] holds
/// x W_ih^T + h W_hh^T and is overwritten with h (the backward pass reads act' from it).
public func rnnForwardStep(gates: UnsafeMutablePointer<Float>, ldGates: Int, bias: UnsafePointer<Float>, relu: Bool,
                           h: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>, ldOut: Int,
                           prevH: UnsafeMutablePointer<Float>?, ldSaved: Int,
                           lengths: UnsafePointer<Int>?, t: Int, batch: Int, hidden: Int) {
    let H = hidden
    let zero = SIMD8<Float>()
    for b in 0..<batch {
        let g = gates + b &* ldGates, hb = h + b &* H, o = out + b &* ldOut
        if let prevH { (prevH + b &* ldSaved).update(from: hb, count: H) }
        guard active(lengths, b, t) else { zeroRow(o, H); continue }
        var j = 0
        while j < H {
            let n = H &- j
            let pre = load8(g + j, n) + load8(bias + j, n)
            // relu keeps NaN (x < 0 is false for NaN), as torch.relu does.
            let a = relu ? pre.replacing(with: zero, where: pre .< zero) : fastTanh(pre)
            store8(g + j, a, n)
            store8(hb + j, a, n)
            store8(o + j, a, n)
            j &+= 8
        }
    }
}

/// One GRU step (PyTorch's r, z, n order): r = s(x_r + b_ir + hh_r + b_hr), z likewise,
/// n = tanh(x_n + b_in + r * (hh_n + b_hn)), h' = (1 - z) n + z h. `gates` [B, 3H] holds
/// x W_ih^T and is overwritten with r, z, n; `hh` [B, 3H] (ld 3H) holds h W_hh^T. With `hn`
/// (training), hh_n + b_hn is saved per row; `prevH` saves h before the step.
public func gruForwardStep(gates: UnsafeMutablePointer<Float>, ldGates: Int, hh: UnsafePointer<Float>,
                           biasIH: UnsafePointer<Float>, biasHH: UnsafePointer<Float>,
                           h: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>, ldOut: Int,
                           prevH: UnsafeMutablePointer<Float>?, hn: UnsafeMutablePointer<Float>?, ldSaved: Int,
                           lengths: UnsafePointer<Int>?, t: Int, batch: Int, hidden: Int) {
    let H = hidden
    for b in 0..<batch {
        let g = gates + b &* ldGates, q = hh + b &* (3 &* H), hb = h + b &* H, o = out + b &* ldOut
        if let prevH { (prevH + b &* ldSaved).update(from: hb, count: H) }
        guard active(lengths, b, t) else { zeroRow(o, H); continue }
        var j = 0
        while j < H {
            let n = H &- j
            let r = fastSigmoid(load8(g + j, n) + load8(biasIH + j, n) + load8(q + j, n) + load8(biasHH + j, n))
            let z = fastSigmoid(load8(g + (H &+ j), n) + load8(biasIH + (H &+ j), n)
                                + load8(q + (H &+ j), n) + load8(biasHH + (H &+ j), n))
            let hnv = load8(q + (2 &* H &+ j), n) + load8(biasHH + (2 &* H &+ j), n)
            let nn = fastTanh((load8(g + (2 &* H &+ j), n) + load8(biasIH + (2 &* H &+ j), n)).addingProduct(r, hnv))
            let hp = load8(hb + j, n)
            let hnew = nn.addingProduct(z, hp - nn)
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

/// Backward of one LSTM step. `dh`, `dc` [B, H] carry the gradient of the state after the step
/// in and before it out (inactive rows pass through); `dOut` (nil: no output gradient) adds
/// the output's. Writes the pre-activation gate gradients to `dGates` (zero rows for inactive
/// rows) and sets dh of active rows to 0: the caller then adds dGates W_hh.
public func lstmBackwardStep(gates: UnsafePointer<Float>, ldGates: Int,
                             prevC: UnsafePointer<Float>, newC: UnsafePointer<Float>, ldSaved: Int,
                             dOut: UnsafePointer<Float>?, ldOut: Int,
                             dh: UnsafeMutablePointer<Float>, dc: UnsafeMutablePointer<Float>,
                             dGates: UnsafeMutablePointer<Float>, ldDGates: Int,
                             lengths: UnsafePointer<Int>?, t: Int, batch: Int, hidden: Int) {
    let H = hidden
    let one = SIMD8<Float>(repeating: 1)
    for b in 0..<batch {
        let dg = dGates + b &* ldDGates
        guard active(lengths, b, t) else { zeroRow(dg, 4 &* H); continue }
        let g = gates + b &* ldGates, cp = prevC + b &* ldSaved, cn = newC + b &* ldSaved
        let dhb = dh + b &* H, dcb = dc + b &* H
        let dob: UnsafePointer<Float>? = dOut.map { $0 + b &* ldOut }
        var j = 0
        while j < H {
            let n = H &- j
            // forward: c = f c_prev + i g; h = o tanh(c)
            var dhv = load8(dhb + j, n)
            if let dob { dhv += load8(dob + j, n) }
            let i = load8(g + j, n), f = load8(g + (H &+ j), n)
            let gg = load8(g + (2 &* H &+ j), n), o = load8(g + (3 &* H &+ j), n)
            let tc = fastTanh(load8(cn + j, n))
            let dcv = load8(dcb + j, n) + dhv * o * (one - tc * tc)
            store8(dg + j, dcv * gg * i * (one - i), n)
            store8(dg + (H &+ j), dcv * load8(cp + j, n) * f * (one - f), n)
            store8(dg + (2 &* H &+ j), dcv * i * (one - gg * gg), n)
            store8(dg + (3 &* H &+ j), dhv * tc * o * (one - o), n)
            store8(dcb + j, dcv * f, n)
            store8(dhb + j, SIMD8(), n)
            j &+= 8
        }
    }
}

/// Backward of one Elman RNN step; `act` [B, H] holds the step's outputs h. Same carry and
/// dGates conventions as `lstmBackwardStep`.
public func rnnBackwardStep(act: UnsafePointer<Float>, ldAct: Int, relu: Bool,
                            dOut: UnsafePointer<Float>?, ldOut: Int, dh: UnsafeMutablePointer<Float>,
                            dGates: UnsafeMutablePointer<Float>, ldDGates: Int,
                            lengths: UnsafePointer<Int>?, t: Int, batch: Int, hidden: Int) {
    let H = hidden
    let one = SIMD8<Float>(repeating: 1), zero = SIMD8<Float>()
    for b in 0..<batch {
        let dg = dGates + b &* ldDGates
        guard active(lengths, b, t) else { zeroRow(dg, H); continue }
        let a = act + b &* ldAct, dhb = dh + b &* H
        let dob: UnsafePointer<Float>? = dOut.map { $0 + b &* ldOut }
        var j = 0
        while j < H {
            let n = H &- j
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

/// Backward of one GRU step. `gates` holds r, z, n; `hn` the saved hh_n + b_hn; `prevH` h
/// before the step. Writes the gradients of the x-side pre-activations to `dGx` and of the
/// h-side ones (hh + b_hh) to `dGh` (they differ in the n block: dGh_n = dGx_n * r), and leaves
/// dh = dh' z for active rows: the caller then adds dGh W_hh.
public func gruBackwardStep(gates: UnsafePointer<Float>, ldGates: Int,
                            hn: UnsafePointer<Float>, prevH: UnsafePointer<Float>, ldSaved: Int,
                            dOut: UnsafePointer<Float>?, ldOut: Int, dh: UnsafeMutablePointer<Float>,
                            dGx: UnsafeMutablePointer<Float>, dGh: UnsafeMutablePointer<Float>, ldDGates: Int,
                            lengths: UnsafePointer<Int>?, t: Int, batch: Int, hidden: Int) {
    let H = hidden
    let one = SIMD8<Float>(repeating: 1)
    for b in 0..<batch {
        let dx = dGx + b &* ldDGates, dq = dGh + b &* ldDGates
        guard active(lengths, b, t) else { zeroRow(dx, 3 &* H); zeroRow(dq, 3 &* H); continue }
        let g = gates + b &* ldGates, q = hn + b &* ldSaved, hp = prevH + b &* ldSaved, dhb = dh + b &* H
        let dob: UnsafePointer<Float>? = dOut.map { $0 + b &* ldOut }
        var j = 0
        while j < H {
            let n = H &- j
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

/// dst[0..<cols] += sum of the `rows` rows of src (row r at src + r * ld): bias gradients.
public func addRowSums(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, rows: Int, cols: Int, ld: Int) {
    for r in 0..<rows { axpy(dst, src + r &* ld, cols) }
}
