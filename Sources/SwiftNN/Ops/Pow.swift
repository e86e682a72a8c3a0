// Powers: torch.pow with a tensor exponent (broadcast) and with a scalar one. Scalar exponents
// 0, 1, ±0.5, 2, 3, -1, -2 take PyTorch's exact shortcuts (x*x, sqrt, 1/x, ...) so results and
// nan/inf cases match; others go to libm's powf (negative base, fractional exponent: nan).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// dst[i] = src[i] ^ e with PyTorch's special cases for common exponents.
func powScalarKernel(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int, _ e: Float) {
    switch e {
    case 0: for i in 0..<n { dst[i] = 1 }
    case 1: for i in 0..<n { dst[i] = src[i] }
    case 0.5: for i in 0..<n { dst[i] = src[i].squareRoot() }
    case -0.5: for i in 0..<n { dst[i] = 1 / src[i].squareRoot() }
    case 2: for i in 0..<n { dst[i] = src[i] * src[i] }
    case 3: for i in 0..<n { dst[i] = src[i] * src[i] * src[i] }
    case -1: for i in 0..<n { dst[i] = 1 / src[i] }
    case -2: for i in 0..<n { dst[i] = 1 / (src[i] * src[i]) }
    default: for i in 0..<n { dst[i] = powf(src[i], e) }
    }
}

/// torch.pow(t, exponent) for a scalar exponent. Gradient: g * (e * t^(e-1)), zero when e = 0.
public func pow(_ t: Tensor, _ exponent: Float) throws -> Tensor {
    if !t.dtype.isFloatingPoint {
        // An integral exponent keeps an integer tensor integer (the number's own type, as a
        // Python int would); any other one gives float32, as PyTorch's promotion.
        let e = Double(exponent)
        return try pow(t, e.rounded() == e && e.magnitude < 0x1p62 ? try Tensor.number(Int64(e)) : try Tensor.number(e))
    }
    if t.dtype == .float64 {
        let e = Double(exponent)
        // PyTorch takes sqrt for +-0.5 (so (-inf) ** 0.5 is nan, not pow's inf).
        let f: (Double) -> Double = e == 0.5 ? { $0.squareRoot() } : e == -0.5 ? { 1 / $0.squareRoot() } : { Glibc.pow($0, e) }
        return try float64Unary(t, .pow, "PowBackward", f, derivative: { x, _ in e == 0 ? 0 : e * Glibc.pow(x, e - 1) })
    }
    let out = try unaryKernel(t, "pow") { powScalarKernel($0, $1, $2, exponent) }
    return out.traced(.pow, [t], [("exponent", .float(Double(exponent)))]).recorded("PowBackward", [t], readsOutput: false) { g in
        // forward: out = t ^ e
        if exponent == 0 { return [try Tensor.zeros(t.shape)] }
        let d = try unaryKernel(t, "pow_backward") { powScalarKernel($0, $1, $2, exponent - 1) }
        return [try broadcastBinary(g, d, "pow_backward") { g, p in g * (exponent * p) }]
    }
}

/// torch.pow(base, exponent) elementwise with broadcasting. Gradients as PyTorch's:
/// d/dbase = e * base^(e-1) (0 where e = 0); d/dexponent = out * log(base) (0 where base = 0
/// and e >= 0), so a negative base gives a nan exponent gradient.
public func pow(_ base: Tensor, _ exponent: Tensor) throws -> Tensor {
    if base.dtype != .float32 || exponent.dtype != .float32 { return try promotedPow(base, exponent) }
    let out = try broadcastBinary(base, exponent, "pow") { powf($0, $1) }
    return out.traced(.pow, [base, exponent]).recorded("PowBackward", [base, exponent], readsOutput: false) { g in
        // forward: out = base ^ exponent
        var gb: Tensor? = nil, ge: Tensor? = nil
        if base.requiresGrad {
            let d = try broadcastBinary(base, exponent, "pow_backward") { x, e in e == 0 ? 0 : e * powf(x, e - 1) }
            gb = try sumToShape(try broadcastBinary(g, d, "pow_backward", *), base.shape)
        }
        if exponent.requiresGrad {
            let d = try broadcastBinary(base, exponent, "pow_backward") { x, e in
                x == 0 && e >= 0 ? 0 : powf(x, e) * logf(x)
            }
            ge = try sumToShape(try broadcastBinary(g, d, "pow_backward", *), exponent.shape)
        }
        return [gb, ge]
    }
}

// MARK: - registry

extension OpDef {
    /// SwiftNN.pow(t, scalar) traces one input and an `exponent` attribute; SwiftNN.pow(t, tensor) two inputs.
    static let pow = OpDef("pow", c: "snn_tensor_pow", python: "pow", golden: ["pow", "pow_scalar"],
                           export: { b, r in
                               guard r.inputs.count == 1 else { return try b.binary(r, "Pow") }
                               let x = try b.value(try r.input(0))
                               let e = b.constFloats([Float(r.float("exponent") ?? 1)], shape: [], "exponent")
                               b.define(r.outputs[0], b.node1("Pow", [x.name, e]), batch: x.batch)
                           },
                           imports: [
                               "Pow": { n in try n.binary { base, e in
                                   if base.dtype == .int64 { return try truncatedInt64(try SwiftNN.pow(try asFloat(base), try asFloat(e))) }
                                   return try SwiftNN.pow(base, try asFloat(e))
                               } },
                           ])
}

/// pow of operands that are not both float32: promoted (a Python number exponent keeps a
/// float32 base float32), then the float32 kernel or, for float64, the same rules in Double;
/// integer results as PyTorch's (IntegerPow.swift).
private func promotedPow(_ base: Tensor, _ exponent: Tensor) throws -> Tensor {
    let dtype = promote(base, exponent)
    guard dtype.isFloatingPoint else { return try integerPow(base, exponent, dtype) }
    let b = try converted(base, dtype), e = try converted(exponent, dtype)
    if dtype == .float32 { return try pow(b, e) }
    let out = try typedBinary(b, e, Double.self, .float64, "pow") { Glibc.pow($0, $1) }
    return out.traced(.pow, [b, e]).recorded("PowBackward", [b, e]) { g in
        // forward: out = base ^ exponent
        var gb: Tensor? = nil, ge: Tensor? = nil
        if b.requiresGrad {
            let d = try typedBinary(b, e, Double.self, .float64, "pow_backward") { x, e in e == 0 ? 0 : e * Glibc.pow(x, e - 1) }
            gb = try sumTo(try mul(g, d), b.shape)
        }
        if e.requiresGrad {
            let d = try typedBinary(b, e, Double.self, .float64, "pow_backward") { x, e in x == 0 && e >= 0 ? 0 : Glibc.pow(x, e) * Glibc.log(x) }
            ge = try sumTo(try mul(g, d), e.shape)
        }
        return [gb, ge]
    }
}
