// Data-parallel training (PyTorch's DistributedDataParallel): parameters broadcast from rank 0
// at the start, gradients averaged across ranks in buckets whose allreduce starts, on the comm
// thread, as soon as backward has produced the bucket's last gradient, so communication
// overlaps the rest of backward.

/// Per-step timings of the last synchronised backward (Clock seconds), to measure overlap.
public struct DataParallelStepTrace: Sendable {
    /// When the first bucket's allreduce was queued and when `synchronize` began waiting.
    public var backwardEnd = 0.0
    /// One entry per bucket: queued, started and finished on the comm thread.
    public var buckets: [(queued: Double, started: Double, finished: Double, bytes: Int)] = []
    /// Seconds `synchronize` waited for allreduces after backward returned (not hidden).
    public var exposedWait = 0.0
    /// Seconds of allreduce that ran before backward returned (hidden behind backward).
    public var hidden: Double {
        buckets.reduce(0) { $0 + max(0, min($1.finished, backwardEnd) - $1.started) }
    }
    /// Total seconds the comm thread spent in this step's allreduces.
    public var allreduce: Double { buckets.reduce(0) { $0 + ($1.finished - $1.started) } }
}

public final class DataParallel: @unchecked Sendable {
    /// The wrapped module (nil when made from a list of tensors, as the Python binding does).
    public let module: Module?
    public let group: ProcessGroup
    /// Gradients are grouped into buckets of at most this many bytes (one parameter larger than
    /// that gets a bucket of its own). PyTorch's default: 25 MB.
    public let bucketCapBytes: Int
    /// False inside no_sync(): backward only accumulates local gradients.
    public var requireSync = true
    /// Sum each bucket in rank order instead of MPI's allreduce (DataParallel+Deterministic.swift):
    /// every rank and every run then get bit-for-bit the same averaged gradients.
    public let deterministic: Bool
    /// The last synchronised step's timings.
    public private(set) var lastTrace = DataParallelStepTrace()

    final class Bucket {
        let params: [Tensor]
        let offsets: [Int]
        let flat: Tensor       // float32 or float64, the bucket's gradients end to end
        var ready = 0
        var ticket: Ticket?
        var queuedAt = 0.0
        init(params: [Tensor], dtype: DType) throws {
            var o: [Int] = [], n = 0
            for p in params { o.append(n); n += p.count }
            self.params = params
            offsets = o
            flat = try Tensor(empty: [n], dtype: dtype, zeroed: true, "DistributedDataParallel")
        }
    }

    private var buckets: [Bucket] = []
    private var bucketOf: [ObjectIdentifier: Int] = [:]
    /// Buckets are launched in index order on every rank, so the ranks' MPI calls match even
    /// if gradients became ready in another order.
    private var nextLaunch = 0
    /// A synchronised backward is under way: its end runs `synchronize`.
    private var stepPending = false
    /// Names the caller in messages: the C function during construction, then
    /// "DistributedDataParallel" (later errors surface through backward).
    var fn: String

    /// Wraps `module`: its parameters and buffers (the state dict), as below. `syncBatchNorm`
    /// makes its BatchNorm layers SyncBatchNorm (statistics over all ranks' batches).
    public convenience init(_ module: Module, group: ProcessGroup, bucketCapMB: Double = 25, syncBatchNorm: Bool = false,
                            deterministic: Bool = false, _ fn: String = "DistributedDataParallel") throws {
        try self.init(tensors: module.stateDict(), group: group, bucketCapMB: bucketCapMB, module: module,
                      deterministic: deterministic, fn)
        if syncBatchNorm { DataParallel.setSyncBatchNorm(module, group) }
    }

    /// Sets (or, with nil, clears) the group of every BatchNorm layer in `module`: PyTorch's
    /// SyncBatchNorm.convert_sync_batchnorm.
    public static func setSyncBatchNorm(_ module: Module, _ group: ProcessGroup?) {
        module.visit { _, m in (m as? BatchNorm)?.processGroup = group }
    }

