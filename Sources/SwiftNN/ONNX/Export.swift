// ONNX export: a trace (Tracer.swift) becomes an ONNX graph (IR version 8, opset 17) with a
// symbolic batch dimension on dim 0 of every input, parameters and buffers as initializers
// named by their state-dict keys, other tensors the trace read as constant initializers, and
// only the nodes the outputs depend on, in the order the ops ran (a topological order).

/// Names and choices for an export.
public struct ONNXExportOptions {
    /// Graph input names (default "input", or "input_0", "input_1", ... for several).
    public var inputNames: [String]? = nil
    /// Graph output names (default "output", or "output_0", ...).
    public var outputNames: [String]? = nil
    /// Dimension 0 of every input is the symbolic "batch" (otherwise every size is fixed).
    public var dynamicBatch = true
    public init() {}
}

public enum ONNXExport {
    public static let irVersion: Int64 = 8
    public static let opsetVersion: Int64 = 17

    /// Traces `module` on `exampleInputs` (in grad-free mode) and writes the ONNX file.
    public static func export(_ module: Module, exampleInputs: [Tensor], to path: String,
                              options: ONNXExportOptions = ONNXExportOptions()) throws {
        let m = try model(module, exampleInputs: exampleInputs, options: options)
        try File.writeAtomically(path, [m.encode()])
    }

    /// Writes `model` to `path` atomically (a temporary file renamed into place).
    public static func write(_ model: ONNXModel, to path: String) throws {
        try File.writeAtomically(path, [model.encode()])
    }

    /// The ONNX model of `module` traced on `exampleInputs`.
    public static func model(_ module: Module, exampleInputs: [Tensor], options: ONNXExportOptions = ONNXExportOptions()) throws -> ONNXModel {
        var training: [String] = []
        module.visit { path, m in
            let name = path.isEmpty ? m.typeName : "\(m.typeName) '\(path.dropLast())'"
            if let d = m as? Dropout, d.training, d.p > 0 { training.append(name) }
            if let b = m as? BatchNorm, b.training { training.append(name) }
        }
        guard training.isEmpty else {
            throw SNNError.invalid("onnx export: \(training.joined(separator: ", ")) \(training.count == 1 ? "is" : "are") in training mode; call eval() (snn_module_train(m, false)) before exporting")
        }
        var outputs: [Tensor] = []
        let tracer = try Tracer.trace {
            outputs = try GradMode.withoutGrad { try module.forward(exampleInputs) }
        }
        return try model(tracer.records, inputs: exampleInputs, outputs: outputs, names: module.stateDict(), options: options)
    }

    /// The ONNX model computing `outputs` from `inputs` by the recorded ops. `names` gives
    /// parameters and buffers their initializer names (state-dict keys).
    public static func model(_ records: [TraceRecord], inputs: [Tensor], outputs: [Tensor],
                             names: [(name: String, tensor: Tensor)], options: ONNXExportOptions = ONNXExportOptions()) throws -> ONNXModel {
        var b = try GraphBuilder(inputs: inputs, outputs: outputs, names: names, options: options)
        for i in liveRecords(records, inputs: inputs, outputs: outputs) {
            let r = records[i]
            do { try b.lower(r) } catch let e as SNNError {
                throw SNNError(e.status, "onnx export: \(r.op.name) (traced op \(i)): \(e.message)")
            }
        }
        var m = ONNXModel()
        m.irVersion = irVersion
        m.opsetImports = [("", opsetVersion)]
        m.graph = try b.finish()
        return m
    }

    /// Indices of the records the outputs depend on, in order. A tensor's producer is the
    /// latest record that output it; a record whose output is one of its inputs is an identity.
    static func liveRecords(_ records: [TraceRecord], inputs: [Tensor], outputs: [Tensor]) -> [Int] {
        var producer: [ObjectIdentifier: Int] = [:]
        var deps: [[Int]] = []
        deps.reserveCapacity(records.count)
        for t in inputs { producer[ObjectIdentifier(t)] = -1 }
        for (i, r) in records.enumerated() {
            deps.append(r.inputs.compactMap { $0.flatMap { producer[ObjectIdentifier($0)] } }.filter { $0 >= 0 })
            if isIdentity(r) { continue }
            for o in r.outputs { producer[ObjectIdentifier(o)] = i }
        }
        var live = Set<Int>()
        var stack = outputs.compactMap { producer[ObjectIdentifier($0)] }.filter { $0 >= 0 }
        while let i = stack.popLast() {
            guard live.insert(i).inserted else { continue }
            stack.append(contentsOf: deps[i])
        }
        return live.sorted()
    }

