// Every op in the registry on strided (non-contiguous) inputs: each golden case (and
// OpRegistryTests requires one for every registered op) runs again with its inputs replaced by
// views of other storages holding the same values, and must match PyTorch's forward and
// gradients as the contiguous run does. This is the proof that kernels, which index their
// inputs as row-major arrays, read strided views correctly (TensorLayout.swift).
import Testing
@testable import SwiftNN

/// The layouts a strided leaf is built in.
enum StridedLayout: CaseIterable {
    /// Every other element of a twice-as-large storage (all strides doubled, offset 1).
    case spaced
    /// Dimensions stored in reverse order (a transposed matrix), viewed back in order.
    case reversed
}

/// A leaf with `t`'s shape, dtype and values whose strides are not row-major (when the shape
/// allows: a tensor of at most one element, or with one dimension above size 1 under
/// `.reversed`, is necessarily contiguous).
func stridedLeaf(_ t: Tensor, _ layout: StridedLayout) throws -> Tensor {
    let v: Tensor
    switch layout {
    case .spaced:
        let base = try Tensor(empty: [2 * t.count + 1], dtype: t.dtype, zeroed: true)
        v = base.restrided(t.shape, contiguousStrides(t.shape).map { 2 * $0 }, offset: 1)
    case .reversed:
        let base = try Tensor(empty: [t.count], dtype: t.dtype, zeroed: true)
        v = base.restrided(t.shape, Array(contiguousStrides(t.shape.reversed()).reversed()), offset: 0)
    }
    v.writeElements(from: t)
    return v
}

@Test(arguments: goldenAreas(), StridedLayout.allCases)
func everyOpAgreesOnStridedInputs(area: String, layout: StridedLayout) throws {
    var strided = 0
    for c in try loadGolden(area) {
        let op = try #require(goldenOp(c.op), "no Swift binding for golden op '\(c.op)'")
        let leaves = try c.inputs.map { try stridedLeaf($0, layout) }
        strided += leaves.filter { !$0.isContiguous }.count
        let wantsGrad = c.grads.contains { $0 != nil }
        for (i, t) in leaves.enumerated() where i < c.grads.count && c.grads[i] != nil { try t.setRequiresGrad(true) }
        if c.op == "view", let x = leaves.first, !x.isContiguous, x.viewStrides(c.outputs[0].shape) == nil {
            // PyTorch's view refuses what its strides cannot show; reshape copies instead.
            #expect(throws: SNNError.self) { try op(leaves, c.attrs) }
            continue
        }
        let outs = try op(leaves, c.attrs)
        for (o, e) in zip(outs, c.outputs) {
            if let m = mismatch(o, e) { Issue.record("\(area)/\(c.name) (\(layout)) forward: \(m)") }
        }
        guard wantsGrad else { continue }
        let pairs = zip(outs, c.gouts).compactMap { o, g in g.map { (o, $0) } }
        for (k, (o, g)) in pairs.enumerated() { try o.backward(g, retainGraph: k < pairs.count - 1) }
        for (i, e) in c.grads.enumerated() {
            guard let e else { continue }
            guard let g = leaves[i].grad else { Issue.record("\(area)/\(c.name) (\(layout)): no gradient for input \(i)"); continue }
            if let m = mismatch(g, e) { Issue.record("\(area)/\(c.name) (\(layout)) grad of input \(i): \(m)") }
        }
    }
    #expect(strided > 0, "\(area): no input was strided; the test would prove nothing")
}

/// The layout test itself can fail: a kernel that ignored the strides would read the zeros
/// between the spaced elements.
@Test func stridedLeavesHoldTheValuesInAnotherLayout() throws {
    let t = try Tensor((0..<6).map(Float.init), shape: [2, 3])
    let s = try stridedLeaf(t, .spaced), r = try stridedLeaf(t, .reversed)
    #expect(!s.isContiguous && !r.isContiguous)
    #expect(s.strides == [6, 2] && s.storageOffset == 1)
    #expect(r.strides == [1, 2])
    #expect(s.scalars == t.scalars && r.scalars == t.scalars)
    #expect(try add(s, r).scalars == [0, 2, 4, 6, 8, 10])
}
