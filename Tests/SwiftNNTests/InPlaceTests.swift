// In-place ops and the version counter: writes through views, PyTorch's rules (leaf, broadcast,
// dtype), history rebased onto the in-place op, and the "modified by an inplace operation"
// error with torch 2.13's wording (tools/check_inplace_messages.py prints PyTorch's).
import Testing
@testable import SwiftNN

private func ramp(_ shape: [Int]) throws -> Tensor {
    try Tensor((0..<shape.reduce(1, *)).map { Float($0) }, shape: shape)
}

@Test func inPlaceWritesThroughViewsAndBumpsTheSharedVersion() throws {
    let x = try ramp([2, 3])
    let row = try select(x, dim: 0, index: 1), col = try select(x, dim: 1, index: 2)
    #expect(x.version == 0)
    try addInPlace(row, try scalarTensor(10, "test"))
    #expect(x.scalars == [0, 1, 2, 13, 14, 15])
    #expect(x.version == 1 && row.version == 1 && col.version == 1)
    // the column view read before and after: its packed copy follows the version
    #expect(col.scalars == [2, 15])
    try mulInPlace(col, try Tensor([2, 3], shape: [2]))
    #expect(x.scalars == [0, 1, 4, 13, 14, 45])
    #expect(col.scalars == [4, 45])
    let t = try transpose(x, 0, 1)
    try fillInPlace(try slice(t, dim: 0, start: 0, end: 3, step: 2), -1)
    #expect(x.scalars == [-1, 1, -1, -1, 14, -1])
    try zeroInPlace(try expand(try slice(x, dim: 0, end: 1), to: [2, 1, 3]).view(as: [2, 3]).detach())
    #expect(x.scalars == [0, 0, 0, -1, 14, -1])
}

@Test func copyBroadcastsAndConvertsAndHandlesOverlap() throws {
    let x = try ramp([2, 3])
    try copyInPlace(x, try Tensor([7, 8, 9], shape: [3]))
    #expect(x.scalars == [7, 8, 9, 7, 8, 9])
    try copyInPlace(x, try Tensor(int64: [1, 2, 3, 4, 5, 6], shape: [2, 3]))
    #expect(x.scalars == [1, 2, 3, 4, 5, 6])
    let sq = try ramp([3, 3])
    try copyInPlace(sq, try transpose(sq, 0, 1))  // source and destination overlap
    #expect(sq.scalars == [0, 3, 6, 1, 4, 7, 2, 5, 8])
    let i = try Tensor(int64: [1, 2], shape: [2])
    #expect(throws: SNNError.self) { try addInPlace(i, try Tensor([0.5, 0.5], shape: [2])) }
    // copies convert anything, as PyTorch's copy_ (float to int truncates toward zero)
    try copyInPlace(i, try Tensor([2.7, -1.5], shape: [2]))
    #expect(i.int64Scalars == [2, -1])
    try fillInPlace(i, 7)
    #expect(i.int64Scalars == [7, 7] && i.version == 2)
}

@Test func inPlaceRefusesWhatPyTorchRefuses() throws {
    let leaf = try ramp([4, 5])
    try leaf.setRequiresGrad(true)
    do {
        try addInPlace(leaf, try scalarTensor(1, "test"))
        Issue.record("in-place on a leaf requiring grad must fail")
    } catch let e as SNNError {
        #expect(e.message == "a leaf Variable that requires grad is being used in an in-place operation.")
    }
    // allowed under no_grad (an optimizer step), and bumps the version
    try GradMode.withoutGrad { try subInPlace(leaf, try scalarTensor(1, "test")) }
    #expect(leaf.version == 1 && leaf.scalars[0] == -1)
    let small = try ramp([3])
    do {
        try addInPlace(small, try ramp([2, 3]))
        Issue.record("a result larger than self must fail")
    } catch let e as SNNError {
        #expect(e.message == "add_: output with shape [3] doesn't match the broadcast shape [2, 3]")
    }
    #expect(small.scalars == [0, 1, 2] && small.version == 0)
    // a view of a leaf requiring grad: PyTorch's message
    do {
        try reluInPlace(try select(leaf, dim: 0, index: 0))
        Issue.record("in-place on a view of a leaf requiring grad must fail")
    } catch let e as SNNError {
        #expect(e.message == "a view of a leaf Variable that requires grad is being used in an in-place operation.")
    }
    // two elements in one memory location (expand)
    let rowLeaf = try ramp([1, 5])
    try rowLeaf.setRequiresGrad(true)
    let row = try mul(rowLeaf, try scalarTensor(1, "test"))
    let tiled = try expand(try leadingRowsProbe(row), to: [3, 5])
    #expect(throws: SNNError.self) { try addInPlace(tiled, try scalarTensor(1, "test")) }
}

/// A view of `t` sharing its storage, made by a view op while t requires grad.
private func leadingRowsProbe(_ t: Tensor) throws -> Tensor { try select(t, dim: 0, index: 0) }