    static func isIdentity(_ r: TraceRecord) -> Bool {
        r.outputs.contains { o in r.inputs.contains { $0 === o } }
    }
}

/// Where the batch dimension went: exactly dimension b, folded into dimension b (b = batch *
/// something), nowhere (a static shape), or lost track of (the shape is declared unknown).
enum BatchDim: Equatable {
    case none, exact(Int), folded(Int), unknown

    var index: Int? {
        switch self {
        case let .exact(b), let .folded(b): return b
        default: return nil
        }
    }
}

/// A graph value standing for a traced tensor.
struct GraphValue {
    var name: String
    var shape: [Int]
    var dtype: DType
    var batch: BatchDim
    /// Why this value cannot be exported, for a tensor ONNX has no equivalent of.
    var unavailable: String? = nil
}

struct GraphBuilder {
    var graph = ONNXGraph()
    var used = Set<String>()
    var values: [ObjectIdentifier: GraphValue] = [:]
    var externals: [ObjectIdentifier: GraphValue] = [:]
    var stateNames: [ObjectIdentifier: String] = [:]
    var producedByNode = Set<String>()
    var counter = 0
    let inputs: [Tensor], outputs: [Tensor]
    let outputNames: [String]
    /// The example batch size (dim 0 of the first input), for reshapes that fold the batch.
    let exampleBatch: Int?

    init(inputs: [Tensor], outputs: [Tensor], names: [(name: String, tensor: Tensor)], options: ONNXExportOptions) throws {
        guard !outputs.isEmpty else { throw SNNError.invalid("onnx export: no outputs to export") }
        self.inputs = inputs
        self.outputs = outputs
        let inNames = try Self.names(options.inputNames, count: inputs.count, base: "input")
        outputNames = try Self.names(options.outputNames, count: outputs.count, base: "output")
        for n in inNames + outputNames {
            guard used.insert(n).inserted else { throw SNNError.invalid("onnx export: the name '\(n)' is used twice among the input and output names") }
        }
        exampleBatch = options.dynamicBatch ? inputs.first.flatMap { $0.shape.first } : nil
        for (i, t) in inputs.enumerated() {
            let id = ObjectIdentifier(t)
            guard values[id] == nil else { throw SNNError.invalid("onnx export: inputs \(inputs.firstIndex { $0 === t } ?? 0) and \(i) are the same tensor") }
            let dynamic = options.dynamicBatch && t.rank >= 1
            values[id] = GraphValue(name: inNames[i], shape: t.shape, dtype: t.dtype, batch: dynamic ? .exact(0) : .none)
            graph.inputs.append(ONNXValueInfo(name: inNames[i], elemType: t.dtype.onnxType,
                                              shape: t.shape.enumerated().map { k, d in dynamic && k == 0 ? .param("batch") : .value(Int64(d)) }))
        }
        for (n, t) in names where stateNames[ObjectIdentifier(t)] == nil { stateNames[ObjectIdentifier(t)] = n }
    }

    static func names(_ given: [String]?, count: Int, base: String) throws -> [String] {
        guard let given else { return count == 1 ? [base] : (0..<count).map { "\(base)_\($0)" } }
        guard given.count == count else {
            throw SNNError.invalid("onnx export: \(given.count) \(base) names given for \(count) \(base)s")
        }
        for n in given where n.isEmpty { throw SNNError.invalid("onnx export: an \(base) name is empty") }
        return given
    }

    // MARK: names, constants, nodes

    mutating func fresh(_ base: String) -> String {
        var n = base
        while used.contains(n) { counter += 1; n = "\(base)_\(counter)" }
        used.insert(n)
        return n
    }

    /// The graph value of `t`: a traced value, or an initializer (named by the state dict, or
    /// a constant) for a tensor the trace read without producing it.
    mutating func value(_ t: Tensor) throws -> GraphValue {
        let id = ObjectIdentifier(t)
        if let v = values[id] {
            if let why = v.unavailable { throw SNNError(.unsupported, why) }
            return v
        }
        if let v = externals[id] { return v }
        let name: String
        if let n = stateNames[id] {
            guard !used.contains(n) else {
                throw SNNError.invalid("parameter '\(n)' has the same name as a graph input or output; choose other input/output names")
            }
            used.insert(n)
            name = n
        } else {
            name = fresh(t.requiresGrad ? "param" : "const")
        }
        graph.initializers.append(initializer(name, t))
        let v = GraphValue(name: name, shape: t.shape, dtype: t.dtype, batch: .none)
        externals[id] = v
        return v
    }

