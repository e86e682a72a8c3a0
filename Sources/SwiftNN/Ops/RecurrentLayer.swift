// The fused recurrent layer: one layer (one or two directions) of an RNN/LSTM/GRU over a whole
// sequence, recorded as one autograd node whose pullback is the fused BPTT. Per direction:
// one sgemm for the input projection of all steps, one sgemm per step for the hidden
// projection, one SIMD gate loop per step; backward: one sgemm per step for dh, then dX, dW_ih
// and dW_hh as one sgemm each over all steps.
import CBLAS
import SwiftNNKernels

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

@inline(__always)
private func gemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
                  _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                  _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// Runs one layer over the whole sequence. `x` has T*B*I elements in `geo`'s layout; `h0`, `c0`
/// (nil: zeros) have D*B*H; `lengths` (validated to 1...T) marks padded steps, which leave the
/// state unchanged and output zeros. The three results are views of one packed tensor
/// [output | h_n | c_n] that carries the recorded node. The caller validated every shape; the
/// counts are checked again here because the kernels trust them.
func recurrentLayer(_ geo: RecurrentGeometry, x: Tensor, h0: Tensor?, c0: Tensor?, weights: [DirectionWeights],
                    lengths: [Int]?, outputShape: [Int], stateShape: [Int]) throws -> (output: Tensor, hN: Tensor, cN: Tensor?) {
    let fn = geo.mode.name
    let T = geo.steps, B = geo.batch, I = geo.inputSize, H = geo.hidden, D = geo.directions, GH = geo.gates, R = geo.rows
    let lstm = geo.mode == .lstm, gru = geo.mode == .gru
    let stateCount = D * B * H
    guard weights.count == D, x.count == R * I, h0.map({ $0.count == stateCount }) ?? true,
          c0.map({ $0.count == stateCount }) ?? true, lengths.map({ $0.count == B && $0.allSatisfy { $0 >= 1 && $0 <= T } }) ?? true,
          weights.allSatisfy({ $0.wih.count == GH * I && $0.whh.count == GH * H
              && ($0.bih?.count ?? GH) == GH && ($0.bhh?.count ?? GH) == GH }),
          try elementCount(outputShape, fn) == R * D * H, try elementCount(stateShape, fn) == stateCount else {
        throw SNNError(.internalError, "\(fn): layer called with inconsistent sizes (T \(T), B \(B), I \(I), H \(H), D \(D))")
    }
    let inputs = [x] + [h0, c0].compactMap { $0 } + weights.flatMap(\.all)
    let saving = GradMode.isEnabled && inputs.contains { $0.requiresGrad }
    let outCount = R * D * H
    let packed = try Tensor(empty: [outCount + stateCount * (lstm ? 2 : 1)], dtype: .float32, zeroed: false, fn)
    let out = packed.floats, hN = out + outCount, cN = hN + stateCount
    let lens = lengths ?? []
    let tS = geo.timeStride, bS = geo.batchStride

    var saved: [SavedStep] = []  // per direction, for the backward pass

    for (d, w) in weights.enumerated() {
        let P = try Tensor(empty: [R, GH], dtype: .float32, zeroed: false, fn)
        gemm(false, true, R, GH, I, x.floats, I, w.wih.floats, I, 0, P.floats, GH)
        let biasIH = try Tensor.zeros([GH]), biasHH = try Tensor.zeros([GH])
        if let b = w.bih { biasIH.floats.update(from: b.floats, count: GH) }
        if let b = w.bhh { biasHH.floats.update(from: b.floats, count: GH) }
        if !gru { axpy(biasIH.floats, biasHH.floats, GH) }  // one combined bias

        let h = hN + d * B * H, c = cN + d * B * H
        if let h0 { h.update(from: h0.floats + d * B * H, count: B * H) } else { h.update(repeating: 0, count: B * H) }
        if lstm {
            if let c0 { c.update(from: c0.floats + d * B * H, count: B * H) } else { c.update(repeating: 0, count: B * H) }
        }
        let prevH = saving ? try Tensor(empty: [R, H], dtype: .float32, zeroed: false, fn) : nil
        let prevC = saving && lstm ? try Tensor(empty: [R, H], dtype: .float32, zeroed: false, fn) : nil
        let newC = saving && lstm ? try Tensor(empty: [R, H], dtype: .float32, zeroed: false, fn) : nil
        let hnBuf = saving && gru ? try Tensor(empty: [R, H], dtype: .float32, zeroed: false, fn) : nil
        let hh = gru ? try Tensor(empty: [B, GH], dtype: .float32, zeroed: false, fn) : nil

        lens.withUnsafeBufferPointer { lp in
            let lengthsPtr = lengths == nil ? nil : lp.baseAddress
            for s in 0..<T {
                let t = d == 0 ? s : T - 1 - s
                let row = t * tS
                let g = P.floats + row * GH, ldG = bS * GH
                let o = out + row * D * H + d * H, ldO = bS * D * H
                let sv = row * H, ldS = bS * H
                switch geo.mode {
                case .lstm:
                    gemm(false, true, B, GH, H, h, H, w.whh.floats, H, 1, g, ldG)
                    lstmForwardStep(gates: g, ldGates: ldG, bias: biasIH.floats, h: h, c: c, out: o, ldOut: ldO,
                                    prevH: prevH.map { $0.floats + sv }, prevC: prevC.map { $0.floats + sv },
                                    newC: newC.map { $0.floats + sv }, ldSaved: ldS,
                                    lengths: lengthsPtr, t: t, batch: B, hidden: H)
                case .gru:
                    guard let hh else { return }
                    gemm(false, true, B, GH, H, h, H, w.whh.floats, H, 0, hh.floats, GH)
                    gruForwardStep(gates: g, ldGates: ldG, hh: hh.floats, biasIH: biasIH.floats, biasHH: biasHH.floats,
                                   h: h, out: o, ldOut: ldO, prevH: prevH.map { $0.floats + sv },
                                   hn: hnBuf.map { $0.floats + sv }, ldSaved: ldS,
                                   lengths: lengthsPtr, t: t, batch: B, hidden: H)
                case .rnnTanh, .rnnRelu:
                    gemm(false, true, B, GH, H, h, H, w.whh.floats, H, 1, g, ldG)
                    rnnForwardStep(gates: g, ldGates: ldG, bias: biasIH.floats, relu: geo.mode == .rnnRelu,
                                   h: h, out: o, ldOut: ldO, prevH: prevH.map { $0.floats + sv }, ldSaved: ldS,
                                   lengths: lengthsPtr, t: t, batch: B, hidden: H)
                }
            }
        }
        if saving { saved.append(SavedStep(gates: P, prevH: prevH, prevC: prevC, newC: newC, hn: hnBuf)) }
    }

    let savedSteps = saved
    let node = packed.recorded(geo.mode == .lstm ? "LSTMBackward" : geo.mode == .gru ? "GRUBackward" : "RNNBackward", inputs) { gp in
        // forward: per step h, c = cell(x_t W_ih^T + b_ih + h W_hh^T + b_hh, c); output_t = h
        try recurrentLayerBackward(geo, gp, x: x, h0: h0, c0: c0, weights: weights, lengths: lengths, saved: savedSteps)
    }
    let output = try unpack(node, offset: 0, shape: outputShape, name: "RecurrentOutputBackward")
    let hState = try unpack(node, offset: outCount, shape: stateShape, name: "RecurrentHiddenBackward")
    let cState = lstm ? try unpack(node, offset: outCount + stateCount, shape: stateShape, name: "RecurrentCellBackward") : nil
    return (output, hState, cState)
}

