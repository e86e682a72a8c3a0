// ONNX import: an ONNX model as an engine Module whose forward runs the graph's nodes with
// engine ops. Everything is checked when the model is loaded (data types, initializer sizes,
// that every node input is defined before use, ops, attributes), so a malformed or unsupported
// file is a clear error at load time, never a trap; shapes are checked by the ops as they run.
// The ops themselves live in ImportOps.swift.

/// A model loaded from an ONNX file: `forward` takes the graph's inputs in order (those that
/// have no initializer) and returns its outputs in order. Initializers are its buffers.
public final class ONNXModule: Module {
    /// Names of the inputs `forward` takes, in order, and of the outputs it returns.
    public let inputNames: [String]
    public let outputNames: [String]
    /// The default-domain opset the model was written for.
    public let opsetVersion: Int64
    let inputInfos: [ONNXValueInfo]
    let steps: [ImportStep]
    let slotCount: Int
    let constantSlots: [(slot: Int, tensor: Tensor)]
    let inputSlots: [Int]
    let outputSlots: [Int]
    /// The graph again, for the compiled inference plan (ImportPlan.swift).
    let nodes: [ONNXNode]
    let constantsByName: [String: Tensor]
    let planCache = PlanCache()

    public override var typeName: String { "ONNXModel" }

    /// Reads and checks an ONNX file.
    public static func load(path: String) throws -> ONNXModule {
        let what = "ONNX file '\(path)'"
        let bytes = try File.read(path, maxBytes: 1 << 34)
        var model = try ONNXModel.decode(bytes, what: what)
        try resolveExternalData(&model.graph.initializers, modelPath: path, what)
        return try ONNXModule(model, what: what)
    }

