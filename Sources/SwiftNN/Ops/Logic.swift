// Logic on tensors: logical_and/or/xor/not (any dtype, nonzero is true, bool result) and the
// bitwise & | ^ ~ of bool and integer tensors (result in the operands' result type). As in
// PyTorch, nan counts as true and bitwise ops refuse floating-point tensors.

/// Which two-operand logic an op computes.
public enum LogicOp: String, Sendable {
    case and, or, xor

    @inline(__always) func holds(_ x: Bool, _ y: Bool) -> Bool {
        switch self {
        case .and: x && y
        case .or: x || y
        case .xor: x != y
        }
    }

    @inline(__always) func bits(_ x: Int64, _ y: Int64) -> Int64 {
        switch self {
        case .and: x & y
        case .or: x | y
        case .xor: x ^ y
        }
    }
}

/// torch.logical_and / logical_or / logical_xor: a bool tensor of the broadcast shape.
public func logical(_ a: Tensor, _ b: Tensor, _ op: LogicOp) throws -> Tensor {
    let out = try boolMap2(a, b, "logical_\(op.rawValue)", { $0.isNonzero($1) }, op.holds)
    let def: OpDef = switch op { case .and: .logicalAnd; case .or: .logicalOr; case .xor: .logicalXor }
    return out.traced(def, [a, b])
}

public func logicalAnd(_ a: Tensor, _ b: Tensor) throws -> Tensor { try logical(a, b, .and) }
public func logicalOr(_ a: Tensor, _ b: Tensor) throws -> Tensor { try logical(a, b, .or) }
public func logicalXor(_ a: Tensor, _ b: Tensor) throws -> Tensor { try logical(a, b, .xor) }

/// torch.logical_not: true where the element is zero.
public func logicalNot(_ t: Tensor) throws -> Tensor {
    try boolMap1(t, "logical_not") { t, i in !t.isNonzero(i) }.traced(.logicalNot, [t])
}

private func requireIntegral(_ t: Tensor, _ fn: String, _ what: String) throws {
    guard !t.dtype.isFloatingPoint else {
        throw SNNError.dtype("\(fn): \(what) has dtype \(t.dtype.name); bitwise ops take bool or integer tensors")
    }
}

/// torch.bitwise_and / bitwise_or / bitwise_xor (& | ^) of bool or integer tensors, in their
/// result type (bool & bool is bool).
public func bitwise(_ a: Tensor, _ b: Tensor, _ op: LogicOp) throws -> Tensor {
    let fn = "bitwise_\(op.rawValue)"
    try requireIntegral(a, fn, "first operand")
    try requireIntegral(b, fn, "second operand")
    let shape = a.shape == b.shape ? a.shape : try broadcastShapes(a.shape, b.shape, fn)
    let out = try Tensor(empty: shape, dtype: operandsResultType(a, b), zeroed: false, fn)
    forEachRun3(shape, broadcastStrides(a.shape, to: shape), broadcastStrides(b.shape, to: shape), contiguousStrides(shape)) { oa, ob, oo, n, ia, ib, io in
        for k in 0..<n { out.storeInteger(oo + k * io, op.bits(a.integerElement(oa + k * ia), b.integerElement(ob + k * ib))) }
    }
    let def: OpDef = switch op { case .and: .bitwiseAnd; case .or: .bitwiseOr; case .xor: .bitwiseXor }
    return out.traced(def, [a, b])
}

public func bitwiseAnd(_ a: Tensor, _ b: Tensor) throws -> Tensor { try bitwise(a, b, .and) }
public func bitwiseOr(_ a: Tensor, _ b: Tensor) throws -> Tensor { try bitwise(a, b, .or) }
public func bitwiseXor(_ a: Tensor, _ b: Tensor) throws -> Tensor { try bitwise(a, b, .xor) }

/// torch.bitwise_not (~): logical not of a bool tensor, two's-complement not of an integer one.
public func bitwiseNot(_ t: Tensor) throws -> Tensor {
    let fn = "bitwise_not"
    try requireIntegral(t, fn, "input")
    let out = try Tensor(empty: t.shape, dtype: t.dtype, zeroed: false, fn)
    for i in 0..<t.count {
        if t.dtype == .bool { out.bytes[i] = t.bytes[i] == 0 ? 1 : 0 } else { out.storeInteger(i, ~t.integerElement(i)) }
    }
    return out.traced(.bitwiseNot, [t])
}

