// Elementwise binary arithmetic with NumPy broadcasting: add, sub, mul, div on float32 (other
// dtypes and mixed pairs are promoted in TypedBinary.swift). Each pullback undoes
// broadcasting by summing the gradient back to its input's shape (`sumToShape`).

/// out = op(a, b) elementwise with broadcasting; a fast path when shapes agree or b is a scalar.
@inline(__always)
func broadcastBinary(_ a: Tensor, _ b: Tensor, _ fn: String, _ op: (Float, Float) -> Float) throws -> Tensor {
    try a.requireFloat(fn, "first operand")
    try b.requireFloat(fn, "second operand")
    let shape = a.shape == b.shape ? a.shape : try broadcastShapes(a.shape, b.shape, fn)
    let out = try Tensor(empty: shape, dtype: .float32, zeroed: false, fn)
    let pa = a.floats, pb = b.floats, po = out.floats
    if a.shape == b.shape {
        for i in 0..<out.count { po[i] = op(pa[i], pb[i]) }
    } else if b.count == 1 && a.count == out.count {
        let s = pb[0]
        for i in 0..<out.count { po[i] = op(pa[i], s) }
    } else if a.count == 1 && b.count == out.count {
        let s = pa[0]
        for i in 0..<out.count { po[i] = op(s, pb[i]) }
    } else {
        let sa = broadcastStrides(a.shape, to: shape), sb = broadcastStrides(b.shape, to: shape)
        forEachRun3(shape, sa, sb, contiguousStrides(shape)) { oa, ob, oo, n, ia, ib, io in
            for k in 0..<n { po[oo + k * io] = op(pa[oa + k * ia], pb[ob + k * ib]) }
        }
    }
    return out
}

/// Sums `g` (of a broadcast shape) down to `shape`: the adjoint of broadcasting.
func sumToShape(_ g: Tensor, _ shape: [Int]) throws -> Tensor {
    if g.shape == shape { return g }
    if g.dtype != .float32 { return try sumTo(g, shape) }  // float64 gradients (TypedBinary.swift)
    let out = try Tensor(empty: shape, dtype: .float32, zeroed: true, "sum_to_size")
    let so = broadcastStrides(shape, to: g.shape)
    let pg = g.floats, po = out.floats
    forEachRun2(g.shape, contiguousStrides(g.shape), so) { og, oo, n, ig, io in
        if io == 0 {
            var s: Float = 0
            for k in 0..<n { s += pg[og + k * ig] }
            po[oo] += s
        } else {
            for k in 0..<n { po[oo + k * io] += pg[og + k * ig] }
        }
    }
    return out
}

public func add(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    if a.dtype != .float32 || b.dtype != .float32 { return try promotedBinary(a, b, .add) }  // TypedBinary.swift
    let out = try broadcastBinary(a, b, "add", +)
    return out.traced(.add, [a, b]).recorded("AddBackward", [a, b], saves: [], readsOutput: false) { g in
        // forward: out = a + b
        [a.requiresGrad ? try sumToShape(g, a.shape) : nil,
         b.requiresGrad ? try sumToShape(g, b.shape) : nil]
    }
}

public func sub(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    if a.dtype != .float32 || b.dtype != .float32 { return try promotedBinary(a, b, .sub) }  // TypedBinary.swift
    let out = try broadcastBinary(a, b, "sub", -)
    return out.traced(.sub, [a, b]).recorded("SubBackward", [a, b], saves: [], readsOutput: false) { g in
        // forward: out = a - b
        [a.requiresGrad ? try sumToShape(g, a.shape) : nil,
         b.requiresGrad ? try sumToShape(try broadcastBinary(g, g, "sub_backward") { x, _ in -x }, b.shape) : nil]
    }
}

public func mul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    if a.dtype != .float32 || b.dtype != .float32 { return try promotedBinary(a, b, .mul) }  // TypedBinary.swift
    let out = try broadcastBinary(a, b, "mul", *)
    return out.traced(.mul, [a, b]).recorded("MulBackward", [a, b], saves: savedByMul(a, b), readsOutput: false) { g in
        // forward: out = a * b
        [a.requiresGrad ? try sumToShape(try broadcastBinary(g, b, "mul_backward", *), a.shape) : nil,
         b.requiresGrad ? try sumToShape(try broadcastBinary(g, a, "mul_backward", *), b.shape) : nil]
    }
}

