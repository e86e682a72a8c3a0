// The inference form of conv2d: the activation applied to each output block inside the
// convolution, and BatchNorm's running statistics folded into the weights, for eval-mode
// Sequentials (SequentialInference.swift) and imported ONNX graphs (ImportFusion.swift). Taken
// only when nothing records: no tracer, and no gradient to compute; otherwise the same math
// runs unfused through the recorded ops, so training keeps its exact path.
import SwiftNNKernels

/// True when an op on these tensors records nothing: no tracer on this thread, and grad mode
/// off or no tensor that requires grad.
func recordsNothing(_ tensors: [Tensor?]) -> Bool {
    Tracer.current == nil && (!GradMode.isEnabled || !tensors.contains { $0?.requiresGrad == true })
}

/// activation(conv2d(input, weight, bias, ...)); fused when nothing records, else the
/// recorded ops one after the other.
func conv2dFused(_ input: Tensor, weight: Tensor, bias: Tensor?, stride: (Int, Int), padding: (Int, Int),
                 dilation: (Int, Int), groups: Int, activation: FusedActivation) throws -> Tensor {
    guard recordsNothing([input, weight, bias]) else {
        let y = try conv2d(input, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
        return try applyUnfused(activation, y)
    }
    let fn = "conv2d"
    let plan = try ConvPlan(input, weight, bias, stride: stride, padding: padding, dilation: dilation, groups: groups, fn)
    let out4 = try Tensor(empty: plan.outShape, dtype: .float32, zeroed: false, fn)
    try plan.forward(input.floats, weight.floats, bias.map { UnsafePointer($0.floats) }, out4.floats, activation: activation, fn)
    return input.rank == 3 ? try out4.view(as: Array(plan.outShape.dropFirst())) : out4
}

/// The activation as its own recorded op (the unfused path).
func applyUnfused(_ activation: FusedActivation, _ y: Tensor) throws -> Tensor {
    switch activation {
    case .none: return y
    case .relu: return try relu(y)
    case .clamp(0, 6): return try relu6(y)
    case .clamp(let lo, let hi): return try clamp(y, min: lo, max: hi)
    case .hardswish: return try hardswish(y)
    case .silu: return try silu(y)
    }
}

/// A convolution's weight and bias with an eval-mode BatchNorm folded in:
/// w' = w * s, b' = (b - mean) * s + beta, s = gamma / sqrt(var + eps) (in Double). Cached per
/// convolution until any of the six tensors is written (their storage versions move).
final class FoldedConvCache: @unchecked Sendable {
    static let shared = FoldedConvCache()
    private struct Entry {
        weak var conv: Conv2d?
        let key: [Int]
        let weight: Tensor, bias: Tensor
    }
    private var entries: [ObjectIdentifier: Entry] = [:]
    private let lock = Lock()

    func folded(_ conv: Conv2d, _ bn: BatchNorm) throws -> (weight: Tensor, bias: Tensor)? {
        guard let mean = bn.runningMean, let variance = bn.runningVar, bn.numFeatures == conv.outChannels else { return nil }
        let sources: [Tensor?] = [conv.weight, conv.bias, bn.weight, bn.bias, mean, variance]
        guard sources.allSatisfy({ $0 == nil || ($0!.dtype == .float32 && $0!.isContiguous) }) else { return nil }
        var key: [Int] = []
        for t in sources {
            key.append(t.map { Int(bitPattern: ObjectIdentifier($0)) } ?? 0)
            key.append(t?.storage.version ?? 0)
        }
        let id = ObjectIdentifier(conv)
        if let hit = lock.withLock({ entries[id] }), hit.conv === conv, hit.key == key { return (hit.weight, hit.bias) }
        let fn = "BatchNorm folding"
        let k = conv.outChannels
        let per = conv.weight.count / max(k, 1)
        let w = try Tensor(empty: conv.weight.shape, dtype: .float32, zeroed: false, fn)
        let b = try Tensor(empty: [k], dtype: .float32, zeroed: false, fn)
        let src = conv.weight.floats, m = mean.floats, v = variance.floats
        for ch in 0..<k {
            let gamma = bn.weight.map { Double($0.floats[ch]) } ?? 1, beta = bn.bias.map { Double($0.floats[ch]) } ?? 0
            let s = gamma / (Double(v[ch]) + bn.eps).squareRoot()
            for j in 0..<per { w.floats[ch * per + j] = Float(Double(src[ch * per + j]) * s) }
            let b0 = conv.bias.map { Double($0.floats[ch]) } ?? 0
            b.floats[ch] = Float((b0 - Double(m[ch])) * s + beta)
        }
        lock.withLock {
            if entries.count > 256 { entries = entries.filter { $0.value.conv != nil } }
            entries[id] = Entry(conv: conv, key: key, weight: w, bias: b)
        }
        return (w, b)
    }
}
