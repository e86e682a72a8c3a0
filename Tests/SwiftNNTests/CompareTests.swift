// Hand-checkable tests of comparisons, logic, where/masked_fill, any/all, nonzero, sort/topk and
// gather/scatter: values worked out on paper, PyTorch's dtype and nan rules, and the errors
// for bad masks, indices and k. (Forward and gradients against PyTorch: the "compare" golden area.)
import Testing
@testable import SwiftNN

private func bools(_ t: Tensor) -> [Bool] { (0..<t.count).map { t.bytes[$0] != 0 } }

private func int64(_ v: [Int64], _ shape: [Int]) throws -> Tensor { try Tensor(int64: v, shape: shape) }

private func filled(_ dtype: DType, _ v: [Double], _ shape: [Int]) throws -> Tensor {
    let t = try Tensor(empty: shape, dtype: dtype)
    for (i, x) in v.enumerated() { t.store(i, x) }
    return t
}

@Test func comparisonsBroadcastAndReturnBool() throws {
    let a = try Tensor([1, 2, 3], shape: [3]), b = try Tensor([2, 2], shape: [2, 1])
    let lt = try compare(a, b, .lt)
    #expect(lt.dtype == .bool)
    #expect(lt.shape == [2, 3])
    #expect(bools(lt) == [true, false, false, true, false, false])
    #expect(bools(try compare(a, b, .eq)) == [false, true, false, false, true, false])
    #expect(bools(try compare(a, b, .ge)) == [false, true, true, false, true, true])
}

