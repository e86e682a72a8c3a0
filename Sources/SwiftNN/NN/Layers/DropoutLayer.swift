// Dropout: zeroes elements with probability p in training (scaling the rest by 1/(1-p)),
// identity in eval. Masks come from the engine's seeded generator.

public final class Dropout: Module {
    public let p: Double
    public init(p: Double = 0.5) throws {
        guard p >= 0, p <= 1 else { throw SNNError.invalid("Dropout: p = \(p), expected 0 <= p <= 1") }
        self.p = p
        super.init()
    }
    public override var typeName: String { "Dropout" }
    public override var config: [(String, JSON)] { [("p", .number(p))] }
    public override func forward(_ x: Tensor) throws -> Tensor { try dropout(x, p: p, training: training) }
}
