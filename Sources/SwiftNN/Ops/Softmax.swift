// softmax, log_softmax and logsumexp, numerically stable: the maximum is subtracted before exp,
// so logits of any finite size work. Kernels (contiguous rows for the last dimension, column
// strips for the others) are in SwiftNNKernels/Softmax.swift; backward passes are fused.
import SwiftNNKernels

/// The [outer, n, inner] layout around `dim` of a float tensor, validated.
private func softmaxLayout(_ t: Tensor, _ dim: Int, _ fn: String) throws -> DimLayout {
    try t.requireFloat(fn)
    return DimLayout(t.shape, try wrapDim(dim, t.rank, fn))
}

/// torch.softmax(t, dim): exp(x - max) / sum(exp(x - max)) along `dim`.
public func softmax(_ t: Tensor, dim: Int) throws -> Tensor {
    if t.dtype == .float64 { return try softmax64(t, dim: dim, log: false) }
    let fn = "softmax"
    let l = try softmaxLayout(t, dim, fn)
    let out = try Tensor(empty: t.shape, dtype: .float32, zeroed: false, fn)
    softmaxForward(t.floats, out.floats, outer: l.outer, n: l.n, inner: l.inner, log: false)
    let y = out.detach()  // the saved output (a detached view: no reference cycle through out)
    return out.traced(.softmax, [t], [("dim", .int(dim))]).recorded("SoftmaxBackward", [t]) { g in
        // forward: y = exp(x - max) / sum(exp(x - max))  =>  dx = y * (g - sum(g * y))
        let dx = try Tensor(empty: t.shape, dtype: .float32, zeroed: false, "softmax_backward")
        softmaxBackward(y.floats, g.floats, dx.floats, outer: l.outer, n: l.n, inner: l.inner, log: false)
        return [dx]
    }
}

/// torch.log_softmax(t, dim): (x - max) - log(sum(exp(x - max))) along `dim`.
public func logSoftmax(_ t: Tensor, dim: Int) throws -> Tensor {
    if t.dtype == .float64 { return try softmax64(t, dim: dim, log: true) }
    let fn = "log_softmax"
    let l = try softmaxLayout(t, dim, fn)
    let out = try Tensor(empty: t.shape, dtype: .float32, zeroed: false, fn)
    softmaxForward(t.floats, out.floats, outer: l.outer, n: l.n, inner: l.inner, log: true)
    let y = out.detach()
    return out.traced(.logSoftmax, [t], [("dim", .int(dim))]).recorded("LogSoftmaxBackward", [t]) { g in
        // forward: y = x - max - log(sum(exp(x - max)))  =>  dx = g - exp(y) * sum(g)
        let dx = try Tensor(empty: t.shape, dtype: .float32, zeroed: false, "log_softmax_backward")
        softmaxBackward(y.floats, g.floats, dx.floats, outer: l.outer, n: l.n, inner: l.inner, log: true)
        return [dx]
    }
}

/// torch.logsumexp(t, dims, keepdim): log(sum(exp(x))) over `dims` (all when empty), computed
/// as m + log(sum(exp(x - m))) with m the maximum (0 where it is infinite, as PyTorch). An
/// empty reduction gives -inf.
public func logsumexp(_ t: Tensor, dims: [Int], keepdim: Bool = false) throws -> Tensor {
    let fn = "logsumexp"
    if t.dtype == .float64 { return try logsumexp64(t, dims: dims, keepdim: keepdim) }
    try t.requireFloat(fn)
    let ds = try reductionDims(dims, t.rank, fn)
    let rows = try ReductionRows(t, ds, fn)
    let out = try Tensor(empty: reducedShape(t.shape, ds, keepdim: keepdim), dtype: .float32, zeroed: false, fn)
    logSumExp(rows.data.floats, out.floats, outer: rows.count, n: rows.n, inner: 1)
    let y = out.detach()
    return out.traced(.logsumexp, [t], [("dims", .ints(ds)), ("keepdim", .bool(keepdim))]).recorded("LogsumexpBackward", [t]) { g in
        // forward: out = log(sum(exp(x)))  =>  dx = g * exp(x - out)
        let gr = try Tensor(empty: [rows.count, rows.n], dtype: .float32, zeroed: false, "logsumexp_backward")
        logSumExpBackward(rows.data.floats, y.floats, g.floats, gr.floats, rows: rows.count, n: rows.n)
        return [try rows.unpermute(gr, t.shape, "logsumexp_backward")]
    }
}

// MARK: - registry

extension OpDef {
    static let softmax = OpDef("softmax", c: "snn_tensor_softmax", python: "softmax",
                               export: { b, r in try b.unary(r, "Softmax", [ONNXAttribute("axis", .int(Int64(try r.int("dim"))))]) },
                               imports: ["Softmax": { n in try softmaxImporter(n, log: false) }])
    static let logSoftmax = OpDef("log_softmax", c: "snn_tensor_log_softmax", python: "log_softmax",
                                  export: { b, r in try b.unary(r, "LogSoftmax", [ONNXAttribute("axis", .int(Int64(try r.int("dim"))))]) },
                                  imports: ["LogSoftmax": { n in try softmaxImporter(n, log: true) }])
    static let logsumexp = OpDef("logsumexp", c: "snn_tensor_logsumexp", python: "logsumexp",
                                 export: { b, r in try b.reduction(r, "ReduceLogSumExp") },
                                 imports: ["ReduceLogSumExp": { n in try reduceImporter(n) { x, d, k in try SwiftNN.logsumexp(x, dims: d, keepdim: k) } }])
}

private func softmaxImporter(_ n: ImportNode, log: Bool) throws -> ImportKernel {
    let opset = n.opset
    let ax = try n.attrs(["axis"]).int("axis", opset >= 13 ? -1 : 1)
    return { xs in
        let x = try input(xs, 0)
        if opset >= 13 || x.rank == 0 { return [log ? try logSoftmax(x, dim: ax) : try softmax(x, dim: ax)] }
        // Before opset 13: the input is seen as 2-D [prod(dims < axis), prod(dims >= axis)].
        let a = try axis(ax, x.rank, "axis")
        let outer = try elementCount(Array(x.shape[..<a]), "softmax")
        let flat = try reshape(x, [outer, try elementCount(Array(x.shape[a...]), "softmax")])
        return [try reshape(log ? try logSoftmax(flat, dim: 1) : try softmax(flat, dim: 1), x.shape)]
    }
}
