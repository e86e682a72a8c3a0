// Tensor factories: zeros, ones, full, arange, rand, randn (PyTorch's names and semantics).

extension Tensor {
    public static func zeros(_ shape: [Int]) throws -> Tensor {
        try Tensor(empty: shape, dtype: .float32, zeroed: true, "zeros")
    }

    public static func ones(_ shape: [Int]) throws -> Tensor { try full(shape, 1, "ones") }

    public static func full(_ shape: [Int], _ value: Float, _ fn: String = "full") throws -> Tensor {
        let t = try Tensor(empty: shape, dtype: .float32, zeroed: false, fn)
        t.floats.initialize(repeating: value, count: t.count)
        return t
    }

    /// A tensor of `dtype` filled with `value` converted as `to` converts (truncation toward
    /// zero for integers, `!= 0` for bool): torch.full(..., dtype=).
    public static func full(_ shape: [Int], _ value: Double, dtype: DType, _ fn: String = "full") throws -> Tensor {
        if dtype == .float32 { return try full(shape, Float(value), fn) }
        let t = try Tensor(empty: shape, dtype: dtype, zeroed: false, fn)
        let one = try Tensor(empty: [], dtype: .float64, zeroed: false, fn)
        one.doubles[0] = value
        let v = try Tensor(empty: [], dtype: dtype, zeroed: false, fn)
        convertElements(one, into: v)
        let size = dtype.byteSize
        for i in 0..<t.count { (t.rawBytes + i * size).copyMemory(from: v.rawBytes, byteCount: size) }
        return t
    }

    /// torch.arange with a dtype: the values are computed in Double and converted as `to`
    /// converts (exact for integers below 2^53). PyTorch's default for integer arguments is
    /// int64, which the caller chooses.
    public static func arange(_ start: Double, _ end: Double, _ step: Double = 1, dtype: DType) throws -> Tensor {
        let f = try arange(start, end, step, computeIn: .float64)
        return dtype == .float64 ? f : try SwiftNN.to(f, dtype)
    }

    /// Values `start, start + step, ...` below `end` (above, for a negative step), as `torch.arange`.
    public static func arange(_ start: Double, _ end: Double, _ step: Double = 1) throws -> Tensor {
        try arange(start, end, step, computeIn: .float32)
    }

    private static func arange(_ start: Double, _ end: Double, _ step: Double, computeIn dtype: DType) throws -> Tensor {
        let fn = "arange"
        guard step != 0, step.isFinite, start.isFinite, end.isFinite else {
            throw SNNError.invalid("\(fn): start, end and step must be finite and step non-zero (got \(start), \(end), \(step))")
        }
        guard (end - start) / step >= 0 else {
            throw SNNError.invalid("\(fn): upper bound and larger bound inconsistent with step sign (start \(start), end \(end), step \(step))")
        }
        let nd = ((end - start) / step).rounded(.up)
        guard nd <= Double(maxElementCount) else {
            throw SNNError(.outOfMemory, "\(fn): \(nd) elements exceed the limit of 2^40")
        }
        let t = try Tensor(empty: [Int(nd)], dtype: dtype, zeroed: false, fn)
        if dtype == .float64 {
            for i in 0..<t.count { t.doubles[i] = start + Double(i) * step }
        } else {
            for i in 0..<t.count { t.floats[i] = Float(start + Double(i) * step) }
        }
        return t
    }

    /// Uniform [0, 1) from `generator` (default: the global one), see Random.swift.
    public static func rand(_ shape: [Int], generator: Generator = .global) throws -> Tensor {
        let t = try Tensor(empty: shape, dtype: .float32, zeroed: false, "rand")
        generator.fillUniform(t.floats, t.count)
        return t
    }

    /// Standard normal from `generator` (default: the global one), see Random.swift.
    public static func randn(_ shape: [Int], generator: Generator = .global) throws -> Tensor {
        let t = try Tensor(empty: shape, dtype: .float32, zeroed: false, "randn")
        generator.fillNormal(t.floats, t.count)
        return t
    }
}
