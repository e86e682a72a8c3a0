// The ONNX ops an imported model can run, each compiled once at load time from its node
// (attributes read and checked there) into a closure over engine ops. Semantics follow the
// ONNX operator spec per opset (ReduceSum axes as input from 13, other reductions from 18,
// Squeeze/Unsqueeze axes from 13, Softmax per-axis from 13, Clip bounds as inputs from 11).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

typealias ImportKernel = ([Tensor?]) throws -> [Tensor]

/// The ops `compileNode` knows, for callers that select models (and for error messages).
public let onnxImportOps: Set<String> = [
    "Identity", "Constant", "Add", "Sub", "Mul", "Div", "Pow", "MatMul", "Gemm", "Relu", "LeakyRelu",
    "Tanh", "Sigmoid", "Exp", "Log", "Sqrt", "Abs", "Neg", "Reciprocal", "Clip", "Softmax", "LogSoftmax",
    "Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "BatchNormalization",
    "Dropout", "Reshape", "Flatten", "Transpose", "Concat", "Squeeze", "Unsqueeze", "Slice", "Gather",
    "Shape", "Size", "Expand", "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceLogSumExp",
    "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSum", "ArgMax", "ArgMin", "Sum", "Mean",
    "Softplus", "Softsign", "Elu", "Selu", "Celu", "HardSigmoid", "HardSwish", "PRelu", "Mish", "Gelu",
    "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Floor",
    "Ceil", "Round", "Sign", "Erf", "LayerNormalization", "InstanceNormalization", "ConstantOfShape",
    "Range", "Tile", "Split", "Pad", "Cast", "LSTM", "GRU", "RNN",
]

/// A node's attributes, read with type checks; an attribute the op does not know is an error.
struct NodeAttributes {
    let node: ONNXNode
    let label: String

    init(_ node: ONNXNode, _ label: String, known: [String]) throws {
        self.node = node
        self.label = label
        for a in node.attributes where !known.contains(a.name) {
            throw SNNError(.unsupported, "\(label): attribute '\(a.name)' is not supported")
        }
    }

    func has(_ n: String) -> Bool { node.attribute(n) != nil }

    func int(_ n: String, _ d: Int) throws -> Int {
        guard let v = node.attribute(n) else { return d }
        guard case let .int(i) = v else { throw SNNError(.format, "\(label): attribute '\(n)' is not an int") }
        return Int(truncatingIfNeeded: i)
    }

    func ints(_ n: String) throws -> [Int]? {
        guard let v = node.attribute(n) else { return nil }
        guard case let .ints(i) = v else { throw SNNError(.format, "\(label): attribute '\(n)' is not a list of ints") }
        return i.map { Int(truncatingIfNeeded: $0) }
    }

    func float(_ n: String, _ d: Float) throws -> Float {
        guard let v = node.attribute(n) else { return d }
        guard case let .float(f) = v else { throw SNNError(.format, "\(label): attribute '\(n)' is not a float") }
        return f
    }

    func string(_ n: String, _ d: String) throws -> String {
        guard let v = node.attribute(n) else { return d }
        guard case let .string(s) = v else { throw SNNError(.format, "\(label): attribute '\(n)' is not a string") }
        return s
    }
}

// MARK: - small helpers over engine tensors

func input(_ xs: [Tensor?], _ i: Int, _ what: String = "input") throws -> Tensor {
    guard i < xs.count, let t = xs[i] else { throw SNNError.invalid("\(what) \(i) is missing") }
    return t
}

func optionalInput(_ xs: [Tensor?], _ i: Int) -> Tensor? { i < xs.count ? xs[i] : nil }

/// The values of an int64 tensor of rank 0 or 1 (shapes, axes, indices).
func intList(_ t: Tensor, _ what: String) throws -> [Int] {
    guard t.dtype == .int64 else { throw SNNError.dtype("\(what) has dtype \(t.dtype.name), expected int64") }
    guard t.rank <= 1 else { throw SNNError.shape("\(what) has shape \(fmt(t.shape)), expected a list") }
    return (0..<t.count).map { Int(t.int64s[$0]) }
}

