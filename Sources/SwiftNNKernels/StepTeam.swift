// A team of persistent worker threads for loops of short dependent steps (a recurrent layer's
// time steps): one closure runs on every worker, which split each step's columns and meet at a
// spinning barrier once per step (~1 us), instead of paying a thread dispatch per step.
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public final class StepTeam: @unchecked Sendable {
    /// The process-wide team; its helpers start on first use.
    public static let shared: StepTeam = {
        let team = StepTeam()
        // A forked child (a data-loader worker, say) has none of the helper threads: without
        // this its first run would wait for them forever.
        pthread_atfork(nil, nil) { StepTeam.shared.forgetHelpersAfterFork() }
        return team
    }()

    /// What a worker's body sees: its index, the team size, and the barrier.
    public struct Context {
        public let worker: Int
        public let workers: Int
        let team: StepTeam

        /// Waits until every worker of the current run has reached this barrier. A lone
        /// worker (also one running beside another thread's run) must not touch the shared
        /// barrier state.
        public func barrier() {
            guard workers > 1 else { return }
            team.barrier(workers)
            team.mark[worker] = monotonicSeconds()  // balanced work is timed from here
        }

        /// This worker's part of `total` independent work items split in proportion to how fast
        /// each worker got through its part of earlier runs (whole multiples of `granule`,
        /// except the last worker's; every worker gets at least one granule if there are
        /// enough). Every worker of a run computes the same split: the speeds change only
        /// between runs. Callers must not let results depend on the split.
        public func balancedShare(of total: Int, granule: Int) -> Range<Int> {
            guard workers > 1 else { return 0..<total }
            let r = team.balancedBounds(total, granule: max(granule, 1), workers: workers, worker: worker)
            team.work[worker] = r.count
            return r
        }
    }

    private let maxHelpers = 15
    private let runLock: UnsafeMutablePointer<pthread_mutex_t>
    private let wakeLock: UnsafeMutablePointer<pthread_mutex_t>
    private let wake: UnsafeMutablePointer<pthread_cond_t>
    private var helpers = 0
    // Job state, written under wakeLock before a run's helpers are woken.
    private var job: ((Context) -> Void)?
    private var jobWorkers = 0
    private var jobNumber = 0
    /// Per worker slot, the last job whose part was claimed (under wakeLock) by the helper of
    /// that index or by the caller, whichever came first: see `run`.
    private let claimedJob: UnsafeMutablePointer<Int>
    private let helpersPaused = Atomic<Bool>(false)
    private let remaining = Atomic<Int>(0)
    /// jobNumber, readable without the lock: idle helpers spin on it for `idleSpins` before
    /// sleeping, so back-to-back runs (a network's layers) do not each pay a futex wake-up.
    private let posted = Atomic<Int>(0)
    private let idleSpinLimit = Atomic<Int>(0)

    /// Spins (about 1 ns each) an idle helper waits for the next job before sleeping on the
    /// condition variable, whose wake-up costs tens of microseconds on a virtual machine. 0 (the
    /// default) while another pool (OpenBLAS's) may need the cores between runs; the engine
    /// raises it when the team also runs its matrix products.
    public var idleSpins: Int {
        get { idleSpinLimit.load(ordering: .relaxed) }
        set { idleSpinLimit.store(max(0, newValue), ordering: .relaxed) }
    }
    private let arrived = Atomic<Int>(0)
    private let generation = Atomic<Int>(0)

    // Balancing (see balancedShare): per worker slot, the relative speed learned from past runs
    // (written only by `run` between runs), and the work items and seconds of the current run
    // (each worker writes its own slot).
    private let speed: UnsafeMutablePointer<Double>
    fileprivate let work: UnsafeMutablePointer<Int>
    private let seconds: UnsafeMutablePointer<Double>
    /// Per worker, when its timed part began: the job's posting, then the last barrier it left.
    fileprivate let mark: UnsafeMutablePointer<Double>

    /// A team of its own (tests; the engine uses `shared`). Its helpers, once started, live as
    /// long as the process.
    public init() {
        runLock = .allocate(capacity: 1)
        wakeLock = .allocate(capacity: 1)
        wake = .allocate(capacity: 1)
        pthread_mutex_init(runLock, nil)
        pthread_mutex_init(wakeLock, nil)
        pthread_cond_init(wake, nil)
        speed = .allocate(capacity: maxHelpers + 1)
        speed.initialize(repeating: 1, count: maxHelpers + 1)
        work = .allocate(capacity: maxHelpers + 1)
        work.initialize(repeating: 0, count: maxHelpers + 1)
        seconds = .allocate(capacity: maxHelpers + 1)
        seconds.initialize(repeating: 0, count: maxHelpers + 1)
        mark = .allocate(capacity: maxHelpers + 1)
        mark.initialize(repeating: 0, count: maxHelpers + 1)
        claimedJob = .allocate(capacity: maxHelpers + 1)
        claimedJob.initialize(repeating: 0, count: maxHelpers + 1)
    }

    /// In a fork's child, where only the forking thread exists: fresh locks, no helpers.
    private func forgetHelpersAfterFork() {
        pthread_mutex_init(runLock, nil)
        pthread_mutex_init(wakeLock, nil)
        pthread_cond_init(wake, nil)
        helpers = 0
        job = nil
        jobWorkers = 0
        jobNumber = 0
        claimedJob.update(repeating: 0, count: maxHelpers + 1)
        posted.store(0, ordering: .relaxed)
    }

    /// Runs `body` on up to `workers` workers (the calling thread is worker 0) and returns when
    /// all have finished. If another run is in progress on another thread, or `workers` <= 1,
    /// the body runs alone (workers == 1); the body must split its work by `context.workers`.
    public func run(workers requested: Int, _ body: @escaping (Context) -> Void) {
        let n = min(max(requested, 1), maxHelpers + 1)
        // The kernels' choice settles here, on the caller's thread, before workers read it.
        _ = PackedGemmKernels.useAVX512
        PackedGemmKernels.announceChoice()
        guard n > 1, pthread_mutex_trylock(runLock) == 0 else {
            body(Context(worker: 0, workers: 1, team: self))
            return
        }
        defer { pthread_mutex_unlock(runLock) }
        if helpers < n - 1 {
            let before = helpers
            while helpers < n - 1 {
                guard startHelper(index: helpers + 1) else {
                    Log.warning("could not start engine helper thread \(helpers + 1) (pthread_create failed): running with \(helpers + 1) worker(s)")
                    break
                }
                helpers += 1
            }
            if helpers > before {
                Log.info("engine thread pool: started \(helpers - before) helper thread(s), \(helpers + 1) workers in all")
            }
        }
        let count = min(n, helpers + 1)
        if count == 1 {
            body(Context(worker: 0, workers: 1, team: self))
            return
        }
        arrived.store(0, ordering: .relaxed)
        remaining.store(count - 1, ordering: .releasing)
        pthread_mutex_lock(wakeLock)
        job = body
        jobWorkers = count
        mark.update(repeating: monotonicSeconds(), count: count)
        jobNumber += 1
        posted.store(jobNumber, ordering: .releasing)
        pthread_cond_broadcast(wake)
        pthread_mutex_unlock(wakeLock)
        body(Context(worker: 0, workers: count, team: self))
        finished(worker: 0)
        // Parts no helper has claimed yet, the caller runs itself: a helper that has not
        // started by now is off its core (another process's turn, or the hypervisor's), and
        // waiting for it cost a DQN acting forward 1.5 ms instead of 0.2 under one competing
        // process. A part is claimed whole, before any of it runs, so each runs once; the
        // results do not depend on who runs it (the split's contract). A body with barriers
        // cannot get here before every part has passed them, so every part is then claimed.
        // The stolen part's time counts from the job's posting: the team learns to give that
        // slot less while its helper stays away.
        for w in 1..<count {
            pthread_mutex_lock(wakeLock)
            let mine = claimedJob[w] < jobNumber
            if mine { claimedJob[w] = jobNumber }
            pthread_mutex_unlock(wakeLock)
            guard mine else { continue }
            body(Context(worker: w, workers: count, team: self))
            finished(worker: w)
            remaining.wrappingSubtract(1, ordering: .releasing)
        }
        var spins = 0
        while remaining.load(ordering: .acquiring) > 0 { backOff(&spins) }
        pthread_mutex_lock(wakeLock)
        job = nil
        pthread_mutex_unlock(wakeLock)
        learnSpeeds(workers: count)
    }

    /// Keeps in the worker's slot the time from its mark to the end of its part: from the job's
    /// posting, or from the last barrier it passed. Not from the worker's own start: a helper
    /// that wakes late has had less of a run without barriers, and would look fast and be given
    /// more next time; and in a run that meets at a barrier before the balanced work (a
    /// recurrent layer's packing), the caller's wait there for a late helper would count
    /// against the caller (seen: on this VM a sleeping helper can take milliseconds to wake,
    /// and the caller was then given 12 of 32 rows, 3-4 ms slower than 16).
    @inline(__always)
    private func finished(worker: Int) {
        seconds[worker] = monotonicSeconds() - mark[worker]
    }

    /// After a run whose workers all took balanced shares: the speeds `nextSpeeds` gives.
    private func learnSpeeds(workers n: Int) {
        defer { work.update(repeating: 0, count: n) }
        guard (0..<n).allSatisfy({ work[$0] > 0 && seconds[$0] > 0 }) else { return }
        let next = Self.nextSpeeds(UnsafeBufferPointer(start: speed, count: n), work: UnsafeBufferPointer(start: work, count: n),
                                   seconds: UnsafeBufferPointer(start: seconds, count: n))
        for w in 0..<n { speed[w] = next[w] }
    }

    /// Each worker's speed (items per second, relative to the mean over the workers) moved
    /// halfway from `speeds` towards what a run measured (`work` items in `seconds`), clamped to
    /// [1/3, 3]. Halfway and the clamp keep one disturbed run (a preempted worker) from swinging
    /// the split far. Unchanged if any worker has no items or no time.
    public static func nextSpeeds(_ speeds: UnsafeBufferPointer<Double>, work: UnsafeBufferPointer<Int>,
                                  seconds: UnsafeBufferPointer<Double>) -> [Double] {
        let n = min(speeds.count, work.count, seconds.count)
        guard n > 0, (0..<n).allSatisfy({ work[$0] > 0 && seconds[$0] > 0 }) else { return Array(speeds) }
        var mean = 0.0
        for w in 0..<n { mean += Double(work[w]) / seconds[w] / Double(n) }
        return (0..<n).map { w -> Double in
            let measured: Double = Double(work[w]) / seconds[w] / mean
            let moved: Double = 0.5 * speeds[w] + 0.5 * measured
            return min(3, max(1.0 / 3, moved))
        }
    }

    /// Tests: while set, helpers take no new part (as if their cores were busy elsewhere), so
    /// the caller runs every part itself.
    public var helpersPausedForTesting: Bool {
        get { helpersPaused.load(ordering: .acquiring) }
        set { helpersPaused.store(newValue, ordering: .releasing) }
    }

    /// The speeds the next split will use, one per worker slot (tests).
    public var learnedSpeeds: [Double] {
        pthread_mutex_lock(runLock)
        defer { pthread_mutex_unlock(runLock) }
        return Array(UnsafeBufferPointer(start: speed, count: maxHelpers + 1))
    }

    /// Sets the learned speeds of the first `speeds.count` workers (tests: a lopsided split).
    public func setSpeeds(_ speeds: [Double]) {
        pthread_mutex_lock(runLock)
        defer { pthread_mutex_unlock(runLock) }
        for (w, v) in speeds.prefix(maxHelpers + 1).enumerated() { speed[w] = min(3, max(1.0 / 3, v)) }
    }

    fileprivate func balancedBounds(_ total: Int, granule: Int, workers n: Int, worker: Int) -> Range<Int> {
        Self.share(of: total, granule: granule, speeds: UnsafeBufferPointer(start: speed, count: n), worker: worker)
    }

    /// Worker `worker`'s part of `total` items split in proportion to `speeds` (one per worker,
    /// positive): consecutive ranges covering 0..<total, each boundary a multiple of `granule`
    /// (rounded to the nearest), every worker getting at least one granule when there are as
    /// many granules as workers.
    public static func share(of total: Int, granule: Int, speeds: UnsafeBufferPointer<Double>, worker: Int) -> Range<Int> {
        let n = speeds.count, total = max(total, 0), granule = max(granule, 1), granules = total / granule
        guard worker >= 0, worker < n else { return 0..<0 }
        var sum = 0.0
        for v in speeds { sum += v }
        // boundaries in granules, left to right: each at least one past the previous one and
        // leaving one for each worker after it (when there are enough)
        var before = 0.0, lower = 0, upper = 0
        for w in 0...worker {
            lower = upper
            before += speeds[w]
            if w == n - 1 { return lower * granule..<total }
            let g = (Double(total) * before / sum / Double(granule)).rounded()
            let lo = min(lower + 1, granules), hi = max(lo, granules - (n - 1 - w))
            upper = min(hi, max(lo, g.isFinite ? Int(g) : lo))
        }
        return lower * granule..<upper * granule
    }

    fileprivate func barrier(_ workers: Int) {
        let gen = generation.load(ordering: .acquiring)
        if arrived.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue == workers {
            arrived.store(0, ordering: .relaxed)
            generation.wrappingAdd(1, ordering: .releasing)
            return
        }
        var spins = 0
        while generation.load(ordering: .acquiring) == gen { backOff(&spins) }
    }

    /// Spins for about 50-100 us (a recurrent step's work is about 100 us), then yields the
    /// CPU: on a loaded machine the worker being waited for may not be running. Yielding
    /// sooner (after 4,000 spins, a few microseconds) made a 2-thread LSTM forward 35% slower
    /// on this project's 2-vCPU virtual machine (measured; a yield there seems to cost far more
    /// than on bare metal).
    @inline(__always)
    private func backOff(_ spins: inout Int) {
        spins &+= 1
        if spins > 50_000 { sched_yield() }
    }

    private func helperLoop(index: Int) {
        var seen = 0
        // Set when the caller ran this helper's part because the helper came late: its core is
        // shared (another process, the hypervisor), and spinning for the next job there would
        // take turns from the caller, which now does the work (measured with one competing
        // process on 2 cores: acting forwards of 12 ms instead of 0.2). It sleeps at once then,
        // and spins again after a part it took in time.
        var sleepNext = false
        while true {
            var spins = 0
            let limit = sleepNext ? 0 : idleSpins
            sleepNext = false
            while spins < limit && posted.load(ordering: .acquiring) == seen { spins &+= 1 }
            pthread_mutex_lock(wakeLock)
            while jobNumber == seen || job == nil || index >= jobWorkers {
                if jobNumber != seen && (job == nil || index >= jobWorkers) { seen = jobNumber }
                pthread_cond_wait(wake, wakeLock)
            }
            if helpersPaused.load(ordering: .acquiring) {  // tests: look again later
                pthread_mutex_unlock(wakeLock)
                usleep(100)
                continue
            }
            seen = jobNumber
            let body = job
            let workers = jobWorkers
            let mine = claimedJob[index] < jobNumber  // else the caller ran this part already
            if mine { claimedJob[index] = jobNumber }
            pthread_mutex_unlock(wakeLock)
            guard mine else {
                sleepNext = true
                continue
            }
            body?(Context(worker: index, workers: workers, team: self))
            finished(worker: index)
            remaining.wrappingSubtract(1, ordering: .releasing)
        }
    }

    private func startHelper(index: Int) -> Bool {
        let box = Unmanaged.passRetained(HelperStart(team: self, index: index)).toOpaque()
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        defer { pthread_attr_destroy(&attr) }
        pthread_attr_setdetachstate(&attr, Int32(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        let rc = pthread_create(&thread, &attr, { arg in
            guard let arg else { return nil }
            let start = Unmanaged<HelperStart>.fromOpaque(arg).takeRetainedValue()
            start.team.helperLoop(index: start.index)
            return nil
        }, box)
        if rc != 0 { Unmanaged<HelperStart>.fromOpaque(box).release() }
        return rc == 0
    }
}

/// Seconds on the monotonic clock.
@inline(__always)
private func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

private final class HelperStart {
    let team: StepTeam
    let index: Int
    init(team: StepTeam, index: Int) { self.team = team; self.index = index }
}
