// Collectives on tensors (torch.distributed's all_reduce, broadcast, all_gather, barrier).
// Each runs on the comm thread over a buffer the job owns, so a caller that gives up at the
// deadline never leaves MPI writing into memory it has freed.

extension ProcessGroup {
    /// Sums (or averages) `t` over the ranks, in place: float32, float64, or int64 with .sum.
    public func allreduce(_ t: Tensor, op: ReduceOp = .sum, _ fn: String = "snn_dist_allreduce") throws {
        guard t.dtype == .float32 || t.dtype == .float64 || (t.dtype == .int64 && op == .sum) else {
            throw SNNError.dtype("\(fn): tensor has dtype \(t.dtype.name), expected float32 or float64 (or int64 with SUM)")
        }
        guard size > 1 else { return }  // one rank: the sum and the mean are the tensor itself
        let buf = try t.packed(fn, always: true)
        let n = buf.count
        let raw = buf.storage.raw
        let width = t.dtype.byteSize
        try run("MPI_Allreduce of \(n) \(t.dtype.name) elements", fn) { [self] mpi in
            _ = buf  // the job holds the buffer until MPI is done with it
            guard let type = datatype(t.dtype, mpi) else { return }
            for c in ProcessGroup.chunks(n) {
                try mpi.allreducePolling(raw + c.start * width, Int32(c.count), type, mpi.opSum, fn)
            }
        }
        if op == .mean {
            let k = size
            try buf.mutate(fn) { p in
                if t.dtype == .float64 {
                    let d = p.assumingMemoryBound(to: Double.self)
                    for i in 0..<n { d[i] /= Double(k) }
                } else {
                    let f = p.assumingMemoryBound(to: Float.self)
                    for i in 0..<n { f[i] /= Float(k) }
                }
            }
        }
        t.writeElements(from: buf)
    }

    /// Copies rank `root`'s `t` into every rank's `t`. The ranks' dtypes and shapes are checked
    /// against the root's first, so a mismatch is an error on every rank, not a hang.
    public func broadcast(_ t: Tensor, root: Int = 0, _ fn: String = "snn_dist_broadcast") throws {
        guard root >= 0, root < size else { throw SNNError.range("\(fn): root \(root) out of range for a group of \(size) ranks") }
        guard size > 1 else { return }
        try agree(with: root, describe(t), what: "tensor", fn)
        let buf = try t.packed(fn, always: true)
        let bytes = buf.count * t.dtype.byteSize
        let raw = buf.storage.raw
        try run("MPI_Bcast of \(bytes) bytes from rank \(root)", fn) { mpi in
            _ = buf
            for c in ProcessGroup.chunks(bytes) {
                try mpi.check(mpi.bcast(raw + c.start, Int32(c.count), mpi.byte, Int32(root), mpi.commWorld), fn, "MPI_Bcast")
            }
        }
        if rank != root { t.writeElements(from: buf) }
    }

    /// Every rank's `t` stacked along a new first dimension: [size, *t.shape] (the tensors
    /// must agree in dtype and shape across ranks).
    public func allgather(_ t: Tensor, _ fn: String = "snn_dist_allgather") throws -> Tensor {
        let out = try Tensor(empty: [size] + t.shape, dtype: t.dtype, zeroed: false, fn)
        let src = try t.packed(fn, always: true)
        let bytes = src.count * t.dtype.byteSize
        if size == 1 {
            if bytes > 0 { out.storage.raw.copyMemory(from: src.storage.raw, byteCount: bytes) }
            return out
        }
        try agree(with: 0, describe(t), what: "tensor", fn)
        guard bytes <= Int(Int32.max) else {
            throw SNNError.range("\(fn): \(bytes) bytes per rank, at most \(Int32.max) supported")
        }
        let s = src.storage.raw, d = out.storage.raw
        try run("MPI_Allgather of \(bytes) bytes per rank", fn) { mpi in
            _ = (src, out)
            try mpi.check(mpi.allgather(s, Int32(bytes), mpi.byte, d, Int32(bytes), mpi.byte, mpi.commWorld), fn, "MPI_Allgather")
        }
        return out
    }

