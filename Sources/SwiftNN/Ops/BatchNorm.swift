// Batch normalisation over [N, C, *] inputs (PyTorch's F.batch_norm): batch statistics in
// training (updating the running statistics in place), running statistics in evaluation, and a
// fused backward for input, weight and bias.
import SwiftNNKernels

/// torch.nn.functional.batch_norm. `input` is [N, C] or [N, C, *] (e.g. [N, C, H, W]); every
/// other tensor is [C]. Per channel c:
///
///     out = (input - mean[c]) / sqrt(var[c] + eps) * weight[c] + bias[c]
///
/// In training, mean and var are the batch statistics over N and the spatial dimensions (the
/// biased variance); if given, `runningMean` and `runningVar` are then updated in place to
/// (1 - momentum) * running + momentum * statistic, with the unbiased variance. In evaluation,
/// the running statistics (both required) are used instead. `weight` and `bias` default to 1
/// and 0. The running statistics are state, not inputs: they must not require gradients.
public func batchNorm(_ input: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor? = nil,
                      bias: Tensor? = nil, training: Bool = false, momentum: Double = 0.1,
                      eps: Double = 1e-5) throws -> Tensor {
    try batchNorm(input, runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias, training: training,
                  momentum: momentum, eps: eps, then: .none)
}

