// nn.SyncBatchNorm's engine layer in one process (the MPI runs are in
// bindings/python/tests/test_distributed.py): without a group of several ranks it is
// BatchNorm over the local batch for any [N, C, *] input, and it round-trips as "SyncBatchNorm".
import Glibc
import Testing
@testable import SwiftNN

@Test func syncBatchNormLayerIsLocalBatchNormWithoutRanks() throws {
    for shape in [[4, 3], [2, 3, 5], [2, 3, 4, 5], [2, 3, 2, 3, 2]] {
        let n = shape.reduce(1, *)
        // values with no structure, so a wrong statistic shows
        let x = try Tensor((0..<n).map { Float(sin(Double($0) * 1.7) * 3 + Double($0 % 5)) }, shape: shape)
        let layer = try BatchNorm(numFeatures: 3, eps: 1e-3, momentum: 0.2, sync: true)
        #expect(layer.typeName == "SyncBatchNorm")
        let rm = try Tensor.zeros([3]), rv = try Tensor.ones([3])
        let want = try batchNorm(x, runningMean: rm, runningVar: rv, weight: try Tensor.ones([3]), bias: try Tensor.zeros([3]),
                                 training: true, momentum: 0.2, eps: 1e-3)
        let got = try layer.forward(x)
        #expect(got.shape == shape)
        #expect(got.scalars == want.scalars, "\(shape)")
        let mean = try #require(layer.runningMean)
        #expect(mean.scalars == rm.scalars, "\(shape): running mean")
    }
    // a plain BatchNorm2d still insists on [N, C, H, W]
    #expect(throws: SNNError.self) { try BatchNorm(numFeatures: 3).forward(try Tensor.zeros([4, 3])) }
}

@Test func syncBatchNormLayerRoundTripsThroughACheckpoint() throws {
    let layer = try BatchNorm(numFeatures: 2, eps: 1e-4, momentum: 0.3, affine: false, sync: true)
    let path = "/tmp/snn-syncbn-\(getpid()).safetensors"
    defer { unlink(path) }
    try Checkpoint.save(layer, to: path)
    let back = try #require(try Checkpoint.load(from: path) as? BatchNorm)
    #expect(back.sync && back.typeName == "SyncBatchNorm" && back.eps == 1e-4 && back.momentum == 0.3 && !back.affine)
}
