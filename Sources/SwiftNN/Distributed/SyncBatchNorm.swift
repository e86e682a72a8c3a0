// SyncBatchNorm (PyTorch's nn.SyncBatchNorm): batch statistics over the global batch of all
// ranks, composed of differentiable ops around a differentiable allreduce, so its backward
// (which needs the global sums of the gradient terms too) comes from autograd.

extension ProcessGroup {
    /// Sum of `t` over the ranks, recorded for autograd: the gradient of rank r's input is the
    /// sum over ranks of their upstream gradients (the adjoint of a sum-allreduce).
    func allreduceSumRecorded(_ t: Tensor, _ fn: String) throws -> Tensor {
        let out = try t.packed(fn, always: true)
        try allreduce(out, op: .sum, fn)
        return out.recorded("AllreduceSumBackward", [t]) { [self] g in
            // forward: out = sum over ranks of t
            let gs = try g.packed(fn, always: true)
            try allreduce(gs, op: .sum, fn)
            return [gs]
        }
    }
}

/// Batch normalisation in training mode with the mean and biased variance of the whole
/// global batch (every rank's [N, C, *] input), updating the running statistics (unbiased
/// variance) as BatchNorm does. Two allreduces forward (the sums, then the squared
/// deviations: the two-pass variance) and two backward.
func syncBatchNorm(_ x: Tensor, group: ProcessGroup, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor?,
                   bias: Tensor?, momentum: Double, eps: Double) throws -> Tensor {
    let fn = "SyncBatchNorm"
    try x.requireFloat(fn, "input")
    guard x.rank >= 2 else { throw SNNError.shape("\(fn): expected input of rank >= 2 [N, C, *], got \(fmt(x.shape))") }
    let c = x.shape[1]
    let dims = [0] + Array(2..<x.rank)
    var statShape = [Int](repeating: 1, count: x.rank)
    statShape[1] = c
    // values per channel over all ranks (ranks may hold different batch sizes)
    let count = try Tensor(empty: [1], dtype: .float64, zeroed: false, fn)
    count.doubles[0] = Double(x.count / max(c, 1))
    try group.allreduce(count, op: .sum, fn)
    let m = count.doubles[0]
    guard m > 1 else { throw SNNError.invalid("\(fn): expected more than 1 value per channel over all ranks when training, got input of shape \(fmt(x.shape))") }
    let total = try Tensor.full([], Float(m))
    let mean = try div(try group.allreduceSumRecorded(try sum(x, dims: dims), fn), total)
    let centred = try sub(x, try reshape(mean, statShape))
    let sq = try group.allreduceSumRecorded(try sum(try mul(centred, centred), dims: dims), fn)
    let variance = try div(sq, total)  // biased, as BatchNorm normalises with
    let invstd = try div(try Tensor.full([], 1), try sqrt(try add(variance, try Tensor.full([], Float(eps)))))
    var out = try mul(centred, try reshape(invstd, statShape))
    if let weight { out = try mul(out, try reshape(weight, statShape)) }
    if let bias { out = try add(out, try reshape(bias, statShape)) }
    try GradMode.withoutGrad {
        let mom = Float(momentum), unbias = Float(m / (m - 1))
        if let runningMean {
            let mu = mean.floats
            try runningMean.mutate(fn) { p in
                let r = p.assumingMemoryBound(to: Float.self)
                for i in 0..<c { r[i] = (1 - mom) * r[i] + mom * mu[i] }
            }
        }
        if let runningVar {
            let v = variance.floats
            try runningVar.mutate(fn) { p in
                let r = p.assumingMemoryBound(to: Float.self)
                for i in 0..<c { r[i] = (1 - mom) * r[i] + mom * v[i] * unbias }
            }
        }
    }
    return out
}