/// batchNorm followed by a ReLU (`.relu`) or ReLU6 (`.clamp(0, 6)`) as one node: the activation
/// is applied to each plane while it is in cache, and the backward gates the gradient by
/// recomputing the pre-activation, so neither direction makes a pass of its own over the
/// tensor (MobileNetV2's batch-norm + ReLU6 pairs: Sequential.swift). The same numbers as the
/// two ops. While a tracer records (an exported graph has both nodes) or in Double, the two
/// ops one after the other.
func batchNorm(_ input: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor?, bias: Tensor?,
               training: Bool, momentum: Double, eps: Double, then activation: FusedActivation) throws -> Tensor {
    let fn = "batch_norm"
    var rectifierHi: Float? = nil
    switch activation {
    case .none, .relu: break
    case .clamp(0, 6): rectifierHi = 6
    default: throw SNNError.invalid("\(fn): only a ReLU or a ReLU6 can follow in the fused batch norm")
    }
    if activation != .none && (input.dtype == .float64 || Tracer.current != nil) {
        let y = try batchNorm(input, runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias,
                              training: training, momentum: momentum, eps: eps, then: .none)
        return try applyUnfused(activation, y)
    }
    try input.requireFloating(fn, "input")
    guard input.rank >= 2 else {
        throw SNNError.shape("\(fn): expected input of rank >= 2 [N, C, *], got shape \(fmt(input.shape))")
    }
    try requireBoundedDims(input, "input", fn)
    let n = input.shape[0], c = input.shape[1]
    let s = try elementCount(Array(input.shape.dropFirst(2)), fn)
    for (t, name) in [(runningMean, "running_mean"), (runningVar, "running_var"), (weight, "weight"), (bias, "bias")] {
        guard let t else { continue }
        try input.requireSameDType(t, fn, name)
        guard t.shape == [c] else {
            throw SNNError.shape("\(fn): \(name) has shape \(fmt(t.shape)), expected [\(c)] (one per channel of input \(fmt(input.shape)))")
        }
    }
    for (t, name) in [(runningMean, "running_mean"), (runningVar, "running_var")] where t?.requiresGrad == true {
        throw SNNError(.autograd, "\(fn): \(name) requires grad; running statistics are not differentiable (detach it)")
    }
    guard momentum.isFinite, eps.isFinite, eps >= 0 else {
        throw SNNError.invalid("\(fn): momentum (\(momentum)) must be finite and eps (\(eps)) finite and non-negative")
    }
    let (m, overflow) = n.multipliedReportingOverflow(by: s)   // values per channel
    guard !overflow, m <= maxElementCount else {
        throw SNNError.invalid("\(fn): input \(fmt(input.shape)) has too many values per channel")
    }
    if training && m == 1 {
        throw SNNError.invalid("\(fn): expected more than 1 value per channel when training, got input of shape \(fmt(input.shape))")
    }
    if !training && (runningMean == nil || runningVar == nil) {
        throw SNNError.invalid("\(fn): running_mean and running_var are required in evaluation mode (training = false)")
    }
    if input.dtype == .float64 {
        return try batchNorm64(input, runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias,
                               training: training, momentum: momentum, eps: eps)
    }

    // Per-channel statistics: mean and invstd = 1 / sqrt(var + eps).
    let mean = try floatScratch(c, fn), invstd = try floatScratch(c, fn)
    let unbiased = try DoubleScratch(c, fn)
    let x = input.floats
    let out = try Tensor(empty: input.shape, dtype: .float32, zeroed: false, fn)
    let scale = try floatScratch(c, fn), shift = try floatScratch(c, fn)
    let sums = try DoubleScratch(c, fn)
    // Statistics, scale and output channel range by channel range, one range per thread: every
    // channel is computed whole by one worker, so the split does not change a bit.
    let (pm, pi, pu, ps, pk, po, pw, pb) = (mean.floats, invstd.floats, unbiased.pointer, scale.floats, shift.floats,
                                            out.floats, weight?.floats, bias?.floats)
    let (rm, rv) = (runningMean?.floats, runningVar?.floats)
    teamRanges(c, granule: 1, work: n * c * s) { lo, hi in
        forChannelBlocks(lo..<hi, bytesPerChannel: n * s * 4) { range in
            if training {
                channelSums(x, n: n, c: c, s: s, sums.pointer, channels: range)
                for i in range { pm[i] = Float(sums[i] / Double(m)) }
                channelSquaredDeviations(x, mean: pm, n: n, c: c, s: s, sums.pointer, channels: range)
                for i in range {
                    pi[i] = Float(1 / (sums[i] / Double(m) + eps).squareRoot())
                    pu[i] = sums[i] / Double(m - 1)
                }
            } else if let rm, let rv {
                for i in range {
                    pm[i] = rm[i]
                    pi[i] = Float(1 / (Double(rv[i]) + eps).squareRoot())
                }
            }
            for i in range {
                ps[i] = pi[i] * (pw?[i] ?? 1)
                pk[i] = pb?[i] ?? 0
            }
            channelAffine(x, center: pm, scale: ps, shift: pk, n: n, c: c, s: s, po, channels: range, activation: activation)
        }
    }
    withExtendedLifetime((sums, scale, shift)) {}

    // The update happens after the output is computed, so aliasing a running statistic with an
    // input cannot change this call's result.
    if training && m > 0 {
        let mo = Float(momentum)
        if let rm = runningMean { for i in 0..<c { rm.floats[i] = (1 - mo) * rm.floats[i] + mo * mean.floats[i] } }
        if let rv = runningVar { for i in 0..<c { rv.floats[i] = (1 - mo) * rv.floats[i] + mo * Float(unbiased[i]) } }
        // In-place writes move the version, as PyTorch's do (ConvInference's folded weights key on it).
        runningMean?.storage.version &+= 1
        runningVar?.storage.version &+= 1
    }

    var inputs = [input]
    if let weight { inputs.append(weight) }
    if let bias { inputs.append(bias) }
    return out.traced(.batchNorm, [input, runningMean, runningVar, weight, bias],
                      [("training", .bool(training)), ("momentum", .float(momentum)), ("eps", .float(eps))])
        .recorded("NativeBatchNormBackward", inputs, readsOutput: false) { g in
        // forward: out = (x - mean) * invstd * weight + bias, mean and invstd from the batch in training
        let bwd = "batch_norm_backward"
        let sumG = try DoubleScratch(c, bwd), sumGX = try DoubleScratch(c, bwd)
        // The per-channel sums serve the training-mode input gradient and the affine
        // parameters' gradients; an eval-mode batch norm with frozen parameters (a pretrained
        // backbone under fine-tuning or style transfer) needs neither, and skips the pass.
        let sums = training || weight?.requiresGrad == true || bias?.requiresGrad == true
        // Training: dx = w invstd (g - mean(g) - xhat mean(g xhat)), xhat = (x - mean) invstd,
        // as g a + (x - mean) b + k. Evaluation: the statistics are constants, dx = g w invstd.
        let a = try floatScratch(c, bwd), b = try floatScratch(c, bwd), k = try floatScratch(c, bwd)
        let gx = input.requiresGrad ? try Tensor(empty: input.shape, dtype: .float32, zeroed: false, bwd) : nil
        let (pg, px, pm, pi, pw) = (g.floats, input.floats, mean.floats, invstd.floats, weight?.floats)
        let (pa, pb, pk, psg, psgx, pgx) = (a.floats, b.floats, k.floats, sumG.pointer, sumGX.pointer, gx?.floats)
        // The fused activation's gate, from the forward's scale and shift.
        let mask = activation == .none ? nil : RectifierMask(scale: scale.floats, shift: shift.floats, hi: rectifierHi)
        // Channel range by channel range, one range per thread (each channel whole on one worker).
        teamRanges(c, granule: 1, work: n * c * s * 2) { lo, hi in
            forChannelBlocks(lo..<hi, bytesPerChannel: n * s * 8) { range in
                if sums { channelGradientSums(pg, px, mean: pm, n: n, c: c, s: s, sumG: psg, sumGX: psgx, channels: range, mask: mask) }
                guard let pgx else { return }
                for i in range {
                    let iv = Double(pi[i])
                    let ai = iv * Double(pw?[i] ?? 1)
                    pa[i] = Float(ai)
                    pb[i] = training ? Float(-ai * iv * iv * psgx[i] / Double(m)) : 0
                    pk[i] = training ? Float(-ai * psg[i] / Double(m)) : 0
                }
                channelAffine2(pg, a: pa, px, center: pm, b: pb, k: pk, n: n, c: c, s: s, pgx, channels: range, mask: mask)
            }
        }
        withExtendedLifetime((g, a, b, k, sumG, sumGX, scale, shift)) {}
        var grads: [Tensor?] = [gx]
        if let weight {
            // d out / d weight[c] = xhat = (x - mean) invstd
            var gw: Tensor? = nil
            if weight.requiresGrad {
                let t = try Tensor(empty: [c], dtype: .float32, zeroed: false, bwd)
                for i in 0..<c { t.floats[i] = Float(Double(invstd.floats[i]) * sumGX[i]) }
                gw = t
            }
            grads.append(gw)
        }
        if let bias {
            var gb: Tensor? = nil
            if bias.requiresGrad {
                let t = try Tensor(empty: [c], dtype: .float32, zeroed: false, bwd)
                for i in 0..<c { t.floats[i] = Float(sumG[i]) }
                gb = t
            }
            grads.append(gb)
        }
        return grads
    }
}

