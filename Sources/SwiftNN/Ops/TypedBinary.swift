// Binary arithmetic on every dtype: the operands are promoted (`promote`), converted, and run
// by one generic broadcasting kernel specialised per element type. float32 pairs keep their
// own kernels in Binary.swift (this path adds nothing to them); float64 records a backward
// built from the same ops, so double-precision gradients check to ~1e-10.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One elementwise operation for each element type: floats in their own precision; integers
/// in Int64 with wrapping, the result truncated to the narrower type (the same bits as
/// wrapping in that type for + - *; exact for // and % on values of that type); bool as
/// 0/1 integers, the result `!= 0` (so + is or, * is and, as PyTorch).
struct ElementwiseMath {
    let f32: (Float, Float) -> Float
    let f64: (Double, Double) -> Double
    let int: (Int64, Int64) -> Int64
}

/// out[i] = op(a[i], b[i]) with broadcasting, both operands of `dtype` already, element type T.
@inline(__always)
func typedBinary<T>(_ a: Tensor, _ b: Tensor, _ type: T.Type, _ dtype: DType, _ fn: String,
                    _ op: (T, T) -> T) throws -> Tensor {
    let shape = a.shape == b.shape ? a.shape : try broadcastShapes(a.shape, b.shape, fn)
    let out = try Tensor(empty: shape, dtype: dtype, zeroed: false, fn)
    let pa = a.rawBytes.assumingMemoryBound(to: T.self), pb = b.rawBytes.assumingMemoryBound(to: T.self)
    let po = out.rawBytes.assumingMemoryBound(to: T.self)
    if a.shape == b.shape {
        for i in 0..<out.count { po[i] = op(pa[i], pb[i]) }
    } else if b.count == 1 && a.count == out.count {
        let s = pb[0]
        for i in 0..<out.count { po[i] = op(pa[i], s) }
    } else {
        let sa = broadcastStrides(a.shape, to: shape), sb = broadcastStrides(b.shape, to: shape)
        forEachRun3(shape, sa, sb, contiguousStrides(shape)) { oa, ob, oo, n, ia, ib, io in
            for k in 0..<n { po[oo + k * io] = op(pa[oa + k * ia], pb[ob + k * ib]) }
        }
    }
    return out
}

/// `math` on a and b, which already have `dtype`.
func elementwise(_ a: Tensor, _ b: Tensor, _ dtype: DType, _ fn: String, _ math: ElementwiseMath) throws -> Tensor {
    let op = math.int
    switch dtype {
    case .float32: return try typedBinary(a, b, Float.self, dtype, fn, math.f32)
    case .float64: return try typedBinary(a, b, Double.self, dtype, fn, math.f64)
    case .int64: return try typedBinary(a, b, Int64.self, dtype, fn, op)
    case .int32: return try typedBinary(a, b, Int32.self, dtype, fn) { Int32(truncatingIfNeeded: op(Int64($0), Int64($1))) }
    case .uint8: return try typedBinary(a, b, UInt8.self, dtype, fn) { UInt8(truncatingIfNeeded: op(Int64($0), Int64($1))) }
    case .bool: return try typedBinary(a, b, UInt8.self, dtype, fn) { op(Int64($0), Int64($1)) != 0 ? 1 : 0 }
    }
}

/// The binary ops that promote: each names its math and how its result dtype follows from
/// the promoted one.
enum PromotedOp {
    case add, sub, mul, div, floorDivide, remainder

    var name: String {
        switch self {
        case .add: "add"
        case .sub: "sub"
        case .mul: "mul"
        case .div: "div"
        case .floorDivide: "floor_divide"
        case .remainder: "remainder"
        }
    }
}

