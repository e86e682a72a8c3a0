// Reads the golden files (Tests/golden/<area>.safetensors + <area>.txt) written by
// tools/gen_golden.py, and the tolerance rule every language uses; also the tests' shared
// deterministic operands (`values`).
@testable import SwiftNN
#if canImport(Glibc)
import Glibc
#endif

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

/// Compares `actual` with PyTorch's `expected` (the rule in Tests/golden/README.md): same
/// shape and dtype; integers and bools exactly; float32 |actual - expected| <= 1e-5 +
/// 1e-4 |expected|, float64 <= 1e-10 + 1e-8 |expected| (NaN matches NaN). The float32
/// tolerances can be widened per call (`atol`, `rtol`).
func mismatch(_ actual: Tensor, _ expected: Tensor, atol: Float = 1e-5, rtol: Float = 1e-4) -> String? {
    guard actual.shape == expected.shape else { return "shape \(actual.shape) != expected \(expected.shape)" }
    guard actual.dtype == expected.dtype else { return "dtype \(actual.dtype.name) != expected \(expected.dtype.name)" }
    let n = actual.count
    if !actual.dtype.isFloatingPoint {
        // Exactly: the bytes decide (an int64 beyond 2^53 has no exact Double).
        for i in 0..<n where !sameBytes(actual, expected, i) {
            return "\(actual.dtype.name) element \(i): \(actual.element(i)) vs expected \(expected.element(i))"
        }
        return nil
    }
    let (at, rt) = actual.dtype == .float64 ? (1e-10, 1e-8) : (Double(atol), Double(rtol))
    var worst = 0, worstErr = 0.0
    for i in 0..<n {
        let a = actual.element(i), e = expected.element(i)
        if a.isNaN && e.isNaN { continue }
        if a == e { continue }
        let err = abs(a - e)
        if !(err <= at + rt * abs(e)) && (err > worstErr || err.isNaN) { worst = i; worstErr = err.isNaN ? .infinity : err }
    }
    return worstErr > 0 ? "\(actual.dtype.name) element \(worst): \(actual.element(worst)) vs expected \(expected.element(worst)) (|diff| \(worstErr))" : nil
}

/// Element `i` of two tensors of one dtype has the same bytes.
private func sameBytes(_ a: Tensor, _ b: Tensor, _ i: Int) -> Bool {
    let size = a.dtype.byteSize
    return memcmp(a.rawBytes + i * size, b.rawBytes + i * size, size) == 0
}

/// Reads element `i` of a float32 or float64 tensor as a Double (the central differences
/// perturb leaves of either).
func floatElement(_ t: Tensor, _ i: Int) -> Double { t.element(i) }

/// Writes element `i` of a float32 or float64 tensor.
func setFloatElement(_ t: Tensor, _ i: Int, _ v: Double) {
    if t.dtype == .float64 { t.doubles[i] = v } else { t.floats[i] = Float(v) }
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
