// batch_norm, layer_norm and group_norm in float64, composed from float64 ops (mean, sub, mul,
// sqrt, div, add), so their gradients are those ops' backwards and need no code here. Used
// for gradient checks in double precision; the float32 forms keep their fused kernels.

/// (x - mean) / sqrt(var + eps) over `dims` of x (the biased variance, as every PyTorch norm
/// uses), and the mean and variance (keepdim) for callers that track statistics.
func standardized64(_ x: Tensor, dims: [Int], eps: Double) throws -> (y: Tensor, mean: Tensor, variance: Tensor) {
    let m = try mean(x, dims: dims, keepdim: true)
    let d = try sub(x, m)
    let v = try mean(try mul(d, d), dims: dims, keepdim: true)
    return (try div(d, try sqrt(try add(v, try Tensor.number(eps)))), m, v)
}

/// y * weight + bias with weight and bias (either may be absent) reshaped to `shape`.
func affine64(_ y: Tensor, weight: Tensor?, bias: Tensor?, _ shape: [Int]) throws -> Tensor {
    var out = y
    if let weight { out = try mul(out, try reshape(weight, shape)) }
    if let bias { out = try add(out, try reshape(bias, shape)) }
    return out
}

/// batch_norm of a float64 input [N, C, *] (arguments validated by `batchNorm`): the batch
/// statistics over N and * in training (updating the running statistics in place, with the
/// unbiased variance, under no_grad), the running statistics in evaluation.
func batchNorm64(_ input: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor?, bias: Tensor?,
                 training: Bool, momentum: Double, eps: Double) throws -> Tensor {
    let n = input.shape[0], c = input.shape[1], s = input.count / Swift.max(n * c, 1)
    let x = try reshape(input, [n, c, s])
    let y: Tensor
    if training {
        let (normed, m, v) = try standardized64(x, dims: [0, 2], eps: eps)
        y = normed
        let count = Double(n * s), mo = momentum
        let pm = m.detach().doubles, pv = v.detach().doubles
        if let rm = runningMean {
            try rm.mutate("batch_norm") { p in
                let r = p.assumingMemoryBound(to: Double.self)
                for i in 0..<c { r[i] = (1 - mo) * r[i] + mo * pm[i] }
            }
        }
        if let rv = runningVar {
            try rv.mutate("batch_norm") { p in
                let r = p.assumingMemoryBound(to: Double.self)
                for i in 0..<c { r[i] = (1 - mo) * r[i] + mo * pv[i] * count / (count - 1) }
            }
        }
    } else if let rm = runningMean, let rv = runningVar {
        // The statistics are constants here: copies, so a later update of the running
        // statistics cannot trip the version check of this graph.
        let m = try reshape(try rm.detach().clone(), [1, c, 1]), v = try reshape(try rv.detach().clone(), [1, c, 1])
        y = try div(try sub(x, m), try sqrt(try add(v, try Tensor.number(eps))))
    } else {
        throw SNNError.invalid("batch_norm: running_mean and running_var are required in evaluation mode (training = false)")
    }
    return try reshape(try affine64(y, weight: weight, bias: bias, [1, c, 1]), input.shape)
}

/// layer_norm of a float64 input over its trailing `normalizedShape` (validated by `layerNorm`).
func layerNorm64(_ x: Tensor, normalizedShape: [Int], weight: Tensor?, bias: Tensor?, eps: Double) throws -> Tensor {
    let dims = Array((x.rank - normalizedShape.count)..<x.rank)
    return try affine64(try standardized64(x, dims: dims, eps: eps).y, weight: weight, bias: bias, normalizedShape)
}

/// group_norm of a float64 input [N, C, *] (validated by `groupNorm`): each sample's groups
/// of C / numGroups channels standardised together, then the per-channel affine.
func groupNorm64(_ x: Tensor, numGroups: Int, weight: Tensor?, bias: Tensor?, eps: Double) throws -> Tensor {
    let n = x.shape[0], grouped = try reshape(x, [n, numGroups, -1])
    let y = try reshape(try standardized64(grouped, dims: [2], eps: eps).y, x.shape)
    return try affine64(y, weight: weight, bias: bias, [x.shape[1]] + [Int](repeating: 1, count: x.rank - 2))
}
