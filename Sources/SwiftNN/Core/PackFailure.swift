// What happens when a strided view's packed copy cannot be allocated. The typed accessors
// (`floats`, ...) cannot throw (about 230 kernel sites read through them), so the failure is
// deferred instead of trapping: the accessor hands out read-only zero pages of the needed size
// (address space only, no memory: pages never written are never backed), records the failure,
// and the next tensor allocation on that thread, or the C boundary on the way out of the call,
// throws it as SNN_ERR_OUT_OF_MEMORY. The values computed from the zero pages are never
// returned as a success. Per thread, so that one call's failure is never reported by another.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Guards `pending` and `zeroMappings`.
private let failureLock = Lock()
/// Each thread's first unreported failure.
nonisolated(unsafe) private var pending: [pthread_t: String] = [:]
/// Read without the lock on every allocation: 0 almost always, so the check costs one load.
nonisolated(unsafe) private var pendingCount = 0
/// Zero mappings handed out; kept mapped for the process (a kernel may still read one).
nonisolated(unsafe) private var zeroMappings: [UnsafeMutableRawPointer] = []
/// Test hook: the next packed copy on the thread that set it (a pthread_t) fails as if the
/// allocation had.
nonisolated(unsafe) package var failNextPackForTesting: pthread_t? = nil

enum PackFailure {
    /// Records that packing `bytes` for a view of `shape` failed and returns read-only zero
    /// pages of that size, or nil if even the address space is exhausted.
    static func record(bytes: Int, shape: [Int]) -> UnsafeMutableRawPointer? {
        failureLock.withLock {
            let me = pthread_self()
            if pending[me] == nil {
                pending[me] = "contiguous: cannot allocate \(bytes) bytes to pack a strided view of shape \(fmt(shape)) (out of memory); the operation that read it was abandoned"
                pendingCount += 1
            }
            let p = mmap(nil, Swift.max(bytes, 1), PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
            guard let p, p != MAP_FAILED else { return nil }
            zeroMappings.append(p)
            return p
        }
    }

    /// Whether the test hook asks this packing to fail (and clears it).
    static func injected() -> Bool {
        guard let t = failNextPackForTesting, pthread_equal(t, pthread_self()) != 0 else { return false }
        failNextPackForTesting = nil
        return true
    }

    /// Throws this thread's recorded failure (once), if there is one.
    static func throwIfPending() throws {
        guard pendingCount > 0 else { return }
        let message: String? = failureLock.withLock {
            guard let m = pending.removeValue(forKey: pthread_self()) else { return nil }
            pendingCount -= 1
            return m
        }
        if let message { throw SNNError(.outOfMemory, message) }
    }
}

extension Tensor {
    /// Throws a packing failure recorded since the last check (see PackFailure): the C boundary
    /// calls it before reporting success.
    package static func throwPendingPackFailure() throws { try PackFailure.throwIfPending() }
}
