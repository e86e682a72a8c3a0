// The ONNX messages SwiftNN reads and writes (onnx.proto field numbers), with encode and
// decode over the protobuf wire format. Unknown fields are skipped on reading.

public enum ONNXDataType: Int32, Sendable {
    case undefined = 0, float = 1, uint8 = 2, int8 = 3, uint16 = 4, int16 = 5, int32 = 6, int64 = 7
    case string = 8, bool = 9, float16 = 10, double = 11, uint32 = 12, uint64 = 13
}

public struct ONNXTensor: Equatable {
    public var name = ""
    public var dims: [Int64] = []
    public var dataType: Int32 = ONNXDataType.float.rawValue
    public var rawData: [UInt8] = []
    public var floatData: [Float] = []
    public var int64Data: [Int64] = []
    public var int32Data: [Int64] = []
    public var doubleData: [Double] = []
    /// external_data (location, offset, length; onnx's "external data" files): resolved by
    /// `ONNXModule.load(path:)`, which reads the bytes into `rawData` and empties this.
    public var externalData: [String: String] = [:]
    public init() {}

    func encode(_ w: inout ProtoWriter) {
        if !dims.isEmpty { w.packedInts(1, dims) }
        w.int(2, Int64(dataType))
        if !floatData.isEmpty { w.packedFloats(4, floatData) }
        if !int32Data.isEmpty { w.packedInts(5, int32Data) }
        if !int64Data.isEmpty { w.packedInts(7, int64Data) }
        if !name.isEmpty { w.string(8, name) }
        if !rawData.isEmpty { w.data(9, rawData) }
    }

    init(_ r: inout ProtoReader) throws {
        while let (f, v) = try r.next() {
            switch f {
            case 1: try r.ints(v, "TensorProto.dims", into: &dims)
            case 2: dataType = Int32(truncatingIfNeeded: try r.int(v, "TensorProto.data_type"))
            case 4: try r.floats(v, "TensorProto.float_data", into: &floatData)
            case 5: try r.ints(v, "TensorProto.int32_data", into: &int32Data)
            case 7: try r.ints(v, "TensorProto.int64_data", into: &int64Data)
            case 8: name = try r.string(v, "TensorProto.name")
            case 9: rawData = try r.bytes(v, "TensorProto.raw_data")
            case 10:
                if case let .bytes(b) = v, b.count % 8 == 0 {
                    var k = b.startIndex
                    while k < b.endIndex {
                        var u: UInt64 = 0
                        for j in 0..<8 { u |= UInt64(b[k + j]) << (8 * UInt64(j)) }
                        doubleData.append(Double(bitPattern: u))
                        k += 8
                    }
                } else if case let .fixed64(u) = v { doubleData.append(Double(bitPattern: u)) }
                else { throw r.fail("TensorProto.double_data is malformed") }
            case 13:
                var e = try r.nested(v, "TensorProto.external_data")
                var key = "", value = ""
                while let (ef, ev) = try e.next() {
                    switch ef {
                    case 1: key = try e.string(ev, "StringStringEntryProto.key")
                    case 2: value = try e.string(ev, "StringStringEntryProto.value")
                    default: continue
                    }
                }
                externalData[key] = value
            case 14:
                // data_location: 1 is EXTERNAL, which external_data's location then names.
                if try r.int(v, "TensorProto.data_location") == 1, externalData["location"] == nil { externalData["location"] = "" }
            default: continue
            }
        }
    }
}

public enum ONNXAttributeValue: Equatable {
    case float(Float)
    case int(Int64)
    case string(String)
    case tensor(ONNXTensor)
    case graph(ONNXGraph)
    case floats([Float])
    case ints([Int64])
    case strings([String])
}

public struct ONNXAttribute: Equatable {
    public var name: String
    public var value: ONNXAttributeValue
    public init(_ name: String, _ value: ONNXAttributeValue) { self.name = name; self.value = value }

    func encode(_ w: inout ProtoWriter) {
        w.string(1, name)
        switch value {
        case let .float(f): w.float(2, f); w.int(20, 1)
        case let .int(i): w.int(3, i); w.int(20, 2)
        case let .string(s): w.string(4, s); w.int(20, 3)
        case let .tensor(t): w.message(5) { t.encode(&$0) }; w.int(20, 4)
        case let .graph(g): w.message(6) { g.encode(&$0) }; w.int(20, 5)
        case let .floats(fs): w.packedFloats(7, fs); w.int(20, 6)
        case let .ints(is_): w.packedInts(8, is_); w.int(20, 7)
        case let .strings(ss): for s in ss { w.string(9, s) }; w.int(20, 8)
        }
    }