    /// Returns once every rank has called it (or throws at the timeout).
    public func barrier(_ fn: String = "snn_dist_barrier") throws {
        guard size > 1 else { return }
        try run("MPI_Barrier", fn) { mpi in try mpi.check(mpi.barrier(mpi.commWorld), fn, "MPI_Barrier") }
    }

    /// [dtype code, rank, shape...] of a tensor, for `agree`.
    func describe(_ t: Tensor) -> [Int64] {
        [Int64(DType.allCases.firstIndex(of: t.dtype) ?? -1), Int64(t.rank)] + t.shape.map { Int64($0) }
    }

    /// Checks that every rank's `values` equal rank `root`'s, on every rank: the root's array is
    /// broadcast, each rank compares, and a MAX-allreduce of the mismatch flags tells all of
    /// them. Throws on every rank when any rank differs (the differing rank says how). Returns
    /// the root's values.
    @discardableResult
    func agree(with root: Int, _ values: [Int64], what: String, _ fn: String,
               explain: (([Int64]) -> String)? = nil) throws -> [Int64] {
        guard size > 1 else { return values }
        // length first, so ranks with different lengths do not broadcast different counts
        let len = LockedBox<[Int64]>([Int64(values.count)])
        try run("MPI_Bcast of the \(what) description", fn) { mpi in
            try len.with { try mpi.check(mpi.bcast(&$0, 1, mpi.int64, Int32(root), mpi.commWorld), fn, "MPI_Bcast") }
        }
        let rootLen = Int(len.value[0])
        guard rootLen >= 0, rootLen <= 1 << 24 else { throw SNNError(.io, "\(fn): rank \(root) sent a description of \(rootLen) values") }
        let body = LockedBox<[Int64]>(rank == root ? values : [Int64](repeating: 0, count: rootLen))
        if rootLen > 0 {
            try run("MPI_Bcast of the \(what) description", fn) { mpi in
                try body.with { try mpi.check(mpi.bcast(&$0, Int32(rootLen), mpi.int64, Int32(root), mpi.commWorld), fn, "MPI_Bcast") }
            }
        }
        let theirs = body.value
        let mismatch = theirs != values
        let flag = LockedBox<[Int64]>([mismatch ? Int64(rank + 1) : 0])
        try run("MPI_Allreduce of the \(what) check", fn) { mpi in
            try flag.with { try mpi.check(mpi.allreduce(MPILibrary.inPlace, &$0, 1, mpi.int64, mpi.opMax, mpi.commWorld), fn, "MPI_Allreduce") }
        }
        if mismatch {
            let detail = explain?(theirs) ?? "this rank's \(what) is \(describeText(values)) but rank \(root)'s is \(describeText(theirs))"
            throw SNNError.shape("\(fn): rank \(rank) of \(size): \(detail)")
        }
        if flag.value[0] != 0 {
            throw SNNError.shape("\(fn): rank \(rank) of \(size): rank \(flag.value[0] - 1)'s \(what) differs from rank \(root)'s (that rank's error names the difference)")
        }
        return theirs
    }

    private func describeText(_ v: [Int64]) -> String {
        guard v.count >= 2, v[0] >= 0, Int(v[0]) < DType.allCases.count else { return "\(v)" }
        return "\(DType.allCases[Int(v[0])].name) \(fmt(v.dropFirst(2).map { Int($0) }))"
    }
}

/// A value the comm thread writes while the caller waits (the caller reads it only after the
/// job finished; the lock makes that ordering explicit to the compiler).
final class LockedBox<T>: @unchecked Sendable {
    private let lock = Lock()
    private var stored: T
    init(_ v: T) { stored = v }
    var value: T { lock.withLock { stored } }
    func with<R>(_ body: (inout T) throws -> R) rethrows -> R { try lock.withLock { try body(&stored) } }
}
