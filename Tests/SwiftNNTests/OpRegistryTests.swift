// The op registry's promises, checked from the files users and tests see: every registered op
// has golden forward (and, if differentiable, backward) cases, a C symbol the header declares
// and a Python name the binding defines; no name or ONNX type is claimed twice; and the
// generated table (Ops/OpTable.swift) lists every `static let x = OpDef(` in the sources.
import Foundation
import Testing
@testable import SwiftNN

private func text(_ path: String) throws -> String { String(decoding: try File.read(path), as: UTF8.self) }

/// The .swift / .py / .h files under `dir` (relative to the repository), recursively.
private func files(_ dir: String, suffix: String) -> [String] {
    let root = repoRoot + "/" + dir
    let all = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []
    return all.filter { $0.hasSuffix(suffix) }.map { root + "/" + $0 }.sorted()
}

@Test func registryHasNoConflicts() {
    #expect(OpRegistry.conflicts.isEmpty, "\(OpRegistry.conflicts)")
}

@Test func everyOpHasGoldenCasesACSymbolAndAPythonName() throws {
    var forward = Set<String>(), backward = Set<String>()
    for area in goldenAreas() {
        for c in try loadGolden(area) {
            forward.insert(c.op)
            if c.grads.contains(where: { $0 != nil }) { backward.insert(c.op) }
        }
    }
    let header = try files("include", suffix: ".h").map(text).joined(separator: "\n")
    let python = try files("bindings/python/swiftnn", suffix: ".py").map(text).joined(separator: "\n")
    for op in OpDef.registered where op.isEngineOp {
        if !op.goldenNames.isEmpty {
            #expect(op.goldenNames.contains(where: forward.contains), "op \(op.name): no golden case among \(op.goldenNames) (tools/golden/)")
            if op.differentiable {
                #expect(op.goldenNames.contains(where: backward.contains), "op \(op.name): no golden gradient case among \(op.goldenNames)")
            }
        }
        let symbol = try #require(op.cSymbol, "op \(op.name) has no C symbol")
        #expect(header.contains(" \(symbol)("), "op \(op.name): \(symbol) is not declared in include/")
        let py = try #require(op.python, "op \(op.name) has no Python name")
        #expect(python.contains("def \(py)(") || python.contains("\(py) = "), "op \(op.name): the binding defines no '\(py)'")
    }
}

@Test func generatedTableListsEveryDeclaration() throws {
    let table = try text(repoRoot + "/Sources/SwiftNN/Ops/OpTable.swift")
    var declared: [String] = []
    for path in files("Sources/SwiftNN", suffix: ".swift") where !path.hasSuffix("/OpTable.swift") {
        for line in try text(path).split(separator: "\n") {
            let t = line.drop { $0 == " " }
            guard t.hasPrefix("static let "), let eq = t.range(of: " = OpDef(") else { continue }
            declared.append(String(t[t.index(t.startIndex, offsetBy: 11)..<eq.lowerBound]))
        }
    }
    let listed = table.split(separator: "\n").compactMap { line -> String? in
        let t = line.drop { $0 == " " }
        return t.hasPrefix(".") && t.hasSuffix(",") ? String(t.dropFirst().dropLast()) : nil
    }
    #expect(declared.sorted() == listed.sorted(), "Ops/OpTable.swift is stale: run `make ops` (tools/gen_op_table.py)")
    #expect(OpDef.registered.count == declared.count)
}

@Test func exporterAndImporterFindOpsOnlyThroughTheRegistry() throws {
    // Every ONNX type the importer runs is reachable by name, and an unknown one is refused
    // with the registry's message.
    #expect(onnxImportOps.isSuperset(of: ["Relu", "Conv", "Gemm", "LSTM", "Shape", "Constant"]))
    let node = ONNXNode("NoSuchOp", inputs: ["x"], outputs: ["y"], name: "n", attributes: [])
    #expect(throws: SNNError.self) { try compileNode(node, opset: 17, label: "probe") }
}
