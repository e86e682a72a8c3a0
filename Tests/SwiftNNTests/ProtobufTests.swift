// The protobuf/ONNX codec against files written by onnx's own serializer: decode every field
// kind, re-encode (pytest then parses our bytes with onnx and compares), and reject corruption.
import Testing
@testable import SwiftNN
#if canImport(Glibc)
import Glibc
#endif

@Test func decodesAModelWrittenByOnnx() throws {
    let bytes = try File.read(repoRoot + "/Tests/fixtures/onnx/rich.onnx")
    let m = try ONNXModel.decode(bytes)
    #expect(m.irVersion == 8 && m.opsetVersion == 17 && m.producerName == "onnx-fixture")
    let g = m.graph
    #expect(g.nodes.map(\.opType) == ["Conv", "Reshape"])
    let conv = g.nodes[0]
    #expect(conv.attribute("kernel_shape") == .ints([3, 3]))
    #expect(conv.attribute("group") == .int(1))
    #expect(conv.attribute("alpha") == .float(0.25))
    #expect(conv.attribute("auto_pad") == .string("NOTSET"))
    #expect(conv.attribute("names") == .strings(["a", "bc"]))
    #expect(conv.attribute("scales") == .floats([1.5, 2.5]))
    if case let .tensor(t)? = conv.attribute("value") { #expect(t.floatData == [7]) } else { Issue.record("no tensor attribute") }
    #expect(g.initializers.map(\.name) == ["w", "b", "shape"])
    #expect(g.initializers[0].dims == [2, 3] && g.initializers[0].rawData.count == 24)
    #expect(g.initializers[1].floatData == [0.5, -1.25])
    #expect(g.initializers[2].int64Data == [-1, 2])
    #expect(g.inputs[0].shape == [.param("batch"), .value(3), .value(8), .value(8)])
    #expect(g.outputs[0].shape == [.param("batch"), .unknown])
    // Our encoding decodes to the same model; pytest checks onnx parses it identically.
    let again = try ONNXModel.decode(m.encode())
    #expect(again == m)
    mkdir(repoRoot + "/build", 0o755)
    mkdir(repoRoot + "/build/onnx-roundtrip", 0o755)
    try File.writeAtomically(repoRoot + "/build/onnx-roundtrip/rich.onnx", [m.encode()])
}

@Test func corruptProtobufFailsCleanly() throws {
    let bytes = try File.read(repoRoot + "/Tests/fixtures/onnx/rich.onnx")
    // Every truncation either decodes (a prefix can be a valid message) or throws: never traps.
    for cut in stride(from: 0, to: bytes.count, by: 7) {
        _ = try? ONNXModel.decode(Array(bytes[..<cut]))
    }
    #expect(throws: SNNError.self) { try ONNXModel.decode([0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]) }  // length past end
    #expect(throws: SNNError.self) { try ONNXModel.decode([0x0B]) }                              // wire type 3
    #expect(throws: SNNError.self) { try ONNXModel.decode(Array(repeating: 0xFF, count: 12)) }    // overlong varint
    #expect(throws: SNNError.self) { try ONNXModel.decode([]) }                                   // no graph
}
