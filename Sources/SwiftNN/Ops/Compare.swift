// Elementwise comparisons returning bool tensors: eq ne lt le gt ge (broadcasting, any dtypes,
// compared in PyTorch's result type), isnan isinf isfinite, isclose, and the whole-tensor
// answers allclose and equal. None has a gradient (bool outputs), as in PyTorch.

/// The six comparisons, each true or false for a pair of values (IEEE: nan compares unequal
/// to everything, so only `ne` holds for it).
public enum Comparison: String, Sendable, CaseIterable {
    case eq, ne, lt, le, gt, ge

    @inline(__always) func holds<T: Comparable>(_ x: T, _ y: T) -> Bool {
        switch self {
        case .eq: x == y
        case .ne: x != y
        case .lt: x < y
        case .le: x <= y
        case .gt: x > y
        case .ge: x >= y
        }
    }

    var op: OpDef {
        switch self {
        case .eq: .eq
        case .ne: .ne
        case .lt: .lt
        case .le: .le
        case .gt: .gt
        case .ge: .ge
        }
    }
}

/// a `op` b elementwise with broadcasting, into a bool tensor. Mixed dtypes meet in PyTorch's
/// result type (`operandsResultType`): integers and bools compare exactly as Int64, float32 in
/// float32, float64 in float64.
public func compare(_ a: Tensor, _ b: Tensor, _ op: Comparison) throws -> Tensor {
    let fn = op.rawValue
    let out: Tensor
    switch NumericDomain(operandsResultType(a, b)) {
    case .integer: out = try boolMap2(a, b, fn, { $0.integerElement($1) }, op.holds)
    case .float32: out = try boolMap2(a, b, fn, { $0.floatElement($1) }, op.holds)
    case .float64: out = try boolMap2(a, b, fn, { $0.element($1) }, op.holds)
    }
    return out.traced(op.op, [a, b])
}

/// t `op` value, with PyTorch's rules for a Python number (`scalarOperand`).
public func compare(_ t: Tensor, _ value: Double, _ op: Comparison) throws -> Tensor {
    try compare(t, try scalarOperand(value, like: t, op.rawValue), op)
}

/// torch.eq / ==.
public func eq(_ a: Tensor, _ b: Tensor) throws -> Tensor { try compare(a, b, .eq) }
/// torch.ne / !=.
public func ne(_ a: Tensor, _ b: Tensor) throws -> Tensor { try compare(a, b, .ne) }
/// torch.lt / <.
public func lt(_ a: Tensor, _ b: Tensor) throws -> Tensor { try compare(a, b, .lt) }
/// torch.le / <=.
public func le(_ a: Tensor, _ b: Tensor) throws -> Tensor { try compare(a, b, .le) }
/// torch.gt / >.
public func gt(_ a: Tensor, _ b: Tensor) throws -> Tensor { try compare(a, b, .gt) }
/// torch.ge / >=.
public func ge(_ a: Tensor, _ b: Tensor) throws -> Tensor { try compare(a, b, .ge) }

// MARK: - special values

/// torch.isnan: true where the element is nan (never for integer and bool tensors).
public func isnan(_ t: Tensor) throws -> Tensor {
    try boolMap1(t, "isnan") { t, i in t.dtype.isFloatingPoint && t.element(i).isNaN }.traced(.isnan, [t])
}

/// torch.isinf: true where the element is +inf or -inf.
public func isinf(_ t: Tensor) throws -> Tensor {
    try boolMap1(t, "isinf") { t, i in t.dtype.isFloatingPoint && t.element(i).isInfinite }.traced(.isinf, [t])
}

/// torch.isfinite: true where the element is neither nan nor infinite (always for integers).
public func isfinite(_ t: Tensor) throws -> Tensor {
    try boolMap1(t, "isfinite") { t, i in !t.dtype.isFloatingPoint || t.element(i).isFinite }.traced(.isfinite, [t])
}

// MARK: - closeness

/// torch.isclose: a == b, or |a - b| <= atol + |rtol * b| with both finite (computed in the
/// operands' dtype, float32 for integer tensors, as PyTorch does); with `equalNan` two nans
/// are close. Both operands must have the same dtype (PyTorch's rule); rtol and atol must be
/// non-negative.
public func isclose(_ a: Tensor, _ b: Tensor, rtol: Double = 1e-5, atol: Double = 1e-8, equalNan: Bool = false) throws -> Tensor {
    let fn = "isclose"
    guard a.dtype == b.dtype else {
        throw SNNError.dtype("\(fn): the operands have dtypes \(a.dtype.name) and \(b.dtype.name), expected the same dtype")
    }
    guard rtol >= 0, atol >= 0 else {
        throw SNNError.invalid("\(fn): rtol (\(rtol)) and atol (\(atol)) must be non-negative")
    }
    let out: Tensor
    if a.dtype == .float64 {
        out = try boolMap2(a, b, fn, { $0.element($1) }) { x, y in
            close(x, y, rtol, atol, equalNan)
        }
    } else if a.dtype == .bool {
        out = try boolMap2(a, b, fn, { $0.integerElement($1) }, ==)
    } else {
        let r = Float(rtol), t = Float(atol)
        out = try boolMap2(a, b, fn, { $0.floatElement($1) }) { x, y in close(x, y, r, t, equalNan) }
    }
    return out.traced(.isclose, [a, b], [("rtol", .float(rtol)), ("atol", .float(atol)), ("equal_nan", .bool(equalNan))])
}

