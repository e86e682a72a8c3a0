// The StepTeam's balanced split: shares cover the work exactly, on granule boundaries, in
// proportion to the workers' speeds; and a run learns the speeds it measures.
import Testing
import SwiftNNKernels
#if canImport(Glibc)
import Glibc
#endif

private func shares(_ total: Int, granule: Int, _ speeds: [Double]) -> [Range<Int>] {
    speeds.withUnsafeBufferPointer { sp in (0..<speeds.count).map { StepTeam.share(of: total, granule: granule, speeds: sp, worker: $0) } }
}

@Test func sharesCoverTheWorkOnGranuleBoundaries() {
    var seed: UInt64 = 7
    func next() -> UInt64 { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return seed >> 33 }
    for _ in 0..<2000 {
        let n = Int(next() % 4) + 1, granule = [1, 2, 16][Int(next() % 3)], total = Int(next() % 300)
        let speeds = (0..<n).map { _ in 1.0 / 3 + Double(next() % 1000) / 1000 * (3 - 1.0 / 3) }
        let parts = shares(total, granule: granule, speeds)
        #expect(parts.first?.lowerBound == 0 && parts.last?.upperBound == total)
        for w in 1..<n { #expect(parts[w].lowerBound == parts[w - 1].upperBound) }
        for w in 0..<n - 1 { #expect(parts[w].upperBound % granule == 0) }
        if total / granule >= n { #expect(parts.allSatisfy { $0.count >= granule }, "\(total) \(granule) \(speeds): \(parts)") }
    }
}

@Test func sharesFollowTheSpeeds() {
    #expect(shares(32, granule: 2, [1, 1]) == [0..<16, 16..<32])
    #expect(shares(27, granule: 2, [1, 1]) == [0..<14, 14..<27])  // 13.5 rows: 7 granules rounded
    #expect(shares(32, granule: 2, [3, 1]) == [0..<24, 24..<32])
    #expect(shares(32, granule: 2, [1, 3]) == [0..<8, 8..<32])
    #expect(shares(1024, granule: 16, [1.2, 1]) == [0..<560, 560..<1024])  // 558.5 -> 35 blocks
    #expect(shares(3, granule: 2, [1, 1, 1]) == [0..<2, 2..<2, 2..<3])  // fewer granules than workers
    #expect(shares(32, granule: 2, [3, 1.0 / 3]) == [0..<28, 28..<32])
}

/// Runs whose second worker gets through its items three times slower than the first: each
/// next split gives the first worker more (its speed moves halfway to the measured ratio per
/// run: 32 of 64 items, then 40, then 44). A team of its own, so no other test's run can
/// interleave; busy-waits on the clock, so a preempted worker still takes about as long.
@Test func runsLearnTheWorkersSpeeds() {
    let team = StepTeam()
    final class Box: @unchecked Sendable { var items = 0 }
    var split: [Int] = []
    for _ in 0..<3 {
        let box = Box()
        team.run(workers: 2) { ctx in
            let part = ctx.balancedShare(of: 64, granule: 2)
            if ctx.worker == 0 { box.items = part.count }
            spin(nanoseconds: part.count * (ctx.worker == 0 ? 20_000 : 60_000))
        }
        split.append(box.items)
    }
    #expect(split[0] == 32)
    #expect(split[1] > 32 && split[2] > 32, "worker 0's items per run: \(split)")
}

private func spin(nanoseconds: Int) {
    var t = timespec(), u = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    repeat { clock_gettime(CLOCK_MONOTONIC, &u) } while (u.tv_sec - t.tv_sec) * 1_000_000_000 + (u.tv_nsec - t.tv_nsec) < nanoseconds
}