// MARK: - registry

extension OpDef {
    // ONNX's And/Or/Xor/Not take bool tensors: an operand of another dtype is first compared
    // with zero (what logical_* means), so the nodes see bools.
    static let logicalAnd = OpDef("logical_and", c: "snn_tensor_logical_and", python: "logical_and", differentiable: false,
                                  export: { b, r in try b.logicNode(r, "And") },
                                  imports: ["And": { n in try n.binary(SwiftNN.logicalAnd) }])
    static let logicalOr = OpDef("logical_or", c: "snn_tensor_logical_or", python: "logical_or", differentiable: false,
                                 export: { b, r in try b.logicNode(r, "Or") },
                                 imports: ["Or": { n in try n.binary(SwiftNN.logicalOr) }])
    static let logicalXor = OpDef("logical_xor", c: "snn_tensor_logical_xor", python: "logical_xor", differentiable: false,
                                  export: { b, r in try b.logicNode(r, "Xor") },
                                  imports: ["Xor": { n in try n.binary(SwiftNN.logicalXor) }])
    static let logicalNot = OpDef("logical_not", c: "snn_tensor_logical_not", python: "logical_not", differentiable: false,
                                  export: { b, r in try b.logicNode(r, "Not") },
                                  imports: ["Not": { n in try n.unary(SwiftNN.logicalNot) }])
    // Bitwise ops on bools are the logic nodes; on integers ONNX 18's BitwiseAnd etc. are past
    // the exported opset 17, so those are not exported.
    static let bitwiseAnd = OpDef("bitwise_and", c: "snn_tensor_bitwise_and", python: "bitwise_and", differentiable: false,
                                  export: { b, r in try b.boolBitwiseNode(r, "And") })
    static let bitwiseOr = OpDef("bitwise_or", c: "snn_tensor_bitwise_or", python: "bitwise_or", differentiable: false,
                                 export: { b, r in try b.boolBitwiseNode(r, "Or") })
    static let bitwiseXor = OpDef("bitwise_xor", c: "snn_tensor_bitwise_xor", python: "bitwise_xor", differentiable: false,
                                  export: { b, r in try b.boolBitwiseNode(r, "Xor") })
    static let bitwiseNot = OpDef("bitwise_not", c: "snn_tensor_bitwise_not", python: "bitwise_not", differentiable: false,
                                  export: { b, r in try b.boolBitwiseNode(r, "Not") })
}

extension GraphBuilder {
    /// A constant initializer holding `t` (a fresh name; never cached by tensor identity, since
    /// `t` may be a temporary).
    mutating func constant(_ t: Tensor, _ base: String = "const") -> String {
        let name = fresh(base)
        graph.initializers.append(initializer(name, t))
        return name
    }

    /// A logic node on the record's inputs, each made bool first (x != 0) unless it is.
    mutating func logicNode(_ r: TraceRecord, _ op: String) throws {
        var vs: [GraphValue] = []
        var names: [String] = []
        for i in r.inputs.indices {
            let v = try value(try r.input(i))
            vs.append(v)
            if v.dtype == .bool { names.append(v.name); continue }
            let zero = constant(try Tensor(empty: [], dtype: v.dtype, zeroed: true, "onnx export"), "zero")
            names.append(node1("Not", [node1("Equal", [v.name, zero])]))
        }
        define(r.outputs[0], node1(op, names), batch: broadcastBatch(vs, r.outputs[0].rank))
    }

    /// A bitwise op: the logic node for bool operands; integers need opset 18.
    mutating func boolBitwiseNode(_ r: TraceRecord, _ op: String) throws {
        guard r.inputs.allSatisfy({ $0?.dtype == .bool }) else {
            throw SNNError(.unsupported, "bitwise ops on integer tensors need ONNX opset 18 (Bitwise\(op)); the export writes opset 17")
        }
        try logicNode(r, op)
    }
}