    func initializer(_ name: String, _ t: Tensor) -> ONNXTensor {
        var o = ONNXTensor()
        o.name = name
        o.dims = t.shape.map { Int64($0) }
        o.dataType = t.dtype.onnxType
        let bytes = t.count * t.dtype.byteSize
        // Little-endian hosts (x86_64, arm64): the tensor's bytes are ONNX's raw_data.
        o.rawData = Array(UnsafeRawBufferPointer(start: UnsafeRawPointer(t.elementBytes), count: bytes))
        return o
    }

    mutating func constInts(_ v: [Int], scalar: Bool = false, _ base: String = "const") -> String {
        let name = fresh(base)
        var o = ONNXTensor()
        o.name = name
        o.dims = scalar ? [] : [Int64(v.count)]
        o.dataType = ONNXDataType.int64.rawValue
        var raw: [UInt8] = []
        for x in v { let u = UInt64(bitPattern: Int64(x)); for k in 0..<8 { raw.append(UInt8(truncatingIfNeeded: u >> (8 * UInt64(k)))) } }
        o.rawData = raw
        graph.initializers.append(o)
        return name
    }

    mutating func constFloats(_ v: [Float], shape: [Int], _ base: String = "const") -> String {
        let name = fresh(base)
        var o = ONNXTensor()
        o.name = name
        o.dims = shape.map { Int64($0) }
        var raw: [UInt8] = []
        for x in v { let u = x.bitPattern; for k in 0..<4 { raw.append(UInt8(truncatingIfNeeded: u >> (8 * UInt32(k)))) } }
        o.rawData = raw
        graph.initializers.append(o)
        return name
    }

    /// Appends a node; returns its output names.
    @discardableResult
    mutating func node(_ op: String, _ inputs: [String], _ attributes: [ONNXAttribute] = [], outputs: Int = 1) -> [String] {
        let outs = (0..<outputs).map { _ in fresh(op.lowercased()) }
        graph.nodes.append(ONNXNode(op, inputs: inputs, outputs: outs, name: fresh(op), attributes: attributes))
        for o in outs { producedByNode.insert(o) }
        return outs
    }

    mutating func node1(_ op: String, _ inputs: [String], _ attributes: [ONNXAttribute] = []) -> String {
        node(op, inputs, attributes)[0]
    }

    mutating func define(_ t: Tensor, _ name: String, batch: BatchDim) {
        values[ObjectIdentifier(t)] = GraphValue(name: name, shape: t.shape, dtype: t.dtype, batch: batch)
    }

    // MARK: lowering

    /// Lowers one record through its op's registry entry (OpDef.export, beside the op).
    mutating func lower(_ r: TraceRecord) throws {
        if ONNXExport.isIdentity(r) { return }
        guard let lowering = r.op.export else { throw SNNError(.unsupported, "no ONNX export for the op \(r.op.name)") }
        try lowering(&self, r)
    }

    /// One node of type `onnxOp` on the record's first input, keeping its batch dimension.
    mutating func unary(_ r: TraceRecord, _ onnxOp: String, _ attributes: [ONNXAttribute] = []) throws {
        let x = try value(try r.input(0))
        define(r.outputs[0], node1(onnxOp, [x.name], attributes), batch: x.batch)
    }

    /// One node of type `onnxOp` on two broadcasting inputs.
    mutating func binary(_ r: TraceRecord, _ onnxOp: String) throws {
        let a = try value(try r.input(0)), b = try value(try r.input(1))
        define(r.outputs[0], node1(onnxOp, [a.name, b.name]), batch: broadcastBatch([a, b], r.outputs[0].rank))
    }

    /// The output is the input's value (no node): detach, clone, an empty reduction.
    mutating func alias(_ r: TraceRecord) throws {
        values[ObjectIdentifier(r.outputs[0])] = try value(try r.input(0))
    }

    /// A Reshape to the record's output shape (0 or -1 where the batch dimension goes).
    mutating func reshapeNode(_ r: TraceRecord) throws {
        let x = try value(try r.input(0))
        let (shape, batch) = reshapeTarget(x, r.outputs[0].shape)
        define(r.outputs[0], node1("Reshape", [x.name, constInts(shape, "shape")]), batch: batch)
    }