func scalarValue(_ t: Tensor, _ what: String) throws -> Double {
    guard t.count == 1 else { throw SNNError.shape("\(what) has shape \(fmt(t.shape)), expected one value") }
    return t.dtype == .float32 ? Double(t.floats[0]) : Double(t.int64s[0])
}

func scalar(_ v: Float) throws -> Tensor { try Tensor([v], shape: []) }

func asFloat(_ t: Tensor) throws -> Tensor {
    if t.dtype == .float32 { return t }
    let out = try Tensor(empty: t.shape, dtype: .float32, zeroed: false, "cast")
    for i in 0..<t.count { out.floats[i] = Float(t.int64s[i]) }
    return out
}

/// Float values truncated toward zero into int64 (C's cast, as ONNX's Cast).
func truncatedInt64(_ x: Tensor) throws -> Tensor {
    if x.dtype == .int64 { return x }
    let out = try Tensor(empty: x.shape, dtype: .int64, zeroed: false, "cast")
    for i in 0..<x.count {
        let v = x.floats[i]
        guard v.isFinite, v > -9.2e18, v < 9.2e18 else { throw SNNError.range("cast: \(v) does not fit int64") }
        out.int64s[i] = Int64(v)
    }
    return out
}

/// Elementwise libm function (inference only: not recorded for autograd).
func mapFloats(_ t: Tensor, _ fn: String, _ f: (Float) -> Float) throws -> Tensor {
    try unaryMap(t, fn, f)
}

/// Normalises an axis into 0..<rank (ONNX's negative axes count from the end).
func axis(_ a: Int, _ rank: Int, _ what: String) throws -> Int {
    guard a >= -rank, a < Swift.max(rank, 1) else {
        throw SNNError.range("\(what) \(a) is out of range for rank \(rank)")
    }
    return a < 0 ? a + rank : a
}

/// x padded along `dim` with `before`/`after` copies of `value` (negative amounts crop).
func padded(_ x: Tensor, dim: Int, before: Int, after: Int, value: Float) throws -> Tensor {
    var t = x
    if before < 0 || after < 0 {
        let size = t.shape[dim]
        let s = before < 0 ? -before : 0, e = after < 0 ? size + after : size
        guard s <= e else { throw SNNError.shape("pads crop more than the \(size) elements of dimension \(dim)") }
        t = try slice(t, dim: dim, start: s, end: e)
    }
    var parts: [Tensor] = []
    func block(_ n: Int) throws -> Tensor {
        var shape = t.shape
        shape[dim] = n
        if t.dtype == .int64 { return try Tensor(int64: [Int64](repeating: Int64(value), count: try elementCount(shape, "pad")), shape: shape) }
        return try Tensor.full(shape, value, "pad")
    }
    if before > 0 { parts.append(try block(before)) }
    parts.append(t)
    if after > 0 { parts.append(try block(after)) }
    return parts.count == 1 ? t : try cat(parts, dim: parts[0].rank == 0 ? 0 : dim)
}

/// A window op's padding: explicit pads, or from auto_pad once the input size is known.
struct WindowPads {
    let autoPad: String
    let pads: [Int]

    init(_ a: NodeAttributes, spatial: Int) throws {
        autoPad = try a.string("auto_pad", "NOTSET")
        guard ["NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"].contains(autoPad) else {
            throw SNNError(.unsupported, "\(a.label): auto_pad '\(autoPad)' is not supported")
        }
        let p = try a.ints("pads") ?? [Int](repeating: 0, count: 2 * spatial)
        guard p.count == 2 * spatial, p.allSatisfy({ $0 >= 0 && $0 <= maxWindowParameter }) else {
            throw SNNError(.format, "\(a.label): pads \(p) must be \(2 * spatial) non-negative values")
        }
        pads = p
    }

