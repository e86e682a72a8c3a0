// Sequential: children applied in order, named "0", "1", ... as in PyTorch (or given names).

import SwiftNNKernels

public final class Sequential: Module {
    public init(_ layers: [Module]) {
        super.init()
        for (i, l) in layers.enumerated() { registerChild(String(i), l) }
    }

    public init(named layers: [(String, Module)]) throws {
        super.init()
        var seen = Set<String>()
        for (n, l) in layers {
            // a new container is nobody's child yet: only the nesting limit can be exceeded
            try checkCanAdopt(l, "Sequential")
            guard !n.isEmpty, !n.contains("."), seen.insert(n).inserted else {
                throw SNNError.invalid("Sequential: child name '\(n)' is empty, contains '.', or repeats")
            }
            registerChild(n, l)
        }
    }

    public override var typeName: String { "Sequential" }
    public override var isContainer: Bool { true }

    public override func forward(_ input: Tensor) throws -> Tensor {
        if !training, let y = try inferenceForward(input) { return y }  // fused (SequentialInference.swift)
        let layers = children.map(\.module)
        var x = input
        var i = 0
        while i < layers.count {
            // A batch norm and the ReLU or ReLU6 after it: one fused node (BatchNorm.swift), unless
            // a feature extraction wants to see the layers' own outputs.
            if i + 1 < layers.count, let bn = layers[i] as? BatchNorm, !FeatureCapture.isActive {
                let activation: FusedActivation? = layers[i + 1] is ReLU6 ? .clamp(0, 6) : layers[i + 1] is ReLU ? .relu : nil
                if let activation, let y = try bn.forward(x, then: activation) {
                    x = y
                    i += 2
                    continue
                }
            }
            // A convolution and the ReLU after it: one node (ConvReLU.swift), the ReLU applied
            // inside the convolution.
            if i + 1 < layers.count, let conv = layers[i] as? Conv2d, layers[i + 1] is ReLU, !FeatureCapture.isActive {
                x = try conv2dReLU(x, weight: conv.weight, bias: conv.bias, stride: conv.stride, padding: conv.padding,
                                   dilation: conv.dilation, groups: conv.groups)
                i += 2
                continue
            }
            x = try layers[i](x)
            i += 1
        }
        return x
    }

    /// Appends a layer named by its position. Refuses this Sequential itself, a module that
    /// contains it (a cycle) and nesting deeper than `Module.maxNesting`.
    /// `caller` names the function in messages (the C export passes its own name).
    public func append(_ m: Module, caller: String = "Sequential.append") throws {
        try Module.treeLock.withLock {
            try checkCanAdopt(m, caller)
            registerChild(String(children.count), m)
        }
    }
}
