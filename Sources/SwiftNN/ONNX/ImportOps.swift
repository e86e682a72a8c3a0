// What an ONNX importer works with: the node as `ImportNode` (attributes read and checked
// once, at load), and helpers over engine tensors. The importers themselves are declared
// beside their engine ops (OpDef.imports) and found through OpRegistry. Semantics follow the
// ONNX operator spec per opset (ReduceSum axes as input from 13, other reductions from 18,
// Squeeze/Unsqueeze axes from 13, Softmax per-axis from 13, Clip bounds as inputs from 11).
import SwiftNNKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
    return t.element(0)
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

/// One node as its importer sees it: the node, the model's default-domain opset and a label
/// ("ONNX file 'x': node 3 'conv1' (Conv)") for messages.
struct ImportNode {
    let node: ONNXNode
    let opset: Int64
    let label: String

    var op: String { node.opType }

    /// The node's attributes; any attribute outside `known` is an error naming it.
    func attrs(_ known: [String]) throws -> NodeAttributes { try NodeAttributes(node, label, known: known) }

    /// A node of one input and no attributes.
    func unary(_ f: @escaping (Tensor) throws -> Tensor) throws -> ImportKernel {
        _ = try attrs([])
        return { xs in [try f(try input(xs, 0))] }
    }

    /// A node of two inputs and no attributes.
    func binary(_ f: @escaping (Tensor, Tensor) throws -> Tensor) throws -> ImportKernel {
        _ = try attrs([])
        return { xs in [try f(try input(xs, 0), try input(xs, 1))] }
    }
}

/// The kernel for `node`, from the importer registered for its op type.
func compileNode(_ node: ONNXNode, opset: Int64, label: String) throws -> ImportKernel {
    guard let importer = OpRegistry.importers[node.opType] else {
        throw SNNError(.unsupported, "\(label): the op '\(node.opType)' is not supported by SwiftNN's ONNX import")
    }
    return try importer(ImportNode(node: node, opset: opset, label: label))
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

/// Fused nodes (ImportFusion.swift) pass their inputs after the Conv's three (x, W, B or nil):
/// with `batchNormEpsilon`, BatchNormalization's scale, B, mean and var (folded into W and B
/// when nothing records); then `activation` reads the rest (Clip's bounds).
func compileConv(_ node: ONNXNode, _ label: String, batchNormEpsilon: Double? = nil,
                 activation: (([Tensor?]) throws -> FusedActivation)? = nil) throws -> ImportKernel {
    let a = try NodeAttributes(node, label, known: ["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"])
    let kernel = try a.ints("kernel_shape")
    if let kernel { _ = try spatialRank(kernel, label) }
    let groups = try a.int("group", 1)
    _ = try WindowPads(a, spatial: (try a.ints("pads")?.count ?? 4) / 2)
    let fold = batchNormEpsilon.map { _ in FoldedBatchNorm() }
    return { xs in
        let x = try input(xs, 0), w0 = try input(xs, 1), b0 = optionalInput(xs, 2)
        var rest = Array(xs.dropFirst(3))
        var folded: (weight: Tensor, bias: Tensor)? = nil
        var unfolded: (params: [Tensor], eps: Double)? = nil
        if let eps = batchNormEpsilon, let fold {
            let p = try (0..<4).map { try input(rest, $0, "BatchNormalization input") }
            rest = Array(rest.dropFirst(4))
            if recordsNothing([x, w0, b0] + p) {
                folded = try fold.folded(weight: w0, bias: b0, gamma: p[0], beta: p[1], mean: p[2], variance: p[3], eps: eps)
            }
            if folded == nil { unfolded = (p, eps) }
        }
        let w = folded?.weight ?? w0, b = folded?.bias ?? b0
        let act = try activation?(rest) ?? .none
        let inner = unfolded == nil ? act : .none
        let s = w.rank - 2
        guard s == 1 || s == 2 else { throw SNNError(.unsupported, "weight has shape \(fmt(w.shape)); only 1-D and 2-D convolutions are supported") }
        let strides = try windowParameter(a, "strides", spatial: s, 1)
        let dilations = try windowParameter(a, "dilations", spatial: s, 1)
        let pads = try WindowPads(a, spatial: s)
        let k = Array(w.shape.suffix(s))
        if let kernel, kernel != k { throw SNNError.shape("kernel_shape \(kernel) does not match weight \(fmt(w.shape))") }
        let y = try windowed(x, spatial: s, label) { x4 in
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
            if inner == .none {
                return try conv2d(xin, weight: w4, bias: b, stride: (st[0], st[1]), padding: sym, dilation: (di[0], di[1]), groups: groups)
            }
            return try conv2dFused(xin, weight: w4, bias: b, stride: (st[0], st[1]), padding: sym, dilation: (di[0], di[1]),
                                   groups: groups, activation: inner)
        }
        guard let u = unfolded else { return [y] }
        // Recorded (or not foldable): the BatchNormalization and the activation as their own ops.
        let normalized = try batchNorm(y, runningMean: u.params[2], runningVar: u.params[3], weight: u.params[0],
                                       bias: u.params[1], training: false, eps: u.eps)
        return [try applyUnfused(act, normalized)]
    }
}