/// What mul's pullback reads: each operand is needed only for the other's gradient (as
/// PyTorch's MulBackward0 saves `other` only when `self` requires grad, and the reverse).
func savedByMul(_ a: Tensor, _ b: Tensor) -> [Tensor] {
    switch (a.requiresGrad, b.requiresGrad) {
    case (true, true): [a, b]
    case (true, false): [b]
    case (false, true): [a]
    case (false, false): []
    }
}

public func div(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    if a.dtype != .float32 || b.dtype != .float32 { return try promotedBinary(a, b, .div) }  // TypedBinary.swift
    let out = try broadcastBinary(a, b, "div", /)
    return out.traced(.div, [a, b]).recorded("DivBackward", [a, b], saves: b.requiresGrad ? [a, b] : [b], readsOutput: false) { g in
        // forward: out = a / b; d/da = 1/b, d/db = -a/b^2 (from a, not out, so that the result
        // may be written in place later: PyTorch's DivBackward0 saves self and other)
        let ga = a.requiresGrad ? try sumToShape(try broadcastBinary(g, b, "div_backward", /), a.shape) : nil
        var gb: Tensor? = nil
        if b.requiresGrad {
            let t = try broadcastBinary(g, try broadcastBinary(a, b, "div_backward", /), "div_backward", *)
            gb = try sumToShape(try broadcastBinary(t, b) { x, y in -x / y }, b.shape)
        }
        return [ga, gb]
    }
}

@inline(__always)
private func broadcastBinary(_ a: Tensor, _ b: Tensor, _ op: (Float, Float) -> Float) throws -> Tensor {
    try broadcastBinary(a, b, "backward", op)
}

extension Tensor {
    public static func + (a: Tensor, b: Tensor) throws -> Tensor { try add(a, b) }
    public static func - (a: Tensor, b: Tensor) throws -> Tensor { try sub(a, b) }
    public static func * (a: Tensor, b: Tensor) throws -> Tensor { try mul(a, b) }
    public static func / (a: Tensor, b: Tensor) throws -> Tensor { try div(a, b) }
}

// MARK: - registry

extension OpDef {
    // ONNX defines arithmetic on integer tensors too: two int64 operands use wrapping integer
    // ops (division by zero is an error), as onnxruntime does.
    static let add = OpDef("add", c: "snn_tensor_add", python: "add", export: { b, r in try b.binary(r, "Add") },
                           imports: [
                               "Add": { n in try n.binary { try intOr($0, $1, SwiftNN.add) { $0 &+ $1 } } },
                               // Sum and Mean of any number of inputs: a chain of adds.
                               "Sum": { n in try variadicSum(n, mean: false) },
                               "Mean": { n in try variadicSum(n, mean: true) },
                           ])
    static let sub = OpDef("sub", c: "snn_tensor_sub", python: "sub", export: { b, r in try b.binary(r, "Sub") },
                           imports: ["Sub": { n in try n.binary { try intOr($0, $1, SwiftNN.sub) { $0 &- $1 } } }])
    static let mul = OpDef("mul", c: "snn_tensor_mul", python: "mul", export: { b, r in try b.binary(r, "Mul") },
                           imports: ["Mul": { n in try n.binary { try intOr($0, $1, SwiftNN.mul) { $0 &* $1 } } }])
    static let div = OpDef("div", c: "snn_tensor_div", python: "div", export: { b, r in try b.binary(r, "Div") },
                           imports: ["Div": { n in try n.binary {
                               try intOr($0, $1, SwiftNN.div) { $1 == 0 ? nil : ($0 == .min && $1 == -1 ? .min : $0 / $1) }
                           } }])
}

private func variadicSum(_ n: ImportNode, mean: Bool) throws -> ImportKernel {
    _ = try n.attrs([])
    return { xs in
        var total = try input(xs, 0)
        for i in xs.indices.dropFirst() { total = try add(total, try input(xs, i)) }
        if mean && xs.count > 1 { total = try div(total, try scalar(Float(xs.count))) }
        return [total]
    }
}