    /// `live`: initializers to take as these tensors instead of copies of the model's data (a
    /// traced module's own parameters, so that its in-place updates reach the graph).
    public init(_ model: ONNXModel, what: String = "ONNX model", live: [String: Tensor] = [:]) throws {
        guard let opset = model.opsetVersion else {
            throw SNNError(.format, "\(what): no opset_import for the default ONNX domain")
        }
        guard opset >= 1 else { throw SNNError(.format, "\(what): opset version \(opset) is not valid") }
        if opset < 7 {
            Log.deprecated("\(what) uses ONNX opset \(opset)",
                           "opsets below 7 are deprecated (ONNX Runtime refuses them); re-export the model with opset 17")
        }
        opsetVersion = opset
        let g = model.graph
        var slots: [String: Int] = [:]
        var constants: [(Int, Tensor)] = []
        func newSlot(_ name: String, _ role: String) throws -> Int {
            guard !name.isEmpty else { throw SNNError(.format, "\(what): \(role) has an empty name") }
            guard slots[name] == nil else { throw SNNError(.format, "\(what): '\(name)' (\(role)) is defined twice") }
            slots[name] = slots.count
            return slots.count - 1
        }
        var initialized = Set<String>()
        if let t = g.initializers.first(where: { !$0.externalData.isEmpty }) {
            throw SNNError(.unsupported, "\(what): initializer '\(t.name)' keeps its data in an external file; load the model from its path (snn_onnx_load) so the file can be found")
        }
        for t in g.initializers {
            let tensor: Tensor
            if let l = live[t.name], l.isContiguous, l.shape == t.dims.map({ Int($0) }), engineDType(t.dataType) == l.dtype {
                tensor = l
            } else {
                tensor = try importTensor(t, "\(what): initializer '\(t.name)'")
            }
            constants.append((try newSlot(t.name, "initializer"), tensor))
            initialized.insert(t.name)
        }
        // Graph inputs that have an initializer are optional overrides in old models; the
        // ones the caller must pass are the rest.
        var infos: [ONNXValueInfo] = []
        var inSlots: [Int] = []
        for i in g.inputs where !initialized.contains(i.name) {
            infos.append(i)
            inSlots.append(try newSlot(i.name, "graph input"))
        }
        var steps: [ImportStep] = []
        // Conv [+ BatchNormalization] [+ activation] runs as one step (ImportFusion.swift): the
        // Conv is compiled when the last node of its chain is reached; the outputs inside the
        // chain get no slot.
        let chains = convFusionChains(g.nodes, graphOutputs: g.outputs.map(\.name))
        var pendingConv: [Int: PendingConv] = [:]   // keyed by the next node of the chain
        for (k, node) in g.nodes.enumerated() {
            let label = "\(what): node \(k)\(node.name.isEmpty ? "" : " '\(node.name)'") (\(node.opType))"
            guard node.domain.isEmpty || node.domain == "ai.onnx" else {
                throw SNNError(.unsupported, "\(label): domain '\(node.domain)' is not supported (only the default ONNX domain)")
            }
            let pending = pendingConv.removeValue(forKey: k)
            var ins = try node.inputs.enumerated().map { i, name -> Int? in
                if name.isEmpty || (i == 0 && pending != nil) { return nil }
                guard let s = slots[name] else {
                    throw SNNError(.format, "\(label): input '\(name)' is not a graph input, an initializer or the output of an earlier node (nodes must be in topological order, without cycles)")
                }
                return s
            }
            // If / Loop subgraphs read outer values by name: they follow the node's own inputs
            // (ImportControlFlow.swift).
            ins += try capturedNames(node).map { name -> Int? in
                guard let s = slots[name] else {
                    throw SNNError(.format, "\(label): its subgraph reads '\(name)', which is not a graph input, an initializer or the output of an earlier node")
                }
                return s
            }
            if let chain = chains[k] {
                pendingConv[chain[0]] = PendingConv(node: node, label: label, inputs: Array((ins + [nil, nil, nil]).prefix(3)),
                                                    rest: Array(chain.dropFirst()))
                continue
            }
            let run: ImportKernel
            var stepInputs = ins, stepLabel = label
            if var p = pending {
                p.inputs += ins.dropFirst()   // BatchNormalization's parameters, Clip's bounds
                p.fused.append((k, node))
                if let next = p.rest.first {
                    p.rest.removeFirst()
                    pendingConv[next] = p
                    continue
                }
                let bn = p.fused.first { $0.node.opType == "BatchNormalization" }
                let act = p.fused.first { $0.node.opType != "BatchNormalization" }
                let eps = try bn.map { try batchNormEpsilon($0.node, label) }
                let activation = try act.map { try compileFusedActivation($0.node, opset: opset, label: label) }
                run = try compileConv(p.node, p.label, batchNormEpsilon: eps, activation: activation)
                stepInputs = p.inputs
                stepLabel = "\(p.label) fused with " + p.fused.map { k, n in "node \(k)\(n.name.isEmpty ? "" : " '\(n.name)'") (\(n.opType))" }.joined(separator: ", ")
            } else {
                run = try compileNode(node, opset: opset, label: label)
            }
            let outs = try node.outputs.map { name -> Int? in name.isEmpty ? nil : try newSlot(name, "output of \(label)") }
            steps.append(ImportStep(label: stepLabel, inputs: stepInputs, outputs: outs, run: run))
        }
        var outSlots: [Int] = []
        for o in g.outputs {
            guard let s = slots[o.name] else {
                throw SNNError(.format, "\(what): graph output '\(o.name)' is not computed by any node, initializer or input")
            }
            outSlots.append(s)
        }
        guard !outSlots.isEmpty else { throw SNNError(.format, "\(what): the graph has no outputs") }
        inputNames = infos.map(\.name)
        outputNames = g.outputs.map(\.name)
        inputInfos = infos
        self.steps = steps
        slotCount = slots.count
        constantSlots = constants
        inputSlots = inSlots
        outputSlots = outSlots
        nodes = g.nodes
        constantsByName = Dictionary(zip(g.initializers.map(\.name), constants.map(\.1)), uniquingKeysWith: { a, _ in a })
        super.init()
        for (i, t) in zip(g.initializers, constants) { registerBuffer(i.name, t.1) }
        train(false)
    }

    public override func forward(_ input: Tensor) throws -> Tensor {
        guard outputSlots.count == 1 else {
            throw SNNError.invalid("ONNXModel.forward: the model has \(outputSlots.count) outputs \(outputNames); use forward_multi")
        }
        return try forward([input])[0]
    }

