// One-input ops on dtypes other than float32: float64 forward and backward from a Double
// forward and its derivative (one line per op, beside its float32 kernel), and the integer
// forms of neg and abs (wrapping, as PyTorch).

/// out[i] = op(t[i]) for a tensor of element type T, into a new tensor of `dtype`.
@inline(__always)
func typedUnary<T, U>(_ t: Tensor, _ from: T.Type, _ to: U.Type, _ dtype: DType, _ fn: String, _ op: (T) -> U) throws -> Tensor {
    let out = try Tensor(empty: t.shape, dtype: dtype, zeroed: false, fn)
    let src = t.rawBytes.assumingMemoryBound(to: T.self), dst = out.rawBytes.assumingMemoryBound(to: U.self)
    for i in 0..<t.count { dst[i] = op(src[i]) }
    return out
}

/// The float64 form of a one-input op: `f` forward; backward g * derivative(x, out). Throws for
/// other dtypes than float64, naming the op.
func float64Unary(_ t: Tensor, _ def: OpDef, _ backwardName: String, _ f: (Double) -> Double,
                  derivative: @escaping (Double, Double) -> Double) throws -> Tensor {
    guard t.dtype == .float64 else {
        throw SNNError.dtype("\(def.name): input has dtype \(t.dtype.name), expected float32 or float64")
    }
    let out = try typedUnary(t, Double.self, Double.self, .float64, def.name, f)
    let saved = out.savedForBackward
    return out.traced(def, [t]).recorded(backwardName, [t]) { g in
        let gi = try Tensor(empty: t.shape, dtype: .float64, zeroed: false, "\(def.name)_backward")
        let pg = g.doubles, px = t.doubles, py = saved.doubles, po = gi.doubles
        for i in 0..<t.count { po[i] = pg[i] * derivative(px[i], py[i]) }
        return [gi]
    }
}

/// A one-input op whose float32 form is `float32` and whose float64 form is given by
/// `f` and its `derivative`: dispatches on t's dtype. Integer inputs are an error naming
/// the op (PyTorch promotes some of them to float; convert with to() first).
@inline(__always)
func floatUnary(_ t: Tensor, _ def: OpDef, _ backwardName: String, float32: (Tensor) throws -> Tensor,
                _ f: (Double) -> Double, derivative: @escaping (Double, Double) -> Double) throws -> Tensor {
    if t.dtype == .float64 { return try float64Unary(t, def, backwardName, f, derivative: derivative) }
    return try float32(t)
}

/// neg and abs of integer tensors (wrapping: -Int64.min is Int64.min, as PyTorch), and of
/// float64 with a backward. bool is refused, as PyTorch refuses it.
func signOp(_ t: Tensor, negate: Bool) throws -> Tensor {
    let fn = negate ? "neg" : "abs"
    func int<T: FixedWidthInteger & SignedInteger>(_ type: T.Type) throws -> Tensor {
        try typedUnary(t, T.self, T.self, t.dtype, fn) { negate ? 0 &- $0 : ($0 < 0 ? 0 &- $0 : $0) }
    }
    let out: Tensor
    switch t.dtype {
    case .float64:
        return negate ? try float64Unary(t, .neg, "NegBackward", { -$0 }, derivative: { _, _ in -1 })
            : try float64Unary(t, .abs, "AbsBackward", { $0.magnitude }, derivative: { x, _ in x > 0 ? 1 : (x < 0 ? -1 : 0) })
    case .int64: out = try int(Int64.self)
    case .int32: out = try int(Int32.self)
    case .uint8: out = try typedUnary(t, UInt8.self, UInt8.self, .uint8, fn) { negate ? 0 &- $0 : $0 }
    case .bool: throw SNNError.dtype("\(fn): not supported for bool tensors (PyTorch refuses it too; use logical_not)")
    case .float32: throw SNNError(.internalError, "\(fn): float32 takes the float kernel")
    }
    return out.traced(negate ? .neg : .abs, [t])
}