/// `range` in blocks of channels whose data (`bytesPerChannel` each: x, and g in the backward)
/// fits in about 512 KB, half of a Zen 4 core's L2, so that a channel's later passes (the
/// squared deviations and the affine map after the sums; the input gradient after the
/// gradient sums) read it from the L2 rather than memory. Passes over a worker's whole range
/// read 19 MB three times for a 8x96x112x112 activation. Each channel is computed as before.
private func forChannelBlocks(_ range: Range<Int>, bytesPerChannel: Int, _ body: (Range<Int>) -> Void) {
    let block = max(1, (1 << 19) / max(bytesPerChannel, 1))
    var lo = range.lowerBound
    while lo < range.upperBound {
        let hi = min(range.upperBound, lo + block)
        body(lo..<hi)
        lo = hi
    }
}

// MARK: - registry

extension OpDef {
    /// Inference-mode batch norm as ONNX BatchNormalization (training mode uses batch
    /// statistics, which an inference graph cannot); InstanceNormalization imports as the
    /// same normalisation over each sample's spatial dimensions.
    static let batchNorm = OpDef("batch_norm", c: "snn_tensor_batch_norm", python: "batch_norm",
                                 export: { b, r in
                                     if r.bool("training") {
                                         throw SNNError.invalid("batch_norm uses batch statistics (the module is in training mode, or has track_running_stats=False); call eval() (snn_module_train(m, false)) before exporting")
                                     }
                                     let x = try b.value(try r.input(0))
                                     let c = x.shape.count > 1 ? x.shape[1] : 0
                                     guard let rm = r.inputs[1], let rv = r.inputs[2] else { throw SNNError.invalid("batch_norm without running statistics") }
                                     let mean = try b.value(rm), variance = try b.value(rv)
                                     let scale = try r.inputs[3].map { try b.value($0).name } ?? b.constFloats([Float](repeating: 1, count: c), shape: [c], "bn_scale")
                                     let shift = try r.inputs[4].map { try b.value($0).name } ?? b.constFloats([Float](repeating: 0, count: c), shape: [c], "bn_bias")
                                     b.define(r.outputs[0], b.node1("BatchNormalization", [x.name, scale, shift, mean.name, variance.name],
                                                                    [ONNXAttribute("epsilon", .float(Float(r.float("eps") ?? 1e-5)))]), batch: x.batch)
                                 },
                                 imports: [
                                     "BatchNormalization": { n in
                                         let a = try n.attrs(["epsilon", "momentum", "training_mode", "spatial", "is_test", "consumed_inputs"])
                                         let eps = try a.float("epsilon", 1e-5)
                                         guard try a.int("spatial", 1) == 1 else {
                                             throw SNNError(.unsupported, "\(n.label): spatial = 0 (per-element statistics of opset 7 and older) is not supported")
                                         }
                                         if try a.int("training_mode", 0) != 0 {
                                             return try importTrainingBatchNorm(n, eps: Double(eps), momentum: Double(try a.float("momentum", 0.9)))
                                         }
                                         guard n.node.outputs.dropFirst().allSatisfy(\.isEmpty) else {
                                             throw SNNError(.unsupported, "\(n.label): running-statistics outputs need training_mode = 1")
                                         }
                                         return { xs in
                                             [try SwiftNN.batchNorm(try input(xs, 0), runningMean: try input(xs, 3), runningVar: try input(xs, 4),
                                                                    weight: try input(xs, 1), bias: try input(xs, 2), training: false, eps: Double(eps))]
                                         }
                                     },
                                     "InstanceNormalization": { n in
                                         let eps = try n.attrs(["epsilon"]).float("epsilon", 1e-5)
                                         return { xs in
                                             let x = try input(xs, 0)
                                             guard x.rank >= 3 else { throw SNNError.shape("InstanceNormalization expects [N, C, spatial...], got \(fmt(x.shape))") }
                                             let dims = Array(2..<x.rank)
                                             let perChannel = [x.shape[1]] + [Int](repeating: 1, count: x.rank - 2)
                                             let m = try SwiftNN.mean(x, dims: dims, keepdim: true)
                                             let d = try SwiftNN.sub(x, m)
                                             let invstd = try SwiftNN.pow(try SwiftNN.add(try SwiftNN.mean(try SwiftNN.mul(d, d), dims: dims, keepdim: true), try scalar(eps)), -0.5)
                                             let y = try SwiftNN.mul(try SwiftNN.mul(d, invstd), try SwiftNN.reshape(try input(xs, 1), perChannel))
                                             return [try SwiftNN.add(y, try SwiftNN.reshape(try input(xs, 2), perChannel))]
                                         }
                                     },
                                 ])
}

