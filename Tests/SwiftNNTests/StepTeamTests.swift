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

@Test func speedsMoveHalfwayToWhatARunMeasured() {
    func next(_ speeds: [Double], _ work: [Int], _ seconds: [Double]) -> [Double] {
        speeds.withUnsafeBufferPointer { sp in work.withUnsafeBufferPointer { wp in seconds.withUnsafeBufferPointer { tp in
            StepTeam.nextSpeeds(sp, work: wp, seconds: tp)
        } } }
    }
    // 32 items each, the second worker 3x slower: measured 1.5 and 0.5 of the mean
    #expect(next([1, 1], [32, 32], [0.64, 1.92]) == [1.25, 0.75])
    #expect(next([1.25, 0.75], [40, 24], [0.8, 1.44]) == [1.375, 0.625])  // the same speeds again
    let clamped = next([3, 1.0 / 3], [10, 10], [1, 1000])  // the second: 1/6 + 0.001, clamped to 1/3
    #expect(abs(clamped[0] - (1.5 + 0.5 * 10 / 5.005)) < 1e-12 && clamped[1] == 1.0 / 3, "\(clamped)")
    #expect(next([1, 1], [0, 32], [0.5, 0.5]) == [1, 1])  // a worker without items: unchanged
    #expect(next([2, 0.5], [8, 8], [0, 1]) == [2, 0.5])  // no time measured: unchanged
}

/// A run on a team of its own (no other test's run can interleave) whose second worker takes
/// 50 times longer per item: the team learns that the first is faster and gives it more items
/// next time. Busy-waits on the clock, so a preempted worker still takes about as long; the
/// margin (0.6 ms against 32 ms) covers being preempted while the tests run in parallel.
@Test func aRunTeachesTheTeamItsWorkersSpeeds() {
    let team = StepTeam()
    final class Box: @unchecked Sendable { var items = 0 }
    var split: [Int] = []
    for _ in 0..<2 {
        let box = Box()
        team.run(workers: 2) { ctx in
            let part = ctx.balancedShare(of: 64, granule: 2)
            if ctx.worker == 0 { box.items = part.count }
            spin(nanoseconds: part.count * (ctx.worker == 0 ? 20_000 : 1_000_000))
        }
        split.append(box.items)
    }
    let speeds = team.learnedSpeeds
    #expect(split[0] == 32 && split[1] > 32, "worker 0's items per run: \(split)")
    #expect(speeds[0] > 1 && speeds[1] < 1, "learned speeds \(speeds.prefix(2))")
}

private func spin(nanoseconds: Int) {
    var t = timespec(), u = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    repeat { clock_gettime(CLOCK_MONOTONIC, &u) } while (u.tv_sec - t.tv_sec) * 1_000_000_000 + (u.tv_nsec - t.tv_nsec) < nanoseconds
}

/// A helper that has not taken its part when the caller has finished its own (its core busy
/// with another process) has the part run by the caller: the run completes without it, every
/// part once; and a helper that wakes after such a run never runs that run's body late.
@Test func theCallerRunsPartsNoHelperHasTaken() {
    let team = StepTeam()
    final class Box: @unchecked Sendable {
        var ran = [Int](repeating: 0, count: 4)
        var threads = Set<UInt>()
        let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        init() { pthread_mutex_init(lock, nil) }
        func note(_ worker: Int) {
            pthread_mutex_lock(lock)
            ran[worker] += 1
            threads.insert(UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(bitPattern: UInt(pthread_self())))))
            pthread_mutex_unlock(lock)
        }
    }
    team.run(workers: 4) { _ in }  // starts the helpers
    team.helpersPausedForTesting = true
    // Without the caller taking their parts the runs below would wait for the paused helpers
    // forever: a watchdog lets the helpers go after 5 s, and the helpers' threads then fail it.
    let watchdog = Task.detached {
        try? await Task.sleep(nanoseconds: 5_000_000_000)
        team.helpersPausedForTesting = false
    }
    let stolen = Box()
    for _ in 0..<3 {
        team.run(workers: 4) { ctx in
            #expect(ctx.workers == 4)
            let part = ctx.balancedShare(of: 64, granule: 1)
            spin(nanoseconds: part.count * 1_000)
            stolen.note(ctx.worker)
        }
    }
    #expect(stolen.ran == [3, 3, 3, 3], "parts run while the helpers were away: \(stolen.ran)")
    watchdog.cancel()
    #expect(stolen.threads.count == 1, "every part on the caller's thread, not \(stolen.threads.count) threads")
    // the slots the caller ran for its helpers count as slow: the caller is given more
    let speeds = team.learnedSpeeds
    #expect(speeds[0] > speeds[1] && speeds[0] > speeds[3], "learned speeds \(speeds.prefix(4))")
    team.helpersPausedForTesting = false
    let later = Box()
    for _ in 0..<50 {
        team.run(workers: 4) { ctx in
            _ = ctx.balancedShare(of: 64, granule: 1)
            spin(nanoseconds: 20_000)
            later.note(ctx.worker)
        }
    }
    #expect(later.ran == [50, 50, 50, 50], "each part once per run: \(later.ran)")
    #expect(stolen.ran == [3, 3, 3, 3], "no helper ran a finished run's body: \(stolen.ran)")
}
