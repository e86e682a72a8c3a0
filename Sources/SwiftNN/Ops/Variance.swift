// Variance and standard deviation over dimensions with Bessel's correction (torch.var / std).
// Mean and sum of squared deviations are accumulated in Double (two passes over each row).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-row means and variances of `rows` with divisor max(0, n - correction).
private func rowMoments(_ rows: ReductionRows, _ correction: Double) -> (mean: [Float], variance: [Float]) {
    let n = rows.n, p = rows.data.floats
    let divisor = Swift.max(0, Double(n) - correction)
    var means = [Float](repeating: 0, count: rows.count), vars = means
    for r in 0..<rows.count {
        let row = p + r * n
        var s = 0.0
        for k in 0..<n { s += Double(row[k]) }
        let m = s / Double(n)
        var q = 0.0
        for k in 0..<n { let d = Double(row[k]) - m; q += d * d }
        means[r] = Float(m)
        vars[r] = Float(q / divisor)
    }
    return (means, vars)
}

/// Validated dims, rows and the divisor of a var/std call.
private func momentsSetup(_ t: Tensor, _ dims: [Int], _ correction: Double, _ fn: String) throws -> ([Int], ReductionRows, Float) {
    try t.requireFloat(fn)
    guard correction.isFinite else { throw SNNError.invalid("\(fn): correction must be finite, got \(correction)") }
    let ds = try reductionDims(dims, t.rank, fn)
    let rows = try ReductionRows(t, ds, fn)
    return (ds, rows, Float(Swift.max(0, Double(rows.n) - correction)))
}

/// Gradient rows g[r] * factor[r] * (x[r, k] - mean[r]), put back in the input's layout.
private func momentsBackward(_ rows: ReductionRows, _ mean: [Float], _ factor: (Int) -> Float, _ shape: [Int], _ fn: String) throws -> Tensor {
    let n = rows.n, p = rows.data.floats
    let gr = try Tensor(empty: [rows.count, n], dtype: .float32, zeroed: false, fn)
    let pd = gr.floats
    for r in 0..<rows.count {
        let f = factor(r), m = mean[r]
        for k in 0..<n { pd[r * n + k] = f * (p[r * n + k] - m) }
    }
    return try rows.unpermute(gr, shape, fn)
}

/// torch.var(t, dims, correction=, keepdim): sum((x - mean)^2) / max(0, N - correction) over
/// `dims` (all when empty). correction 1 is the unbiased estimate, 0 the population variance.
public func variance(_ t: Tensor, dims: [Int] = [], correction: Double = 1, keepdim: Bool = false) throws -> Tensor {
    let fn = "var"
    if t.dtype == .float64 { return try moments64(t, dims: dims, correction: correction, keepdim: keepdim, std: false) }
    let (ds, rows, divisor) = try momentsSetup(t, dims, correction, fn)
    let (mean, vars) = rowMoments(rows, correction)
    let out = try Tensor(vars, shape: reducedShape(t.shape, ds, keepdim: keepdim))
    return out.traced(.variance, [t], [("dims", .ints(ds)), ("correction", .float(correction)), ("keepdim", .bool(keepdim))]).recorded("VarBackward", [t], readsOutput: false) { g in
        // forward: out = sum((x - mean)^2) / (N - correction)  =>  dx = g * 2 (x - mean) / (N - correction)
        let pg = g.floats
        return [try momentsBackward(rows, mean, { 2 * pg[$0] / divisor }, t.shape, "var_backward")]
    }
}

/// torch.std(t, dims, correction=, keepdim): the square root of `variance`.
public func standardDeviation(_ t: Tensor, dims: [Int] = [], correction: Double = 1, keepdim: Bool = false) throws -> Tensor {
    let fn = "std"
    if t.dtype == .float64 { return try moments64(t, dims: dims, correction: correction, keepdim: keepdim, std: true) }
    let (ds, rows, divisor) = try momentsSetup(t, dims, correction, fn)
    let (mean, vars) = rowMoments(rows, correction)
    let std = vars.map { sqrtf($0) }
    let out = try Tensor(std, shape: reducedShape(t.shape, ds, keepdim: keepdim))
    return out.traced(.std, [t], [("dims", .ints(ds)), ("correction", .float(correction)), ("keepdim", .bool(keepdim))]).recorded("StdBackward", [t], readsOutput: false) { g in
        // forward: out = sqrt(sum((x - mean)^2) / (N - correction))  =>  dx = g (x - mean) / ((N - correction) out)
        let pg = g.floats
        return [try momentsBackward(rows, mean, { pg[$0] / (divisor * std[$0]) }, t.shape, "std_backward")]
    }
}

// MARK: - registry

extension OpDef {
    static let variance = OpDef("var", c: "snn_tensor_var", python: "var", export: { b, r in try b.moments(r, sqrt: false) })
    static let std = OpDef("std", c: "snn_tensor_std", python: "std", export: { b, r in try b.moments(r, sqrt: true) })
}

extension GraphBuilder {
    /// var = sum((x - mean)^2) / (n - correction); std its square root.
    mutating func moments(_ r: TraceRecord, sqrt: Bool) throws {
        let x = try value(try r.input(0))
        let dims = try r.ints("dims"), keep = r.bool("keepdim")
        let n = dims.reduce(1) { $0 * (x.shape.indices.contains($1) ? x.shape[$1] : 1) }
        let divisor = Float(Swift.max(0, Double(n) - (r.float("correction") ?? 1)))
        let m = reduce("ReduceMean", x.name, dims, true)
        let dev = node1("Sub", [x.name, m])
        var y = reduce("ReduceSum", node1("Mul", [dev, dev]), dims, keep)
        y = node1("Div", [y, constFloats([divisor], shape: [], "divisor")])
        if sqrt { y = node1("Sqrt", [y]) }
        define(r.outputs[0], y, batch: reducedBatch(x.batch, dims, keep))
    }
}