    /// Checks that every rank holds the same tensor names, shapes and dtypes (an error naming
    /// the first difference, on every rank), copies rank 0's tensors to all ranks, and hooks
    /// the ones that require grad: their gradients are averaged after each backward.
    public init(tensors named: [(name: String, tensor: Tensor)], group: ProcessGroup, bucketCapMB: Double = 25,
                module: Module? = nil, deterministic: Bool = false, _ fn: String = "DistributedDataParallel") throws {
        guard bucketCapMB > 0, bucketCapMB.isFinite, bucketCapMB <= 1_048_576 else {
            throw SNNError.invalid("\(fn): bucket_cap_mb = \(bucketCapMB), expected a positive size in MB")
        }
        self.module = module
        self.group = group
        self.deterministic = deterministic
        self.fn = fn
        bucketCapBytes = max(1, Int(bucketCapMB * 1024 * 1024))
        var seen = Set<ObjectIdentifier>()
        let trainable = named.filter { $0.tensor.requiresGrad && seen.insert(ObjectIdentifier($0.tensor)).inserted }
        for (name, t) in trainable where t.dtype != .float32 && t.dtype != .float64 {
            throw SNNError.dtype("\(fn): parameter '\(name)' has dtype \(t.dtype.name); only float32 and float64 parameters can be averaged")
        }
        try checkSameModel(named)
        // rank 0's weights everywhere (buffers too: BatchNorm's running statistics)
        try broadcastCoalesced(named.map(\.tensor))
        // buckets in reverse registration order: backward reaches the last layers first
        var current: [Tensor] = [], bytes = 0
        func close() throws {
            guard let first = current.first else { return }
            buckets.append(try Bucket(params: current, dtype: first.dtype))
            current = []; bytes = 0
        }
        for (_, t) in trainable.reversed() {
            let b = t.count * t.dtype.byteSize
            if !current.isEmpty && (bytes + b > bucketCapBytes || current[0].dtype != t.dtype) { try close() }
            current.append(t)
            bytes += b
        }
        try close()
        self.fn = "DistributedDataParallel"
        for (i, b) in buckets.enumerated() {
            for p in b.params {
                bucketOf[ObjectIdentifier(p)] = i
                p.postAccumulateGradHooks.append { [weak self] t in try self?.gradientReady(t) }
            }
        }
    }

    deinit {
        for b in buckets { for p in b.params { p.postAccumulateGradHooks.removeAll() } }
    }

    /// Number of buckets and their sizes in bytes (for tests and tuning).
    public var bucketSizes: [Int] { buckets.map { $0.flat.count * $0.flat.dtype.byteSize } }

    // MARK: - start: the same model everywhere

    private func checkSameModel(_ named: [(name: String, tensor: Tensor)]) throws {
        // one number list: per parameter its name's hash, dtype, rank, shape, trainable flag
        var sig: [Int64] = [Int64(named.count)]
        for (name, t) in named {
            sig.append(Int64(bitPattern: fnv1a(name)))
            sig += group.describe(t)
            sig.append(t.requiresGrad ? 1 : 0)
        }
        try group.agree(with: 0, sig, what: "model", fn) { theirs in
            self.explainMismatch(named, theirs)
        }
    }

    /// Names the first parameter that differs from rank 0's signature.
    private func explainMismatch(_ named: [(name: String, tensor: Tensor)], _ theirs: [Int64]) -> String {
        var i = 1
        let count = theirs.first.map(Int.init) ?? -1
        for (k, (name, t)) in named.enumerated() {
            guard k < count, i < theirs.count else { break }
            let hash = theirs[i]
            guard i + 2 < theirs.count else { break }
            let rank0Rank = Int(theirs[i + 2])
            guard rank0Rank >= 0, i + 3 + rank0Rank < theirs.count else { break }
            let shape0 = theirs[(i + 3)..<(i + 3 + rank0Rank)].map { Int($0) }
            if hash != Int64(bitPattern: fnv1a(name)) {
                return "parameter \(k) is '\(name)' on this rank but has another name on rank 0: the models differ"
            }
            if shape0 != t.shape || theirs[i + 1] != group.describe(t)[0] {
                return "parameter '\(name)' has shape \(fmt(t.shape)) \(t.dtype.name) on this rank but \(fmt(shape0)) on rank 0: the models differ"
            }
            i += 4 + rank0Rank
        }
        return "the model has \(named.count) parameters and buffers on this rank but \(count) on rank 0: the models differ"
    }

    /// Broadcasts `tensors` from rank 0, packed into flat buffers of up to bucketCapBytes.
    private func broadcastCoalesced(_ tensors: [Tensor]) throws {
        guard group.size > 1 else { return }
        var batch: [Tensor] = [], bytes = 0
        func flush() throws {
            guard !batch.isEmpty else { return }
            let total = batch.reduce(0) { $0 + $1.count * $1.dtype.byteSize }
            let flat = try Tensor(empty: [total], dtype: .uint8, zeroed: false, fn)
            var at = 0
            for t in batch {
                let n = t.count * t.dtype.byteSize
                if n > 0 { (flat.storage.raw + at).copyMemory(from: t.elements, byteCount: n) }
                at += n
            }
            let raw = flat.storage.raw
            let fn = self.fn
            try group.run("MPI_Bcast of \(total) bytes of parameters from rank 0", fn) { mpi in
                _ = flat
                for c in ProcessGroup.chunks(total) {
                    try mpi.check(mpi.bcast(raw + c.start, Int32(c.count), mpi.byte, 0, mpi.commWorld), fn, "MPI_Bcast")
                }
            }
            if group.rank != 0 {
                at = 0
                for t in batch {
                    let n = t.count * t.dtype.byteSize
                    if n > 0 { try t.mutate(fn) { $0.copyMemory(from: raw + at, byteCount: n) } }
                    at += n
                }
            }
            batch = []; bytes = 0
        }
        for t in tensors {
            let b = t.count * t.dtype.byteSize
            if !batch.isEmpty && bytes + b > bucketCapBytes { try flush() }
            batch.append(t); bytes += b
        }
        try flush()
    }

