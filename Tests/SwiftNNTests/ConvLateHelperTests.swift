// Convolutions whose workers wait for work to be done, not for each other: with the engine's
// helper threads held back (as when their cores are busy elsewhere), a 2-thread convolution
// through the packed row blocks (batch 1, unpadded: the DQN's 4x4/2 and 3x3 layers) completes
// on the caller's thread alone, with the bits of a 1-thread run. With barriers between the
// panel packing and the products it waited for the helper: here, for the watchdog.
import Testing
@testable import SwiftNN
import SwiftNNKernels

// (One test, the shapes in turn: the pause is process-wide.)
@Test func packedRowBlocksDoNotWaitForALateHelper() throws {
    for (c, k, size, kernel, stride) in [(32, 64, 20, 4, 2), (64, 64, 9, 3, 1)] {
        try checkLateHelper(c, k, size, kernel, stride)
    }
}

private func checkLateHelper(_ c: Int, _ k: Int, _ size: Int, _ kernel: Int, _ stride: Int) throws {
    let x = try noise([1, c, size, size], seed: 81), w = try noise([k, c, kernel, kernel], seed: 82), b = try noise([k], seed: 83)
    func run(threads: Int) throws -> [Float] {
        let session = try EngineSession(numThreads: threads)
        session.enter()
        defer { try? session.exit("test") }
        return try GradMode.withoutGrad {
            try conv2d(x, weight: w, bias: b, stride: (stride, stride), padding: (0, 0), dilation: (1, 1), groups: 1)
        }.scalars
    }
    let alone = try run(threads: 1)
    _ = try run(threads: 2)  // the helpers exist
    final class Flag: @unchecked Sendable { var fired = false }
    let flag = Flag()
    StepTeam.shared.helpersPausedForTesting = true
    let watchdog = Task.detached {
        try? await Task.sleep(nanoseconds: 5_000_000_000)
        if StepTeam.shared.helpersPausedForTesting { flag.fired = true }
        StepTeam.shared.helpersPausedForTesting = false
    }
    let late = try run(threads: 2)
    StepTeam.shared.helpersPausedForTesting = false
    watchdog.cancel()
    #expect(!flag.fired, "\(c)->\(k) \(kernel)x\(kernel)/\(stride): the convolution waited for a paused helper until the watchdog released it")
    let differ = zip(alone, late).filter { $0.bitPattern != $1.bitPattern }.count
    #expect(alone.count == late.count && differ == 0, "\(differ) outputs differ from one thread's")
}
