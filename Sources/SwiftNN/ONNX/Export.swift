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
                throw SNNError(e.status, "onnx export: \(r.op) (traced op \(i)): \(e.message)")
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
        o.rawData = t.dtype == .float32
            ? Array(UnsafeRawBufferPointer(start: UnsafeRawPointer(t.floats), count: bytes))
            : Array(UnsafeRawBufferPointer(start: UnsafeRawPointer(t.int64s), count: bytes))
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

    mutating func lower(_ r: TraceRecord) throws {
        if ONNXExport.isIdentity(r) { return }
        func input(_ i: Int) throws -> Tensor {
            guard i < r.inputs.count, let t = r.inputs[i] else { throw SNNError(.internalError, "missing input \(i)") }
            return t
        }
        func ints(_ n: String) throws -> [Int] {
            guard case let .ints(v)? = r.attribute(n) else { throw SNNError(.internalError, "missing attribute \(n)") }
            return v
        }
        func int(_ n: String) throws -> Int {
            guard case let .int(v)? = r.attribute(n) else { throw SNNError(.internalError, "missing attribute \(n)") }
            return v
        }
        func bool(_ n: String) -> Bool { r.attribute(n) == .bool(true) }
        func float(_ n: String) -> Double? { if case let .float(v)? = r.attribute(n) { return v }; return nil }
        let out = r.outputs[0]

        switch r.op {
        case "neg", "exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu":
            let x = try value(try input(0))
            let op = ["neg": "Neg", "exp": "Exp", "log": "Log", "sqrt": "Sqrt", "abs": "Abs", "tanh": "Tanh",
                      "sigmoid": "Sigmoid", "relu": "Relu"][r.op] ?? ""
            define(out, node1(op, [x.name]), batch: x.batch)
        case "leaky_relu":
            let x = try value(try input(0))
            define(out, node1("LeakyRelu", [x.name], [ONNXAttribute("alpha", .float(Float(float("negative_slope") ?? 0.01)))]), batch: x.batch)
        case "relu6", "clamp":
            let x = try value(try input(0))
            var lo: Float? = 0, hi: Float? = 6
            if r.op == "clamp" {
                lo = float("min").map { Float($0) }
                hi = float("max").map { Float($0) }
            }
            var args = [x.name, lo.map { constFloats([$0], shape: [], "min") } ?? ""]
            if let hi { args.append(constFloats([hi], shape: [], "max")) }
            define(out, node1("Clip", args), batch: x.batch)
        case "pow" where r.inputs.count == 1:
            let x = try value(try input(0))
            define(out, node1("Pow", [x.name, constFloats([Float(float("exponent") ?? 1)], shape: [], "exponent")]), batch: x.batch)
        case "add", "sub", "mul", "div", "pow":
            let a = try value(try input(0)), b = try value(try input(1))
            let op = ["add": "Add", "sub": "Sub", "mul": "Mul", "div": "Div", "pow": "Pow"][r.op] ?? ""
            define(out, node1(op, [a.name, b.name]), batch: broadcastBatch([a, b], out.rank))
        case "matmul":
            let a = try value(try input(0)), b = try value(try input(1))
            define(out, node1("MatMul", [a.name, b.name]), batch: matmulBatch(a, b, out.rank))
        case "linear":
            let x = try value(try input(0)), w = try value(try input(1))
            let bias = try r.inputs.count > 2 ? r.inputs[2].map { try value($0) } : nil
            let batch: BatchDim = x.batch.index == x.shape.count - 1 ? (x.batch == .none ? .none : .unknown) : x.batch
            if x.shape.count == 2 {
                define(out, node1("Gemm", [x.name, w.name] + (bias.map { [$0.name] } ?? []), [ONNXAttribute("transB", .int(1))]), batch: batch)
            } else {
                let wt = node1("Transpose", [w.name], [ONNXAttribute("perm", .ints([1, 0]))])
                var y = node1("MatMul", [x.name, wt])
                if let bias { y = node1("Add", [y, bias.name]) }
                define(out, y, batch: batch)
            }
        case "softmax", "log_softmax":
            let x = try value(try input(0))
            define(out, node1(r.op == "softmax" ? "Softmax" : "LogSoftmax", [x.name], [ONNXAttribute("axis", .int(Int64(try int("dim"))))]), batch: x.batch)
        case "conv2d":
            let x = try value(try input(0)), w = try value(try input(1))
            let bias = try r.inputs.count > 2 ? r.inputs[2].map { try value($0) } : nil
            let k = w.shape.count == 4 ? [Int64(w.shape[2]), Int64(w.shape[3])] : []
            let s = try ints("stride"), p = try ints("padding"), d = try ints("dilation")
            let attrs = [ONNXAttribute("kernel_shape", .ints(k)), ONNXAttribute("strides", .ints(s.map { Int64($0) })),
                         ONNXAttribute("pads", .ints((p + p).map { Int64($0) })), ONNXAttribute("dilations", .ints(d.map { Int64($0) })),
                         ONNXAttribute("group", .int(Int64(try int("groups"))))]
            let y = batched4D(x) { b, x4 in b.node1("Conv", [x4, w.name] + (bias.map { [$0.name] } ?? []), attrs) }
            define(out, y, batch: x.batch)
        case "max_pool2d":
            let x = try value(try input(0))
            let p = try ints("padding")
            let attrs = [ONNXAttribute("kernel_shape", .ints(try ints("kernel_size").map { Int64($0) })),
                         ONNXAttribute("strides", .ints(try ints("stride").map { Int64($0) })),
                         ONNXAttribute("pads", .ints((p + p).map { Int64($0) })),
                         ONNXAttribute("dilations", .ints(try ints("dilation").map { Int64($0) })),
                         ONNXAttribute("ceil_mode", .int(bool("ceil_mode") ? 1 : 0))]
            define(out, batched4D(x) { b, x4 in b.node1("MaxPool", [x4], attrs) }, batch: x.batch)
            if r.outputs.count > 1 {
                var v = GraphValue(name: "", shape: r.outputs[1].shape, dtype: .int64, batch: .none)
                v.unavailable = "the indices of max_pool2d (return_indices=True) have no ONNX equivalent (ONNX MaxPool numbers positions over the whole tensor, PyTorch within each plane)"
                values[ObjectIdentifier(r.outputs[1])] = v
            }
        case "avg_pool2d":
            let x = try value(try input(0))
            if let d = r.attribute("divisor_override"), d != .none {
                throw SNNError(.unsupported, "avg_pool2d with divisor_override has no ONNX AveragePool equivalent")
            }
            let p = try ints("padding")
            let attrs = [ONNXAttribute("kernel_shape", .ints(try ints("kernel_size").map { Int64($0) })),
                         ONNXAttribute("strides", .ints(try ints("stride").map { Int64($0) })),
                         ONNXAttribute("pads", .ints((p + p).map { Int64($0) })),
                         ONNXAttribute("ceil_mode", .int(bool("ceil_mode") ? 1 : 0)),
                         ONNXAttribute("count_include_pad", .int(bool("count_include_pad") ? 1 : 0))]
            define(out, batched4D(x) { b, x4 in b.node1("AveragePool", [x4], attrs) }, batch: x.batch)
        case "adaptive_avg_pool2d":
            let x = try value(try input(0))
            let o = try ints("output_size")
            let h = x.shape[x.shape.count - 2], w = x.shape[x.shape.count - 1]
            if o == [1, 1] {
                define(out, batched4D(x) { b, x4 in b.node1("GlobalAveragePool", [x4]) }, batch: x.batch)
            } else if o.count == 2, o[0] > 0, o[1] > 0, h % o[0] == 0, w % o[1] == 0 {
                let k: [Int64] = [Int64(h / o[0]), Int64(w / o[1])]
                let attrs = [ONNXAttribute("kernel_shape", .ints(k)), ONNXAttribute("strides", .ints(k))]
                define(out, batched4D(x) { b, x4 in b.node1("AveragePool", [x4], attrs) }, batch: x.batch)
            } else {
                throw SNNError(.unsupported, "adaptive_avg_pool2d to \(fmt(o)) from \(h)x\(w): ONNX has no adaptive pooling, and the input size is not a multiple of the output size (so it is not one AveragePool)")
            }
        case "batch_norm":
            if bool("training") {
                throw SNNError.invalid("batch_norm uses batch statistics (the module is in training mode, or has track_running_stats=False); call eval() (snn_module_train(m, false)) before exporting")
            }
            let x = try value(try input(0))
            let c = x.shape.count > 1 ? x.shape[1] : 0
            guard let rm = r.inputs[1], let rv = r.inputs[2] else { throw SNNError.invalid("batch_norm without running statistics") }
            let mean = try value(rm), variance = try value(rv)
            let scale = try r.inputs[3].map { try value($0).name } ?? constFloats([Float](repeating: 1, count: c), shape: [c], "bn_scale")
            let shift = try r.inputs[4].map { try value($0).name } ?? constFloats([Float](repeating: 0, count: c), shape: [c], "bn_bias")
            define(out, node1("BatchNormalization", [x.name, scale, shift, mean.name, variance.name],
                              [ONNXAttribute("epsilon", .float(Float(float("eps") ?? 1e-5)))]), batch: x.batch)
        case "dropout":
            throw SNNError.invalid("dropout in training mode cannot be exported (it is random); call eval() (snn_module_train(m, false)) before exporting")
        case "detach", "clone":
            let x = try value(try input(0))
            values[ObjectIdentifier(out)] = x
        case "reshape", "view":
            let x = try value(try input(0))
            let (shape, batch) = reshapeTarget(x, out.shape)
            define(out, node1("Reshape", [x.name, constInts(shape, "shape")]), batch: batch)
        case "flatten":
            let x = try value(try input(0))
            let s = try int("start_dim"), e = try int("end_dim"), rank = x.shape.count
            if s == 1 && e == rank - 1 && rank >= 2 {
                let batch: BatchDim = x.batch == .exact(0) ? .exact(0) : (x.batch == .none ? .none : (x.batch == .folded(0) ? .folded(0) : .folded(1)))
                define(out, node1("Flatten", [x.name], [ONNXAttribute("axis", .int(1))]), batch: batch)
            } else {
                let (shape, batch) = reshapeTarget(x, out.shape)
                define(out, node1("Reshape", [x.name, constInts(shape, "shape")]), batch: batch)
            }
        case "squeeze":
            let x = try value(try input(0))
            let removed = try ints("removed")
            if removed.isEmpty { values[ObjectIdentifier(out)] = x; return }
            var batch = x.batch
            if let b = x.batch.index { batch = removed.contains(b) ? .none : shifted(x.batch, -removed.filter { $0 < b }.count) }
            define(out, node1("Squeeze", [x.name, constInts(removed, "axes")]), batch: batch)
        case "unsqueeze":
            let x = try value(try input(0))
            let d = try int("dim")
            let batch = x.batch.index.map { $0 >= d ? shifted(x.batch, 1) : x.batch } ?? x.batch
            define(out, node1("Unsqueeze", [x.name, constInts([d], "axes")]), batch: batch)
        case "transpose", "permute":
            let x = try value(try input(0))
            let perm = try ints("perm")
            let batch = x.batch.index.flatMap { b in perm.firstIndex(of: b).map { moved(x.batch, $0) } } ?? x.batch
            define(out, node1("Transpose", [x.name], [ONNXAttribute("perm", .ints(perm.map { Int64($0) }))]), batch: batch)
        case "expand":
            let x = try value(try input(0))
            var target = out.shape
            var batch = BatchDim.none
            if let b = x.batch.index {
                let at = b + out.rank - x.shape.count
                target[at] = 1  // Expand broadcasts: 1 keeps the input's (dynamic) size
                batch = moved(x.batch, at)
            }
            define(out, node1("Expand", [x.name, constInts(target, "shape")]), batch: batch)
        case "cat", "stack":
            var xs: [GraphValue] = []
            for i in r.inputs.indices { xs.append(try value(try input(i))) }
            let d = try int("dim")
            var parts = xs.map(\.name)
            if r.op == "stack" { parts = parts.map { node1("Unsqueeze", [$0, constInts([d], "axes")]) } }
            var batch = xs.first { $0.batch != .none }?.batch ?? .none
            if r.op == "stack", let b = batch.index, b >= d { batch = shifted(batch, 1) }
            if r.op == "cat", batch.index == d { batch = .unknown }
            define(out, node1("Concat", parts, [ONNXAttribute("axis", .int(Int64(d)))]), batch: batch)
        case "slice":
            let x = try value(try input(0))
            let d = try int("dim")
            let args = [x.name, constInts([try int("start")], "starts"), constInts([try int("end")], "ends"),
                        constInts([d], "axes"), constInts([try int("step")], "steps")]
            define(out, node1("Slice", args), batch: x.batch.index == d ? .unknown : x.batch)
        case "select":
            let x = try value(try input(0))
            let d = try int("dim")
            var batch = x.batch
            if let b = x.batch.index { batch = b == d ? .none : (b > d ? shifted(x.batch, -1) : x.batch) }
            define(out, node1("Gather", [x.name, constInts([try int("index")], scalar: true, "index")], [ONNXAttribute("axis", .int(Int64(d)))]), batch: batch)
        case "index_select":
            let x = try value(try input(0)), index = try value(try input(1))
            guard !x.shape.isEmpty else { throw SNNError(.unsupported, "index_select on a 0-d tensor has no ONNX Gather equivalent") }
            let d = try int("dim")
            let idx = index.shape.isEmpty ? node1("Unsqueeze", [index.name, constInts([0], "axes")]) : index.name
            define(out, node1("Gather", [x.name, idx], [ONNXAttribute("axis", .int(Int64(d)))]), batch: x.batch.index == d ? .unknown : x.batch)
        case "sum", "mean", "amax", "amin", "logsumexp":
            let x = try value(try input(0))
            let dims = try ints("dims"), keep = bool("keepdim")
            if dims.isEmpty { values[ObjectIdentifier(out)] = x; return }
            let op = ["sum": "ReduceSum", "mean": "ReduceMean", "amax": "ReduceMax", "amin": "ReduceMin", "logsumexp": "ReduceLogSumExp"][r.op] ?? ""
            define(out, reduce(op, x.name, dims, keep), batch: reducedBatch(x.batch, dims, keep))
        case "max", "min":
            let x = try value(try input(0))
            let d = try int("dim"), keep = bool("keepdim")
            let batch = reducedBatch(x.batch, [d], keep)
            define(out, reduce(r.op == "max" ? "ReduceMax" : "ReduceMin", x.name, [d], keep), batch: batch)
            if r.outputs.count > 1 {
                define(r.outputs[1], argExtreme(r.op == "max" ? "ArgMax" : "ArgMin", x.name, d, keep), batch: batch)
            }
        case "argmax", "argmin":
            let x = try value(try input(0))
            let op = r.op == "argmax" ? "ArgMax" : "ArgMin", keep = bool("keepdim")
            if case let .int(d)? = r.attribute("dim") {
                define(out, argExtreme(op, x.name, d, keep), batch: reducedBatch(x.batch, [d], keep))
            } else {
                let flat = node1("Reshape", [x.name, constInts([-1], "shape")])
                var y = argExtreme(op, flat, 0, false)
                if keep { y = node1("Reshape", [y, constInts([Int](repeating: 1, count: x.shape.count), "shape")]) }
                define(out, y, batch: .none)
            }
        case "var", "std":
            let x = try value(try input(0))
            let dims = try ints("dims"), keep = bool("keepdim")
            let n = dims.reduce(1) { $0 * (x.shape.indices.contains($1) ? x.shape[$1] : 1) }
            let divisor = Float(Swift.max(0, Double(n) - (float("correction") ?? 1)))
            let m = reduce("ReduceMean", x.name, dims, true)
            let dev = node1("Sub", [x.name, m])
            var y = reduce("ReduceSum", node1("Mul", [dev, dev]), dims, keep)
            y = node1("Div", [y, constFloats([divisor], shape: [], "divisor")])
            if r.op == "std" { y = node1("Sqrt", [y]) }
            define(out, y, batch: reducedBatch(x.batch, dims, keep))
        case "recurrent":
            // ExportRecurrent.swift: ONNX LSTM / GRU / RNN nodes, gate rows reordered.
            try lowerRecurrent(r)
        case "embedding":
            let idx = try value(try input(0)), w = try value(try input(1))
            define(out, node1("Gather", [w.name, idx.name], [ONNXAttribute("axis", .int(0))]), batch: idx.batch)
        case "cross_entropy", "nll_loss", "mse_loss":
            throw SNNError(.unsupported, "\(r.op) is a loss; export the model's forward without the loss")
        default:
            throw SNNError(.unsupported, "no ONNX export for the op \(r.op)")
        }
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

extension DType {
    /// The ONNX TensorProto.DataType of this dtype.
    var onnxType: Int32 { self == .float32 ? ONNXDataType.float.rawValue : ONNXDataType.int64.rawValue }
}
