// The comparison, logic, selection, sort and scatter ops through ONNX: traced, exported, imported
// again by SwiftNN's importer, and run on the same input: the same values and dtypes come back.
import Testing
@testable import SwiftNN

/// Traces `f` on `inputs`, exports the trace as an ONNX model, imports it and runs it.
private func roundTrip(_ inputs: [Tensor], _ f: ([Tensor]) throws -> [Tensor]) throws -> (direct: [Tensor], imported: [Tensor], ops: [String]) {
    var outs: [Tensor] = []
    let tracer = try Tracer.trace { outs = try f(inputs) }
    let model = try ONNXExport.model(tracer.records, inputs: inputs, outputs: outs, names: [])
    let module = try ONNXModule(try ONNXModel.decode(model.encode(), what: "round trip"))
    return (outs, try module.forward(inputs), model.graph.nodes.map(\.opType))
}

private func same(_ a: Tensor, _ b: Tensor) -> Bool {
    a.shape == b.shape && a.dtype == b.dtype && (0..<a.count).allSatisfy { a.element($0) == b.element($0) || (a.element($0).isNaN && b.element($0).isNaN) }
}

@Test func comparisonsAndLogicExportAndReimport() throws {
    let x = try Tensor([-2, -0.5, 0, 0.25, 1, 3, .nan, .infinity], shape: [2, 4])
    let y = try Tensor([0, 0.25, 1, -1], shape: [4])
    let r = try roundTrip([x, y]) { v in
        let a = v[0], b = v[1]
        return [try gt(a, b), try ne(a, b), try le(a, b), try compare(a, 0.5, .lt), try eq(a, b),
                try logicalNot(try logicalOr(try isnan(a), try isinf(a))), try isfinite(a),
                try logicalXor(try ge(a, b), try logicalAnd(a, b)), try bitwiseAnd(try gt(a, b), try compare(a, 2, .lt))]
    }
    for op in ["Greater", "Equal", "Not", "LessOrEqual", "Less", "Or", "IsNaN", "IsInf", "Xor", "And"] {
        #expect(r.ops.contains(where: { $0 == op }), "no \(op) node in \(r.ops)")
    }
    for (k, (d, i)) in zip(r.direct, r.imported).enumerated() { #expect(same(d, i), "output \(k)") }
}

@Test func selectionSortAndScatterExportAndReimport() throws {
    let x = try Tensor([3, -1, 2, 0.5, -4, 1, 6, -2, 0], shape: [3, 3])
    let idx = try Tensor(int64: [2, 0, 1, 1, 2, 0], shape: [3, 2])
    let r = try roundTrip([x]) { v in
        let a = v[0]
        let top = try topk(a, k: 2, dim: 1)
        let sorted = try sort(a, dim: 0, descending: true)
        return [try SwiftNN.where(try compare(a, 0, .gt), a, try Tensor([0.5], shape: [])),
                try maskedFill(a, mask: try compare(a, -1, .lt), value: 9),
                top.values, top.indices, sorted.values,
                try gather(a, dim: 1, index: idx),
                try scatter(a, dim: 1, index: idx, src: try neg(a)),
                try scatterAdd(a, dim: 1, index: idx, src: a),
                try nonzero(try compare(a, 0.75, .gt)),
                try clamp(a, min: try Tensor([-1, 0, -2], shape: [3]), max: try Tensor([2], shape: [1])),
                try maximum(a, try Tensor([0], shape: []))]
    }
    for op in ["Where", "TopK", "GatherElements", "ScatterElements", "NonZero", "Max", "Min"] {
        #expect(r.ops.contains(where: { $0 == op }), "no \(op) node in \(r.ops)")
    }
    for (k, (d, i)) in zip(r.direct, r.imported).enumerated() { #expect(same(d, i), "output \(k): \(d.scalars) vs \(i.scalars)") }
}
