// Independent work items handed out at run time: whichever worker is free takes the next one,
// so a worker on a slower or busier core takes fewer instead of holding up the run's end.
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Items 0..<count, each claimed by exactly one caller. For loops whose items are independent
/// (a batch's images): results must not depend on which worker ran an item.
public final class WorkQueue: @unchecked Sendable {
    private let next = Atomic<Int>(0)
    public let count: Int

    public init(count: Int) { self.count = max(count, 0) }

    /// The next unclaimed item, or nil when every item has been taken.
    public func claim() -> Int? {
        let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
        return i < count ? i : nil
    }
}

/// Items 0..<count split into one contiguous range per worker: a worker takes its own range's
/// items from the front, then, when they are gone, other ranges' items from their back. Each
/// worker so runs mostly one block of consecutive items, the same block from one step to the
/// next when the steps' items follow the same rows (a layer's output rows, then the next layer's
/// rows that read them), so what a worker wrote is still in its own core's cache when it reads
/// it; a worker on a slower core still has its last items taken by whoever is free. Any worker
/// count may claim (a run given fewer workers than `workers` takes the other ranges by stealing).
public final class RangedWorkQueue: @unchecked Sendable {
    /// Per range: front (low 32 bits) and back (high 32 bits), the unclaimed items front..<back.
    private let ranges: UnsafeMutablePointer<Atomic<UInt64>>
    private let workers: Int
    public let count: Int

    public init(count: Int, workers: Int) {
        let count = min(max(count, 0), Int(UInt32.max)), workers = max(workers, 1)
        self.count = count
        self.workers = workers
        ranges = .allocate(capacity: workers)
        for w in 0..<workers {
            let lo = UInt64(count * w / workers), hi = UInt64(count * (w + 1) / workers)
            (ranges + w).initialize(to: Atomic<UInt64>(hi << 32 | lo))
        }
    }

    deinit {
        ranges.deinitialize(count: workers)
        ranges.deallocate()
    }

    /// The next item for `worker` (its own range first), or nil when every item has been taken.
    public func claim(worker: Int) -> Int? {
        let own = min(max(worker, 0), workers - 1)
        if let i = take(own, front: true) { return i }
        for k in 1..<max(workers, 1) {
            if let i = take((own + k) % workers, front: false) { return i }
        }
        return nil
    }

    private func take(_ r: Int, front: Bool) -> Int? {
        var current = ranges[r].load(ordering: .relaxed)
        while true {
            let lo = current & 0xffff_ffff, hi = current >> 32
            guard lo < hi else { return nil }
            let next = front ? hi << 32 | (lo + 1) : (hi - 1) << 32 | lo
            let (done, seen) = ranges[r].compareExchange(expected: current, desired: next, ordering: .relaxed)
            if done { return Int(front ? lo : hi - 1) }
            current = seen
        }
    }
}

/// Items finished so far, for workers that wait for others' items rather than for the others
/// themselves: unlike a barrier, the wait ends when the work is done, whoever did it, so a
/// run whose helper never came (StepTeam: the caller runs its part) does not wait for it.
public final class CompletionCounter: @unchecked Sendable {
    private let done = Atomic<Int>(0)
    public init() {}
    /// Counts `n` finished items; their writes are visible to whoever then sees the count.
    public func add(_ n: Int = 1) { done.wrappingAdd(n, ordering: .releasing) }
    /// Returns once `total` items have been counted: spins, then yields (as StepTeam's barrier).
    public func wait(for total: Int) {
        var spins = 0
        while done.load(ordering: .acquiring) < total {
            spins &+= 1
            if spins > 50_000 { sched_yield() }
        }
    }
}
