// Hand-checkable and behaviour tests of maxima, softmax, logsumexp and var/std: values worked
// out on paper, PyTorch's tie and NaN rules, errors, and no reference cycles through saved outputs.
import Testing
@testable import SwiftNN
#if canImport(Glibc)
import Glibc
#endif

private func close(_ a: [Float], _ b: [Float], _ tol: Float = 1e-6) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tol * Swift.max(1, abs($1)) }
}

@Test func softmaxOfZeroAndLn3IsAQuarterAndThreeQuarters() throws {
    let x = try Tensor([0, logf(3)], shape: [2])
    #expect(close(try softmax(x, dim: 0).scalars, [0.25, 0.75]))
    #expect(close(try logSoftmax(x, dim: -1).scalars, [logf(0.25), logf(0.75)]))
    #expect(close(try logsumexp(x, dims: [0]).scalars, [logf(4)]))
}

@Test func softmaxIsStableForHugeLogits() throws {
    let x = try Tensor([1000, 0, -1000, 1000], shape: [2, 2])
    #expect(close(try softmax(x, dim: 1).scalars, [1, 0, 0, 1]))
    #expect(close(try logSoftmax(x, dim: 1).scalars, [0, -1000, -2000, 0]))
    #expect(close(try logsumexp(x, dims: [1]).scalars, [1000, 1000]))
    // Along dim 0 (column strips): columns [1000, -1000] and [0, 1000].
    #expect(close(try softmax(x, dim: 0).scalars, [1, 0, 0, 1]))
}

@Test func softmaxOnAMiddleDimensionSumsToOneAlongIt() throws {
    let x = try Tensor.randn([3, 13, 11])
    let y = try softmax(x, dim: 1)
    let s = try sum(y, dims: [1])
    #expect(s.scalars.allSatisfy { abs($0 - 1) < 1e-5 })
}

@Test func logsumexpOfAllMinusInfinityIsMinusInfinity() throws {
    let x = try Tensor([-.infinity, -.infinity, .infinity, 1], shape: [2, 2])
    #expect(try logsumexp(x, dims: [1]).scalars == [-.infinity, .infinity])
}

@Test func maxPicksTheFirstOfTiesAndNaNWins() throws {
    let x = try Tensor([1, 3, 3, 2, 5, 5, 0, 5], shape: [2, 4])
    let r = try max(x, dim: 1)
    #expect(r.values.scalars == [3, 5])
    #expect(r.indices.int64Scalars == [1, 0])
    #expect(try argmax(x).int64Scalars == [4])
    #expect(try argmin(x, dim: 1, keepdim: true).shape == [2, 1])
    #expect(try argmin(x, dim: 1).int64Scalars == [0, 2])
    let n = try Tensor([1, .nan, 3, .nan], shape: [4])
    let m = try max(n, dim: 0)
    #expect(m.values.scalars[0].isNaN && m.indices.int64Scalars == [1])
    #expect(try argmin(n).int64Scalars == [1])
    #expect(try argmax(n, keepdim: true).shape == [1])
}

@Test func maxSendsTheGradientToTheWinnerAndAmaxSplitsIt() throws {
    let x = try Tensor([1, 3, 3], shape: [3])
    try x.setRequiresGrad(true)
    try max(x, dim: 0).values.backward()
    #expect(x.grad?.scalars == [0, 1, 0])
    x.grad = nil
    try amax(x).backward()
    #expect(x.grad?.scalars == [0, 0.5, 0.5])
    x.grad = nil
    try min(x).backward()
    #expect(x.grad?.scalars == [1, 0, 0])
}

@Test func scalarsReduceAlongDimZero() throws {
    let s = try Tensor([2.5], shape: [])
    let r = try max(s, dim: -1, keepdim: true)
    #expect(r.values.shape == [] && r.values.scalars == [2.5] && r.indices.int64Scalars == [0])
    #expect(try softmax(s, dim: 0).scalars == [1])
}

@Test func varianceAndStandardDeviationByHand() throws {
    let x = try Tensor([1, 2, 3, 4], shape: [4])
    #expect(close(try variance(x).scalars, [5.0 / 3]))
    #expect(close(try variance(x, correction: 0).scalars, [1.25]))
    #expect(close(try standardDeviation(x, dims: [0], correction: 0).scalars, [sqrtf(1.25)]))
    #expect(try variance(try Tensor([1], shape: [1])).scalars[0].isNaN)
}

@Test func reductionErrorsNameTheProblem() throws {
    let empty = try Tensor(empty: [0, 3])
    #expect(try amax(empty, dims: [1]).shape == [0])
    #expect(throws: SNNError.self) { try amax(empty, dims: [0]) }
    do { _ = try max(empty, dim: 0); Issue.record("max over an empty dimension succeeded") } catch let e as SNNError {
        #expect(e.status == .outOfRange && e.message.contains("[0, 3]"))
    }
    do { _ = try argmax(empty); Issue.record("argmax of an empty tensor succeeded") } catch let e as SNNError {
        #expect(e.status == .outOfRange)
    }
    do { _ = try softmax(try Tensor.zeros([2, 3]), dim: 2); Issue.record("dim 2 accepted") } catch let e as SNNError {
        #expect(e.status == .outOfRange)
    }
    do { _ = try softmax(try Tensor(int64: [1, 2], shape: [2]), dim: 0); Issue.record("int64 accepted") } catch let e as SNNError {
        #expect(e.status == .dtypeMismatch)
    }
    do { _ = try variance(try Tensor.zeros([3]), correction: .nan); Issue.record("NaN correction accepted") } catch let e as SNNError {
        #expect(e.status == .invalidArgument)
    }
}

@Test func savedOutputsDoNotKeepTheirOwnOutputAlive() throws {
    let x = try Tensor.randn([4, 5])
    try x.setRequiresGrad(true)
    weak var s: Tensor?, l: Tensor?, e: Tensor?, a: Tensor?
    do {
        let s1 = try softmax(x, dim: 1), l1 = try logSoftmax(x, dim: 0)
        let e1 = try logsumexp(x, dims: [1]), a1 = try amax(x, dims: [0])
        s = s1; l = l1; e = e1; a = a1
    }
    #expect(s == nil && l == nil && e == nil && a == nil)
}
