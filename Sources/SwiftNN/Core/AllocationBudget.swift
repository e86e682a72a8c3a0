// A per-thread cap on the bytes tensors may allocate while a model is built from untrusted
// architecture metadata: a checkpoint claiming a Conv2d with 2,084,444,285 input channels
// (found by the architecture fuzz target) made snn_module_load allocate and randomly fill
// gigabytes for minutes before its weights were even compared.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum AllocationBudget {
    private final class Budget {
        var remaining: Int
        let limit: Int
        let what: String
        init(_ limit: Int, _ what: String) { self.limit = limit; remaining = limit; self.what = what }
    }

    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    /// Runs `body` with at most `bytes` of new tensor storage on this thread; beyond it the
    /// allocation throws a `.format` error naming `what` (the checkpoint).
    static func withLimit<T>(_ bytes: Int, _ what: String, _ body: () throws -> T) rethrows -> T {
        let previous = pthread_getspecific(key)
        let budget = Unmanaged.passRetained(Budget(bytes, what))
        pthread_setspecific(key, budget.toOpaque())
        defer {
            pthread_setspecific(key, previous)
            budget.release()
        }
        return try body()
    }

    /// Called by every owned allocation; free when no limit is set (one thread-local read).
    @inline(__always)
    static func charge(_ bytes: Int) throws {
        guard let p = pthread_getspecific(key) else { return }
        let b = Unmanaged<Budget>.fromOpaque(p).takeUnretainedValue()
        b.remaining -= bytes
        guard b.remaining >= 0 else {
            throw SNNError(.format, "\(b.what): building the architecture needs more than \(b.limit) bytes of parameters and buffers, far more than the checkpoint's tensors; refusing it (corrupt or hostile metadata?)")
        }
    }

    /// What building a model for `stateBytes` of checkpoint tensors may allocate: the
    /// parameters and buffers themselves (at most the state's size for a strict load), twice
    /// over for initialisers' temporaries, plus 64 MB.
    static func forState(bytes stateBytes: Int) -> Int {
        let (twice, o1) = stateBytes.multipliedReportingOverflow(by: 2)
        let (total, o2) = twice.addingReportingOverflow(64 << 20)
        return o1 || o2 ? Int.max : total
    }
}
