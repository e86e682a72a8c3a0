// Parameter initialisation as PyTorch's defaults, drawn from the engine's seeded generator.

extension Tensor {
    /// U(low, high) from `generator`.
    public static func uniform(_ shape: [Int], low: Float, high: Float, generator: Generator = .global) throws -> Tensor {
        let t = try Tensor.rand(shape, generator: generator)
        let scale = high - low
        for i in 0..<t.count { t.floats[i] = low + t.floats[i] * scale }
        return t
    }
}

/// PyTorch's Linear/Conv default: kaiming_uniform(a = sqrt(5)) for the weight and
/// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias; both reduce to bound 1/sqrt(fan_in).
func defaultInitBound(fanIn: Int) -> Float { fanIn > 0 ? 1 / Float(fanIn).squareRoot() : 0 }
