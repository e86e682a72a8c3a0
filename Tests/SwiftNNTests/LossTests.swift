// Hand-checkable and behaviour tests of the losses: uniform logits give ln C, the fused
// backward is softmax - onehot, ignore_index and 'mean' over the targets kept, NaN when none
// is kept, and the errors a caller can trigger.
import Testing
@testable import SwiftNN
#if canImport(Glibc)
import Glibc
#endif

private func close(_ a: [Float], _ b: [Float], _ tol: Float = 1e-6) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tol * Swift.max(1, abs($1)) }
}

@Test func crossEntropyOfUniformLogitsIsLnC() throws {
    let c = 10
    let logits = try Tensor.zeros([4, c])
    try logits.setRequiresGrad(true)
    let target = try Tensor(int64: [0, 3, 9, 3], shape: [4])
    let loss = try crossEntropy(logits, target)
    #expect(close(loss.scalars, [logf(Float(c))]))
    #expect(close(try crossEntropy(logits, target, reduction: .sum).scalars, [4 * logf(Float(c))]))
    #expect(close(try crossEntropy(logits, target, reduction: .none).scalars, [Float](repeating: logf(Float(c)), count: 4)))
    #expect(loss.gradFnName == "CrossEntropyLossBackward")
    // d mean / d x = (softmax - onehot) / N = (1/C - onehot) / 4
    try loss.backward()
    let g = try #require(logits.grad).scalars
    #expect(abs(g[0] - (0.1 - 1) / 4) < 1e-6 && abs(g[1] - 0.1 / 4) < 1e-6 && abs(g[39] - 0.1 / 4) < 1e-6)
}

@Test func crossEntropyIsStableForHugeLogits() throws {
    let logits = try Tensor([1000, 0, -1000, 0, 1000, 0], shape: [2, 3])
    let target = try Tensor(int64: [1, 1], shape: [2])
    #expect(close(try crossEntropy(logits, target, reduction: .none).scalars, [1000, 0]))
}

@Test func ignoredTargetsAreLeftOutOfTheMean() throws {
    let logits = try Tensor([0, 0, 5, 1], shape: [2, 2])
    try logits.setRequiresGrad(true)
    let loss = try crossEntropy(logits, try Tensor(int64: [-100, 1], shape: [2]))
    // Only row 1 counts: lse(5, 1) - 1 = 4 + log(1 + e^-4).
    #expect(close(loss.scalars, [4 + logf(1 + expf(-4))]))
    try loss.backward()
    #expect(try #require(logits.grad).scalars[0...1] == [0, 0])
    // ignore_index inside [0, C) skips that class.
    #expect(close(try nllLoss(try Tensor([-1, -2, -3, -4], shape: [2, 2]), try Tensor(int64: [0, 1], shape: [2]), ignoreIndex: 0).scalars, [4]))
}

@Test func allTargetsIgnoredGivesNaNMeanAndZeroGradient() throws {
    let logits = try Tensor.randn([3, 4])
    try logits.setRequiresGrad(true)
    let loss = try crossEntropy(logits, try Tensor(int64: [-100, -100, -100], shape: [3]))
    #expect(loss.scalars[0].isNaN)
    try loss.backward()
    #expect(try #require(logits.grad).scalars.allSatisfy { $0 == 0 })
    #expect(try crossEntropy(logits, try Tensor(int64: [-100, -100, -100], shape: [3]), reduction: .sum).scalars == [0])
}

@Test func labelSmoothingMixesInTheUniformDistribution() throws {
    // Uniform logits: every class has -log p = ln C, so smoothing changes nothing.
    let c: Float = 4
    let loss = try crossEntropy(try Tensor.zeros([2, 4]), try Tensor(int64: [1, 2], shape: [2]), labelSmoothing: 0.3)
    #expect(close(loss.scalars, [logf(c)]))
}

@Test func mseByHandAndBroadcast() throws {
    let a = try Tensor([1, 2, 3, 4], shape: [2, 2]), b = try Tensor([0, 4], shape: [2])
    try a.setRequiresGrad(true)
    try b.setRequiresGrad(true)
    let loss = try mseLoss(a, b)  // diffs 1, -2, 3, 0 -> (1 + 4 + 9 + 0) / 4
    #expect(close(loss.scalars, [3.5]))
    try loss.backward()
    #expect(close(try #require(a.grad).scalars, [0.5, -1, 1.5, 0]))
    #expect(close(try #require(b.grad).scalars, [-2, 1]))
    #expect(try mseLoss(try Tensor.zeros([0]), try Tensor.zeros([0])).scalars[0].isNaN)
}

@Test func lossErrorsNameTheBadValue() throws {
    let logits = try Tensor.zeros([2, 5])
    do {
        _ = try crossEntropy(logits, try Tensor(int64: [1, 7], shape: [2]))
        Issue.record("target 7 accepted for 5 classes")
    } catch let e as SNNError {
        #expect(e.status == .outOfRange && e.message.contains("7") && e.message.contains("5 classes"))
    }
    do { _ = try nllLoss(logits, try Tensor(int64: [-1, 0], shape: [2])); Issue.record("target -1 accepted") } catch let e as SNNError {
        #expect(e.status == .outOfRange && e.message.contains("-1"))
    }
    do { _ = try crossEntropy(logits, try Tensor([1, 2], shape: [2])); Issue.record("float target accepted") } catch let e as SNNError {
        #expect(e.status == .dtypeMismatch)
    }
    do { _ = try crossEntropy(logits, try Tensor(int64: [1, 2, 3], shape: [3])); Issue.record("3 targets for 2 rows") } catch let e as SNNError {
        #expect(e.status == .shapeMismatch && e.message.contains("[2]"))
    }
    do { _ = try crossEntropy(try Tensor([1], shape: []), try Tensor(int64: [0], shape: [])); Issue.record("0-d logits") } catch let e as SNNError {
        #expect(e.status == .shapeMismatch)
    }
    for bad: Float in [-0.1, 1.5, .nan] {
        do { _ = try crossEntropy(logits, try Tensor(int64: [1, 2], shape: [2]), labelSmoothing: bad); Issue.record("label_smoothing \(bad)") } catch let e as SNNError {
            #expect(e.status == .invalidArgument)
        }
    }
    #expect(throws: SNNError.self) { try Reduction(name: "average") }
    #expect(throws: SNNError.self) { try mseLoss(try Tensor.zeros([2, 3]), try Tensor.zeros([2])) }
}
