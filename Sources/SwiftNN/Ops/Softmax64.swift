// softmax, log_softmax and logsumexp in float64: the float32 kernels' formulas (maximum
// subtracted first) in Double, one row at a time, with fused backwards.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// softmax (log: false) or log_softmax (log: true) of a float64 tensor along `dim`.
func softmax64(_ t: Tensor, dim: Int, log: Bool) throws -> Tensor {
    let fn = log ? "log_softmax" : "softmax"
    let l = DimLayout(t.shape, try wrapDim(dim, t.rank, fn))
    let out = try Tensor(empty: t.shape, dtype: .float64, zeroed: false, fn)
    let px = t.doubles, py = out.doubles
    for j in 0..<(l.outer * l.inner) {
        var m = -Double.infinity
        for k in 0..<l.n { m = Swift.max(m, px[l.offset(j, k)]) }
        if !m.isFinite { m = 0 }  // all -inf (or an inf): as PyTorch, no inf - inf
        var s = 0.0
        for k in 0..<l.n { s += Glibc.exp(px[l.offset(j, k)] - m) }
        let lse = m + Glibc.log(s)
        for k in 0..<l.n {
            let x = px[l.offset(j, k)]
            py[l.offset(j, k)] = log ? x - lse : Glibc.exp(x - lse)
        }
    }
    let y = out.detach()
    return out.traced(log ? .logSoftmax : .softmax, [t], [("dim", .int(dim))])
        .recorded(log ? "LogSoftmaxBackward" : "SoftmaxBackward", [t]) { g in
            // forward: y = softmax(x)  =>  dx = y * (g - sum(g * y));
            //          y = log_softmax(x)  =>  dx = g - exp(y) * sum(g)
            let dx = try Tensor(empty: t.shape, dtype: .float64, zeroed: false, "\(fn)_backward")
            let pg = g.doubles, pyy = y.doubles, pd = dx.doubles
            for j in 0..<(l.outer * l.inner) {
                var s = 0.0
                for k in 0..<l.n { let o = l.offset(j, k); s += log ? pg[o] : pg[o] * pyy[o] }
                for k in 0..<l.n {
                    let o = l.offset(j, k)
                    pd[o] = log ? pg[o] - Glibc.exp(pyy[o]) * s : pyy[o] * (pg[o] - s)
                }
            }
            return [dx]
        }
}

/// logsumexp of a float64 tensor over `dims` (all when empty): m + log(sum(exp(x - m))) per
/// row, m the row's maximum (0 when infinite, as PyTorch); an empty row gives -inf.
func logsumexp64(_ t: Tensor, dims: [Int], keepdim: Bool) throws -> Tensor {
    let fn = "logsumexp"
    let ds = try reductionDims(dims, t.rank, fn)
    let rows = try ReductionRows(t, ds, fn)
    let out = try Tensor(empty: reducedShape(t.shape, ds, keepdim: keepdim), dtype: .float64, zeroed: false, fn)
    let px = rows.data.doubles, py = out.doubles, n = rows.n
    for r in 0..<rows.count {
        let row = px + r * n
        var m = -Double.infinity
        for k in 0..<n { m = Swift.max(m, row[k]) }
        if !m.isFinite { m = 0 }
        var s = 0.0
        for k in 0..<n { s += Glibc.exp(row[k] - m) }
        py[r] = m + Glibc.log(s)
    }
    let y = out.detach()
    return out.traced(.logsumexp, [t], [("dims", .ints(ds)), ("keepdim", .bool(keepdim))]).recorded("LogsumexpBackward", [t]) { g in
        // forward: out = log(sum(exp(x)))  =>  dx = g * exp(x - out)
        let gr = try Tensor(empty: [rows.count, n], dtype: .float64, zeroed: false, "logsumexp_backward")
        let pg = g.doubles, pyy = y.doubles, pd = gr.doubles
        for r in 0..<rows.count {
            for k in 0..<n { pd[r * n + k] = pg[r] * Glibc.exp(px[r * n + k] - pyy[r]) }
        }
        return [try rows.unpermute(gr, t.shape, "logsumexp_backward")]
    }
}
