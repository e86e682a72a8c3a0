// Training-mode batch norm + ReLU/ReLU6 pairs of a Sequential run as one fused node
// (BatchNorm.swift): the output, every gradient and the running statistics must have the same
// bits as the layers run one by one, in training and in eval mode with grad.
import Testing
@testable import SwiftNN

private func pairNet(_ seed: UInt64) throws -> Sequential {
    let net = Sequential([
        try Conv2d(inChannels: 3, outChannels: 6, kernelSize: (3, 3), padding: (1, 1), bias: false),
        try BatchNorm(numFeatures: 6), ReLU6(),
        try Conv2d(inChannels: 6, outChannels: 6, kernelSize: (3, 3), padding: (1, 1), groups: 6, bias: false),
        try BatchNorm(numFeatures: 6), ReLU(),
        try Conv2d(inChannels: 6, outChannels: 4, kernelSize: (1, 1)),
        try BatchNorm(numFeatures: 4), ReLU6(),
    ])
    var s = seed
    for (name, t) in net.stateDict() where t.dtype == .float32 {
        s += 1
        let r = try Tensor.rand(t.shape, generator: Generator(seed: s))
        for i in 0..<t.count { t.floats[i] = name.hasSuffix("running_var") ? 0.5 + r.floats[i] : (r.floats[i] - 0.5) * 6 }
        t.storage.version &+= 1
    }
    return net
}

@Test(arguments: [true, false])
func fusedBatchNormActivationMatchesTheLayersOneByOne(_ training: Bool) throws {
    let fused = try pairNet(70), single = try pairNet(70)
    fused.train(training); single.train(training)
    let x = try Tensor.rand([3, 3, 9, 11], generator: Generator(seed: 80))
    for i in 0..<x.count { x.floats[i] = x.floats[i] * 8 - 3 }   // values on both sides of 0 and 6
    try x.setRequiresGrad(true)
    let x2 = try x.detach()
    try x2.setRequiresGrad(true)
    let y = try fused.forward(x)
    var y2 = x2
    for (_, m) in single.children { y2 = try m.forward(y2) }   // no Sequential: unfused
    #expect(y.scalars == y2.scalars)
    #expect(y.scalars.contains(0) && y.scalars.contains(6) && y.scalars.contains { $0 > 0 && $0 < 6 })
    let g = try Tensor.rand(y.shape, generator: Generator(seed: 81))
    try y.backward(g)
    try y2.backward(g)
    #expect(x.grad?.scalars == x2.grad?.scalars)
    for ((n1, p1), (_, p2)) in zip(fused.namedParameters(), single.namedParameters()) {
        #expect(p1.grad?.scalars == p2.grad?.scalars, "\(n1)")
    }
    for ((n1, b1), (_, b2)) in zip(fused.stateDict(), single.stateDict()) where b1.dtype == .float32 {
        #expect(b1.scalars == b2.scalars, "\(n1)")
    }
}
