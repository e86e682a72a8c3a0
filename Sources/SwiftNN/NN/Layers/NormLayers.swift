// LayerNorm and GroupNorm modules (torch.nn.LayerNorm, GroupNorm): the affine parameters
// (weight ones, bias zeros, PyTorch's init) around the engine ops of Ops/Normalization.swift.
// No running statistics: training and eval compute the same thing.

public final class LayerNorm: Module {
    public let normalizedShape: [Int], eps: Double, elementwiseAffine: Bool, hasBias: Bool
    public let weight: Tensor?, bias: Tensor?

    public init(normalizedShape: [Int], eps: Double = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true) throws {
        guard !normalizedShape.isEmpty, normalizedShape.allSatisfy({ $0 >= 1 }) else {
            throw SNNError.invalid("LayerNorm: normalized_shape \(fmt(normalizedShape)) must have at least one entry, each >= 1")
        }
        guard eps >= 0, eps.isFinite else { throw SNNError.invalid("LayerNorm: eps \(eps) must be finite and >= 0") }
        self.normalizedShape = normalizedShape; self.eps = eps; self.elementwiseAffine = elementwiseAffine
        hasBias = elementwiseAffine && bias
        weight = elementwiseAffine ? try Tensor.ones(normalizedShape) : nil
        self.bias = hasBias ? try Tensor.zeros(normalizedShape) : nil
        super.init()
        if let weight { try registerParameter("weight", weight) }
        if let b = self.bias { try registerParameter("bias", b) }
    }

    public override var typeName: String { "LayerNorm" }
    public override var config: [(String, JSON)] {
        [("normalized_shape", .array(normalizedShape.map { .int($0) })), ("eps", .number(eps)),
         ("elementwise_affine", .bool(elementwiseAffine)), ("bias", .bool(hasBias))]
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        try layerNorm(x, normalizedShape: normalizedShape, weight: weight, bias: bias, eps: eps)
    }
}

public final class GroupNorm: Module {
    public let numGroups: Int, numChannels: Int, eps: Double, affine: Bool
    public let weight: Tensor?, bias: Tensor?

    public init(numGroups: Int, numChannels: Int, eps: Double = 1e-5, affine: Bool = true) throws {
        guard numGroups >= 1, numChannels >= 1, numChannels % numGroups == 0 else {
            throw SNNError.invalid("GroupNorm: num_channels (\(numChannels)) must be divisible by num_groups (\(numGroups)), both >= 1")
        }
        guard eps >= 0, eps.isFinite else { throw SNNError.invalid("GroupNorm: eps \(eps) must be finite and >= 0") }
        self.numGroups = numGroups; self.numChannels = numChannels; self.eps = eps; self.affine = affine
        weight = affine ? try Tensor.ones([numChannels]) : nil
        bias = affine ? try Tensor.zeros([numChannels]) : nil
        super.init()
        if let weight, let bias {
            try registerParameter("weight", weight)
            try registerParameter("bias", bias)
        }
    }

    public override var typeName: String { "GroupNorm" }
    public override var config: [(String, JSON)] {
        [("num_groups", .int(numGroups)), ("num_channels", .int(numChannels)), ("eps", .number(eps)), ("affine", .bool(affine))]
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 2, x.shape[1] == numChannels else {
            throw SNNError.shape("GroupNorm: expected input [N, \(numChannels), *], got \(fmt(x.shape))")
        }
        return try groupNorm(x, numGroups: numGroups, weight: weight, bias: bias, eps: eps)
    }
}
