// What comparison, logic and selection ops share: the dtype two operands meet in (PyTorch's
// result_type), element readers and writers for every dtype, a cast, and the broadcast loop that
// writes a bool tensor. Kernels here read contiguous tensors (element i in row-major order).

/// PyTorch's order of dtypes for promotion: within our six, the promoted type of two dtypes is
/// the later one (bool < uint8 < int32 < int64 < float32 < float64).
private func promotionRank(_ d: DType) -> Int {
    switch d {
    case .bool: 0
    case .uint8: 1
    case .int32: 2
    case .int64: 3
    case .float32: 4
    case .float64: 5
    }
}

/// The category of a dtype for PyTorch's rule on 0-d operands: bool < integer < floating.
private func category(_ d: DType) -> Int { d == .bool ? 0 : (d.isFloatingPoint ? 2 : 1) }

/// The promoted dtype of two dtypes (both operands dimensioned, or both 0-d).
func promotedPair(_ a: DType, _ b: DType) -> DType { promotionRank(a) >= promotionRank(b) ? a : b }

/// PyTorch's result_type of two tensors: a 0-d operand decides the dtype only when its category
/// is higher than the dimensioned operand's (`int_tensor < float_0d` compares as float,
/// `float32_tensor < float64_0d` as float32, exactly as torch does).
func operandsResultType(_ a: Tensor, _ b: Tensor) -> DType {
    let aDim = a.rank > 0, bDim = b.rank > 0
    if aDim == bDim { return promotedPair(a.dtype, b.dtype) }
    let (hi, lo) = aDim ? (a.dtype, b.dtype) : (b.dtype, a.dtype)
    return category(lo) > category(hi) ? promotedPair(hi, lo) : hi
}

/// A number as the 0-d tensor PyTorch's scalar rules give it against `t`: in t's dtype when t
/// is floating, int64 when the number is integral (and t is not floating), else float32 (the
/// default dtype). So `int_tensor == 2` compares as integers and `float_tensor == 0.1` rounds
/// 0.1 to the tensor's precision first, as torch does.
func scalarOperand(_ value: Double, like t: Tensor, _ fn: String) throws -> Tensor {
    let dtype: DType
    if t.dtype.isFloatingPoint { dtype = t.dtype }
    else if value.rounded() == value, abs(value) < 9.2e18 { dtype = .int64 }
    else { dtype = .float32 }
    let s = try Tensor(empty: [], dtype: dtype, zeroed: false, fn)
    s.store(0, value)
    return s
}

extension Tensor {
    /// Element `i` as Float (float32 arithmetic: PyTorch computes float32 ops in float32).
    @inline(__always) func floatElement(_ i: Int) -> Float {
        switch dtype {
        case .float32: floats[i]
        case .float64: Float(doubles[i])
        case .int64: Float(int64s[i])
        case .int32: Float(int32s[i])
        case .uint8, .bool: Float(bytes[i])
        }
    }

    /// Element `i` of an integer or bool tensor as Int64 (a float element is truncated).
    @inline(__always) func integerElement(_ i: Int) -> Int64 {
        switch dtype {
        case .int64: int64s[i]
        case .int32: Int64(int32s[i])
        case .uint8, .bool: Int64(bytes[i])
        case .float32: saturatingInt64(Double(floats[i]))
        case .float64: saturatingInt64(doubles[i])
        }
    }

    /// Whether element `i` is nonzero (nan counts as nonzero, as in PyTorch).
    @inline(__always) func isNonzero(_ i: Int) -> Bool {
        switch dtype {
        case .float32: floats[i] != 0
        case .float64: doubles[i] != 0
        case .int64: int64s[i] != 0
        case .int32: int32s[i] != 0
        case .uint8, .bool: bytes[i] != 0
        }
    }

    /// Writes `v` into element `i`, converted to the dtype (bool: v != 0; integers: truncated
    /// toward zero, nan as 0 and out-of-range values saturated instead of trapping).
    @inline(__always) func store(_ i: Int, _ v: Double) {
        switch dtype {
        case .float32: floats[i] = Float(v)
        case .float64: doubles[i] = v
        case .int64: int64s[i] = saturatingInt64(v)
        case .int32: int32s[i] = Int32(truncatingIfNeeded: saturatingInt64(v))
        case .uint8: bytes[i] = UInt8(truncatingIfNeeded: saturatingInt64(v))
        case .bool: bytes[i] = v != 0 ? 1 : 0
        }
    }