/// ONNX BatchNormalization with training_mode = 1: Y normalised by the batch's statistics
/// (biased variance), and the running statistics as outputs, updated with ONNX's convention
/// (running = running * momentum + batch * (1 - momentum), the variance biased; PyTorch's
/// momentum is 1 - ONNX's and its running variance unbiased, so the engine's in-place update
/// is not reused). The inputs are not modified: ONNX has no in-place state.
private func importTrainingBatchNorm(_ n: ImportNode, eps: Double, momentum: Double) throws -> ImportKernel {
    guard n.node.outputs.count <= 3 else {
        throw SNNError(.unsupported, "\(n.label): the saved_mean and saved_var outputs (opset 9 to 13) are not supported")
    }
    return { xs in
        let x = try input(xs, 0)
        guard x.rank >= 2 else { throw SNNError.shape("BatchNormalization expects [N, C, ...], got \(fmt(x.shape))") }
        let y = try batchNorm(x, runningMean: nil, runningVar: nil, weight: try input(xs, 1), bias: try input(xs, 2),
                              training: true, eps: eps)
        let dims = [0] + Array(2..<x.rank)
        let blend = { (running: Tensor, batch: Tensor) in
            try add(try mul(running, try scalar(Float(momentum))), try mul(batch, try scalar(Float(1 - momentum))))
        }
        let mean = try blend(try input(xs, 3), try SwiftNN.mean(x, dims: dims))
        let variance = try blend(try input(xs, 4), try SwiftNN.variance(x, dims: dims, correction: 0))
        return [y, mean, variance]
    }
}
