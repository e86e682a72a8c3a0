// Reads the golden files (Tests/golden/<area>.safetensors + <area>.txt) written by
// tools/gen_golden.py, and the tolerance rule every language uses; also the tests' shared
// deterministic operands (`values`).
@testable import SwiftNN

/// Golden folder, found from this file's path so `swift test` works from any directory.
let goldenDir: String = {
    var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(2)
    return parts.joined(separator: "/") + "/golden"
}()

let repoRoot: String = {
    var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

/// Attribute values of a manifest line (`dims=0,2 keepdim=1`).
struct Attrs: Sendable {
    var values: [String: String] = [:]
    func ints(_ k: String) -> [Int] {
        guard let v = values[k], v != "none" else { return [] }
        return v.split(separator: ",").map { Int($0)! }
    }
    func int(_ k: String, _ d: Int = 0) -> Int { values[k].flatMap { Int($0) } ?? d }
    func double(_ k: String, _ d: Double = 0) -> Double { values[k].flatMap { Double($0) } ?? d }
    func optionalDouble(_ k: String) -> Double? { values[k].flatMap { $0 == "none" ? nil : Double($0) } }
    func bool(_ k: String, _ d: Bool = false) -> Bool { values[k].map { $0 == "1" } ?? d }
    func string(_ k: String, _ d: String = "") -> String { values[k] ?? d }
}

struct GoldenCase {
    let area: String
    let name: String
    let op: String
    let attrs: Attrs
    let inputs: [Tensor]
    let outputs: [Tensor]
    let gouts: [Tensor?]
    let grads: [Tensor?]
}

/// Areas present on disk.
func goldenAreas() -> [String] {
    (try? File.read(goldenDir + "/AREAS")).map { String(decoding: $0, as: UTF8.self) }?
        .split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty && !$0.hasPrefix("#") } ?? []
}

func loadGolden(_ area: String) throws -> [GoldenCase] {
    let file = try SafeTensors.read(path: "\(goldenDir)/\(area).safetensors")
    let manifest = String(decoding: try File.read("\(goldenDir)/\(area).txt"), as: UTF8.self)
    var cases: [GoldenCase] = []
    for line in manifest.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
        let parts = line.split(separator: " ").map(String.init)
        var attrs = Attrs()
        for p in parts.dropFirst(2) {
            let kv = p.split(separator: "=", maxSplits: 1).map(String.init)
            attrs.values[kv[0]] = kv.count > 1 ? kv[1] : ""
        }
        let name = parts[0]
        func seq(_ kind: String) -> [Tensor?] {
            var out: [Tensor?] = []
            var i = 0
            while i < 16 { out.append(file["\(name).\(kind)\(i)"]); i += 1 }
            while let last = out.last, last == nil { out.removeLast() }
            return out
        }
        cases.append(GoldenCase(area: area, name: name, op: parts[1], attrs: attrs,
                                inputs: seq("in").compactMap { $0 }, outputs: seq("out").compactMap { $0 },
                                gouts: seq("gout"), grads: seq("grad")))
    }
    return cases
}

/// |actual - expected| <= atol + rtol * |expected| elementwise (the rule in Tests/golden/README.md).
func mismatch(_ actual: Tensor, _ expected: Tensor, atol: Float = 1e-5, rtol: Float = 1e-4) -> String? {
    guard actual.shape == expected.shape else { return "shape \(actual.shape) != expected \(expected.shape)" }
    guard actual.dtype == expected.dtype else { return "dtype \(actual.dtype) != expected \(expected.dtype)" }
    if actual.dtype == .int64 {
        return actual.int64Scalars == expected.int64Scalars ? nil : "int64 values differ"
    }
    let a = actual.scalars, e = expected.scalars
    var worst = 0, worstErr: Float = 0
    for i in 0..<a.count {
        if a[i].isNaN && e[i].isNaN { continue }
        if a[i] == e[i] { continue }
        let err = abs(a[i] - e[i])
        if !(err <= atol + rtol * abs(e[i])) && (err > worstErr || err.isNaN) { worst = i; worstErr = err.isNaN ? .infinity : err }
    }
    return worstErr > 0 ? "element \(worst): \(a[worst]) vs expected \(e[worst]) (|diff| \(worstErr))" : nil
}

/// FNV-1a over the raw bytes of tensors: Swift, C and Python must print the same digests.
func digest(_ tensors: [Tensor]) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for t in tensors {
        let bytes = UnsafeRawBufferPointer(start: t.elements, count: t.count * t.dtype.byteSize)
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    }
    return h
}

/// Deterministic pseudo-random floats in [-scale, scale) (xorshift64 from `seed`), for tests'
/// operands: the same values on every machine and run.
func values(_ n: Int, seed: UInt64, scale: Float = 1) -> [Float] {
    var s = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    return (0..<n).map { _ in
        s ^= s << 13; s ^= s >> 7; s ^= s << 17
        return (Float(s >> 40) / Float(1 << 24) * 2 - 1) * scale
    }
}