    /// Writes the integer `v` into element `i` (wrapping into narrower integer dtypes).
    @inline(__always) func storeInteger(_ i: Int, _ v: Int64) {
        switch dtype {
        case .float32: floats[i] = Float(v)
        case .float64: doubles[i] = Double(v)
        case .int64: int64s[i] = v
        case .int32: int32s[i] = Int32(truncatingIfNeeded: v)
        case .uint8: bytes[i] = UInt8(truncatingIfNeeded: v)
        case .bool: bytes[i] = v != 0 ? 1 : 0
        }
    }

    /// The elements' bytes in row-major order, for byte-level copies: through the typed
    /// accessors' path, so a strided view reads its packed copy (never the raw storage).
    @inline(__always) var elementBytes: UnsafeMutableRawPointer { rawBytes }
}

/// `t` with its values converted to `dtype` (t itself when it already has it). Not recorded:
/// callers that need a gradient through the conversion convert the gradient back themselves.
func converted(_ t: Tensor, to dtype: DType, _ fn: String) throws -> Tensor {
    if t.dtype == dtype { return t }
    let out = try Tensor(empty: t.shape, dtype: dtype, zeroed: false, fn)
    if dtype == .float32 {
        for i in 0..<t.count { out.floats[i] = t.floatElement(i) }  // one rounding, from any dtype
    } else if t.dtype.isFloatingPoint || dtype == .float64 {
        for i in 0..<t.count { out.store(i, t.element(i)) }
    } else {
        for i in 0..<t.count { out.storeInteger(i, t.integerElement(i)) }
    }
    return out
}

/// C's float -> int64 conversion without its undefined cases: nan is 0, values beyond the
/// range saturate (a Swift `Int64(v)` would trap and end the host process).
@inline(__always) func saturatingInt64(_ v: Double) -> Int64 {
    if v.isNaN { return 0 }
    if v >= 9.223372036854775807e18 { return .max }
    if v <= -9.223372036854775808e18 { return .min }
    return Int64(v)
}

/// How two operands are read once their result type is known.
enum NumericDomain {
    case integer, float32, float64

    init(_ d: DType) { self = d == .float64 ? .float64 : (d == .float32 ? .float32 : .integer) }
}

/// out[i] = op(a[i], b[i]) into a new bool tensor of the broadcast shape, each operand read as T.
@inline(__always)
func boolMap2<T>(_ a: Tensor, _ b: Tensor, _ fn: String, _ read: (Tensor, Int) -> T,
                 _ op: (T, T) -> Bool) throws -> Tensor {
    let shape = a.shape == b.shape ? a.shape : try broadcastShapes(a.shape, b.shape, fn)
    let out = try Tensor(empty: shape, dtype: .bool, zeroed: false, fn)
    let po = out.bytes
    if a.shape == b.shape {
        for i in 0..<out.count { po[i] = op(read(a, i), read(b, i)) ? 1 : 0 }
        return out
    }
    forEachRun3(shape, broadcastStrides(a.shape, to: shape), broadcastStrides(b.shape, to: shape), contiguousStrides(shape)) { oa, ob, oo, n, ia, ib, io in
        for k in 0..<n { po[oo + k * io] = op(read(a, oa + k * ia), read(b, ob + k * ib)) ? 1 : 0 }
    }
    return out
}

/// out[i] = op(t[i]) into a new bool tensor of t's shape.
@inline(__always)
func boolMap1(_ t: Tensor, _ fn: String, _ op: (Tensor, Int) -> Bool) throws -> Tensor {
    let out = try Tensor(empty: t.shape, dtype: .bool, zeroed: false, fn)
    let po = out.bytes
    for i in 0..<t.count { po[i] = op(t, i) ? 1 : 0 }
    return out
}

/// Rejects a non-bool mask or condition with PyTorch's wording.
func requireBool(_ t: Tensor, _ fn: String, _ what: String) throws {
    guard t.dtype == .bool else {
        throw SNNError.dtype("\(fn): \(what) has dtype \(t.dtype.name), expected bool (make one with a comparison, e.g. x > 0)")
    }
}

/// Rejects a dtype a kernel with a gradient does not compute in (float32 and float64 only).
func requireFloatingPoint(_ t: Tensor, _ fn: String, _ what: String) throws {
    guard t.dtype.isFloatingPoint else {
        throw SNNError.dtype("\(fn): \(what) has dtype \(t.dtype.name), expected float32 or float64")
    }
}
