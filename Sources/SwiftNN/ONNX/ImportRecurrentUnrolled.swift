// ONNX LSTM with peepholes (input P) and GRU with linear_before_reset = 0, which the engine's
// fused recurrent layers (PyTorch's cells) cannot express: unrolled over time from engine ops
// (matmul, sigmoid, tanh, mul, add), so they run and differentiate like any other graph. The
// equations are ONNX's, with its gate order (LSTM i, o, f, c; GRU z, r, h) kept as it is.

/// The recurrence of one unrolled node: which cell, and the node's attributes as checked by
/// `compileRecurrent`.
struct UnrolledRecurrence {
    let cell: RecurrentMode          // .lstm or .gru
    let directions: [Bool]           // per direction: runs in reverse
    let batchFirst: Bool             // layout 1
    let outputs: Int                 // how many of Y, Y_h, Y_c the node names
    let op: String
}

/// An ONNX LSTM or GRU node's kernel, unrolled; inputs X, W, R, B, sequence_lens, initial_h,
/// initial_c (LSTM), P (LSTM).
func unrolledRecurrentKernel(_ u: UnrolledRecurrence) -> ImportKernel {
    { xs in
        let op = u.op, D = u.directions.count, G = u.cell == .lstm ? 4 : 3
        var x = try input(xs, 0, "X")
        let w = try input(xs, 1, "W"), r = try input(xs, 2, "R")
        guard x.rank == 3, w.rank == 3, r.rank == 3, w.shape[0] == D, r.shape[0] == D, r.shape[2] >= 1,
              r.shape[1] == G * r.shape[2], w.shape[1] == G * r.shape[2] else {
            throw SNNError.shape("\(op): X \(fmt(x.shape)), W \(fmt(w.shape)) and R \(fmt(r.shape)) must be 3-D, [\(D), \(G)*H, I] and [\(D), \(G)*H, H]")
        }
        if u.batchFirst { x = try permute(x, [1, 0, 2]) }            // [T, B, I]
        let (T, B, H) = (x.shape[0], x.shape[1], r.shape[2])
        guard x.shape[2] == w.shape[2] else { throw SNNError.shape("\(op): X \(fmt(x.shape)) has \(x.shape[2]) features, W \(fmt(w.shape)) expects \(w.shape[2])") }
        let bias = optionalInput(xs, 3)
        if let bias, bias.shape != [D, 2 * G * H] { throw SNNError.shape("\(op): B must be [\(D), \(2 * G * H)], got \(fmt(bias.shape))") }
        let peep = u.cell == .lstm ? optionalInput(xs, 7) : nil
        if let peep, peep.shape != [D, 3 * H] { throw SNNError.shape("\(op): P must be [\(D), \(3 * H)], got \(fmt(peep.shape))") }
        // Steps t >= sequence_lens[b] leave batch b's state alone and output zeros.
        let mask = try optionalInput(xs, 4).map { try stepMask($0, steps: T, batch: B, op) }
        func state(_ i: Int) throws -> Tensor? {
            guard let s = optionalInput(xs, i) else { return nil }
            let sd = u.batchFirst ? try permute(s, [1, 0, 2]) : s        // [D, B, H]
            guard sd.shape == [D, B, H] else { throw SNNError.shape("\(op): initial state \(i) has shape \(fmt(s.shape)), expected \(u.batchFirst ? [B, D, H] : [D, B, H])") }
            return sd
        }
        let h0 = try state(5), c0 = u.cell == .lstm ? try state(6) : nil
        var ys: [Tensor] = [], hs: [Tensor] = [], cs: [Tensor] = []
        for d in 0..<D {
            func gate(_ t: Tensor, _ g: Int) throws -> Tensor { try slice(t, dim: -1, start: g * H, end: (g + 1) * H) }
            let wd = try select(w, dim: 0, index: d), rd = try select(r, dim: 0, index: d)
            // X W^T (+ Wb, and for the gates that allow it Rb) for every step at once: [T, B, G*H].
            var xw = try matmul(x, try transpose(wd, 0, 1))
            var rb: Tensor? = nil
            if let bias {
                let bd = try select(bias, dim: 0, index: d)
                let wb = try slice(bd, dim: 0, end: G * H), rbd = try slice(bd, dim: 0, start: G * H)
                xw = try add(xw, wb)
                rb = rbd
            }
            let rt = try transpose(rd, 0, 1)                                  // [H, G*H]
            var h = try h0.map { try select($0, dim: 0, index: d) } ?? Tensor.zeros([B, H])
            var c = try c0.map { try select($0, dim: 0, index: d) } ?? Tensor.zeros([B, H])
            let p = try peep.map { try select($0, dim: 0, index: d) }
            var out = [Tensor?](repeating: nil, count: T)
            for t in (u.directions[d] ? Array((0..<T).reversed()) : Array(0..<T)) {
                let xt = try select(xw, dim: 0, index: t)
                var hNew: Tensor, cNew: Tensor? = nil
                if u.cell == .lstm {
                    var hr = try matmul(h, rt)
                    if let rb { hr = try add(hr, rb) }
                    let pre = try add(xt, hr)
                    var i = try gate(pre, 0), f = try gate(pre, 2)
                    if let p {
                        i = try add(i, try mul(try gate(p, 0), c))
                        f = try add(f, try mul(try gate(p, 2), c))
                    }
                    let cc = try add(try mul(try sigmoid(f), c), try mul(try sigmoid(i), try tanh(try gate(pre, 3))))
                    var o = try gate(pre, 1)
                    if let p { o = try add(o, try mul(try gate(p, 1), cc)) }
                    hNew = try mul(try sigmoid(o), try tanh(cc))
                    cNew = cc
                } else {
                    let rz = try slice(rt, dim: 1, end: 2 * H), rh = try slice(rt, dim: 1, start: 2 * H)
                    var hzr = try matmul(h, rz)
                    if let rb { hzr = try add(hzr, try slice(rb, dim: 0, end: 2 * H)) }
                    let z = try sigmoid(try add(try gate(xt, 0), try gate(hzr, 0)))
                    let rg = try sigmoid(try add(try gate(xt, 1), try gate(hzr, 1)))
                    let rbh = try rb.map { try slice($0, dim: 0, start: 2 * H) }
                    // (rt . H) Rh^T + Rbh: the reset gate before the linear map (linear_before_reset = 0)
                    var recurrent = try matmul(try mul(rg, h), rh)
                    if let rbh { recurrent = try add(recurrent, rbh) }
                    let n = try tanh(try add(try gate(xt, 2), recurrent))
                    // (1 - z) . n + z . H  =  n + z . (H - n)
                    hNew = try add(n, try mul(z, try sub(h, n)))
                }
                if let mask {
                    let m = try select(mask, dim: 0, index: t)              // [B, 1]
                    out[t] = try mul(hNew, m)
                    h = try add(h, try mul(m, try sub(hNew, h)))
                    if let cNew { c = try add(c, try mul(m, try sub(cNew, c))) }
                } else {
                    out[t] = hNew
                    h = hNew
                    if let cNew { c = cNew }
                }
            }
            ys.append(try stack(out.compactMap { $0 }, dim: 0))              // [T, B, H]
            hs.append(h)
            cs.append(c)
        }
        var y = try stack(ys, dim: 1)                                         // [T, D, B, H]
        var yh = try stack(hs, dim: 0), yc = try stack(cs, dim: 0)           // [D, B, H]
        if u.batchFirst {
            y = try permute(y, [2, 0, 1, 3])                                  // [B, T, D, H]
            yh = try permute(yh, [1, 0, 2])
            yc = try permute(yc, [1, 0, 2])
        }
        return Array((u.cell == .lstm ? [y, yh, yc] : [y, yh]).prefix(Swift.max(1, u.outputs)))
    }
}

/// [T, B, 1] float32: 1 where step t < sequence_lens[b], else 0.
private func stepMask(_ lens: Tensor, steps: Int, batch: Int, _ op: String) throws -> Tensor {
    let l = lens.dtype == .int64 ? lens : try truncatedInt64(lens)
    guard l.shape == [batch] else { throw SNNError.shape("\(op): sequence_lens has shape \(fmt(lens.shape)), expected [\(batch)]") }
    let v = (0..<batch).map { Int(l.int64s[$0]) }
    guard v.allSatisfy({ $0 >= 0 && $0 <= steps }) else {
        throw SNNError.invalid("\(op): sequence_lens \(v) must lie in 0...\(steps)")
    }
    var m = [Float](repeating: 0, count: steps * batch)
    for t in 0..<steps { for b in 0..<batch where t < v[b] { m[t * batch + b] = 1 } }
    return try Tensor(m, shape: [steps, batch, 1])
}
