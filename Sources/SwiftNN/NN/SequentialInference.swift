// The inference path of an eval-mode Sequential: Conv2d, then an optional eval-mode
// BatchNorm2d (folded into the convolution's weights), then an optional ReLU or ReLU6 (applied
// inside the convolution) run as one fused convolution. Taken only when nothing records (no
// grad, no tracer: ConvInference.swift), so training and export see the layers one by one.
import SwiftNNKernels

extension Sequential {
    /// The forward with Conv2d [+ BatchNorm2d] [+ ReLU/ReLU6] runs fused, or nil when this
    /// Sequential has no such run or the call must be recorded.
    func inferenceForward(_ input: Tensor) throws -> Tensor? {
        guard !training, input.dtype == .float32, hasFusableRun, recordsNothing([input]) else { return nil }
        // Trainable parameters under grad mode: the layers' own recorded forward.
        if GradMode.isEnabled && parameters.contains(where: \.requiresGrad) { return nil }
        let layers = children.map(\.module)
        var x = input
        var i = 0
        while i < layers.count {
            if let run = fusableRun(layers, at: i), run.bn == nil || x.rank == 4 {
                var weight = run.conv.weight, bias = run.conv.bias
                if let bn = run.bn {
                    guard let folded = try FoldedConvCache.shared.folded(run.conv, bn) else { return nil }
                    (weight, bias) = folded
                }
                let c = run.conv
                x = try conv2dFused(x, weight: weight, bias: bias, stride: c.stride, padding: c.padding, dilation: c.dilation,
                                    groups: c.groups, activation: run.activation)
                i += run.length
            } else {
                x = try layers[i].forward(x)
                i += 1
            }
        }
        return x
    }

    private var hasFusableRun: Bool {
        let layers = children.map(\.module)
        return layers.indices.contains { fusableRun(layers, at: $0) != nil }
    }

    /// Conv2d at `i` followed by an eval-mode, running-statistics BatchNorm2d and/or a ReLU or
    /// ReLU6: what to fuse and how many layers it covers.
    private func fusableRun(_ layers: [Module], at i: Int) -> (conv: Conv2d, bn: BatchNorm?, activation: FusedActivation, length: Int)? {
        guard let conv = layers[i] as? Conv2d else { return nil }
        var j = i + 1
        var bn: BatchNorm? = nil
        if j < layers.count, let b = layers[j] as? BatchNorm, b.spatialDims == 2, !b.training, b.trackRunningStats,
           b.runningMean != nil, b.numFeatures == conv.outChannels {
            bn = b
            j += 1
        }
        var activation = FusedActivation.none
        if j < layers.count {
            if layers[j] is ReLU { activation = .relu; j += 1 } else if layers[j] is ReLU6 { activation = .clamp(0, 6); j += 1 }
        }
        return j > i + 1 ? (conv, bn, activation, j - i) : nil
    }
}
