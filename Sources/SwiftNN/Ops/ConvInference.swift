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
    return try convolved(input, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation,
                         groups: groups, activation: activation).out
}

/// activation(conv2d(...)) in float32 with the activation inside the convolution, not recorded,
/// and the plan that computed it (conv2dReLU records it with its own backward).
func convolved(_ input: Tensor, weight: Tensor, bias: Tensor?, stride: (Int, Int), padding: (Int, Int),
               dilation: (Int, Int), groups: Int, activation: FusedActivation) throws -> (out: Tensor, plan: ConvPlan) {
    let fn = "conv2d"
    let plan = try ConvPlan(input, weight, bias, stride: stride, padding: padding, dilation: dilation, groups: groups, fn)
    let out4 = try Tensor(empty: plan.outShape, dtype: .float32, zeroed: false, fn)
    try plan.forward(input.floats, weight.floats, bias.map { UnsafePointer($0.floats) }, out4.floats, activation: activation, fn)
    return (input.rank == 3 ? try out4.view(as: Array(plan.outShape.dropFirst())) : out4, plan)
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

/// A convolution's weight and bias with BatchNorm's inference transform folded in:
/// w' = w * s, b' = (b - mean) * s + beta, s = gamma / sqrt(var + eps) (in Double), kept until
/// any of the six tensors is written (their storage versions move) or replaced.
final class FoldedBatchNorm: @unchecked Sendable {
    private var key: [Int] = []
    private var value: (weight: Tensor, bias: Tensor)?
    private let lock = Lock()

    /// nil when the tensors are not float32 and contiguous or their sizes do not fit (the caller
    /// then runs the layers unfused, which report any error).
    func folded(weight: Tensor, bias: Tensor?, gamma: Tensor?, beta: Tensor?, mean: Tensor, variance: Tensor,
                eps: Double) throws -> (weight: Tensor, bias: Tensor)? {
        let sources: [Tensor?] = [weight, bias, gamma, beta, mean, variance]
        guard sources.allSatisfy({ $0 == nil || ($0!.dtype == .float32 && $0!.isContiguous) }) else { return nil }
        let k = weight.shape.first ?? 0
        guard weight.rank >= 2, k > 0, [bias, gamma, beta, mean, variance].allSatisfy({ $0 == nil || $0!.count == k }) else { return nil }
        var now: [Int] = []
        for t in sources {
            now.append(t.map { Int(bitPattern: ObjectIdentifier($0)) } ?? 0)
            now.append(t?.storage.version ?? 0)
        }
        if let hit = lock.withLock({ key == now ? value : nil }) { return hit }
        let fn = "BatchNorm folding"
        let per = weight.count / k
        let w = try Tensor(empty: weight.shape, dtype: .float32, zeroed: false, fn)
        let b = try Tensor(empty: [k], dtype: .float32, zeroed: false, fn)
        let src = weight.floats, m = mean.floats, v = variance.floats
        for ch in 0..<k {
            let g = gamma.map { Double($0.floats[ch]) } ?? 1, shift = beta.map { Double($0.floats[ch]) } ?? 0
            let scale = g / (Double(v[ch]) + eps).squareRoot()
            for j in 0..<per { w.floats[ch * per + j] = Float(Double(src[ch * per + j]) * scale) }
            let b0 = bias.map { Double($0.floats[ch]) } ?? 0
            b.floats[ch] = Float((b0 - Double(m[ch])) * scale + shift)
        }
        lock.withLock { key = now; value = (w, b) }
        return (w, b)
    }
}

/// The folded weights of each eval-mode Conv2d + BatchNorm2d pair of native Sequentials.
final class FoldedConvCache: @unchecked Sendable {
    static let shared = FoldedConvCache()
    private struct Entry {
        weak var conv: Conv2d?
        let slot: FoldedBatchNorm
    }
    private var entries: [ObjectIdentifier: Entry] = [:]
    private let lock = Lock()

    func folded(_ conv: Conv2d, _ bn: BatchNorm) throws -> (weight: Tensor, bias: Tensor)? {
        guard let mean = bn.runningMean, let variance = bn.runningVar, bn.numFeatures == conv.outChannels else { return nil }
        let id = ObjectIdentifier(conv)
        let slot = lock.withLock { () -> FoldedBatchNorm in
            if let e = entries[id], e.conv === conv { return e.slot }
            if entries.count > 256 { entries = entries.filter { $0.value.conv != nil } }
            let slot = FoldedBatchNorm()
            entries[id] = Entry(conv: conv, slot: slot)
            return slot
        }
        return try slot.folded(weight: conv.weight, bias: conv.bias, gamma: bn.weight, beta: bn.bias, mean: mean,
                               variance: variance, eps: bn.eps)
    }
}
