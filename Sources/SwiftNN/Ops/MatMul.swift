// Matrix products through cblas_sgemm (dgemm for float64) with torch.matmul's semantics: 1-D operands are promoted
// and the added dimension removed, batch dimensions broadcast. The pullbacks are matmuls with
// transposed operands (passed to BLAS as flags, never copied), and so are operands that are
// transposed views of contiguous matrices (x @ W.t()).
import CBLAS

/// Product of the last two dimensions of `a` and `b` (optionally transposed) with broadcast
/// batch dimensions. Both operands have rank >= 2 and one dtype, float32 or float64.
func batchedGemm(_ a: Tensor, transA: Bool, _ b: Tensor, transB: Bool, _ fn: String) throws -> Tensor {
    let ra = a.shape[a.rank - 2], ca = a.shape[a.rank - 1]
    let rb = b.shape[b.rank - 2], cb = b.shape[b.rank - 1]
    let (n, k) = transA ? (ca, ra) : (ra, ca)
    let (k2, m) = transB ? (cb, rb) : (rb, cb)
    guard k == k2 else {
        throw SNNError.shape("\(fn): shapes \(fmt(a.shape)) and \(fmt(b.shape)) cannot be multiplied (\(n)x\(k) and \(k2)x\(m))")
    }
    let limit = Int(Int32.max)
    guard n <= limit, k <= limit, m <= limit else {
        throw SNNError.range("\(fn): matrix dimensions \(n)x\(k)x\(m) exceed BLAS's 32-bit limit")
    }
    let batchA = Array(a.shape.dropLast(2)), batchB = Array(b.shape.dropLast(2))
    let batch = try broadcastShapes(batchA, batchB, fn)
    let out = try Tensor(empty: batch + [n, m], dtype: a.dtype, zeroed: k == 0, fn)
    if out.count == 0 || k == 0 { return out }
    /// One product of `rows` rows at element offsets into a, b and out: sgemm for float32,
    /// OpenBLAS's dgemm for float64 (the same row-major call).
    func product(_ rows: Int, _ offA: Int, _ offB: Int, _ offC: Int) {
        if a.dtype == .float64 {
            cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                        Int32(rows), Int32(m), Int32(k), 1, a.doubles + offA, Int32(ca), b.doubles + offB, Int32(cb),
                        0, out.doubles + offC, Int32(m))
        } else {
            sgemm(transA, transB, rows, m, k, a.floats + offA, lda: ca, b.floats + offB, ldb: cb, beta: 0,
                  out.floats + offC, ldc: m)
        }
    }
    let batches = batch.reduce(1, *)
    let sa = batchStrides(batchA, batch, ra * ca), sb = batchStrides(batchB, batch, rb * cb)
    // One big GEMM when b is shared by every batch and a is untransposed: rows stack. Only
    // while the stacked row count fits BLAS's 32 bits (Int32() would trap: a [65536, 32769, 1]
    // @ [1, 1] product is 8 GB, possible on a big machine); otherwise one GEMM per batch.
    if batches > 1 && !transA && batches * n <= limit && sb.allSatisfy({ $0 == 0 })
        && sa == contiguousStrides(batch).map({ $0 * ra * ca }) {
        product(batches * n, 0, 0, 0)
        return out
    }
    var ia = [Int](repeating: 0, count: batch.count)
    for bi in 0..<batches {
        var rem = bi, offA = 0, offB = 0
        for d in stride(from: batch.count - 1, through: 0, by: -1) {
            ia[d] = rem % batch[d]
            rem /= batch[d]
            offA += ia[d] * sa[d]
            offB += ia[d] * sb[d]
        }
        product(n, offA, offB, bi * n * m)
    }
    return out
}

/// Element strides of each batch dimension of an operand whose batch shape broadcasts to `batch`.
private func batchStrides(_ own: [Int], _ batch: [Int], _ matrixSize: Int) -> [Int] {
    broadcastStrides(own, to: batch).map { $0 * matrixSize }
}

/// torch.matmul.
public func matmul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    let fn = "matmul"
    guard a.dtype == b.dtype, a.dtype.isFloatingPoint else {
        throw SNNError.dtype("\(fn): operands have dtypes \(a.dtype.name) and \(b.dtype.name), expected one floating dtype (float32 or float64), as PyTorch")
    }
    guard a.rank >= 1, b.rank >= 1 else {
        throw SNNError.shape("\(fn): both arguments need at least 1 dimension, got shapes \(fmt(a.shape)) and \(fmt(b.shape))")
    }
    let a2 = a.rank == 1 ? try a.view(as: [1, a.shape[0]]) : a
    let b2 = b.rank == 1 ? try b.view(as: [b.shape[0], 1]) : b
    let at = transposedStack(a2), bt = transposedStack(b2)
    let out2 = try batchedGemm(at ?? a2, transA: at != nil, bt ?? b2, transB: bt != nil, fn)
    var outShape = out2.shape
    if b.rank == 1 { outShape.removeLast() }
    if a.rank == 1 { outShape.remove(at: outShape.count - (b.rank == 1 ? 1 : 2)) }
    let out = try out2.view(as: outShape)
    return out.traced(.matmul, [a, b]).recorded("MmBackward", [a, b], readsOutput: false) { g in
        // forward: out = a @ b  =>  ga = g @ b^T, gb = a^T @ g (summed over broadcast batches)
        let g2 = try g.view(as: out2.shape)
        let ga = a.requiresGrad
            ? try sumTo(try batchedGemm(g2, transA: false, bt ?? b2, transB: bt == nil, "matmul_backward"), a2.shape).view(as: a.shape) : nil
        let gb = b.requiresGrad
            ? try sumTo(try batchedGemm(at ?? a2, transA: at == nil, g2, transB: false, "matmul_backward"), b2.shape).view(as: b.shape) : nil
        return [ga, gb]
    }
}

/// `t` as the transpose of a row-major stack of matrices it views (x.t(), W.T, x.transpose(-1,
/// -2) of a contiguous tensor): that stack, for BLAS to read with its transpose flag. Read as
/// the view, `t` is a packed copy: `x @ W.t()` with a 512 x 3136 weight spent 4 ms copying
/// and then multiplied down the copy's columns (2.2-3x PyTorch's time; linear() 0.5 ms).
private func transposedStack(_ t: Tensor) -> Tensor? {
    let r = t.rank
    guard r >= 2, !t.isContiguous else { return nil }
    let rows = t.shape[r - 2], cols = t.shape[r - 1]
    guard rows > 1, cols > 1, t.strides[r - 2] == 1, t.strides[r - 1] == rows else { return nil }
    var shape = t.shape
    (shape[r - 2], shape[r - 1]) = (cols, rows)
    let strides = contiguousStrides(shape)
    guard Array(t.strides.dropLast(2)) == Array(strides.dropLast(2)) else { return nil }
    return t.restrided(shape, strides, offset: t.offset)
}

// MARK: - registry

extension OpDef {
    static let matmul = OpDef("matmul", c: "snn_tensor_matmul", python: "matmul",
                              export: { b, r in
                                  let x = try b.value(try r.input(0)), w = try b.value(try r.input(1))
                                  b.define(r.outputs[0], b.node1("MatMul", [x.name, w.name]), batch: b.matmulBatch(x, w, r.outputs[0].rank))
                              },
                              imports: ["MatMul": { n in try n.binary(SwiftNN.matmul) }])
}
