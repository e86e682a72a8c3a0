// What a backward node saves: only the tensors its formula reads are version-checked, and its
// gradients go to its inputs' histories as they were when it ran (PyTorch's edges), so an
// in-place write after a use that saved nothing is allowed and reroutes nothing. Expected
// values are PyTorch's (bindings/python/tests/pytorch_idioms_saved.py, by tools/gen_pytorch_idioms.py).
import Testing
@testable import SwiftNN

private func leaf(_ v: [Float]) throws -> Tensor {
    let t = try Tensor(v, shape: [v.count])
    try t.setRequiresGrad(true)
    return t
}

private func s0(_ v: Double) throws -> Tensor { try scalarTensor(v, "test") }

@Test func addSavesNothingSoItsInputMayBeWrittenLater() throws {
    // w = [1, 2, 3]; x = w * 2; y = x + 1; x.add_(1); y.sum().backward()  =>  w.grad = 2
    let w = try leaf([1, 2, 3])
    let x = try mul(w, try s0(2))
    let y = try add(x, try s0(1))
    try addInPlace(x, try s0(1))
    try sum(y).backward()
    #expect(w.grad?.scalars == [2, 2, 2])
}

@Test func aConsumerBeforeTheWriteKeepsTheOldHistory() throws {
    // y = x + 1 before x.mul_(3), x * x after: dw = 2 + 2 * 36 w (PyTorch: [74, 146, 218]).
    // Routing y's gradient through the new mul_ node would give 6 + 72 w instead.
    let w = try leaf([1, 2, 3])
    let x = try mul(w, try s0(2))
    let y = try add(x, try s0(1))
    try mulInPlace(x, try s0(3))
    try add(try sum(y), try sum(try mul(x, x))).backward()
    #expect(w.grad?.scalars == [74, 146, 218])
}

@Test func mulSavesTheOperandTheOtherGradientNeeds() throws {
    // y = x * w with w requiring grad saves x: writing x fails at backward, naming no producer
    let w = try leaf([1, 2, 3])
    let x = try Tensor([4, 5, 6], shape: [3])
    let y = try mul(x, w)
    try addInPlace(x, try s0(1))
    do {
        try sum(y).backward()
        Issue.record("a saved operand written later must fail at backward")
    } catch let e as SNNError {
        #expect(e.message == "one of the variables needed for gradient computation has been modified by an inplace operation: [swiftnn.FloatTensor [3]] is at version 1; expected version 0 instead.")
    }
    // s = x2 * c with c constant saves only c: x2 may change (PyTorch: w.grad = 3 c)
    let v = try leaf([1, 2, 3])
    let x2 = try mul(v, try s0(3))
    let s = try mul(x2, try Tensor([1, -1, 2], shape: [3]))
    try addInPlace(x2, try s0(5))
    try sum(s).backward()
    #expect(v.grad?.scalars == [3, -3, 6])
}

@Test func divSavesItsOperandsNotItsResult() throws {
    // y = n / w: the result may be written later (PyTorch's DivBackward0 saves self and other)
    let w = try leaf([1, 2])
    let y = try div(try Tensor([4, 8], shape: [2]), try mul(w, try s0(1)))
    let z = try add(y, try s0(0))
    try addInPlace(y, try s0(1))
    try sum(z).backward()
    #expect(w.grad?.scalars == [-4, -2])
    // the divisor is saved
    let d = try Tensor([4, 8], shape: [2])
    let q = try div(try leaf([1, 2]), d)
    try addInPlace(d, try s0(1))
    #expect(throws: SNNError.self) { try sum(q).backward() }
}

@Test func retainedGradFollowsTheInPlaceNode() throws {
    // x = w * 2; x.retain_grad(); x.mul_(3); x.sum().backward(): x.grad is the gradient of the
    // written x (ones), w.grad = 6
    let w = try leaf([1, 2])
    let x = try mul(w, try s0(2))
    x.retainsGrad = true
    try mulInPlace(x, try s0(3))
    try sum(x).backward()
    #expect(x.grad?.scalars == [1, 1])
    #expect(w.grad?.scalars == [6, 6])
}
