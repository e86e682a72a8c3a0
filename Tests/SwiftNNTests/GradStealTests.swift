// A leaf's first gradient is kept without a copy only when nothing else can reach its bytes
// (Backward.swift, Tensor.isPrivate); every shared gradient is still copied, so writing one
// leaf's .grad never changes another's, the caller's seed or a saved tensor.
import Testing
@testable import SwiftNN

private func leaf(_ v: [Float]) throws -> Tensor {
    let t = try Tensor(v, shape: [v.count])
    try t.setRequiresGrad(true)
    return t
}

@Test func aFreshGradientIsPrivateAndAViewOrASharedOneIsNot() throws {
    let like = try Tensor([0, 0, 0, 0], shape: [4])
    var fresh = try Tensor([1, 2, 3, 4], shape: [4])
    #expect(Tensor.isPrivate(&fresh, like: like))
    var other: Tensor = fresh
    #expect(!Tensor.isPrivate(&other, like: like))        // two references to one tensor
    _ = consume other
    var view = try fresh.view(as: [2, 2]).view(as: [4])     // shares fresh's storage
    #expect(!Tensor.isPrivate(&view, like: like))
    var wrongShape = try Tensor([1, 2, 3, 4], shape: [2, 2])
    #expect(!Tensor.isPrivate(&wrongShape, like: like))
}

@Test func gradientsSentToTwoLeavesOrFromTheSeedAreNotShared() throws {
    // y = a + b: the add node may send one gradient tensor to both leaves.
    let a = try leaf([1, 2, 3]), b = try leaf([4, 5, 6])
    let seed = try Tensor([1, 1, 1], shape: [3])
    try add(a, b).backward(seed)
    try GradMode.withoutGrad { try addInPlace(a.grad!, try scalarTensor(10, "test")) }
    #expect(a.grad?.scalars == [11, 11, 11])
    #expect(b.grad?.scalars == [1, 1, 1])
    #expect(seed.scalars == [1, 1, 1])
    // The seed itself reaching a leaf unchanged (y is the leaf): still copied.
    let c = try leaf([1, 2])
    let s2 = try Tensor([3, 4], shape: [2])
    try c.backward(s2)
    try GradMode.withoutGrad { try addInPlace(c.grad!, try scalarTensor(1, "test")) }
    #expect(s2.scalars == [3, 4])
    // A gradient of its own (mul's) is kept as it is, and accumulates on the next backward.
    let d = try leaf([1, 2, 3])
    try sum(mul(d, try scalarTensor(2, "test"))).backward()
    #expect(d.grad?.scalars == [2, 2, 2])
    try sum(mul(d, try scalarTensor(2, "test"))).backward()
    #expect(d.grad?.scalars == [4, 4, 4])
}