    /// transpose and permute: one Transpose by the record's `perm`.
    mutating func transposeNode(_ r: TraceRecord) throws {
        let x = try value(try r.input(0))
        let perm = try r.ints("perm")
        let batch = x.batch.index.flatMap { b in perm.firstIndex(of: b).map { moved(x.batch, $0) } } ?? x.batch
        define(r.outputs[0], node1("Transpose", [x.name], [ONNXAttribute("perm", .ints(perm.map { Int64($0) }))]), batch: batch)
    }

    /// A reduction over the record's `dims` with `keepdim` (no dims: the input itself).
    mutating func reduction(_ r: TraceRecord, _ op: String) throws {
        let x = try value(try r.input(0))
        let dims = try r.ints("dims"), keep = r.bool("keepdim")
        if dims.isEmpty { return try alias(r) }
        define(r.outputs[0], reduce(op, x.name, dims, keep), batch: reducedBatch(x.batch, dims, keep))
    }

    /// ONNX Clip of the first input to [lo, hi] (either bound optional).
    mutating func clip(_ r: TraceRecord, _ lo: Float?, _ hi: Float?) throws {
        let x = try value(try r.input(0))
        var args = [x.name, lo.map { constFloats([$0], shape: [], "min") } ?? ""]
        if let hi { args.append(constFloats([hi], shape: [], "max")) }
        define(r.outputs[0], node1("Clip", args), batch: x.batch)
    }

    /// ReduceSum takes its axes as an input from opset 13; the others as an attribute until 18.
    mutating func reduce(_ op: String, _ x: String, _ dims: [Int], _ keep: Bool) -> String {
        let keepAttr = ONNXAttribute("keepdims", .int(keep ? 1 : 0))
        if op == "ReduceSum" { return node1(op, [x, constInts(dims, "axes")], [keepAttr]) }
        return node1(op, [x], [ONNXAttribute("axes", .ints(dims.map { Int64($0) })), keepAttr])
    }

    mutating func argExtreme(_ op: String, _ x: String, _ d: Int, _ keep: Bool) -> String {
        node1(op, [x], [ONNXAttribute("axis", .int(Int64(d))), ONNXAttribute("keepdims", .int(keep ? 1 : 0))])
    }

    /// Runs a 4-D op on `x`, adding a leading batch of one around it for an unbatched [C, H, W].
    mutating func batched4D(_ x: GraphValue, _ body: (inout GraphBuilder, String) -> String) -> String {
        if x.shape.count != 3 { return body(&self, x.name) }
        let x4 = node1("Unsqueeze", [x.name, constInts([0], "axes")])
        let y = body(&self, x4)
        return node1("Squeeze", [y, constInts([0], "axes")])
    }

    /// As `batched4D`, for the 3-D window ops' [C, D, H, W] inputs.
    mutating func batched5D(_ x: GraphValue, _ body: (inout GraphBuilder, String) -> String) -> String {
        if x.shape.count != 4 { return body(&self, x.name) }
        let x5 = node1("Unsqueeze", [x.name, constInts([0], "axes")])
        let y = body(&self, x5)
        return node1("Squeeze", [y, constInts([0], "axes")])
    }

    // MARK: batch bookkeeping

    func shifted(_ b: BatchDim, _ by: Int) -> BatchDim {
        switch b {
        case let .exact(i): return .exact(i + by)
        case let .folded(i): return .folded(i + by)
        default: return b
        }
    }

    func moved(_ b: BatchDim, _ to: Int) -> BatchDim {
        switch b {
        case .exact: return .exact(to)
        case .folded: return .folded(to)
        default: return b
        }
    }

    func broadcastBatch(_ vs: [GraphValue], _ outRank: Int) -> BatchDim {
        for v in vs {
            if v.batch == .unknown { return .unknown }
            if v.batch.index != nil { return shifted(v.batch, outRank - v.shape.count) }
        }
        return .none
    }

    func matmulBatch(_ a: GraphValue, _ b: GraphValue, _ outRank: Int) -> BatchDim {
        if a.batch == .unknown || b.batch == .unknown { return .unknown }
        if let i = a.batch.index {
            if a.shape.count < 2 || i == a.shape.count - 1 { return .unknown }
            return shifted(a.batch, outRank - a.shape.count)
        }
        if let i = b.batch.index {
            if b.shape.count < 2 || i == b.shape.count - 2 { return .unknown }
            return shifted(b.batch, outRank - b.shape.count)
        }
        return .none
    }

