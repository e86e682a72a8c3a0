// Activation modules (no parameters): ReLU, LeakyReLU, ReLU6, Tanh, Sigmoid.

public final class ReLU: Module {
    public override var typeName: String { "ReLU" }
    public override func forward(_ x: Tensor) throws -> Tensor { try relu(x) }
}

public final class LeakyReLU: Module {
    public let negativeSlope: Float
    public init(negativeSlope: Float = 0.01) { self.negativeSlope = negativeSlope; super.init() }
    public override var typeName: String { "LeakyReLU" }
    public override var config: [(String, JSON)] { [("negative_slope", .float(negativeSlope))] }
    public override func forward(_ x: Tensor) throws -> Tensor { try leakyReLU(x, negativeSlope: negativeSlope) }
}

public final class ReLU6: Module {
    public override var typeName: String { "ReLU6" }
    public override func forward(_ x: Tensor) throws -> Tensor { try relu6(x) }
}

public final class Tanh: Module {
    public override var typeName: String { "Tanh" }
    public override func forward(_ x: Tensor) throws -> Tensor { try tanh(x) }
}

public final class Sigmoid: Module {
    public override var typeName: String { "Sigmoid" }
    public override func forward(_ x: Tensor) throws -> Tensor { try sigmoid(x) }
}
