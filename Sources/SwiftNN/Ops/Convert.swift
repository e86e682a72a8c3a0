// Conversions between dtypes (torch's Tensor.to(dtype)), with PyTorch's rules: float -> integer
// truncates toward zero, NaN, inf and out-of-range values become the integer's minimum (what
// PyTorch gives on x86), uint8 keeps the low byte of that int64, integer narrowing wraps, and
// -> bool is `!= 0` (NaN is true). float -> float rounds to nearest and has a backward.

/// torch.Tensor.to(dtype): `t` itself when it already has `dtype` (as PyTorch returns self),
/// else a converted copy. The gradient of a float -> float conversion is converted back;
/// other conversions are not differentiable (their output never requires grad).
public func to(_ t: Tensor, _ dtype: DType) throws -> Tensor {
    if t.dtype == dtype { return t }
    let out = try Tensor(empty: t.shape, dtype: dtype, zeroed: false, "to")
    convertElements(t, into: out)
    let traced = out.traced(.to, [t], [("dtype", .int(Int(dtype.rawValue)))])
    guard t.dtype.isFloatingPoint && dtype.isFloatingPoint else { return traced }
    return traced.recorded("ToCopyBackward", [t], saves: [], readsOutput: false) { g in
        // forward: out = to(t, dtype)
        [try to(g, t.dtype)]
    }
}

extension Tensor {
    /// `to(self, dtype)`.
    public func to(_ dtype: DType) throws -> Tensor { try SwiftNN.to(self, dtype) }
}

/// Writes `src`'s elements, converted, into `dst` (same count, any two dtypes).
func convertElements(_ src: Tensor, into dst: Tensor) {
    let n = src.count
    switch src.dtype {
    case .float32: fromFloating(src.floats, n, dst)
    case .float64: fromFloating(src.doubles, n, dst)
    case .int64: fromInteger(src.int64s, n, dst)
    case .int32: fromInteger(src.int32s, n, dst)
    case .uint8, .bool: fromInteger(src.bytes, n, dst)
    }
}

@inline(__always)
private func map<S, D>(_ src: UnsafePointer<S>, _ dst: UnsafeMutablePointer<D>, _ n: Int, _ f: (S) -> D) {
    for i in 0..<n { dst[i] = f(src[i]) }
}

/// x truncated toward zero as Int64; NaN, inf and values outside Int64 give Int64.min
/// (x86's cvttsd2si, which is what PyTorch's cast compiles to), never a trap.
@inline(__always)
func int64TowardZero(_ x: Double) -> Int64 {
    x >= -0x1p63 && x < 0x1p63 ? Int64(x) : .min
}

/// The same for Int32 (out of range: Int32.min).
@inline(__always)
func int32TowardZero(_ x: Double) -> Int32 {
    x > -2147483649 && x < 2147483648 ? Int32(x) : .min
}

private func fromFloating<S: BinaryFloatingPoint>(_ p: UnsafePointer<S>, _ n: Int, _ d: Tensor) {
    switch d.dtype {
    case .float32: map(p, d.floats, n) { Float($0) }
    case .float64: map(p, d.doubles, n) { Double($0) }
    case .int64: map(p, d.int64s, n) { int64TowardZero(Double($0)) }
    case .int32: map(p, d.int32s, n) { int32TowardZero(Double($0)) }
    case .uint8: map(p, d.bytes, n) { UInt8(truncatingIfNeeded: int64TowardZero(Double($0))) }
    case .bool: map(p, d.bytes, n) { $0 != 0 ? 1 : 0 }
    }
}

private func fromInteger<S: BinaryInteger>(_ p: UnsafePointer<S>, _ n: Int, _ d: Tensor) {
    switch d.dtype {
    case .float32: map(p, d.floats, n) { Float($0) }
    case .float64: map(p, d.doubles, n) { Double($0) }
    case .int64: map(p, d.int64s, n) { Int64(truncatingIfNeeded: $0) }
    case .int32: map(p, d.int32s, n) { Int32(truncatingIfNeeded: $0) }
    case .uint8: map(p, d.bytes, n) { UInt8(truncatingIfNeeded: $0) }
    case .bool: map(p, d.bytes, n) { $0 != 0 ? 1 : 0 }
    }
}

// MARK: - registry

/// ONNX's TensorProto element type of a dtype (Cast's `to`).
func onnxElementType(_ d: DType) -> Int {
    switch d {
    case .float32: 1
    case .uint8: 2
    case .int32: 6
    case .int64: 7
    case .bool: 9
    case .float64: 11
    }
}

extension OpDef {
    /// Exports as ONNX Cast; Cast imports through ImportGraphOps (to the engine's dtypes).
    static let to = OpDef("to", c: "snn_tensor_to", python: "to", export: { b, r in
        guard case .int(let code)? = r.attribute("dtype"), let d = DType(rawValue: Int32(code)) else {
            throw SNNError(.internalError, "to: the trace record has no dtype")
        }
        try b.unary(r, "Cast", [ONNXAttribute("to", .int(Int64(onnxElementType(d))))])
    })
}
