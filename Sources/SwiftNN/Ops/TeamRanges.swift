// One pass over a large tensor split between the engine's threads: elementwise passes of the
// training path (ReLU6, batch norm) ran on one thread while the other waited.
import SwiftNNKernels

/// Runs body(lo, hi) over [0, count) in contiguous parts of whole multiples of `granule`, one
/// per worker, when there are at least `minimum` units of `work` (default: `count`) per worker
/// (below that a team run, about a microsecond, does not pay); else body(0, count) on the
/// calling thread. Callers' results must not depend on the split (elementwise work, per-channel
/// sums each computed whole by one worker).
func teamRanges(_ count: Int, granule: Int = 64, work: Int? = nil, minimum: Int = 1 << 16,
                _ body: @escaping (Int, Int) -> Void) {
    let workers = min(EngineThreads.count, (count + granule - 1) / max(granule, 1), (work ?? count) / max(minimum, 1))
    guard workers > 1 else { body(0, count); return }
    let g = max(granule, 1)
    StepTeam.shared.run(workers: workers) { ctx in
        // ctx.workers, not `workers`: a run beside another thread's gets one worker.
        let part = ((count + ctx.workers - 1) / ctx.workers + g - 1) / g * g
        let lo = min(count, ctx.worker * part), hi = min(count, lo + part)
        if lo < hi { body(lo, hi) }
    }
}
