// Shared by the convolution tests: uniform noise in [-1, 1), and, for the forwards that stand
// beside the NCHW packed path (channels-last, Winograd, strided direct), the path on 1 and 2
// threads against a Double reference and against ConvPlan.forwardPacked.
import Testing
import SwiftNNKernels
@testable import SwiftNN

/// Runs `path` (plan, input, weight, bias, output) on 1 and 2 threads and expects its output
/// within `tolerance` (1e-5) of `want` (relative to 1 + |want|), within 4e-5 of the NCHW packed
/// path, and the same bits on both thread counts. `label` names the case in failures.
func expectForwardMatches(_ label: String, _ plan: ConvPlan, _ x: Tensor, _ w: Tensor, _ b: Tensor?,
                          activation: FusedActivation, want: [Double], tolerance: Double = 1e-5,
                          _ path: (ConvPlan, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>?,
                                   UnsafeMutablePointer<Float>) throws -> Void) throws {
    let bias = b.map { UnsafePointer($0.floats) }
    let outs = try onOneAndTwoThreads(plan.outShape) { try path(plan, x.floats, w.floats, bias, $0) }
    let nchw = try Tensor(empty: plan.outShape, dtype: .float32, zeroed: false, "test")
    try plan.forwardPacked(x.floats, w.floats, bias, nchw.floats, activation: activation, "test")
    var worst = 0.0, worstNCHW = 0.0, worstPacked = 0.0, differing = 0
    for i in 0..<want.count {
        worst = max(worst, abs(Double(outs[0].floats[i]) - want[i]) / (1 + abs(want[i])))
        worstPacked = max(worstPacked, abs(Double(nchw.floats[i]) - want[i]) / (1 + abs(want[i])))
        worstNCHW = max(worstNCHW, abs(Double(outs[0].floats[i]) - Double(nchw.floats[i])) / (1 + abs(want[i])))
        if outs[0].floats[i].bitPattern != outs[1].floats[i].bitPattern { differing += 1 }
    }
    #expect(worst < tolerance, "\(label): off the Double reference by \(worst) (the packed path by \(worstPacked))")
    #expect(worstNCHW < 4e-5, "\(label): off the NCHW path by \(worstNCHW)")
    #expect(differing == 0, "\(label): \(differing) outputs differ between 1 and 2 threads")
}

/// Uniform noise in [-1, 1) of the given shape, reproducible from the seed.
func noise(_ shape: [Int], seed: UInt64) throws -> Tensor {
    let t = try Tensor.rand(shape, generator: Generator(seed: seed))
    for i in 0..<t.count { t.floats[i] = t.floats[i] * 2 - 1 }
    return t
}

/// A fresh tensor of `shape` filled by `body` with the engine on 1 thread, then another on 2
/// (the thread count restored after).
func onOneAndTwoThreads(_ shape: [Int], _ body: (UnsafeMutablePointer<Float>) throws -> Void) throws -> [Tensor] {
    let saved = EngineThreads.count
    defer { EngineThreads.count = saved }
    return try [1, 2].map { threads in
        EngineThreads.count = threads
        let t = try Tensor(empty: shape, dtype: .float32, zeroed: false, "test")
        try body(t.floats)
        return t
    }
}
