// Counter-based random numbers (Philox4x32-10, Salmon et al. 2011), so a seed gives the same
// tensor in Swift, C and Python, on any thread count: element i depends only on (seed, i).
//
//   key     = (seed & 0xffffffff, seed >> 32)
//   counter = (block & 0xffffffff, block >> 32, 0, 0) -> four 32-bit words x0..x3
//   uniform element i: block = offset + i / 4, word i % 4, value (x >> 8) * 2^-24 in [0, 1)
//   normal  element i: block = offset + i, u1 = (x0 + 1) / 2^32, u2 = x1 / 2^32,
//                      value = Float(sqrt(-2 ln u1) * cos(2 pi u2)) computed in Double
//   after a draw the generator's offset advances by the number of blocks used.
// tools/gen_golden_core.py reimplements this in numpy; the golden tests compare.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@inline(__always)
func philox4x32(_ block: UInt64, _ seed: UInt64) -> (UInt32, UInt32, UInt32, UInt32) {
    var c0 = UInt32(truncatingIfNeeded: block), c1 = UInt32(truncatingIfNeeded: block >> 32)
    var c2: UInt32 = 0, c3: UInt32 = 0
    var k0 = UInt32(truncatingIfNeeded: seed), k1 = UInt32(truncatingIfNeeded: seed >> 32)
    for round in 0..<10 {
        let p0 = UInt64(0xD251_1F53) &* UInt64(c0)
        let p1 = UInt64(0xCD9E_8D57) &* UInt64(c2)
        let hi0 = UInt32(truncatingIfNeeded: p0 >> 32), lo0 = UInt32(truncatingIfNeeded: p0)
        let hi1 = UInt32(truncatingIfNeeded: p1 >> 32), lo1 = UInt32(truncatingIfNeeded: p1)
        c0 = hi1 ^ c1 ^ k0
        c1 = lo1
        c2 = hi0 ^ c3 ^ k1
        c3 = lo0
        if round < 9 {
            k0 = k0 &+ 0x9E37_79B9
            k1 = k1 &+ 0xBB67_AE85
        }
    }
    return (c0, c1, c2, c3)
}

/// A seeded stream of Philox blocks. `Generator.global` backs `manual_seed`/`rand`/`randn`.
public final class Generator: @unchecked Sendable {
    public private(set) var seed: UInt64
    /// Next unused block.
    public private(set) var offset: UInt64 = 0
    private let lock = Lock()

    public init(seed: UInt64) { self.seed = seed }

    /// A generator that continues a stream at `offset` blocks (a caller-held generator's state:
    /// Python's swiftnn.Generator keeps (seed, offset) and draws through one of these).
    public init(seed: UInt64, offset: UInt64) { self.seed = seed; self.offset = offset }

    /// The process-wide default generator (seed 0 until `manualSeed`).
    public static let global = Generator(seed: 0)

    public func manualSeed(_ s: UInt64) {
        lock.withLock { seed = s; offset = 0 }
    }

    /// Runs `body` and then puts the offset back where it was, so that work which draws only to
    /// overwrite the numbers (building a module whose weights are then loaded) leaves the
    /// stream as it found it, as PyTorch's deepcopy and unpickling do. Draws made meanwhile by
    /// other threads are rewound too: the callers are documented not to race with sampling.
    public func preservingOffset<T>(_ body: () throws -> T) rethrows -> T {
        let (s, o) = lock.withLock { (seed, offset) }
        defer { lock.withLock { if seed == s { offset = o } } }
        return try body()
    }

    /// Reserves `blocks` consecutive blocks; returns (seed, first block).
    func reserve(_ blocks: Int) -> (UInt64, UInt64) {
        lock.withLock {
            let start = offset
            offset &+= UInt64(blocks)
            return (seed, start)
        }
    }

    /// Fills `out` with uniform [0, 1) floats.
    func fillUniform(_ out: UnsafeMutablePointer<Float>, _ n: Int) {
        let (s, base) = reserve((n + 3) / 4)
        var i = 0
        while i < n {
            let (x0, x1, x2, x3) = philox4x32(base &+ UInt64(i / 4), s)
            let words = [x0, x1, x2, x3]
            for w in 0..<4 where i + w < n { out[i + w] = Float(words[w] >> 8) * 0x1p-24 }
            i += 4
        }
    }

    /// Fills `out` with standard normal floats.
    func fillNormal(_ out: UnsafeMutablePointer<Float>, _ n: Int) {
        let (s, base) = reserve(n)
        for i in 0..<n {
            let (x0, x1, _, _) = philox4x32(base &+ UInt64(i), s)
            let u1 = (Double(x0) + 1) * 0x1p-32
            let u2 = Double(x1) * 0x1p-32
            out[i] = Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
        }
    }
}