@Test func nanComparesUnequalToEverything() throws {
    let a = try Tensor([.nan, 1], shape: [2]), b = try Tensor([.nan, .nan], shape: [2])
    for op in [Comparison.eq, .lt, .le, .gt, .ge] { #expect(bools(try compare(a, b, op)) == [false, false]) }
    #expect(bools(try compare(a, b, .ne)) == [true, true])
}

@Test func mixedDtypesMeetInPyTorchsResultType() throws {
    // int64 2^24 + 1 against float32 2^24: PyTorch compares in float32, where they are equal.
    let i = try int64([16_777_217], [1]), f = try Tensor([16_777_216], shape: [1])
    #expect(bools(try eq(i, f)) == [true])
    // Two integers compare exactly.
    #expect(bools(try eq(i, try filled(.int32, [16_777_216], [1]))) == [false])
    // A float32 tensor against the number 0.1 rounds 0.1 to float32 first (torch: True).
    #expect(bools(try compare(try Tensor([0.1], shape: [1]), 0.1, .eq)) == [true])
    // float64 against 0.1 compares in float64.
    #expect(bools(try compare(try filled(.float64, [0.1], [1]), 0.1, .eq)) == [true])
    // An int tensor against 2.5 compares in float32; against 2 exactly.
    #expect(bools(try compare(try int64([2, 3], [2]), 2.5, .lt)) == [true, false])
    #expect(bools(try compare(try int64([2, 3], [2]), 2, .eq)) == [true, false])
    // A 0-d float64 does not widen a float32 tensor: 0.1 as float32 == float64(0.1) in float32.
    #expect(bools(try eq(try Tensor([0.1], shape: [1]), try filled(.float64, [0.1], []))) == [true])
}

@Test func logicTreatsNonzeroAndNanAsTrue() throws {
    let a = try Tensor([0, 2, .nan, 0], shape: [4]), b = try filled(.bool, [1, 1, 0, 0], [4])
    #expect(bools(try logicalAnd(a, b)) == [false, true, false, false])
    #expect(bools(try logicalOr(a, b)) == [true, true, true, false])
    #expect(bools(try logicalXor(a, b)) == [true, false, true, false])
    #expect(bools(try logicalNot(a)) == [true, false, false, true])
}

@Test func bitwiseOpsKeepTheResultType() throws {
    let a = try int64([12, 10], [2]), b = try filled(.int32, [10, 6], [2])
    let and = try bitwiseAnd(a, b)
    #expect(and.dtype == .int64)
    #expect(and.int64Scalars == [8, 2])
    #expect(try bitwiseOr(a, b).int64Scalars == [14, 14])
    #expect(try bitwiseXor(a, b).int64Scalars == [6, 12])
    #expect(try bitwiseNot(a).int64Scalars == [-13, -11])
    let m = try filled(.bool, [1, 0], [2])
    let n = try bitwiseNot(m)
    #expect(n.dtype == .bool)
    #expect(bools(n) == [false, true])
    #expect(throws: SNNError.self) { try bitwiseAnd(try Tensor([1], shape: [1]), a) }
}

@Test func specialValues() throws {
    let t = try Tensor([1, .nan, .infinity, -.infinity], shape: [4])
    #expect(bools(try isnan(t)) == [false, true, false, false])
    #expect(bools(try isinf(t)) == [false, false, true, true])
    #expect(bools(try isfinite(t)) == [true, false, false, false])
    #expect(bools(try isfinite(try int64([1], [1]))) == [true])
}

@Test func iscloseFollowsTorchsFormula() throws {
    let a = try Tensor([1, .nan, .infinity, 1], shape: [4]), b = try Tensor([1.00001, .nan, .infinity, 1.1], shape: [4])
    // |1 - 1.00001| (in float32) is just above 1e-8 + 1e-5 * 1.00001: not close, as in torch.
    #expect(bools(try isclose(a, b)) == [false, false, true, false])
    #expect(bools(try isclose(a, b, rtol: 1e-4, equalNan: true)) == [true, true, true, false])
    #expect(try allclose(a, b, rtol: 0.2, equalNan: true))
    #expect(throws: SNNError.self) { try isclose(a, try int64([1, 1, 1, 1], [4])) }
    #expect(try equal(a, a) == false)  // nan != nan
    #expect(try equal(b.detach(), b) == false)
    #expect(try equal(try Tensor([1, 2], shape: [2]), try int64([1, 2], [2])))
    #expect(try equal(try Tensor([1, 2], shape: [2]), try Tensor([1, 2], shape: [1, 2])) == false)
}

@Test func whereSelectsAndSendsGradientsToTheTakenBranch() throws {
    let c = try filled(.bool, [1, 0, 1], [3])
    let a = try Tensor([1, 2, 3], shape: [3]), b = try Tensor([10], shape: [1])
    try a.setRequiresGrad(true)
    try b.setRequiresGrad(true)
    let out = try SwiftNN.where(c, a, b)
    #expect(out.scalars == [1, 10, 3])
    try out.backward(try Tensor([0.5, 2, 4], shape: [3]))
    #expect(a.grad?.scalars == [0.5, 0, 4])
    #expect(b.grad?.scalars == [2])
    // int64 and a 0-d float32 meet in float32.
    let mixed = try SwiftNN.where(c, try int64([1, 2, 3], [3]), try Tensor([0.5], shape: []))
    #expect(mixed.dtype == .float32)
    #expect(mixed.scalars == [1, 0.5, 3])
    #expect(throws: SNNError.self) { try SwiftNN.where(a, a, b) }  // float condition
}

@Test func maskedFillChecksTheMask() throws {
    let t = try Tensor([1, 2, 3, 4], shape: [2, 2])
    try t.setRequiresGrad(true)
    let m = try filled(.bool, [1, 0], [2])
    let out = try maskedFill(t, mask: m, value: -1)
    #expect(out.scalars == [-1, 2, -1, 4])
    try out.backward(try Tensor([1, 2, 3, 4], shape: [2, 2]))
    #expect(t.grad?.scalars == [0, 2, 0, 4])
    #expect(throws: SNNError.self) { try maskedFill(t, mask: try Tensor([1, 0], shape: [2]), value: 0) }  // not bool
    #expect(throws: SNNError.self) { try maskedFill(t, mask: try filled(.bool, [1, 0, 1], [3]), value: 0) }  // shape
}

@Test func anyAllNonzero() throws {
    let t = try Tensor([0, 1, 0, 0, 2, 3], shape: [2, 3])
    #expect(bools(try any(t)) == [true])
    #expect(bools(try all(t)) == [false])
    #expect(bools(try any(t, dims: [0])) == [false, true, true])
    #expect(bools(try all(t, dims: [1], keepdim: true)) == [false, false])
    #expect(try all(t, dims: [1], keepdim: true).shape == [2, 1])
    #expect(bools(try all(try Tensor([], shape: [0]))) == [true])
    let nz = try nonzero(t)
    #expect(nz.shape == [3, 2])
    #expect(nz.int64Scalars == [0, 1, 1, 1, 1, 2])
    #expect(try countNonzero(t, dims: [1]).int64Scalars == [1, 2])
    #expect(try nonzero(try Tensor([3], shape: [])).shape == [1, 0])
}

@Test func sortIsStableAndPutsNanLast() throws {
    let t = try Tensor([3, 1, .nan, 1, 2], shape: [5])
    let (v, i) = try sort(t)
    #expect(i.int64Scalars == [1, 3, 4, 0, 2])
    #expect(v.scalars[0..<4] == [1, 1, 2, 3])
    #expect(v.scalars[4].isNaN)
    let (dv, di) = try sort(t, descending: true)
    #expect(di.int64Scalars == [2, 0, 4, 1, 3])
    #expect(dv.scalars[0].isNaN)
    #expect(try argsort(try int64([5, -1, 5, 0], [4])).int64Scalars == [1, 3, 0, 2])
}

@Test func topkAlongAMiddleDimensionWithGradient() throws {
    let t = try Tensor([1, 6, 5, 2, 3, 4], shape: [1, 3, 2])  // columns [1, 5, 3] and [6, 2, 4]
    try t.setRequiresGrad(true)
    let (v, i) = try topk(t, k: 2, dim: 1)
    #expect(v.shape == [1, 2, 2])
    #expect(v.scalars == [5, 6, 3, 4])
    #expect(i.int64Scalars == [1, 0, 2, 2])
    try v.backward(try Tensor([1, 2, 3, 4], shape: [1, 2, 2]))
    #expect(t.grad?.scalars == [0, 2, 1, 0, 3, 4])
    let (s, si) = try topk(t, k: 1, dim: 1, largest: false)
    #expect(s.scalars == [1, 2])
    #expect(si.int64Scalars == [0, 1])
    #expect(throws: SNNError.self) { try topk(t, k: 4, dim: 1) }
}

@Test func gatherAndScatterAreAdjoint() throws {
    let t = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
    try t.setRequiresGrad(true)
    let idx = try int64([2, 0, 1, 1], [2, 2])
    let g = try gather(t, dim: 1, index: idx)
    #expect(g.scalars == [3, 1, 5, 5])
    try g.backward(try Tensor([1, 2, 3, 4], shape: [2, 2]))
    #expect(t.grad?.scalars == [2, 0, 1, 0, 7, 0])  // repeated index 1 in row 1 accumulates
    #expect(throws: SNNError.self) { try gather(t, dim: 1, index: try int64([3], [1, 1])) }  // out of range
    #expect(throws: SNNError.self) { try gather(t, dim: 1, index: try int64([-1], [1, 1])) }
    #expect(throws: SNNError.self) { try gather(t, dim: 1, index: try int64([0], [1])) }  // rank
    #expect(throws: SNNError.self) { try gather(t, dim: 1, index: try Tensor([0], shape: [1, 1])) }  // dtype

    let z = try Tensor.zeros([2, 3])
    let src = try Tensor([10, 20, 30, 40], shape: [2, 2])
    #expect(try scatter(z, dim: 1, index: try int64([2, 0, 1, 2], [2, 2]), src: src).scalars == [20, 0, 10, 0, 30, 40])
    #expect(try scatterAdd(z, dim: 1, index: idx, src: src).scalars == [20, 0, 10, 0, 70, 0])
    #expect(try scatter(z, dim: 0, index: try int64([1], [1, 1]), value: 7).scalars == [0, 0, 0, 7, 0, 0])
    let ia = try indexAdd(z, dim: 0, index: try int64([1, 1], [2]), source: try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3]), alpha: 2)
    #expect(ia.scalars == [0, 0, 0, 10, 14, 18])
}

@Test func clampWithTensorBoundsFollowsTorchsGradients() throws {
    let t = try Tensor([-2, 0.5, 3], shape: [3]), lo = try Tensor([-1, -1, -1], shape: [3]), hi = try Tensor([1], shape: [1])
    for x in [t, lo, hi] { try x.setRequiresGrad(true) }
    let out = try clamp(t, min: lo, max: hi)
    #expect(out.scalars == [-1, 0.5, 1])
    try out.backward(try Tensor([1, 2, 4], shape: [3]))
    #expect(t.grad?.scalars == [0, 2, 0])
    #expect(lo.grad?.scalars == [1, 0, 0])
    #expect(hi.grad?.scalars == [4])
    #expect(try maximum(t, lo).scalars == [-1, 0.5, 3])
    #expect(try minimum(t, hi).scalars == [-2, 0.5, 1])
}
