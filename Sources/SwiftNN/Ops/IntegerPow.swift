// pow with an integer result type (int64, int32, uint8), as PyTorch computes it: repeated
// squaring with wrapping products; a negative Python-number exponent is an error, while a
// negative exponent element of a tensor gives PyTorch's powi values (1 for base 1, +-1 for
// base -1, else 0). bool ** bool is not implemented in PyTorch either.

/// x ^ n for n >= 0 with wrapping products (PyTorch's integer pow overflows the same way).
@inline(__always)
private func wrappingPower<T: FixedWidthInteger>(_ x: T, _ n: Int64) -> T {
    var result: T = 1, b = x, k = n
    while k > 0 {
        if k & 1 == 1 { result = result &* b }
        b = b &* b
        k >>= 1
    }
    return result
}

/// PyTorch's powi for an integer base and exponent.
@inline(__always)
private func integerPower<T: FixedWidthInteger>(_ x: T, _ n: Int64) -> T {
    if n >= 0 { return wrappingPower(x, n) }
    if x == 1 { return 1 }
    if T.isSigned && x == 0 &- 1 { return n & 1 == 0 ? 1 : x }
    return 0
}

/// base ^ exponent for operands whose promoted dtype `dtype` is an integer type.
func integerPow(_ base: Tensor, _ exponent: Tensor, _ dtype: DType) throws -> Tensor {
    let fn = "pow"
    if dtype == .bool { throw SNNError.dtype("\(fn): \"pow\" not implemented for 'Bool'") }
    if exponent.isWrappedNumber, exponent.count == 1, exponent.integerElement(0) < 0 {
        throw SNNError.invalid("\(fn): Integers to negative integer powers are not allowed.")
    }
    let b = try converted(base, dtype), e = try converted(exponent, .int64)
    let shape = b.shape == e.shape ? b.shape : try broadcastShapes(b.shape, e.shape, fn)
    let out = try Tensor(empty: shape, dtype: dtype, zeroed: false, fn)
    func run<T: FixedWidthInteger>(_: T.Type) {
        let pb = b.rawBytes.assumingMemoryBound(to: T.self), pe = e.int64s, po = out.rawBytes.assumingMemoryBound(to: T.self)
        forEachRun3(shape, broadcastStrides(b.shape, to: shape), broadcastStrides(e.shape, to: shape), contiguousStrides(shape)) { ob, oe, oo, n, ib, ie, io in
            for k in 0..<n { po[oo + k * io] = integerPower(pb[ob + k * ib], pe[oe + k * ie]) }
        }
    }
    switch dtype {
    case .int64: run(Int64.self)
    case .int32: run(Int32.self)
    case .uint8: run(UInt8.self)
    case .float32, .float64, .bool: throw SNNError(.internalError, "\(fn): \(dtype.name) is not an integer result type")
    }
    return out.traced(.pow, [base, exponent])
}
