// matmul of transposed views (x.t(), W.T, x.transpose(-1, -2)) reads the viewed matrices with
// BLAS's transpose flags instead of packing a copy (MatMul.swift: transposedStack): the product
// and both gradients against the same product on contiguous copies, for each operand
// transposed, both, a batched stack, broadcasting, and a view that is not a stack transpose.
import Testing
@testable import SwiftNN

/// (a @ b, the gradients of the leaves they were made from) for an upstream gradient of ones.
private func productAndGradients(_ a: Tensor, _ b: Tensor, leaves: (Tensor, Tensor)) throws -> [[Float]] {
    let y = try matmul(a, b)
    try y.backward(try Tensor.ones(y.shape))
    return [try y.contiguous().scalars, try #require(leaves.0.grad).scalars, try #require(leaves.1.grad).scalars]
}

// (a's stored shape, its transpose dims or nil, b's stored shape, its transpose dims or nil)
@Test(arguments: [
    ([32, 300], nil, [40, 300], [0, 1]),            // x @ W.t()
    ([300, 32], [0, 1], [300, 40], nil),            // x.t() @ y
    ([300, 32], [0, 1], [40, 300], [0, 1]),         // both
    ([3, 20, 30], nil, [3, 25, 30], [1, 2]),        // a batched stack
    ([2, 3, 30, 20], [2, 3], [3, 25, 30], [1, 2]),  // broadcast batches
    ([4, 30], nil, [5, 30, 4], [0, 2]),             // not a stack transpose: packed as before
] as [([Int], [Int]?, [Int], [Int]?)])
func matmulOfTransposedViewsMatchesContiguousCopies(_ t: ([Int], [Int]?, [Int], [Int]?)) throws {
    let (sa, ta, sb, tb) = t
    func operands() throws -> (Tensor, Tensor, Tensor, Tensor) {
        let a = try noise(sa, seed: 61), b = try noise(sb, seed: 62)
        try a.setRequiresGrad(true)
        try b.setRequiresGrad(true)
        return (a, b, try ta.map { try transpose(a, $0[0], $0[1]) } ?? a, try tb.map { try transpose(b, $0[0], $0[1]) } ?? b)
    }
    let (a1, b1, va, vb) = try operands()
    let viewed = try productAndGradients(va, vb, leaves: (a1, b1))
    let (a2, b2, ca, cb) = try operands()
    let copied = try productAndGradients(try ca.contiguous(), try cb.contiguous(), leaves: (a2, b2))
    for (what, (x, y)) in zip(["product", "grad a", "grad b"], zip(viewed, copied)) {
        #expect(x.count == y.count)
        let scale = y.reduce(Float(1)) { max($0, abs($1)) }
        let worst = zip(x, y).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) } / scale
        #expect(worst < 1e-5, "\(t) \(what): off the contiguous copies' by \(worst)")
    }
}
