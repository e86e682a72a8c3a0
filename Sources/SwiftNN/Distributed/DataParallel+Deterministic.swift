// The deterministic reduction order of DataParallel: instead of MPI_Allreduce, whose summation
// order depends on Open MPI's algorithm choice (message size, rank count, transport) and may
// even differ between ranks, every rank gathers all ranks' bucket and adds them in rank order.

extension DataParallel {
    /// Queues, for a bucket `flat` that already holds this rank's gradients divided by the
    /// world size, an MPI_Allgather of every rank's copy and then, on the comm thread,
    /// flat = ((g_0 + g_1) + g_2) + ... in rank order, element by element. Every rank does the
    /// same additions on the same numbers, so all ranks and all runs get the same bits, and
    /// the result equals one process that adds the ranks' pre-divided gradients in that order.
    /// Costs (ranks - 1) x the bucket in extra traffic and ranks x the bucket in memory.
    func startOrderedSum(_ flat: Tensor, ranks: Int) throws -> Ticket? {
        let count = flat.count, size = flat.dtype.byteSize
        let isDouble = flat.dtype == .float64
        let gathered = try Tensor(empty: [ranks * count], dtype: flat.dtype, zeroed: false, fn)
        let fn = self.fn
        return try group.start("MPI_Allgather of a \(count * size)-byte gradient bucket (deterministic order)", fn) { mpi in
            let type = isDouble ? mpi.float64 : mpi.float32
            let src = flat.storage.raw, dst = gathered.storage.raw
            for c in ProcessGroup.chunks(count) {
                // this chunk's [ranks][c.count] block sits at ranks * c.start
                let block = dst + ranks * c.start * size
                try mpi.check(mpi.allgather(src + c.start * size, Int32(c.count), type, block, Int32(c.count), type,
                                            mpi.commWorld), fn, "MPI_Allgather")
                if isDouble {
                    sumInRankOrder(block.assumingMemoryBound(to: Double.self), into: (src + c.start * size).assumingMemoryBound(to: Double.self), ranks, c.count)
                } else {
                    sumInRankOrder(block.assumingMemoryBound(to: Float.self), into: (src + c.start * size).assumingMemoryBound(to: Float.self), ranks, c.count)
                }
            }
        }
    }
}

/// out[k] = ((g[0][k] + g[1][k]) + g[2][k]) + ..., g laid out [ranks][n].
@inline(__always)
private func sumInRankOrder<T: BinaryFloatingPoint>(_ g: UnsafeMutablePointer<T>, into out: UnsafeMutablePointer<T>, _ ranks: Int, _ n: Int) {
    for k in 0..<n { out[k] = g[k] }
    for r in 1..<max(ranks, 1) {
        let row = g + r * n
        for k in 0..<n { out[k] += row[k] }
    }
}
