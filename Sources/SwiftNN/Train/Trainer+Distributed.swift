// What the Trainer does differently under data parallelism: decisions every rank must share
// (stop at a report or a time budget) are agreed by a collective, reports show the global
// throughput and the ranks' mean loss, and only rank 0 writes checkpoints.
#if canImport(Glibc)
import Glibc
#endif

extension Trainer {
    /// Ranks training together (1 without data parallelism).
    var worldSize: Int { dataParallel?.group.size ?? 1 }

    /// Fills the loss with the mean over ranks and runs `progress` on rank 0; every rank
    /// learns whether it asked to stop. Without data parallelism: just `progress`.
    func report(_ p: inout TrainProgress, _ progress: ((TrainProgress) -> Bool)?) throws -> Bool {
        guard let dp = dataParallel, dp.group.size > 1 else { return progress?(p) ?? true }
        let loss = try Tensor(empty: [1], dtype: .float64, zeroed: false, name)
        loss.doubles[0] = p.loss
        try dp.group.allreduce(loss, op: .mean, name)
        p.loss = loss.doubles[0]
        let stop = try Tensor(empty: [1], dtype: .int64, zeroed: true, name)
        if dp.group.rank == 0, let progress, !progress(p) { stop.int64s[0] = 1 }
        try dp.group.broadcast(stop, root: 0, name)
        return stop.int64s[0] == 0
    }

    /// True on every rank when it is true on any (a time budget ends all ranks at one step).
    func allRanks(_ local: Bool) throws -> Bool {
        guard let dp = dataParallel, dp.group.size > 1 else { return local }
        let flag = try Tensor(empty: [1], dtype: .int64, zeroed: true, name)
        flag.int64s[0] = local ? 1 : 0
        try dp.group.allreduce(flag, op: .sum, name)
        return flag.int64s[0] > 0
    }

    /// Writes the model to `path` atomically (a temporary file renamed over it, so a crash
    /// mid-write never leaves a torn checkpoint); under data parallelism only rank 0 writes.
    func saveCheckpoint(_ path: String) throws {
        if let dp = dataParallel, dp.group.rank != 0 { return }
        let tmp = path + ".tmp"
        try Checkpoint.save(model, to: tmp)
        guard rename(tmp, path) == 0 else {
            throw SNNError(.io, "\(name): could not move the checkpoint \(tmp) to \(path) (errno \(errno))")
        }
    }
}
