// torch.utils.data.DistributedSampler's indices, bit for bit: torch.randperm(n) from a CPU
// generator seeded with seed + epoch (mt19937, Fisher-Yates with `random() % (n - i)`), padded
// by repeating its start to a multiple of the world size (or cut when dropLast), then every
// world-size-th index from `rank`. One rule, so C, Python and PyTorch agree.

/// The 32-bit Mersenne Twister as PyTorch's CPU generator runs it (at::mt19937 seeded with the
/// low 32 bits of the seed).
struct MT19937 {
    private var state = [UInt32](repeating: 0, count: 624)
    private var index = 624

    init(seed: UInt64) {
        state[0] = UInt32(truncatingIfNeeded: seed)
        for j in 1..<624 {
            state[j] = 1_812_433_253 &* (state[j - 1] ^ (state[j - 1] >> 30)) &+ UInt32(j)
        }
    }

    mutating func next() -> UInt32 {
        if index >= 624 { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    private mutating func twist() {
        for i in 0..<624 {
            let y = (state[i] & 0x8000_0000) | (state[(i + 1) % 624] & 0x7FFF_FFFF)
            state[i] = state[(i + 397) % 624] ^ (y >> 1) ^ ((y & 1) != 0 ? 0x9908_B0DF : 0)
        }
        index = 0
    }
}

public enum DistributedSampler {
    /// torch.randperm(n, generator=torch.Generator().manual_seed(seed)) for n < 2^32 / 20
    /// (PyTorch's "small n" path; larger datasets are refused by `indices`).
    public static func torchRandperm(_ n: Int, seed: UInt64) -> [Int] {
        var r = Array(0..<max(n, 0))
        guard n > 1 else { return r }
        var g = MT19937(seed: seed)
        for i in 0..<(n - 1) {
            let z = Int(UInt64(g.next()) % UInt64(n - i))
            r.swapAt(i, z + i)
        }
        return r
    }

    /// The indices rank `rank` of `numReplicas` visits in epoch `epoch` of a dataset of `n`
    /// samples (torch's DistributedSampler(dataset, num_replicas, rank, shuffle, seed,
    /// drop_last) after set_epoch(epoch)).
    public static func indices(count n: Int, numReplicas: Int, rank: Int, shuffle: Bool = true, seed: UInt64 = 0,
                               epoch: Int = 0, dropLast: Bool = false, _ fn: String = "DistributedSampler") throws -> [Int] {
        guard n >= 0, n < Int(UInt32.max / 20) else {
            throw SNNError.invalid("\(fn): dataset size \(n), expected 0 ..< \(UInt32.max / 20)")
        }
        guard numReplicas >= 1 else { throw SNNError.invalid("\(fn): num_replicas = \(numReplicas), expected >= 1") }
        guard rank >= 0, rank < numReplicas else {
            throw SNNError.invalid("\(fn): Invalid rank \(rank), rank should be in the interval [0, \(numReplicas - 1)]")
        }
        guard epoch >= 0 else { throw SNNError.invalid("\(fn): epoch = \(epoch), expected >= 0") }
        var idx = shuffle ? torchRandperm(n, seed: seed &+ UInt64(epoch)) : Array(0..<n)
        // torch: num_samples = ceil((n - R) / R) when drop_last cuts, else ceil(n / R)
        let perRank = dropLast && n % numReplicas != 0 ? (n >= numReplicas ? (n - 1) / numReplicas : 0)
                                                       : (n + numReplicas - 1) / numReplicas
        let total = perRank * numReplicas
        if total > idx.count {
            guard n > 0 else { return [] }
            var k = 0
            while idx.count < total { idx.append(idx[k % n]); k += 1 }  // torch repeats the start
        } else {
            idx = Array(idx.prefix(total))
        }
        return stride(from: rank, to: total, by: numReplicas).map { idx[$0] }
    }
}
