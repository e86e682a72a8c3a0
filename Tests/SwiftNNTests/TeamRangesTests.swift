// teamRanges (Ops/TeamRanges.swift) covers every element however many workers a run gets: a
// run that finds the team busy runs alone (StepTeam), and a split computed for two workers left
// the second half of ReLU6's output unwritten (found by the style-transfer test).
import Testing
import SwiftNNKernels
@testable import SwiftNN

private final class Box: @unchecked Sendable { var y: Tensor? }

@Test func teamRangesCoversEverythingWhenTheTeamIsBusy() throws {
    let saved = EngineThreads.count
    EngineThreads.count = 2
    defer { EngineThreads.count = saved }
    let n = 1 << 18
    let x = try Tensor.rand([n], generator: Generator(seed: 5))
    for i in 0..<n { x.floats[i] = x.floats[i] * 10 - 2 }
    // Called inside a team run, relu6's own run finds the team taken and gets one worker.
    let box = Box()
    StepTeam.shared.run(workers: 2) { ctx in
        if ctx.worker == 0 { box.y = try? relu6(x) }
    }
    let y = try #require(box.y)
    #expect((0..<n).allSatisfy { y.floats[$0] == min(max(x.floats[$0], 0), 6) })
    let alone = try relu6(x)
    #expect(alone.scalars == y.scalars)
}
