// Linear: y = x W^T + b over the last dimension (torch.nn.Linear), one fused op.

public final class Linear: Module {
    public let inFeatures: Int, outFeatures: Int
    public let weight: Tensor
    public let bias: Tensor?

    public init(inFeatures: Int, outFeatures: Int, bias: Bool = true) throws {
        guard inFeatures >= 0, outFeatures >= 0 else {
            throw SNNError.invalid("Linear: in_features \(inFeatures) and out_features \(outFeatures) must be >= 0")
        }
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        let b = defaultInitBound(fanIn: inFeatures)
        weight = try Tensor.uniform([outFeatures, inFeatures], low: -b, high: b)
        self.bias = bias ? try Tensor.uniform([outFeatures], low: -b, high: b) : nil
        super.init()
        try registerParameter("weight", weight)
        if let bb = self.bias { try registerParameter("bias", bb) }
    }

    public override var typeName: String { "Linear" }
    public override var config: [(String, JSON)] {
        [("in_features", .int(inFeatures)), ("out_features", .int(outFeatures)), ("bias", .bool(bias != nil))]
    }
    public override func forward(_ x: Tensor) throws -> Tensor { try linear(x, weight: weight, bias: bias) }
}