@inline(__always)
private func close<T: BinaryFloatingPoint>(_ x: T, _ y: T, _ rtol: T, _ atol: T, _ equalNan: Bool) -> Bool {
    if x == y { return true }
    if equalNan && x.isNaN && y.isNaN { return true }
    let actual = Swift.abs(x - y)
    return actual.isFinite && actual <= atol + Swift.abs(rtol * y)
}

/// torch.allclose: whether isclose holds everywhere (shapes must broadcast).
public func allclose(_ a: Tensor, _ b: Tensor, rtol: Double = 1e-5, atol: Double = 1e-8, equalNan: Bool = false) throws -> Bool {
    let c = try GradMode.withoutGrad { try isclose(a, b, rtol: rtol, atol: atol, equalNan: equalNan) }
    let p = c.bytes
    for i in 0..<c.count where p[i] == 0 { return false }
    return true
}

/// torch.equal: the same shape and equal elements (compared in the result type; nan is never
/// equal to itself, as in PyTorch).
public func equal(_ a: Tensor, _ b: Tensor) throws -> Bool {
    guard a.shape == b.shape else { return false }
    let c = try compare(a, b, .eq)
    let p = c.bytes
    for i in 0..<c.count where p[i] == 0 { return false }
    return true
}

// MARK: - registry

extension OpDef {
    static let eq = OpDef("eq", c: "snn_tensor_eq", python: "eq", differentiable: false,
                          export: { b, r in try b.comparisonNode(r, "Equal") },
                          imports: ["Equal": { n in try n.binary(SwiftNN.eq) }])
    /// ONNX has no NotEqual: Not(Equal).
    static let ne = OpDef("ne", c: "snn_tensor_ne", python: "ne", differentiable: false,
                          export: { b, r in try b.comparisonNode(r, "Equal", negated: true) })
    static let lt = OpDef("lt", c: "snn_tensor_lt", python: "lt", differentiable: false,
                          export: { b, r in try b.comparisonNode(r, "Less") },
                          imports: ["Less": { n in try n.binary(SwiftNN.lt) }])
    static let le = OpDef("le", c: "snn_tensor_le", python: "le", differentiable: false,
                          export: { b, r in try b.comparisonNode(r, "LessOrEqual") },
                          imports: ["LessOrEqual": { n in try n.binary(SwiftNN.le) }])
    static let gt = OpDef("gt", c: "snn_tensor_gt", python: "gt", differentiable: false,
                          export: { b, r in try b.comparisonNode(r, "Greater") },
                          imports: ["Greater": { n in try n.binary(SwiftNN.gt) }])
    static let ge = OpDef("ge", c: "snn_tensor_ge", python: "ge", differentiable: false,
                          export: { b, r in try b.comparisonNode(r, "GreaterOrEqual") },
                          imports: ["GreaterOrEqual": { n in try n.binary(SwiftNN.ge) }])
    static let isnan = OpDef(unary: "isnan", c: "snn_tensor_isnan", python: "isnan", onnx: "IsNaN", differentiable: false, SwiftNN.isnan)
    /// ONNX IsInf detects both signs by default; its detect_* attributes select one.
    static let isinf = OpDef("isinf", c: "snn_tensor_isinf", python: "isinf", differentiable: false,
                             export: { b, r in try b.unary(r, "IsInf") },
                             imports: ["IsInf": { n in
                                 let a = try n.attrs(["detect_negative", "detect_positive"])
                                 let negative = try a.int("detect_negative", 1) != 0, positive = try a.int("detect_positive", 1) != 0
                                 return { xs in
                                     let x = try input(xs, 0)
                                     if negative && positive { return [try SwiftNN.isinf(x)] }
                                     return [try boolMap1(x, "IsInf") { t, i in
                                         let v = t.element(i)
                                         return t.dtype.isFloatingPoint && v.isInfinite && (v > 0 ? positive : negative)
                                     }]
                                 }
                             }])
    /// No ONNX op: Not(IsInf(x) or IsNaN(x)).
    static let isfinite = OpDef("isfinite", c: "snn_tensor_isfinite", python: "isfinite", differentiable: false,
                                export: { b, r in
                                    let x = try b.value(try r.input(0))
                                    let bad = b.node1("Or", [b.node1("IsInf", [x.name]), b.node1("IsNaN", [x.name])])
                                    b.define(r.outputs[0], b.node1("Not", [bad]), batch: x.batch)
                                })
    static let isclose = OpDef("isclose", c: "snn_tensor_isclose", python: "isclose", differentiable: false)
}

extension GraphBuilder {
    /// A comparison node; ONNX wants both inputs of one type, so an operand of another dtype
    /// is cast to the result type first (as the engine compares).
    mutating func comparisonNode(_ r: TraceRecord, _ op: String, negated: Bool = false) throws {
        let ta = try r.input(0), tb = try r.input(1)
        let a = try value(ta), b = try value(tb)
        let t = operandsResultType(ta, tb)
        let names = [a, b].map { v in v.dtype == t ? v.name : node1("Cast", [v.name], [ONNXAttribute("to", .int(Int64(t.onnxType)))]) }
        var y = node1(op, names)
        if negated { y = node1("Not", [y]) }
        define(r.outputs[0], y, batch: broadcastBatch([a, b], r.outputs[0].rank))
    }
}
