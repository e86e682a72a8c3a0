// Flatten: merges dimensions start_dim...end_dim (PyTorch's defaults 1 and -1), sharing storage.

public final class Flatten: Module {
    public let startDim: Int, endDim: Int
    public init(startDim: Int = 1, endDim: Int = -1) { self.startDim = startDim; self.endDim = endDim; super.init() }
    public override var typeName: String { "Flatten" }
    public override var config: [(String, JSON)] { [("start_dim", .int(startDim)), ("end_dim", .int(endDim))] }
    public override func forward(_ x: Tensor) throws -> Tensor { try flatten(x, startDim: startDim, endDim: endDim) }
}