/// a op b for operands that are not both float32: promote, convert (recorded, so gradients
/// reach float inputs of another precision), compute, and record a float64 backward.
func promotedBinary(_ a: Tensor, _ b: Tensor, _ op: PromotedOp) throws -> Tensor {
    let fn = op.name
    var dtype = promote(a, b)
    if op == .div && !dtype.isFloatingPoint { dtype = .float32 }  // true division: the default float dtype
    if op == .sub && (a.dtype == .bool || b.dtype == .bool) {
        // PyTorch's wording.
        throw SNNError.dtype(a.dtype == .bool && b.dtype == .bool
            ? "\(fn): Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead."
            : "\(fn): Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    }
    if dtype == .bool && (op == .floorDivide || op == .remainder) {
        throw SNNError.dtype("\(fn): not supported for two bool operands (PyTorch refuses it too; convert with to())")
    }
    let x = try converted(a, dtype), y = try converted(b, dtype)
    if dtype == .float32 {  // the float32 kernels, with their own recording
        switch op {
        case .add: return try add(x, y)
        case .sub: return try sub(x, y)
        case .mul: return try mul(x, y)
        case .div: return try div(x, y)
        case .floorDivide, .remainder: break
        }
    }
    if !dtype.isFloatingPoint && (op == .floorDivide || op == .remainder) {
        try requireNoZero(y, fn)
    }
    let out = try elementwise(x, y, dtype, fn, op.math)
    let traced = out.traced(op.def, [x, y])
    // floor_divide is piecewise constant and PyTorch defines no derivative for it: its result
    // is not recorded (it does not require grad), so no backward can reach a missing formula.
    guard dtype.isFloatingPoint, op != .floorDivide else { return traced }
    // The pullbacks read what `saved` lists, never their result.
    let saved = out.savedForBackward  // not `out`, which owns the node (a cycle)
    return traced.recorded(op.backwardName, [x, y], saves: op.saved(x, y), readsOutput: false) { g in try op.pullback(g, x, y, saved) }
}

/// An operand converted to the promoted dtype: through `to` (traced, and recorded for
/// autograd), except a wrapped number, which becomes a new constant: a traced graph (ONNX
/// export) then holds the number in the computation's dtype, not a float64 cast.
func converted(_ t: Tensor, _ dtype: DType) throws -> Tensor {
    guard t.isWrappedNumber else { return try to(t, dtype) }
    if t.dtype == dtype { return t }
    let c = try Tensor(empty: t.shape, dtype: dtype, zeroed: false, "to")
    convertElements(t, into: c)
    return c
}

/// Integer division by zero has no value: PyTorch raises ZeroDivisionError.
private func requireNoZero(_ t: Tensor, _ fn: String) throws {
    for i in 0..<t.count where t.element(i) == 0 {
        throw SNNError.invalid("\(fn): ZeroDivisionError: integer division by zero (element \(i) of the divisor)")
    }
}

/// Python's floor division: the quotient rounded toward -inf (Int64.min // -1 wraps).
@inline(__always)
func floorDivideInt(_ a: Int64, _ b: Int64) -> Int64 {
    let (q, overflow) = a.dividedReportingOverflow(by: b)
    if overflow { return q }
    return (a % b != 0 && (a < 0) != (b < 0)) ? q &- 1 : q
}

/// Python's %: the remainder takes the divisor's sign.
@inline(__always)
func remainderInt(_ a: Int64, _ b: Int64) -> Int64 {
    let (r, overflow) = a.remainderReportingOverflow(dividingBy: b)
    if overflow { return 0 }
    return (r != 0 && (r < 0) != (b < 0)) ? r &+ b : r
}

/// PyTorch's div_floor for floats (c10/util/generic_math.h): exact where floor(a / b) is not.
@inline(__always)
func floorDivideFloat<T: BinaryFloatingPoint>(_ a: T, _ b: T, fmod: (T, T) -> T) -> T {
    if b == 0 { return a / b }
    let mod = fmod(a, b)
    var div = (a - mod) / b
    if mod != 0 && (b < 0) != (mod < 0) { div -= 1 }
    if div == 0 { return T(signOf: a / b, magnitudeOf: 0) }
    var floordiv = div.rounded(.down)
    if div - floordiv > 0.5 { floordiv += 1 }
    return floordiv
}

/// PyTorch's remainder for floats: fmod, moved into the divisor's sign.
@inline(__always)
func remainderFloat<T: BinaryFloatingPoint>(_ a: T, _ b: T, fmod: (T, T) -> T) -> T {
    let mod = fmod(a, b)
    return mod != 0 && (b < 0) != (mod < 0) ? mod + b : mod
}

extension PromotedOp {
    var math: ElementwiseMath {
        switch self {
        case .add: ElementwiseMath(f32: +, f64: +, int: &+)
        case .sub: ElementwiseMath(f32: -, f64: -, int: &-)
        case .mul: ElementwiseMath(f32: *, f64: *, int: &*)
        case .div: ElementwiseMath(f32: /, f64: /, int: { _, _ in 0 })  // never integral (promoted to float)
        case .floorDivide: ElementwiseMath(f32: { floorDivideFloat($0, $1, fmod: fmodf) }, f64: { floorDivideFloat($0, $1, fmod: fmod) },
                                           int: floorDivideInt)
        case .remainder: ElementwiseMath(f32: { remainderFloat($0, $1, fmod: fmodf) }, f64: { remainderFloat($0, $1, fmod: fmod) },
                                         int: remainderInt)
        }
    }

    var def: OpDef {
        switch self {
        case .add: .add
        case .sub: .sub
        case .mul: .mul
        case .div: .div
        case .floorDivide: .floorDivide
        case .remainder: .remainder
        }
    }

    var backwardName: String {
        switch self {
        case .add: "AddBackward"
        case .sub: "SubBackward"
        case .mul: "MulBackward"
        case .div: "DivBackward"
        case .floorDivide: "FloorDivideBackward"
        case .remainder: "RemainderBackward"
        }
    }

    /// Gradients for floating operands of one dtype, from the same ops (no recording: backward
    /// runs without grad). floor_divide has none (PyTorch defines no derivative): never recorded.
    /// What `pullback` reads of its operands (PyTorch's saved variables of the same op).
    func saved(_ a: Tensor, _ b: Tensor) -> [Tensor] {
        switch self {
        case .add, .sub: []
        case .mul: savedByMul(a, b)
        case .div: b.requiresGrad ? [a, b] : [b]
        case .floorDivide, .remainder: [a, b]
        }
    }

    func pullback(_ g: Tensor, _ a: Tensor, _ b: Tensor, _ out: Tensor) throws -> [Tensor?] {
        func reduced(_ t: Tensor, _ like: Tensor) throws -> Tensor? { like.requiresGrad ? try sumTo(t, like.shape) : nil }
        switch self {
        case .add:
            // forward: out = a + b
            return [try reduced(g, a), try reduced(g, b)]
        case .sub:
            // forward: out = a - b
            return [try reduced(g, a), b.requiresGrad ? try reduced(try SwiftNN.neg(g), b) : nil]
        case .mul:
            // forward: out = a * b
            return [a.requiresGrad ? try reduced(try SwiftNN.mul(g, b), a) : nil, b.requiresGrad ? try reduced(try SwiftNN.mul(g, a), b) : nil]
        case .div:
            // forward: out = a / b; d/da = 1/b, d/db = -(a / b) / b (from a, not out: see div)
            return [a.requiresGrad ? try reduced(try SwiftNN.div(g, b), a) : nil,
                    b.requiresGrad ? try reduced(try SwiftNN.neg(try SwiftNN.div(try SwiftNN.mul(g, try SwiftNN.div(a, b)), b)), b) : nil]
        case .floorDivide:
            // forward: out = floor(a / b); never recorded (see promotedBinary)
            throw SNNError(.internalError, "backward: floor_divide is not recorded for autograd")
        case .remainder:
            // forward: out = a - b * floor(a / b); d/da = 1, d/db = -floor(a / b)
            return [try reduced(g, a),
                    b.requiresGrad ? try reduced(try SwiftNN.neg(try SwiftNN.mul(g, try floorDivideOp(a, b))), b) : nil]
        }
    }
}

/// Sums `g` (of a broadcast shape) down to `shape`: the adjoint of broadcasting, and the sum
/// reduction. float32 keeps sumToShape's kernel; float64 and int64 (wrapping) sum here.
func sumTo(_ g: Tensor, _ shape: [Int]) throws -> Tensor {
    if g.shape == shape { return g }
    switch g.dtype {
    case .float32: return try sumToShape(g, shape)
    case .float64: return try sumTo(g, shape, Double.self, +)
    case .int64: return try sumTo(g, shape, Int64.self, &+)
    default: throw SNNError(.internalError, "sum_to_size: \(g.dtype.name) is summed as int64")
    }
}

private func sumTo<T>(_ g: Tensor, _ shape: [Int], _ type: T.Type, _ plus: (T, T) -> T) throws -> Tensor {
    let out = try Tensor(empty: shape, dtype: g.dtype, zeroed: true, "sum_to_size")
    let so = broadcastStrides(shape, to: g.shape)
    let pg = g.rawBytes.assumingMemoryBound(to: T.self), po = out.rawBytes.assumingMemoryBound(to: T.self)
    forEachRun2(g.shape, contiguousStrides(g.shape), so) { og, oo, n, ig, io in
        for k in 0..<n { po[oo + k * io] = plus(po[oo + k * io], pg[og + k * ig]) }
    }
    return out
}

// MARK: - floor_divide and remainder

/// torch.floor_divide (Python's //): the quotient rounded toward -inf, on promoted operands;
/// integer division by zero is an error. PyTorch defines no derivative for it: the result does
/// not require grad.
public func floorDivideOp(_ a: Tensor, _ b: Tensor) throws -> Tensor { try promotedBinary(a, b, .floorDivide) }

/// torch.remainder (Python's %): a - b * floor(a / b), the sign of the divisor; integer
/// division by zero is an error.
public func remainder(_ a: Tensor, _ b: Tensor) throws -> Tensor { try promotedBinary(a, b, .remainder) }

extension OpDef {
    static let floorDivide = OpDef("floor_divide", c: "snn_tensor_floor_divide", python: "floor_divide", differentiable: false,
                                   export: { b, r in
                                       throw SNNError(.unsupported, "onnx export: floor_divide has no single ONNX node (Div truncates integers)")
                                   })
    static let remainder = OpDef("remainder", c: "snn_tensor_remainder", python: "remainder",
                                 export: { b, r in
                                     throw SNNError(.unsupported, "onnx export: remainder is not exported (ONNX Mod's fmod=0 differs on floats)")
                                 },
                                 imports: ["Mod": importMod])
}

/// ONNX Mod: fmod = 0 (integers only) is Python's % (the divisor's sign), remainder itself;
/// fmod = 1 is C's fmod (the dividend's sign): integer % for int64, a - b trunc(a / b) for floats.
private func importMod(_ n: ImportNode) throws -> ImportKernel {
    let fmod = try n.attrs(["fmod"]).int("fmod", 0)
    guard fmod == 0 || fmod == 1 else { throw SNNError.invalid("\(n.label): fmod is \(fmod), expected 0 or 1") }
    let label = n.label
    return { xs in
        let a = try input(xs, 0), b = try input(xs, 1)
        let integers = a.dtype == .int64 && b.dtype == .int64
        if fmod == 0 {
            guard integers else {
                throw SNNError.invalid("\(label): fmod = 0 needs integer inputs, got \(a.dtype.name) and \(b.dtype.name) (ONNX requires fmod = 1 for floating point)")
            }
            return [try remainder(a, b)]
        }
        if integers {
            return [try intBinary(a, b, "Mod") { x, y in y == 0 ? nil : x.remainderReportingOverflow(dividingBy: y).partialValue }]
        }
        let q = try div(a, b)
        let truncated = try mul(try sign(q), try floor(try abs(q)))
        return [try sub(a, try mul(b, truncated))]
    }
}
