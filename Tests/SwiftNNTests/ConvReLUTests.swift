// Sequential's Conv2d + ReLU pairs run as one node in training (ConvReLU.swift): the output,
// the input gradient and the parameters' gradients must be the bits of the two layers run one
// by one, on every kernel path the convolution may take, and NaN must pass the ReLU as it does.
import Testing
@testable import SwiftNN

/// (label, input shape, in, out, kernel, stride, padding, groups): one shape per kernel path.
private let cases: [(String, [Int], Int, Int, Int, Int, Int, Int)] = [
    ("strided direct 8x8/4", [4, 4, 36, 36], 4, 32, 8, 4, 0, 1),
    ("channels-last 4x4/2", [4, 32, 20, 20], 32, 64, 4, 2, 0, 1),
    ("Winograd 3x3", [2, 64, 9, 9], 64, 64, 3, 1, 1, 1),
    ("packed 5x5 padded", [2, 3, 17, 13], 3, 8, 5, 1, 2, 1),
    ("1x1", [2, 16, 7, 7], 16, 24, 1, 1, 0, 1),
    ("depthwise 3x3/2", [2, 16, 15, 15], 16, 16, 3, 2, 1, 16),
    ("unbatched", [3, 11, 11], 3, 16, 3, 1, 0, 1),
]

@Test(arguments: cases.indices)
func convReLUPairMatchesTheTwoLayers(index: Int) throws {
    let (label, shape, cin, cout, k, s, p, groups) = cases[index]
    let conv = try Conv2d(inChannels: cin, outChannels: cout, kernelSize: (k, k), stride: (s, s), padding: (p, p), groups: groups)
    let net = Sequential([conv, ReLU()])
    let x = try noise(shape, seed: UInt64(index + 1))
    x.floats[3] = .nan  // NaN stays NaN through ReLU, fused or not
    try x.setRequiresGrad(true)

    func pass(fused: Bool) throws -> [Tensor] {
        x.grad = nil
        conv.weight.grad = nil
        conv.bias?.grad = nil
        let y = fused ? try net(x) : try relu(try conv(x))
        #expect(y.gradFnName == "ReluBackward", "\(label): the pair's node is \(y.gradFnName ?? "none")")
        let g = try noise(y.shape, seed: 99)
        try y.backward(g)
        return [y.detach(), try #require(x.grad), try #require(conv.weight.grad), try #require(conv.bias?.grad)]
    }
    let unfused = try pass(fused: false), fused = try pass(fused: true)
    for (name, (a, b)) in zip(["output", "input gradient", "weight gradient", "bias gradient"], zip(fused, unfused)) {
        #expect(a.shape == b.shape, "\(label) \(name): shape \(a.shape) vs \(b.shape)")
        let differing = (0..<min(a.count, b.count)).filter { a.floats[$0].bitPattern != b.floats[$0].bitPattern }.count
        #expect(differing == 0, "\(label) \(name): \(differing) of \(a.count) elements differ from the two layers'")
    }
    #expect((0..<fused[0].count).contains { fused[0].floats[$0].isNaN } || label == "unbatched", "\(label): the NaN input reached no output")

    // Without grad (a DQN's target network in training mode): the same output.
    let y = try GradMode.withoutGrad { try net(x) }
    let differing = (0..<y.count).filter { y.floats[$0].bitPattern != unfused[0].floats[$0].bitPattern }.count
    #expect(differing == 0, "\(label) without grad: \(differing) outputs differ")
}

/// The pair in float64 runs as the two ops (no fused kernel): still the right node and values.
@Test func convReLUPairInDoubleIsTheTwoOps() throws {
    let conv = try Conv2d(inChannels: 2, outChannels: 3, kernelSize: (3, 3))
    _ = try conv.convert(to: .float64)
    let x = try noise([1, 2, 5, 5], seed: 5).to(.float64)
    try x.setRequiresGrad(true)
    let y = try Sequential([conv, ReLU()])(x)
    #expect(y.gradFnName == "ReluBackward" && y.dtype == .float64)
    let want = try relu(try conv(x))
    #expect((0..<y.count).allSatisfy { y.doubles[$0] == want.doubles[$0] })
}