    public override func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        let fn = "ONNXModel.forward"
        guard inputs.count == inputSlots.count else {
            throw SNNError.invalid("\(fn): expected \(inputSlots.count) input(s) \(inputNames), got \(inputs.count)")
        }
        for (i, t) in inputs.enumerated() { try checkInput(t, inputInfos[i], fn) }
        if let planned = try plannedForward(inputs) { return planned }
        var env = [Tensor?](repeating: nil, count: slotCount)
        for (s, t) in constantSlots { env[s] = t }
        for (i, t) in inputs.enumerated() { env[inputSlots[i]] = t }
        for step in steps {
            let args = step.inputs.map { $0.flatMap { env[$0] } }
            let results: [Tensor]
            do { results = try step.run(args) } catch let e as SNNError {
                throw SNNError(e.status, "\(step.label): \(e.message)")
            }
            for (k, s) in step.outputs.enumerated() {
                guard let s else { continue }
                guard k < results.count else {
                    throw SNNError(.unsupported, "\(step.label): output \(k) is requested but SwiftNN computes only \(results.count)")
                }
                env[s] = results[k]
            }
        }
        return try outputSlots.enumerated().map { i, s in
            guard let t = env[s] else { throw SNNError(.internalError, "\(fn): output '\(outputNames[i])' was not computed") }
            return t
        }
    }

    /// The input's dtype and its fixed sizes against the graph's declaration.
    func checkInput(_ t: Tensor, _ info: ONNXValueInfo, _ fn: String) throws {
        if let want = engineDType(info.elemType), want != t.dtype {
            throw SNNError.dtype("\(fn): input '\(info.name)' has dtype \(t.dtype.name), the model expects \(want.name)")
        }
        guard let dims = info.shape else { return }
        let shown = "[" + dims.map { d -> String in
            switch d { case let .value(v): return String(v); case let .param(p): return p; case .unknown: return "?" }
        }.joined(separator: ", ") + "]"
        guard dims.count == t.rank else {
            throw SNNError.shape("\(fn): input '\(info.name)' has shape \(fmt(t.shape)), the model expects \(shown)")
        }
        for (k, d) in dims.enumerated() {
            if case let .value(v) = d, v >= 0, Int(v) != t.shape[k] {
                throw SNNError.shape("\(fn): input '\(info.name)' has shape \(fmt(t.shape)), the model expects \(shown)")
            }
        }
    }
}

/// A Conv waiting for the rest of its fusion chain: its inputs (x, W, B or nil), then each
/// fused node's inputs after the first.
struct PendingConv {
    let node: ONNXNode
    let label: String
    var inputs: [Int?]
    var rest: [Int]
    var fused: [(index: Int, node: ONNXNode)] = []
}

struct ImportStep {
    let label: String
    let inputs: [Int?]
    let outputs: [Int?]
    let run: ([Tensor?]) throws -> [Tensor]
}

/// The engine dtype that holds an ONNX element type (nil: none does).
func engineDType(_ onnx: Int32) -> DType? {
    switch onnx {
    case 1, 10, 11, 16: return .float32          // float, float16, double, bfloat16
    case 2, 3, 4, 5, 6, 7, 9, 12, 13: return .int64  // integer types and bool
    default: return nil
    }
}