    init(_ r: inout ProtoReader) throws {
        var name = "", type: Int64 = 0
        var f: Float = 0, i: Int64 = 0, s = "", t: ONNXTensor? = nil, g: ONNXGraph? = nil
        var fs: [Float] = [], is_: [Int64] = [], ss: [String] = []
        while let (field, v) = try r.next() {
            switch field {
            case 1: name = try r.string(v, "AttributeProto.name")
            case 2: f = try r.float(v, "AttributeProto.f")
            case 3: i = try r.int(v, "AttributeProto.i")
            case 4: s = String(decoding: try r.bytes(v, "AttributeProto.s"), as: UTF8.self)
            case 5: var n = try r.nested(v, "AttributeProto.t"); t = try ONNXTensor(&n)
            case 6: var n = try r.nested(v, "AttributeProto.g"); g = try ONNXGraph(&n)
            case 7: try r.floats(v, "AttributeProto.floats", into: &fs)
            case 8: try r.ints(v, "AttributeProto.ints", into: &is_)
            case 9: ss.append(String(decoding: try r.bytes(v, "AttributeProto.strings"), as: UTF8.self))
            case 20: type = try r.int(v, "AttributeProto.type")
            default: continue
            }
        }
        self.name = name
        switch type {
        case 1: value = .float(f)
        case 2: value = .int(i)
        case 3: value = .string(s)
        case 4:
            guard let t else { throw r.fail("attribute '\(name)' of type TENSOR has no tensor") }
            value = .tensor(t)
        case 5:
            guard let g else { throw r.fail("attribute '\(name)' of type GRAPH has no graph") }
            value = .graph(g)
        case 6: value = .floats(fs)
        case 7: value = .ints(is_)
        case 8: value = .strings(ss)
        default: throw SNNError(.unsupported, "\(r.what): attribute '\(name)' has type \(type), which SwiftNN does not read")
        }
    }
}

public struct ONNXNode: Equatable {
    public var inputs: [String] = []
    public var outputs: [String] = []
    public var name = ""
    public var opType = ""
    public var domain = ""
    public var attributes: [ONNXAttribute] = []
    public init(_ opType: String, inputs: [String], outputs: [String], name: String = "", attributes: [ONNXAttribute] = []) {
        self.opType = opType; self.inputs = inputs; self.outputs = outputs; self.name = name; self.attributes = attributes
    }

    public func attribute(_ n: String) -> ONNXAttributeValue? { attributes.first { $0.name == n }?.value }

    func encode(_ w: inout ProtoWriter) {
        for s in inputs { w.string(1, s) }
        for s in outputs { w.string(2, s) }
        if !name.isEmpty { w.string(3, name) }
        w.string(4, opType)
        for a in attributes { w.message(5) { a.encode(&$0) } }
        if !domain.isEmpty { w.string(7, domain) }
    }

    init(_ r: inout ProtoReader) throws {
        while let (f, v) = try r.next() {
            switch f {
            case 1: inputs.append(try r.string(v, "NodeProto.input"))
            case 2: outputs.append(try r.string(v, "NodeProto.output"))
            case 3: name = try r.string(v, "NodeProto.name")
            case 4: opType = try r.string(v, "NodeProto.op_type")
            case 5: var n = try r.nested(v, "NodeProto.attribute"); attributes.append(try ONNXAttribute(&n))
            case 7: domain = try r.string(v, "NodeProto.domain")
            default: continue
            }
        }
    }
}

/// A tensor-typed graph input or output: element type and shape (a dimension is a number or
/// a symbolic name such as "batch").
public struct ONNXValueInfo: Equatable {
    public enum Dim: Equatable { case value(Int64), param(String), unknown }
    public var name: String
    public var elemType: Int32
    public var shape: [Dim]?
    public init(name: String, elemType: Int32, shape: [Dim]?) { self.name = name; self.elemType = elemType; self.shape = shape }