    // MARK: - backward: buckets launched as their gradients arrive

    private func gradientReady(_ p: Tensor) throws {
        guard requireSync, group.size > 1, let i = bucketOf[ObjectIdentifier(p)] else { return }
        if !stepPending {
            stepPending = true
            // averaged gradients are there when backward returns, as with PyTorch's DDP
            _ = BackwardCallbacks.queue { [weak self] in try self?.synchronize() }
        }
        buckets[i].ready += 1
        try launchReady()
    }

    /// Launches, in index order, every bucket whose gradients are all there.
    private func launchReady(force: Bool = false) throws {
        while nextLaunch < buckets.count {
            let b = buckets[nextLaunch]
            guard force || b.ready >= b.params.count else { return }
            try launch(b)
            nextLaunch += 1
        }
    }

    /// Copies the bucket's gradients, pre-divided by the world size (so the sum is the mean,
    /// as DDP does), into its flat buffer and queues the allreduce.
    private func launch(_ b: Bucket) throws {
        let scale = 1.0 / Double(group.size)
        let isDouble = b.flat.dtype == .float64
        let base = b.flat.storage.raw
        for (p, o) in zip(b.params, b.offsets) {
            let n = p.count
            guard let g = p.grad else {  // unused in this step: contributes zeros
                base.advanced(by: o * b.flat.dtype.byteSize).initializeMemory(as: UInt8.self, repeating: 0, count: n * b.flat.dtype.byteSize)
                continue
            }
            if isDouble {
                let d = base.assumingMemoryBound(to: Double.self) + o, s = g.doubles
                for k in 0..<n { d[k] = s[k] * scale }
            } else {
                let d = base.assumingMemoryBound(to: Float.self) + o, s = g.floats, f = Float(scale)
                for k in 0..<n { d[k] = s[k] * f }
            }
        }
        let count = b.flat.count
        let flat = b.flat
        let fn = self.fn
        b.queuedAt = Clock.now()
        if deterministic {
            b.ticket = try startOrderedSum(flat, ranks: group.size)
            return
        }
        b.ticket = try group.start("MPI_Allreduce of a \(count * flat.dtype.byteSize)-byte gradient bucket", fn) { mpi in
            let type = isDouble ? mpi.float64 : mpi.float32
            for c in ProcessGroup.chunks(count) {
                try mpi.allreducePolling(flat.storage.raw + c.start * flat.dtype.byteSize, Int32(c.count), type, mpi.opSum, fn)
            }
        }
    }

    /// After backward: launches buckets whose parameters got no gradient this step, waits for
    /// every allreduce (at most the group's timeout) and writes the averaged gradients back.
    /// Runs by itself when backward ends (queued by the first gradient hook); calling it again
    /// is a no-op, as it is when no synchronised backward is pending (no_sync, one rank).
    public func synchronize() throws {
        guard stepPending else { return }
        defer { for b in buckets { b.ready = 0; b.ticket = nil }; nextLaunch = 0; stepPending = false }
        guard group.size > 1 else { return }
        var trace = DataParallelStepTrace()
        trace.backwardEnd = Clock.now()
        try launchReady(force: true)
        for b in buckets { try group.finish(b.ticket, fn) }
        trace.exposedWait = Clock.now() - trace.backwardEnd
        for b in buckets {
            if let t = b.ticket { trace.buckets.append((b.queuedAt, t.started, t.finished, b.flat.count * b.flat.dtype.byteSize)) }
            let base = b.flat.storage.raw
            for (p, o) in zip(b.params, b.offsets) {
                let bytes = p.count * p.dtype.byteSize
                if p.grad == nil { p.grad = try Tensor(empty: p.shape, dtype: p.dtype, zeroed: false, fn) }
                guard let g = p.grad else { continue }
                try g.mutate(fn) { $0.copyMemory(from: base + o * p.dtype.byteSize, byteCount: bytes) }
            }
        }
        lastTrace = trace
    }

    /// Runs `body` (forward and backward passes) without averaging: gradients accumulate
    /// locally and are averaged by the first synchronised backward after it.
    public func noSync<T>(_ body: () throws -> T) rethrows -> T {
        let was = requireSync
        requireSync = false
        defer { requireSync = was }
        return try body()
    }
}

/// FNV-1a of a string's UTF-8 bytes (parameter names in the model signature).
func fnv1a(_ s: String) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
    return h
}
