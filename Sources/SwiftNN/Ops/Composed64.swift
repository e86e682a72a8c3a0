// float64 forms of ops whose float32 kernels are fused (linear, var, std): composed from float64
// ops, so the gradients are those ops' backwards and need no code here. Used for gradient
// checks in double precision, not for speed.

/// linear in float64: input @ weight^T + bias (shapes checked by matmul and add; one dtype,
/// as PyTorch requires).
func linear64(_ input: Tensor, weight: Tensor, bias: Tensor?) throws -> Tensor {
    guard input.dtype == .float64, weight.dtype == .float64, bias.map({ $0.dtype == .float64 }) ?? true else {
        throw SNNError.dtype("linear: input \(input.dtype.name), weight \(weight.dtype.name)\(bias.map { ", bias \($0.dtype.name)" } ?? ""): expected one floating dtype")
    }
    guard weight.rank == 2 else {
        throw SNNError.shape("linear: weight must be [out_features, in_features], got shape \(fmt(weight.shape))")
    }
    let y = try matmul(input, try transpose(weight, 0, 1))
    return try bias.map { try add(y, $0) } ?? y
}

/// var (std: its square root) in float64: sum((x - mean)^2) / (N - correction) over `dims`,
/// N - correction clamped at 0 (giving inf or nan, as PyTorch).
func moments64(_ t: Tensor, dims: [Int], correction: Double, keepdim: Bool, std: Bool) throws -> Tensor {
    let fn = std ? "std" : "var"
    guard correction.isFinite else { throw SNNError.invalid("\(fn): correction must be finite, got \(correction)") }
    let ds = try reductionDims(dims, t.rank, fn)
    let n = ds.reduce(1) { $0 * t.shape[$1] }
    let d = try sub(t, try mean(t, dims: ds, keepdim: true))
    let v = try div(try sum(try mul(d, d), dims: ds, keepdim: keepdim), try Tensor.number(Swift.max(0, Double(n) - correction)))
    return std ? try sqrt(v) : v
}