    func encode(_ w: inout ProtoWriter) {
        w.string(1, name)
        w.message(2) { tp in                       // TypeProto
            tp.message(1) { tt in                  // TypeProto.Tensor
                tt.int(1, Int64(elemType))
                if let shape {
                    tt.message(2) { sp in          // TensorShapeProto
                        for d in shape {
                            sp.message(1) { dw in
                                switch d {
                                case let .value(v): dw.int(1, v)
                                case let .param(p): dw.string(2, p)
                                case .unknown: break
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    init(_ r: inout ProtoReader) throws {
        name = ""; elemType = 0; shape = nil
        while let (f, v) = try r.next() {
            if f == 1 { name = try r.string(v, "ValueInfoProto.name") }
            guard f == 2 else { continue }
            var tp = try r.nested(v, "TypeProto")
            while let (f2, v2) = try tp.next() {
                guard f2 == 1 else { continue }
                var tt = try tp.nested(v2, "TypeProto.Tensor")
                while let (f3, v3) = try tt.next() {
                    if f3 == 1 { elemType = Int32(truncatingIfNeeded: try tt.int(v3, "elem_type")) }
                    guard f3 == 2 else { continue }
                    var sp = try tt.nested(v3, "TensorShapeProto")
                    var dims: [Dim] = []
                    while let (f4, v4) = try sp.next() {
                        guard f4 == 1 else { continue }
                        var dr = try sp.nested(v4, "Dimension")
                        var d = Dim.unknown
                        while let (f5, v5) = try dr.next() {
                            if f5 == 1 { d = .value(try dr.int(v5, "dim_value")) }
                            if f5 == 2 { d = .param(try dr.string(v5, "dim_param")) }
                        }
                        dims.append(d)
                    }
                    shape = dims
                }
            }
        }
    }
}

public struct ONNXGraph: Equatable {
    public var name = ""
    public var nodes: [ONNXNode] = []
    public var initializers: [ONNXTensor] = []
    public var inputs: [ONNXValueInfo] = []
    public var outputs: [ONNXValueInfo] = []
    public init() {}

    func encode(_ w: inout ProtoWriter) {
        for n in nodes { w.message(1) { n.encode(&$0) } }
        if !name.isEmpty { w.string(2, name) }
        for t in initializers { w.message(5) { t.encode(&$0) } }
        for i in inputs { w.message(11) { i.encode(&$0) } }
        for o in outputs { w.message(12) { o.encode(&$0) } }
    }

    init(_ r: inout ProtoReader) throws {
        while let (f, v) = try r.next() {
            switch f {
            case 1: var n = try r.nested(v, "GraphProto.node"); nodes.append(try ONNXNode(&n))
            case 2: name = try r.string(v, "GraphProto.name")
            case 5: var n = try r.nested(v, "GraphProto.initializer"); initializers.append(try ONNXTensor(&n))
            case 11: var n = try r.nested(v, "GraphProto.input"); inputs.append(try ONNXValueInfo(&n))
            case 12: var n = try r.nested(v, "GraphProto.output"); outputs.append(try ONNXValueInfo(&n))
            case 15: throw SNNError(.unsupported, "\(r.what): sparse initializers are not supported")
            default: continue
            }
        }
    }
}

public struct ONNXModel: Equatable {
    public var irVersion: Int64 = 8
    public var opsetImports: [(domain: String, version: Int64)] = [("", 17)]
    public var producerName = "SwiftNN"
    public var producerVersion = "0.1.0"
    public var graph = ONNXGraph()
    public init() {}

    public static func == (a: ONNXModel, b: ONNXModel) -> Bool {
        a.irVersion == b.irVersion && a.producerName == b.producerName && a.graph == b.graph
            && a.opsetImports.map(\.domain) == b.opsetImports.map(\.domain) && a.opsetImports.map(\.version) == b.opsetImports.map(\.version)
    }

    /// The opset version of the default ("" or "ai.onnx") domain.
    public var opsetVersion: Int64? { opsetImports.first { $0.domain == "" || $0.domain == "ai.onnx" }?.version }

    public func encode() -> [UInt8] {
        var w = ProtoWriter()
        w.int(1, irVersion)
        if !producerName.isEmpty { w.string(2, producerName) }
        if !producerVersion.isEmpty { w.string(3, producerVersion) }
        w.message(7) { graph.encode(&$0) }
        for (d, v) in opsetImports { w.message(8) { $0.string(1, d); $0.int(2, v) } }
        return w.bytes
    }

    public static func decode(_ bytes: [UInt8], what: String = "ONNX model") throws -> ONNXModel {
        var r = try ProtoReader(bytes[...], what: what)
        var m = ONNXModel()
        m.opsetImports = []
        m.producerName = ""
        m.producerVersion = ""
        var sawGraph = false
        while let (f, v) = try r.next() {
            switch f {
            case 1: m.irVersion = try r.int(v, "ModelProto.ir_version")
            case 2: m.producerName = try r.string(v, "ModelProto.producer_name")
            case 3: m.producerVersion = try r.string(v, "ModelProto.producer_version")
            case 7: var n = try r.nested(v, "ModelProto.graph"); m.graph = try ONNXGraph(&n); sawGraph = true
            case 8:
                var n = try r.nested(v, "ModelProto.opset_import")
                var d = "", ver: Int64 = 0
                while let (f2, v2) = try n.next() {
                    if f2 == 1 { d = try n.string(v2, "OperatorSetIdProto.domain") }
                    if f2 == 2 { ver = try n.int(v2, "OperatorSetIdProto.version") }
                }
                m.opsetImports.append((d, ver))
            default: continue
            }
        }
        guard sawGraph else { throw SNNError(.format, "\(what): no graph (is this an ONNX model file?)") }
        return m
    }
}