    func reducedBatch(_ b: BatchDim, _ dims: [Int], _ keep: Bool) -> BatchDim {
        guard let i = b.index else { return b }
        if dims.contains(i) { return .none }
        return keep ? b : shifted(b, -dims.filter { $0 < i }.count)
    }

    /// Reshape's target for a value whose batch may be dynamic: 0 (copy the input's size) where
    /// the batch dimension stays put, else -1 on the first dimension that can hold the batch.
    func reshapeTarget(_ x: GraphValue, _ out: [Int]) -> ([Int], BatchDim) {
        guard let b = x.batch.index else { return (out, x.batch) }
        var s = out
        if b < out.count, Array(x.shape[...b]) == Array(out[...b]) {
            s[b] = 0
            return (s, x.batch)
        }
        let n = Swift.max(exampleBatch ?? 1, 1)
        if let k = out.indices.first(where: { out[$0] % n == 0 && out[$0] > 0 }) {
            s[k] = -1
            return (s, out[k] == n && x.batch == .exact(b) ? .exact(k) : .folded(k))
        }
        return (out, .unknown)
    }

    // MARK: outputs

    mutating func finish() throws -> ONNXGraph {
        var renamed = Set<String>()
        for (i, t) in outputs.enumerated() {
            guard let v = values[ObjectIdentifier(t)] else {
                throw SNNError.invalid("onnx export: output \(i) (shape \(fmt(t.shape))) was not computed by engine ops from the inputs during the trace")
            }
            if let why = v.unavailable { throw SNNError(.unsupported, "onnx export: output \(i): \(why)") }
            let name = outputNames[i]
            if producedByNode.contains(v.name) && !renamed.contains(v.name) {
                rename(v.name, to: name)
                renamed.insert(v.name)
                // A later output that is the same value gets an Identity of this one.
                for (k, val) in values where val.name == v.name { values[k]?.name = name }
            } else {
                graph.nodes.append(ONNXNode("Identity", inputs: [v.name], outputs: [name], name: fresh("Identity")))
            }
            let shape: [ONNXValueInfo.Dim]?
            switch v.batch {
            case .unknown: shape = nil
            default: shape = t.shape.enumerated().map { k, d in
                v.batch == .exact(k) ? .param("batch") : (v.batch == .folded(k) ? .unknown : .value(Int64(d)))
            }
            }
            graph.outputs.append(ONNXValueInfo(name: name, elemType: t.dtype.onnxType, shape: shape))
        }
        graph.name = "swiftnn"
        return graph
    }

    mutating func rename(_ old: String, to new: String) {
        for n in graph.nodes.indices {
            graph.nodes[n].inputs = graph.nodes[n].inputs.map { $0 == old ? new : $0 }
            graph.nodes[n].outputs = graph.nodes[n].outputs.map { $0 == old ? new : $0 }
        }
    }
}

/// A traced call's arguments as its lowering reads them; a missing one is an internal error
/// (the op that traced the record wrote it).
extension TraceRecord {
    func input(_ i: Int) throws -> Tensor {
        guard i < inputs.count, let t = inputs[i] else { throw SNNError(.internalError, "missing input \(i)") }
        return t
    }
    func ints(_ n: String) throws -> [Int] {
        guard case let .ints(v)? = attribute(n) else { throw SNNError(.internalError, "missing attribute \(n)") }
        return v
    }
    func int(_ n: String) throws -> Int {
        guard case let .int(v)? = attribute(n) else { throw SNNError(.internalError, "missing attribute \(n)") }
        return v
    }
    func bool(_ n: String) -> Bool { attribute(n) == .bool(true) }
    func float(_ n: String) -> Double? { if case let .float(v)? = attribute(n) { return v }; return nil }
}

extension DType {
    /// The ONNX TensorProto.DataType of this dtype.
    var onnxType: Int32 {
        switch self {
        case .float32: ONNXDataType.float.rawValue
        case .float64: ONNXDataType.double.rawValue
        case .int64: ONNXDataType.int64.rawValue
        case .int32: ONNXDataType.int32.rawValue
        case .uint8: ONNXDataType.uint8.rawValue
        case .bool: ONNXDataType.bool.rawValue
        }
    }
}
