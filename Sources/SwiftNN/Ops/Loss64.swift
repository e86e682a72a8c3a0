// The losses in float64, composed from float64 ops (sub, mul, sum, log_softmax), so their
// gradients come from those ops' backwards: gradient checks of whole models in double.

/// mse_loss when an operand is not float32 (both floating; promoted as sub promotes).
func mseLoss64(_ input: Tensor, _ target: Tensor, _ reduction: Reduction) throws -> Tensor {
    guard input.dtype.isFloatingPoint, target.dtype.isFloatingPoint else {
        throw SNNError.dtype("mse_loss: input has dtype \(input.dtype.name) and target \(target.dtype.name), expected floating dtypes")
    }
    let d = try sub(input, target), sq = try mul(d, d)
    switch reduction {
    case .none: return sq
    case .sum: return try sum(sq)
    case .mean: return try mean(sq)
    }
}

/// nll_loss of float64 log-probabilities: -sum over the class dimension of x * onehot(target)
/// (0 where ignored), reduced; 'mean' divides by the positions not ignored. `smoothing` > 0
/// (cross_entropy's label smoothing e) mixes in e / C times the sum of -x over every class.
/// Class weights scale both terms per class; 'mean' then divides by the summed target weights.
func nllLoss64(_ x: Tensor, _ target: Tensor, _ reduction: Reduction, ignoreIndex: Int, weight: Tensor? = nil,
               smoothing: Double = 0, _ fn: String) throws -> Tensor {
    let tg = try ClassTargets(x, target, ignoreIndex: ignoreIndex, weight: weight, fn)
    let w = tg.weight
    let l = tg.layout, classDim = x.rank == 1 ? 0 : 1
    let onehot = try Tensor(empty: x.shape, dtype: .float64, zeroed: true, fn)
    let active = try Tensor(empty: x.shape, dtype: .float64, zeroed: true, fn)
    for (j, t) in tg.classes.enumerated() where t >= 0 {
        onehot.doubles[l.offset(j, t)] = w?[t] ?? 1
        for k in 0..<l.n { active.doubles[l.offset(j, k)] = w?[k] ?? 1 }
    }
    var perPosition = try neg(try sum(try mul(x, onehot), dims: [classDim]))
    if smoothing > 0 {
        let smooth = try neg(try sum(try mul(x, active), dims: [classDim]))
        perPosition = try add(try mul(perPosition, try Tensor.number(1 - smoothing)),
                              try mul(smooth, try Tensor.number(smoothing / Double(l.n))))
    }
    switch reduction {
    case .none: return perPosition
    case .sum: return try sum(perPosition)
    case .mean where tg.active == 0:
        // Every position ignored: PyTorch's nan (0 / 0), with a zero gradient (not nan * 0).
        return try add(try mul(try sum(perPosition), try Tensor.number(0.0)), try Tensor.number(Double.nan))
    case .mean: return try div(try sum(perPosition), try Tensor.number(tg.divisor))
    }
}
