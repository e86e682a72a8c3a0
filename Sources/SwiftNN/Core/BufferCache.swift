// Freed tensor buffers of 1 MB or more, kept for the next request of the same size. A training
// step allocates and frees the same large buffers every step; from malloc they came back as
// fresh pages each time (glibc unmaps or trims them), and the page faults and kernel zeroing
// cost about 4% of a char-RNN step.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

final class BufferCache: @unchecked Sendable {
    static let shared = BufferCache()

    /// Buffers below this many bytes go straight back to malloc (which recycles them well).
    static let minimumBytes = 1 << 20
    /// At most this much freed memory is held: 1 GB, or an eighth of a smaller machine's. A
    /// MobileNetV2 training step at batch 8 frees about 870 MB of activations and their
    /// gradients; with 256 MB held, the rest came back as fresh pages every step and the page
    /// faults cost a quarter of the step (205-235 -> 163-169 ms; peak RSS 899 -> 954 MB).
    let capacityBytes = min(1 << 30, Storage.physicalBytes / 8)

    private let lock = Lock()
    private var entries: [(bytes: Int, pointer: UnsafeMutableRawPointer)] = []  // oldest first
    private var heldBytes = 0

    /// A cached buffer of exactly `bytes` (rounded as `roundedSize` does), or nil.
    func take(_ bytes: Int) -> UnsafeMutableRawPointer? {
        lock.withLock {
            guard let i = entries.lastIndex(where: { $0.bytes == bytes }) else { return nil }
            heldBytes -= bytes
            return entries.remove(at: i).pointer
        }
    }

    /// Keeps `pointer` (a posix_memalign block of `bytes`) for reuse, freeing the oldest entries
    /// beyond the capacity; a buffer larger than the capacity is freed at once.
    func give(_ pointer: UnsafeMutableRawPointer, _ bytes: Int) {
        guard bytes <= capacityBytes else { free(pointer); return }
        var evicted: [UnsafeMutableRawPointer] = []
        lock.withLock {
            entries.append((bytes, pointer))
            heldBytes += bytes
            while heldBytes > capacityBytes, !entries.isEmpty {
                let e = entries.removeFirst()
                heldBytes -= e.bytes
                evicted.append(e.pointer)
            }
        }
        for p in evicted { free(p) }
    }

    /// Frees every held buffer (tests; a host that wants the memory back).
    func drain() {
        let all = lock.withLock { () -> [UnsafeMutableRawPointer] in
            let ps = entries.map(\.pointer)
            entries.removeAll()
            heldBytes = 0
            return ps
        }
        for p in all { free(p) }
    }

    /// Bytes currently held.
    var held: Int { lock.withLock { heldBytes } }

    /// Cached sizes are whole 4 KB pages, so near sizes share buffers.
    static func roundedSize(_ bytes: Int) -> Int { (bytes + 4095) & ~4095 }
}

/// Bytes of freed tensor buffers held for reuse (snn_memory_cached).
public var cachedTensorBytes: Int { BufferCache.shared.held }

/// Frees every held buffer (snn_memory_release_cached).
public func releaseCachedTensorMemory() { BufferCache.shared.drain() }