@Test func inPlaceOnAViewRebasesTheBaseAsCopySlices() throws {
    // w (leaf); x = w * 1; x[0].mul_(3); x[:, 1] = y; (x * c).sum().backward()
    //   dw = c * (3 in row 0, 0 in column 1), dy = c[:, 1] (PyTorch's CopySlices values)
    let w = try ramp([2, 3]), y = try Tensor([5, 7], shape: [2]), c = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
    try w.setRequiresGrad(true)
    try y.setRequiresGrad(true)
    let x = try mul(w, try scalarTensor(1, "test"))
    try mulInPlace(try select(x, dim: 0, index: 0), try scalarTensor(3, "test"))
    try copyInPlace(try select(x, dim: 1, index: 1), y)
    #expect(x.gradFnName == "CopySlices")
    #expect(x.scalars == [0, 5, 6, 3, 7, 5])
    try sum(try mul(x, c)).backward()
    #expect(w.grad?.scalars == [3, 0, 9, 4, 0, 6])
    #expect(y.grad?.scalars == [2, 5])
}

@Test func historyIsRebasedOntoTheInPlaceOp() throws {
    // x = a * 2; x.add_(1); x.sum().backward() gives a.grad == 2
    let a = try ramp([2, 3])
    try a.setRequiresGrad(true)
    let x = try mul(a, try scalarTensor(2, "test"))
    try addInPlace(x, try scalarTensor(1, "test"))
    #expect(x.gradFnName == "AddBackward" && !x.isLeaf)
    try sum(x).backward()
    #expect(a.grad?.scalars == [Float](repeating: 2, count: 6))
    // y = a * 3; y.mul_(y2) where y2 = a: d/da (3a * a) = 6a
    let b = try ramp([3])
    try b.setRequiresGrad(true)
    let y = try mul(b, try scalarTensor(3, "test"))
    try mulInPlace(y, b)
    try sum(y).backward()
    #expect(b.grad?.scalars == [0, 6, 12])
    // sin_ then tanh_ on a non-leaf, against the out-of-place chain
    let c = try Tensor([0.1, -0.4, 0.7], shape: [3])
    try c.setRequiresGrad(true)
    let z = try mul(c, try scalarTensor(1, "test"))
    try sinInPlaceProbe(z)
    try tanhInPlace(z)
    let g = try Tensor([0.3, -1.2, 2.0], shape: [3])
    try z.backward(g)
    let c2 = try Tensor([0.1, -0.4, 0.7], shape: [3])
    try c2.setRequiresGrad(true)
    try tanh(try sin(c2)).backward(g)
    #expect(c.grad?.scalars == c2.grad?.scalars)
    // exp_ saves its result, which tanh_ then overwrites: PyTorch's error at backward
    let e = try mul(c2, try scalarTensor(1, "test"))
    try expInPlace(e)
    try tanhInPlace(e)
    do {
        try e.backward(g)
        Issue.record("a saved in-place result overwritten later must fail at backward")
    } catch let err as SNNError {
        #expect(err.message == "one of the variables needed for gradient computation has been modified by an inplace operation: [swiftnn.FloatTensor [3]], which is output 0 of Exp, is at version 2; expected version 1 instead.")
    }
    // fill_ cuts the old history: zero gradient
    let d = try ramp([2])
    try d.setRequiresGrad(true)
    let w = try mul(d, try scalarTensor(5, "test"))
    try fillInPlace(w, 3)
    try sum(w).backward()
    #expect(d.grad?.scalars == [0, 0])
}

@Test func modifyingASavedTensorFailsAtBackwardWithPyTorchsMessage() throws {
    let x = try Tensor((0..<20).map { Float($0) - 10 }, shape: [4, 5])
    try x.setRequiresGrad(true)
    // a saved output: relu's
    let y = try relu(try mul(x, try scalarTensor(1, "test")))
    try addInPlace(y, try scalarTensor(1, "test"))
    do {
        try sum(y).backward()
        Issue.record("backward through a modified saved output must fail")
    } catch let e as SNNError {
        #expect(e.message == "one of the variables needed for gradient computation has been modified by an inplace operation: [swiftnn.FloatTensor [4, 5]], which is output 0 of Relu, is at version 1; expected version 0 instead.")
    }
    // a saved input that is a non-leaf: named by its current producer (the in-place op)
    let b = try mul(x, try scalarTensor(2, "test"))
    let c = try mul(b, b)
    try addInPlace(b, try scalarTensor(1, "test"))
    do {
        try sum(c).backward()
        Issue.record("backward through a modified saved input must fail")
    } catch let e as SNNError {
        #expect(e.message == "one of the variables needed for gradient computation has been modified by an inplace operation: [swiftnn.FloatTensor [4, 5]], which is output 0 of Add, is at version 1; expected version 0 instead.")
    }
    // a saved tensor that needs no grad: no producer clause
    let w = try ramp([4, 5])
    let p = try mul(x, w)
    try addInPlace(w, try scalarTensor(1, "test"))
    try addInPlace(w, try scalarTensor(1, "test"))
    do {
        try sum(p).backward()
        Issue.record("backward through a modified constant must fail")
    } catch let e as SNNError {
        #expect(e.message == "one of the variables needed for gradient computation has been modified by an inplace operation: [swiftnn.FloatTensor [4, 5]] is at version 2; expected version 0 instead.")
    }
    // what the pullback does not read may change: add saves neither output nor values it needs,
    // but its inputs are checked; its output is not (out = a + b; out.relu_() is fine)
    let q = try add(x, try scalarTensor(1, "test"))
    try reluInPlace(q)
    try sum(q).backward()
}

/// sin_ through the one in-place mechanism (sin saves its input, not its result).
private func sinInPlaceProbe(_ t: Tensor) throws { try inPlace(t, [], "sin_") { try sin($0) } }
