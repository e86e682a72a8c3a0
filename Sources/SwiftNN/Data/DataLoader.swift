// Mini-batches over (inputs, targets) tensors, optionally shuffled per epoch by a Fisher-Yates
// shuffle driven by Philox (Random.swift), so a seed gives the same order in Swift, C, Python.
//
//   epoch e of N samples: perm = [0, 1, ..., N-1]; for k = 0 ..< N-1:
//     i = N-1-k; (x0, x1, _, _) = philox4x32(block: e*(N-1) + k mod 2^64, key: seed)
//     r = x0 | x1 << 32; j = (r * (i+1)) >> 64 (high word of the 128-bit product)
//     swap perm[i], perm[j]
//   batch b holds samples perm[b*B ..< min((b+1)*B, N)]; the short last batch is dropped
//   when dropLast. Without shuffle, perm is the identity every epoch.
// That is a single Philox stream keyed by the seed, consumed one block per swap, epoch after
// epoch; any epoch's order can be computed directly.

/// Batches of `inputs` and `targets` (same leading dimension N), with `next()` giving copies.
/// Safe to share between threads (a lock guards the cursor); batches are new tensors.
public final class DataLoader: @unchecked Sendable {
    public let inputs: Tensor
    public let targets: Tensor
    public let batchSize: Int
    public let shuffle: Bool
    public let seed: UInt64
    public let dropLast: Bool
    /// N, the number of samples.
    public let sampleCount: Int
    private let lock = Lock()
    private var order: [Int]
    private var currentEpoch: UInt64 = 0
    private var cursor = 0
    private var ended = false
    /// Set by `shard`: this loader then visits only its rank's share of each epoch.
    private var shardOf: (replicas: Int, rank: Int)?

    public init(inputs: Tensor, targets: Tensor, batchSize: Int, shuffle: Bool = false, seed: UInt64 = 0,
                dropLast: Bool = false) throws {
        let fn = "DataLoader"
        guard inputs.rank >= 1, targets.rank >= 1 else {
            throw SNNError.shape("\(fn): inputs \(fmt(inputs.shape)) and targets \(fmt(targets.shape)) need a leading sample dimension (rank >= 1)")
        }
        guard inputs.shape[0] == targets.shape[0] else {
            throw SNNError.shape("\(fn): inputs have \(inputs.shape[0]) samples (shape \(fmt(inputs.shape))) but targets have \(targets.shape[0]) (shape \(fmt(targets.shape)))")
        }
        guard batchSize >= 1 else { throw SNNError.invalid("\(fn): batch size \(batchSize), expected >= 1") }
        self.inputs = inputs
        self.targets = targets
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.seed = seed
        self.dropLast = dropLast
        sampleCount = inputs.shape[0]
        order = DataLoader.order(count: sampleCount, shuffle: shuffle, seed: seed, epoch: 0)
    }

    /// Batches per epoch: ceil(N / batchSize), or floor when dropLast.
    public var count: Int {
        let n = samplesPerEpoch
        // No `N + B - 1`: B may be as large as Int.max.
        return n / batchSize + (!dropLast && n % batchSize != 0 ? 1 : 0)
    }

    /// N, or this rank's share of it once sharded (ceil(N / replicas), as DistributedSampler).
    public var samplesPerEpoch: Int {
        guard let s = lock.withLock({ shardOf }) else { return sampleCount }
        return (sampleCount + s.replicas - 1) / s.replicas
    }

    /// From now on each epoch visits only rank `rank`'s share of the samples, in
    /// DistributedSampler's order for this loader's seed and the epoch (shuffled only when
    /// `shuffle`); the batch size stays per rank. Restarts at the current epoch's start.
    public func shard(replicas: Int, rank: Int) throws {
        let fn = "DataLoader.shard"
        _ = try DistributedSampler.indices(count: 0, numReplicas: replicas, rank: rank, fn)
        guard sampleCount < Int(UInt32.max / 20) else {
            throw SNNError.invalid("\(fn): \(sampleCount) samples, DistributedSampler's order is defined below \(UInt32.max / 20)")
        }
        lock.withLock { shardOf = (replicas, rank) }
        setEpoch(epoch)
    }

    /// The sample order of epoch `e`: the loader's own shuffle, or this rank's sampler share.
    private func epochOrder(_ e: UInt64) -> [Int] {
        if let s = shardOf {
            return (try? DistributedSampler.indices(count: sampleCount, numReplicas: s.replicas, rank: s.rank, shuffle: shuffle,
                                                    seed: seed, epoch: Int(truncatingIfNeeded: e))) ?? []
        }
        return DataLoader.order(count: sampleCount, shuffle: shuffle, seed: seed, epoch: e)
    }

    /// The epoch whose batches `next()` returns (or just finished returning).
    public var epoch: UInt64 { lock.withLock { currentEpoch } }

    /// The sample order of epoch `epoch` (the documented rule above).
    public static func order(count n: Int, shuffle: Bool, seed: UInt64, epoch: UInt64) -> [Int] {
        var perm = Array(0..<max(n, 0))
        guard shuffle, n > 1 else { return perm }
        let base = epoch &* UInt64(n - 1)
        perm.withUnsafeMutableBufferPointer { p in
            for k in 0..<(n - 1) {
                let i = n - 1 - k
                let (x0, x1, _, _) = philox4x32(base &+ UInt64(k), seed)
                let r = UInt64(x0) | UInt64(x1) << 32
                let j = Int(UInt64(i + 1).multipliedFullWidth(by: r).high)
                p.swapAt(i, j)
            }
        }
        return perm
    }

    /// The next batch (inputs, targets), or nil at the end of an epoch; the call after a nil
    /// starts the next epoch (reshuffled when `shuffle`).
    public func next() throws -> (inputs: Tensor, targets: Tensor)? {
        let indices: ArraySlice<Int>? = lock.withLock {
            if ended {
                ended = false
                currentEpoch &+= 1
                cursor = 0
                order = epochOrder(currentEpoch)
            }
            let n = order.count
            guard cursor < n / batchSize + (!dropLast && n % batchSize != 0 ? 1 : 0) else {
                ended = true
                return nil
            }
            let start = cursor * batchSize  // < N, since cursor < count
            cursor += 1
            return order[start..<(start + min(batchSize, order.count - start))]
        }
        guard let indices else { return nil }
        return (try gather(inputs, indices), try gather(targets, indices))
    }

    /// Back to the start of epoch 0, as just after creation.
    public func reset() { setEpoch(0) }

    /// Starts epoch `e` from its first batch (as DistributedSampler.set_epoch).
    public func setEpoch(_ e: UInt64) {
        lock.withLock {
            currentEpoch = e
            cursor = 0
            ended = false
            order = epochOrder(e)
        }
    }

    /// Rows `indices` of `t` (indices are in 0..<N by construction) as a new tensor.
    private func gather(_ t: Tensor, _ indices: ArraySlice<Int>) throws -> Tensor {
        let rowBytes = (t.count / max(sampleCount, 1)) * t.dtype.byteSize
        var shape = t.shape
        shape[0] = indices.count
        let out = try Tensor(empty: shape, dtype: t.dtype, zeroed: false, "DataLoader.next")
        guard rowBytes > 0 else { return out }
        let src = t.elements
        var dst = out.storage.raw
        for i in indices where i >= 0 && i < sampleCount {
            dst.copyMemory(from: src + i * rowBytes, byteCount: rowBytes)
            dst += rowBytes
        }
        return out
    }
}