    /// (begin, end) per spatial dimension for input sizes `sizes`.
    func resolve(_ sizes: [Int], kernel: [Int], strides: [Int], dilations: [Int]) -> [(Int, Int)] {
        let n = sizes.count
        switch autoPad {
        case "VALID": return [(Int, Int)](repeating: (0, 0), count: n)
        case "SAME_UPPER", "SAME_LOWER":
            return (0..<n).map { i in
                let out = (sizes[i] + strides[i] - 1) / strides[i]
                let total = Swift.max((out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - sizes[i], 0)
                let small = total / 2
                return autoPad == "SAME_UPPER" ? (small, total - small) : (total - small, small)
            }
        default: return (0..<n).map { (pads[$0], pads[$0 + n]) }
        }
    }
}

/// Reads kernel_shape/strides/dilations of a 1-D or 2-D window op, checked.
func windowParameter(_ a: NodeAttributes, _ name: String, spatial: Int, _ d: Int) throws -> [Int] {
    let v = try a.ints(name) ?? [Int](repeating: d, count: spatial)
    guard v.count == spatial, v.allSatisfy({ $0 >= 1 && $0 <= maxWindowParameter }) else {
        throw SNNError(.format, "\(a.label): \(name) \(v) must be \(spatial) positive values")
    }
    return v
}

/// Runs a 2-D window op on x [N, C, H, W], or on a 1-D one [N, C, L] seen as [N, C, 1, L].
func windowed(_ x: Tensor, spatial: Int, _ label: String, _ body: (Tensor) throws -> Tensor) throws -> Tensor {
    guard x.rank == spatial + 2 else {
        throw SNNError.shape("input has shape \(fmt(x.shape)); this node is \(spatial)-D, so it expects rank \(spatial + 2)")
    }
    if spatial == 2 { return try body(x) }
    let y = try body(try reshape(x, [x.shape[0], x.shape[1], 1, x.shape[2]]))
    return try reshape(y, [y.shape[0], y.shape[1], y.shape[3]])
}

/// Spatial rank (1 or 2) of a window op, from its kernel_shape or weight.
func spatialRank(_ k: [Int]?, _ label: String) throws -> Int {
    let s = k?.count ?? 2
    guard s == 1 || s == 2 else { throw SNNError(.unsupported, "\(label): \(s)-D windows are not supported (1-D and 2-D are)") }
    return s
}

// MARK: - compile

func compileNode(_ node: ONNXNode, opset: Int64, label: String) throws -> ImportKernel {
    let op = node.opType
    func attrs(_ known: [String]) throws -> NodeAttributes { try NodeAttributes(node, label, known: known) }
    func unary(_ f: @escaping (Tensor) throws -> Tensor) throws -> ImportKernel {
        _ = try attrs([])
        return { xs in [try f(try input(xs, 0))] }
    }
    func binary(_ f: @escaping (Tensor, Tensor) throws -> Tensor) throws -> ImportKernel {
        _ = try attrs([])
        return { xs in [try f(try input(xs, 0), try input(xs, 1))] }
    }
    func libm(_ f: @escaping (Float) -> Float) throws -> ImportKernel {
        try unary { try mapFloats($0, op, f) }
    }

    switch op {
    case "Identity": return try unary { $0 }
    case "Constant": return try compileConstant(node, label)
    case "Add": return try binary { try intOr($0, $1, add) { $0 &+ $1 } }
    case "Sub": return try binary { try intOr($0, $1, sub) { $0 &- $1 } }
    case "Mul": return try binary { try intOr($0, $1, mul) { $0 &* $1 } }
    case "Div": return try binary { try intOr($0, $1, div) { $1 == 0 ? nil : ($0 == .min && $1 == -1 ? .min : $0 / $1) } }
    case "Pow":
        return try binary { base, e in
            if base.dtype == .int64 { return try truncatedInt64(try pow(try asFloat(base), try asFloat(e))) }
            return try pow(base, try asFloat(e))
        }
    case "MatMul": return try binary(matmul)
    case "Relu": return try unary(relu)
    case "Tanh": return try unary(tanh)
    case "Sigmoid": return try unary(sigmoid)
    case "Exp": return try unary(exp)
    case "Log": return try unary(log)
    case "Sqrt": return try unary(sqrt)
    case "Abs": return try unary(abs)
    case "Neg": return try unary { x in x.dtype == .int64 ? try intBinary(x, try Tensor(int64: [0], shape: []), "Neg") { a, _ in 0 &- a } : try neg(x) }
    case "Reciprocal": return try unary { try pow($0, -1) }
    case "Sin": return try libm(sinf)
    case "Cos": return try libm(cosf)
    case "Tan": return try libm(tanf)
    case "Asin": return try libm(asinf)
    case "Acos": return try libm(acosf)
    case "Atan": return try libm(atanf)
    case "Sinh": return try libm(sinhf)
    case "Cosh": return try libm(coshf)
    case "Asinh": return try libm(asinhf)
    case "Acosh": return try libm(acoshf)
    case "Atanh": return try libm(atanhf)
    case "Floor": return try libm(floorf)
    case "Ceil": return try libm(ceilf)
    case "Round": return try libm(rintf)  // half to even, as ONNX
    case "Erf": return try libm(erff)
    case "Sign": return try libm { $0 > 0 ? 1 : ($0 < 0 ? -1 : $0) }
    case "Softsign": return try unary { x in try div(x, try add(try abs(x), try scalar(1))) }
    case "Softplus": return try unary(softplus)
    case "Mish": return try unary { x in try mul(x, try tanh(try softplus(x))) }
    case "LeakyRelu":
        let alpha = try attrs(["alpha"]).float("alpha", 0.01)
        return { xs in [try leakyReLU(try input(xs, 0), negativeSlope: alpha)] }
    case "Elu", "Celu":
        let alpha = try attrs(["alpha"]).float("alpha", 1)
        guard alpha != 0 || op == "Elu" else { throw SNNError(.format, "\(label): alpha must be non-zero") }
        return { xs in
            let x = try input(xs, 0)
            let negative = try clamp(x, min: nil, max: 0)
            let e = try exp(op == "Celu" ? try div(negative, try scalar(alpha)) : negative)
            return [try add(try relu(x), try mul(try scalar(alpha), try sub(e, try scalar(1))))]
        }
    case "Selu":
        let a = try attrs(["alpha", "gamma"])
        let alpha = try a.float("alpha", 1.67326319217681884765625), gamma = try a.float("gamma", 1.05070102214813232421875)
        return { xs in
            let x = try input(xs, 0)
            let e = try exp(try clamp(x, min: nil, max: 0))
            let y = try add(try relu(x), try mul(try scalar(alpha), try sub(e, try scalar(1))))
            return [try mul(try scalar(gamma), y)]
        }
    case "HardSigmoid":
        let a = try attrs(["alpha", "beta"])
        let alpha = try a.float("alpha", 0.2), beta = try a.float("beta", 0.5)
        return { xs in [try clamp(try add(try mul(try input(xs, 0), try scalar(alpha)), try scalar(beta)), min: 0, max: 1)] }
    case "HardSwish":
        return try unary { x in try mul(x, try clamp(try add(try div(x, try scalar(6)), try scalar(0.5)), min: 0, max: 1)) }
    case "PRelu":
        return try binary { x, slope in try add(try relu(x), try mul(slope, try clamp(x, min: nil, max: 0))) }
    case "Gelu":
        let approximate = try attrs(["approximate"]).string("approximate", "none")
        guard approximate == "none" || approximate == "tanh" else {
            throw SNNError(.unsupported, "\(label): approximate '\(approximate)' is not supported")
        }
        return { xs in
            let x = try input(xs, 0)
            if approximate == "tanh" {
                return [try mapFloats(x, "gelu") { v in 0.5 * v * (1 + tanhf(0.7978845608028654 * (v + 0.044715 * v * v * v))) }]
            }
            return [try mapFloats(x, "gelu") { v in 0.5 * v * (1 + erff(v * 0.7071067811865476)) }]
        }
    case "Clip":
        if opset < 11 {
            let a = try attrs(["min", "max"])
            let lo = try a.float("min", -.greatestFiniteMagnitude), hi = try a.float("max", .greatestFiniteMagnitude)
            return { xs in [try clamp(try input(xs, 0), min: lo, max: hi)] }
        }
        _ = try attrs([])
        return { xs in
            let x = try input(xs, 0)
            let lo = try optionalInput(xs, 1).map { Float(try scalarValue($0, "min")) }
            let hi = try optionalInput(xs, 2).map { Float(try scalarValue($0, "max")) }
            if lo == nil && hi == nil { return [x] }
            if x.dtype == .int64 { throw SNNError.dtype("Clip on int64 tensors is not supported") }
            return [try clamp(x, min: lo, max: hi)]
        }
    case "Softmax", "LogSoftmax":
        let ax = try attrs(["axis"]).int("axis", opset >= 13 ? -1 : 1)
        let log = op == "LogSoftmax"
        return { xs in
            let x = try input(xs, 0)
            if opset >= 13 || x.rank == 0 { return [log ? try logSoftmax(x, dim: ax) : try softmax(x, dim: ax)] }
            // Before opset 13: the input is seen as 2-D [prod(dims < axis), prod(dims >= axis)].
            let a = try axis(ax, x.rank, "axis")
            let outer = try elementCount(Array(x.shape[..<a]), "softmax")
            let flat = try reshape(x, [outer, try elementCount(Array(x.shape[a...]), "softmax")])
            return [try reshape(log ? try logSoftmax(flat, dim: 1) : try softmax(flat, dim: 1), x.shape)]
        }
    case "Gemm":
        let a = try attrs(["alpha", "beta", "transA", "transB"])
        let alpha = try a.float("alpha", 1), beta = try a.float("beta", 1)
        let ta = try a.int("transA", 0) != 0, tb = try a.int("transB", 0) != 0
        return { xs in
            var x = try input(xs, 0), w = try input(xs, 1)
            guard x.rank == 2, w.rank == 2 else { throw SNNError.shape("Gemm needs 2-D A and B, got \(fmt(x.shape)) and \(fmt(w.shape))") }
            if ta { x = try transpose(x, 0, 1) }
            if tb { w = try transpose(w, 0, 1) }
            var y = try matmul(x, w)
            if alpha != 1 { y = try mul(y, try scalar(alpha)) }
            if let c = optionalInput(xs, 2) { y = try add(y, beta == 1 ? c : try mul(c, try scalar(beta))) }
            return [y]
        }
    case "Conv": return try compileConv(node, label)
    case "LSTM", "GRU", "RNN": return try compileRecurrent(node, label)
    case "MaxPool", "AveragePool": return try compilePool(node, opset: opset, label)
    case "GlobalAveragePool", "GlobalMaxPool":
        _ = try attrs([])
        return { xs in
            let x = try input(xs, 0)
            guard x.rank >= 3 else { throw SNNError.shape("\(op) expects [N, C, spatial...], got \(fmt(x.shape))") }
            let dims = Array(2..<x.rank)
            return [op == "GlobalAveragePool" ? try mean(x, dims: dims, keepdim: true) : try amax(x, dims: dims, keepdim: true)]
        }
    case "BatchNormalization":
        let a = try attrs(["epsilon", "momentum", "training_mode", "spatial", "is_test", "consumed_inputs"])
        let eps = try a.float("epsilon", 1e-5)
        guard try a.int("training_mode", 0) == 0, try a.int("spatial", 1) == 1 else {
            throw SNNError(.unsupported, "\(label): training mode and spatial = 0 are not supported (inference only)")
        }
        guard node.outputs.dropFirst().allSatisfy(\.isEmpty) else {
            throw SNNError(.unsupported, "\(label): running-statistics outputs (training mode) are not supported")
        }
        return { xs in
            [try batchNorm(try input(xs, 0), runningMean: try input(xs, 3), runningVar: try input(xs, 4),
                           weight: try input(xs, 1), bias: try input(xs, 2), training: false, eps: Double(eps))]
        }
    case "Dropout":
        _ = try attrs(["ratio", "seed", "is_test"])
        guard node.outputs.count < 2 || node.outputs[1].isEmpty else {
            throw SNNError(.unsupported, "\(label): the mask output is not supported")
        }
        return { xs in
            if opset >= 12, let t = optionalInput(xs, 2), try scalarValue(t, "training_mode") != 0 {
                throw SNNError(.unsupported, "Dropout in training mode is not supported (inference only)")
            }
            return [try input(xs, 0)]
        }
    case "Cast":
        let to = try attrs(["to", "saturate", "round_mode"]).int("to", 0)
        // INT32 (sequence_lens of LSTM / GRU / RNN) is held as int64 with int32's wrap-around.
        guard let dt = engineDType(Int32(truncatingIfNeeded: to)), to == 1 || to == 7 || to == 6 else {
            throw SNNError(.unsupported, "\(label): cast to data type \(to) is not supported (FLOAT, INT32 and INT64 are)")
        }
        return { xs in
            let x = try input(xs, 0)
            if to == 6 {
                let i = x.dtype == .int64 ? x : try truncatedInt64(x)
                let out = try Tensor(empty: i.shape, dtype: .int64, zeroed: false, "Cast")
                for k in 0..<i.count { out.int64s[k] = Int64(Int32(truncatingIfNeeded: i.int64s[k])) }
                return [out]
            }
            if x.dtype == dt { return [x] }
            return [dt == .float32 ? try asFloat(x) : try truncatedInt64(x)]
        }
    default:
        return try compileShapeOp(node, opset: opset, label)
    }
}

/// `floatOp(a, b)` for float tensors; for two int64 tensors the integer op (nil: undefined,
/// such as a division by zero), as ONNX defines arithmetic on integer types.
func intOr(_ a: Tensor, _ b: Tensor, _ floatOp: (Tensor, Tensor) throws -> Tensor,
           _ intOp: (Int64, Int64) -> Int64?) throws -> Tensor {
    guard a.dtype == .int64 && b.dtype == .int64 else { return try floatOp(a, b) }
    return try intBinary(a, b, "integer arithmetic", intOp)
}

/// Elementwise integer op with NumPy broadcasting.
func intBinary(_ a: Tensor, _ b: Tensor, _ fn: String, _ op: (Int64, Int64) -> Int64?) throws -> Tensor {
    let shape = try broadcastShapes(a.shape, b.shape, fn)
    let out = try Tensor(empty: shape, dtype: .int64, zeroed: false, fn)
    let pa = a.int64s, pb = b.int64s, po = out.int64s
    var failed = false
    forEachRun3(shape, broadcastStrides(a.shape, to: shape), broadcastStrides(b.shape, to: shape), contiguousStrides(shape)) { oa, ob, oo, n, ia, ib, io in
        for k in 0..<n {
            if let v = op(pa[oa + k * ia], pb[ob + k * ib]) { po[oo + k * io] = v } else { failed = true }
        }
    }
    if failed { throw SNNError.invalid("\(fn): undefined for these int64 values (division by zero or overflow)") }
    return out
}

/// log(1 + exp(x)) without overflow: relu(x) + log(1 + exp(-|x|)).
func softplus(_ x: Tensor) throws -> Tensor {
    try add(try relu(x), try log(try add(try exp(try neg(try abs(x))), try scalar(1))))
}

func compileConstant(_ node: ONNXNode, _ label: String) throws -> ImportKernel {
    guard let a = node.attributes.first, node.attributes.count == 1 else {
        throw SNNError(.format, "\(label): a Constant needs exactly one value attribute")
    }
    let t: Tensor
    switch (a.name, a.value) {
    case let ("value", .tensor(v)): t = try importTensor(v, "\(label): value")
    case let ("value_float", .float(f)): t = try Tensor([f], shape: [])
    case let ("value_floats", .floats(f)): t = try Tensor(f, shape: [f.count])
    case let ("value_int", .int(i)): t = try Tensor(int64: [i], shape: [])
    case let ("value_ints", .ints(i)): t = try Tensor(int64: i, shape: [i.count])
    default: throw SNNError(.unsupported, "\(label): Constant attribute '\(a.name)' is not supported")
    }
    return { _ in [t] }
}

func compileConv(_ node: ONNXNode, _ label: String) throws -> ImportKernel {
    let a = try NodeAttributes(node, label, known: ["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"])
    let kernel = try a.ints("kernel_shape")
    if let kernel { _ = try spatialRank(kernel, label) }
    let groups = try a.int("group", 1)
    _ = try WindowPads(a, spatial: (try a.ints("pads")?.count ?? 4) / 2)
    return { xs in
        let x = try input(xs, 0), w = try input(xs, 1), b = optionalInput(xs, 2)
        let s = w.rank - 2
        guard s == 1 || s == 2 else { throw SNNError(.unsupported, "weight has shape \(fmt(w.shape)); only 1-D and 2-D convolutions are supported") }
        let strides = try windowParameter(a, "strides", spatial: s, 1)
        let dilations = try windowParameter(a, "dilations", spatial: s, 1)
        let pads = try WindowPads(a, spatial: s)
        let k = Array(w.shape.suffix(s))
        if let kernel, kernel != k { throw SNNError.shape("kernel_shape \(kernel) does not match weight \(fmt(w.shape))") }
        return [try windowed(x, spatial: s, label) { x4 in
            let w4 = s == 2 ? w : try reshape(w, [w.shape[0], w.shape[1], 1, w.shape[2]])
            let st = s == 2 ? strides : [1] + strides, di = s == 2 ? dilations : [1] + dilations
            var p = pads.resolve(Array(x.shape.suffix(s)), kernel: k, strides: strides, dilations: dilations)
            if s == 1 { p.insert((0, 0), at: 0) }
            var xin = x4
            var sym = (0, 0)
            if p[0].0 == p[0].1 && p[1].0 == p[1].1 {
                sym = (p[0].0, p[1].0)
            } else {
                xin = try padded(try padded(x4, dim: 2, before: p[0].0, after: p[0].1, value: 0), dim: 3, before: p[1].0, after: p[1].1, value: 0)
            }
            return try conv2d(xin, weight: w4, bias: b, stride: (st[0], st[1]), padding: sym, dilation: (di[0], di[1]), groups: groups)
        }]
    }
}

func compilePool(_ node: ONNXNode, opset: Int64, _ label: String) throws -> ImportKernel {
    let isMax = node.opType == "MaxPool"
    let a = try NodeAttributes(node, label, known: ["auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "strides",
                                                   isMax ? "storage_order" : "count_include_pad"])
    guard let kernel = try a.ints("kernel_shape") else { throw SNNError(.format, "\(label): kernel_shape is required") }
    let s = try spatialRank(kernel, label)
    _ = try windowParameter(a, "kernel_shape", spatial: s, 1)
    let strides = try windowParameter(a, "strides", spatial: s, 1)
    let dilations = try windowParameter(a, "dilations", spatial: s, 1)
    let pads = try WindowPads(a, spatial: s)
    let ceil = try a.int("ceil_mode", 0) != 0
    let includePad = try a.int("count_include_pad", 0) != 0
    guard node.outputs.count < 2 || node.outputs[1].isEmpty else {
        throw SNNError(.unsupported, "\(label): the Indices output is not supported")
    }
    if !isMax && dilations.contains(where: { $0 != 1 }) {
        throw SNNError(.unsupported, "\(label): dilated AveragePool is not supported")
    }
    return { xs in
        let x = try input(xs, 0)
        return [try windowed(x, spatial: s, label) { x4 in
            var p = pads.resolve(Array(x.shape.suffix(s)), kernel: kernel, strides: strides, dilations: dilations)
            let k = s == 2 ? kernel : [1] + kernel, st = s == 2 ? strides : [1] + strides, di = s == 2 ? dilations : [1] + dilations
            if s == 1 { p.insert((0, 0), at: 0) }
            let symmetric = p[0].0 == p[0].1 && p[1].0 == p[1].1 && p[0].0 <= k[0] / 2 && p[1].0 <= k[1] / 2
            var xin = x4, pad = (p[0].0, p[1].0)
            if !symmetric {
                let v: Float = isMax ? -.infinity : 0
                if !isMax && !includePad {
                    // Window sums over the zero-padded input divided by the number of real
                    // elements in each window (the same pooling of a padded tensor of ones).
                    func pooled(_ t: Tensor) throws -> Tensor {
                        let tp = try padded(try padded(t, dim: 2, before: p[0].0, after: p[0].1, value: 0), dim: 3, before: p[1].0, after: p[1].1, value: 0)
                        return try avgPool2d(tp, kernelSize: (k[0], k[1]), stride: (st[0], st[1]), ceilMode: ceil, countIncludePad: true)
                    }
                    return try div(try pooled(x4), try pooled(try Tensor.full(x4.shape, 1)))
                }
                xin = try padded(try padded(x4, dim: 2, before: p[0].0, after: p[0].1, value: v), dim: 3, before: p[1].0, after: p[1].1, value: v)
                pad = (0, 0)
            }
            if isMax {
                return try maxPool2d(xin, kernelSize: (k[0], k[1]), stride: (st[0], st[1]), padding: pad, dilation: (di[0], di[1]), ceilMode: ceil)
            }
            return try avgPool2d(xin, kernelSize: (k[0], k[1]), stride: (st[0], st[1]), padding: pad, ceilMode: ceil, countIncludePad: includePad)
        }]
    }
}
