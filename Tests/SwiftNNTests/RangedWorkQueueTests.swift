// RangedWorkQueue (SwiftNNKernels/WorkQueue.swift): every item is claimed exactly once, whatever
// the number of claimers; a worker runs its own contiguous range front to back before it takes
// other ranges' items from their back.
import Testing
import Synchronization
import SwiftNNKernels

@Test func rangedQueueGivesEachWorkerItsOwnRangeFirstThenStealsFromTheBack() {
    let q = RangedWorkQueue(count: 10, workers: 2)  // ranges 0..<5 and 5..<10
    #expect(q.claim(worker: 1) == 5)
    #expect(q.claim(worker: 1) == 6)
    #expect(q.claim(worker: 0) == 0)
    var zero: [Int] = []
    while let i = q.claim(worker: 0) { zero.append(i) }
    // worker 0 finishes its own range, then takes worker 1's remaining items from the back
    #expect(zero == [1, 2, 3, 4, 9, 8, 7])
    #expect(q.claim(worker: 1) == nil)

    // One claimer for a queue made for three (a team run given fewer workers): all items, each once.
    let alone = RangedWorkQueue(count: 7, workers: 3)
    var got: [Int] = []
    while let i = alone.claim(worker: 0) { got.append(i) }
    #expect(got.sorted() == Array(0..<7))
    #expect(RangedWorkQueue(count: 0, workers: 2).claim(worker: 0) == nil)
    #expect(RangedWorkQueue(count: 3, workers: 8).claim(worker: 7) != nil)  // more workers than items
}

@Test(arguments: [1, 2, 3, 5])
func rangedQueueClaimsEveryItemOnceUnderContention(workers: Int) {
    let count = 10_000
    let q = RangedWorkQueue(count: count, workers: workers)
    let seen = UnsafeMutablePointer<Atomic<Int>>.allocate(capacity: count)
    for i in 0..<count { (seen + i).initialize(to: Atomic(0)) }
    defer { seen.deinitialize(count: count); seen.deallocate() }
    let counter = Shared(seen)
    StepTeam.shared.run(workers: workers) { ctx in
        while let i = q.claim(worker: ctx.worker) { counter.p[i].wrappingAdd(1, ordering: .relaxed) }
    }
    let wrong = (0..<count).filter { seen[$0].load(ordering: .relaxed) != 1 }.count
    #expect(wrong == 0, "\(wrong) items claimed other than once with \(workers) workers")
}

private struct Shared: @unchecked Sendable {
    let p: UnsafeMutablePointer<Atomic<Int>>
    init(_ p: UnsafeMutablePointer<Atomic<Int>>) { self.p = p }
}