/// What the forward pass kept for one direction (all steps).
struct SavedStep {
    let gates: Tensor    // [R, G*H] activations
    let prevH: Tensor?   // [R, H] h before each step
    let prevC: Tensor?   // LSTM: c before each step
    let newC: Tensor?    // LSTM: c after each step
    let hn: Tensor?      // GRU: hh_n + b_hn
}

/// The fused BPTT: gradients of x, h0, c0 and every weight from the packed output gradient
/// [d output | d h_n | d c_n], in the order the node recorded its inputs.
private func recurrentLayerBackward(_ geo: RecurrentGeometry, _ gp: Tensor, x: Tensor, h0: Tensor?, c0: Tensor?,
                                    weights: [DirectionWeights], lengths: [Int]?, saved: [SavedStep]) throws -> [Tensor?] {
    let fn = geo.mode.name + "_backward"
    let T = geo.steps, B = geo.batch, I = geo.inputSize, H = geo.hidden, D = geo.directions, GH = geo.gates, R = geo.rows
    let lstm = geo.mode == .lstm, gru = geo.mode == .gru
    let tS = geo.timeStride, bS = geo.batchStride
    let stateCount = D * B * H
    guard saved.count == D, gp.count == R * D * H + stateCount * (lstm ? 2 : 1) else {
        throw SNNError(.internalError, "\(fn): saved state does not match the layer")
    }
    let dOut = gp.floats, dhN = dOut + R * D * H, dcN = dhN + stateCount
    let dx = x.requiresGrad ? try Tensor(empty: x.shape, dtype: .float32, zeroed: true, fn) : nil
    let dh0 = h0?.requiresGrad == true ? try Tensor(empty: h0?.shape ?? [], dtype: .float32, zeroed: false, fn) : nil
    let dc0 = c0?.requiresGrad == true ? try Tensor(empty: c0?.shape ?? [], dtype: .float32, zeroed: false, fn) : nil
    var weightGrads: [Tensor?] = []
    let lens = lengths ?? []

    // With padding, the x rows of padded steps must not reach dW_ih (0 * NaN padding is NaN):
    // the product uses a copy whose padded rows are zero.
    var xm = x
    if let lengths, weights.contains(where: { $0.wih.requiresGrad }) {
        xm = try x.clone()
        for b in 0..<B where lengths[b] < T {
            for t in lengths[b]..<T { (xm.floats + (t * tS + b * bS) * I).update(repeating: 0, count: I) }
        }
    }

    for (d, w) in weights.enumerated() {
        let sv = saved[d]
        let dG = try Tensor(empty: [R, GH], dtype: .float32, zeroed: false, fn)
        let dGh = gru ? try Tensor(empty: [R, GH], dtype: .float32, zeroed: false, fn) : dG
        let dh = try Tensor(empty: [B, H], dtype: .float32, zeroed: false, fn)
        dh.floats.update(from: dhN + d * B * H, count: B * H)
        let dc = try Tensor(empty: [B, H], dtype: .float32, zeroed: false, fn)
        if lstm { dc.floats.update(from: dcN + d * B * H, count: B * H) }
        guard let prevH = sv.prevH else { throw SNNError(.internalError, "\(fn): forward did not save states") }

        try lens.withUnsafeBufferPointer { lp in
            let lengthsPtr = lengths == nil ? nil : lp.baseAddress
            for s in 0..<T {
                let t = d == 0 ? T - 1 - s : s
                let row = t * tS
                let g = sv.gates.floats + row * GH, ldG = bS * GH
                let o = dOut + row * D * H + d * H, ldO = bS * D * H
                let so = row * H, ldS = bS * H
                switch geo.mode {
                case .lstm:
                    guard let prevC = sv.prevC, let newC = sv.newC else { throw SNNError(.internalError, "\(fn): missing cell states") }
                    lstmBackwardStep(gates: g, ldGates: ldG, prevC: prevC.floats + so, newC: newC.floats + so, ldSaved: ldS,
                                     dOut: o, ldOut: ldO, dh: dh.floats, dc: dc.floats, dGates: dG.floats + row * GH, ldDGates: ldG,
                                     lengths: lengthsPtr, t: t, batch: B, hidden: H)
                case .gru:
                    guard let hn = sv.hn else { throw SNNError(.internalError, "\(fn): missing GRU states") }
                    gruBackwardStep(gates: g, ldGates: ldG, hn: hn.floats + so, prevH: prevH.floats + so, ldSaved: ldS,
                                    dOut: o, ldOut: ldO, dh: dh.floats, dGx: dG.floats + row * GH, dGh: dGh.floats + row * GH,
                                    ldDGates: ldG, lengths: lengthsPtr, t: t, batch: B, hidden: H)
                case .rnnTanh, .rnnRelu:
                    rnnBackwardStep(act: g, ldAct: ldG, relu: geo.mode == .rnnRelu, dOut: o, ldOut: ldO, dh: dh.floats,
                                    dGates: dG.floats + row * GH, ldDGates: ldG, lengths: lengthsPtr, t: t, batch: B, hidden: H)
                }
                // dh_prev += dGh_t W_hh (one sgemm per step)
                gemm(false, false, B, H, GH, dGh.floats + row * GH, ldG, w.whh.floats, H, 1, dh.floats, H)
            }
        }
        if let dx { gemm(false, false, R, I, GH, dG.floats, GH, w.wih.floats, I, 1, dx.floats, I) }
        var dWih: Tensor? = nil, dWhh: Tensor? = nil, dbih: Tensor? = nil, dbhh: Tensor? = nil
        if w.wih.requiresGrad {
            let t = try Tensor(empty: w.wih.shape, dtype: .float32, zeroed: false, fn)
            gemm(true, false, GH, I, R, dG.floats, GH, xm.floats, I, 0, t.floats, I)
            dWih = t
        }
        if w.whh.requiresGrad {
            let t = try Tensor(empty: w.whh.shape, dtype: .float32, zeroed: false, fn)
            gemm(true, false, GH, H, R, dGh.floats, GH, prevH.floats, H, 0, t.floats, H)
            dWhh = t
        }
        if let b = w.bih, b.requiresGrad {
            let t = try Tensor(empty: b.shape, dtype: .float32, zeroed: true, fn)
            addRowSums(t.floats, dG.floats, rows: R, cols: GH, ld: GH)
            dbih = t
        }
        if let b = w.bhh, b.requiresGrad {
            let t = try Tensor(empty: b.shape, dtype: .float32, zeroed: true, fn)
            addRowSums(t.floats, dGh.floats, rows: R, cols: GH, ld: GH)
            dbhh = t
        }
        if let dh0 { (dh0.floats + d * B * H).update(from: dh.floats, count: B * H) }
        if let dc0 { (dc0.floats + d * B * H).update(from: dc.floats, count: B * H) }
        weightGrads += [dWih, dWhh] + (w.bih == nil ? [] : [dbih]) + (w.bhh == nil ? [] : [dbhh])
    }
    return [dx] + (h0 == nil ? [] : [dh0]) + (c0 == nil ? [] : [dc0]) + weightGrads
}

/// A view of `count(shape)` elements of `packed` from `offset`, whose gradient flows back into
/// the packed tensor (zeros elsewhere).
private func unpack(_ packed: Tensor, offset: Int, shape: [Int], name: String) throws -> Tensor {
    let n = try elementCount(shape, name)
    guard offset >= 0, offset + n <= packed.count else {
        throw SNNError(.internalError, "\(name): view [\(offset), \(offset + n)) outside \(packed.count) elements")
    }
    let v = Tensor(shape: shape, dtype: .float32, storage: packed.storage, offset: packed.offset + offset, count: n)
    return v.recorded(name, [packed]) { g in
        // forward: v = packed[offset ..< offset + n]
        let full = try Tensor(empty: [packed.count], dtype: .float32, zeroed: true, name)
        (full.floats + offset).update(from: g.floats, count: n)
        return [full]
    }
}