/// An initializer (or Constant value) as an engine tensor: floating types become float32,
/// integer and bool types int64. Sizes are checked against the data; other types are an error.
func importTensor(_ t: ONNXTensor, _ what: String) throws -> Tensor {
    var shape: [Int] = []
    for d in t.dims {
        guard d >= 0, d <= Int64(maxElementCount) else { throw SNNError(.format, "\(what): dimension \(d) in dims \(t.dims) is invalid") }
        shape.append(Int(d))
    }
    let count = try elementCount(shape, what)
    let raw = t.rawData
    func checkRaw(_ size: Int) throws {
        guard raw.count == count * size else {
            throw SNNError(.format, "\(what): raw_data has \(raw.count) bytes, but dims \(t.dims) of \(size)-byte elements need \(count * size)")
        }
    }
    func checkTyped(_ n: Int, _ field: String) throws {
        guard n == count else {
            throw SNNError(.format, "\(what): \(field) has \(n) values, but dims \(t.dims) need \(count)\(n == 0 && count > 0 ? " (no data: external or missing)" : "")")
        }
    }
    func le(_ i: Int, _ size: Int) -> UInt64 {
        var v: UInt64 = 0
        for k in 0..<size { v |= UInt64(raw[i * size + k]) << (8 * UInt64(k)) }
        return v
    }
    switch t.dataType {
    case ONNXDataType.float.rawValue:
        let out = try Tensor(empty: shape, dtype: .float32, zeroed: false, what)
        if !raw.isEmpty || t.floatData.isEmpty && count == 0 {
            try checkRaw(4)
            for i in 0..<count { out.floats[i] = Float(bitPattern: UInt32(truncatingIfNeeded: le(i, 4))) }
        } else {
            try checkTyped(t.floatData.count, "float_data")
            for i in 0..<count { out.floats[i] = t.floatData[i] }
        }
        return out
    case ONNXDataType.double.rawValue:
        let out = try Tensor(empty: shape, dtype: .float32, zeroed: false, what)
        if !raw.isEmpty || t.doubleData.isEmpty && count == 0 {
            try checkRaw(8)
            for i in 0..<count { out.floats[i] = Float(Double(bitPattern: le(i, 8))) }
        } else {
            try checkTyped(t.doubleData.count, "double_data")
            for i in 0..<count { out.floats[i] = Float(t.doubleData[i]) }
        }
        return out
    case ONNXDataType.float16.rawValue, 16:
        let bf16 = t.dataType == 16
        let out = try Tensor(empty: shape, dtype: .float32, zeroed: false, what)
        if !raw.isEmpty || t.int32Data.isEmpty && count == 0 {
            try checkRaw(2)
            for i in 0..<count { out.floats[i] = halfToFloat(UInt16(truncatingIfNeeded: le(i, 2)), bfloat: bf16) }
        } else {
            try checkTyped(t.int32Data.count, "int32_data")
            for i in 0..<count { out.floats[i] = halfToFloat(UInt16(truncatingIfNeeded: t.int32Data[i]), bfloat: bf16) }
        }
        return out
    case ONNXDataType.int64.rawValue, 2, 3, 4, 5, 6, 9, 12, 13:
        let sizes: [Int32: Int] = [7: 8, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 9: 1, 12: 4, 13: 8]
        let signed: Set<Int32> = [7, 3, 5, 6]
        let size = sizes[t.dataType] ?? 8
        let out = try Tensor(empty: shape, dtype: .int64, zeroed: false, what)
        let typed = t.dataType == 7 ? t.int64Data : t.int32Data
        if !raw.isEmpty || typed.isEmpty && count == 0 {
            try checkRaw(size)
            for i in 0..<count {
                let u = le(i, size)
                if signed.contains(t.dataType) && size < 8 {
                    let shift = UInt64(64 - 8 * size)
                    out.int64s[i] = Int64(bitPattern: u << shift) >> Int64(shift)
                } else {
                    out.int64s[i] = Int64(bitPattern: u)
                }
            }
        } else {
            guard t.dataType != 12 && t.dataType != 13 else {
                throw SNNError(.unsupported, "\(what): unsigned 32/64-bit data outside raw_data (uint64_data) is not read by SwiftNN")
            }
            try checkTyped(typed.count, t.dataType == 7 ? "int64_data" : "int32_data")
            for i in 0..<count { out.int64s[i] = typed[i] }
        }
        return out
    default:
        let names: [Int32: String] = [0: "UNDEFINED", 8: "STRING", 14: "COMPLEX64", 15: "COMPLEX128"]
        throw SNNError(.unsupported, "\(what): data type \(t.dataType) (\(names[t.dataType] ?? "not float/int/bool")) is not supported by SwiftNN (float32 and int64 engine; float16/double/bfloat16 and integer/bool types are converted)")
    }
}

/// IEEE half (or bfloat16) bits to Float.
func halfToFloat(_ h: UInt16, bfloat: Bool) -> Float {
    if bfloat { return Float(bitPattern: UInt32(h) << 16) }
    let sign = UInt32(h >> 15) << 31
    let exp = UInt32((h >> 10) & 0x1F), mant = UInt32(h & 0x3FF)
    if exp == 0 {
        if mant == 0 { return Float(bitPattern: sign) }
        let v = Float(mant) * 0x1p-24
        return sign != 0 ? -v : v
    }
    if exp == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mant << 13)) }
    return Float(bitPattern: sign | ((exp + 112) << 23) | (mant << 13))
}
