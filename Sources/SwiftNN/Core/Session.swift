// Sessions: a thread budget a host binds to the threads that run one model (snn_session), so a
// server running many small models on few cores gives each call one thread instead of every
// call asking for all of them. Why this shape, and not a pool per session: docs/concurrency.md.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A thread count that replaces the engine's (`EngineThreads.count`) on the threads it is
/// bound to. Immutable once made, so any number of threads may bind one session at once.
public final class EngineSession: @unchecked Sendable {
    /// Threads one call on a bound thread may use: the calling thread plus `numThreads - 1`
    /// helpers of the engine's pool, when they are free (a call that finds them busy runs on
    /// its own thread alone).
    public let numThreads: Int

    /// `numThreads` in 1...1024, as snn_set_num_threads. Making a session switches the engine
    /// to one pool (OpenBLAS single-threaded, products split by the engine's own workers), so
    /// that the session's count bounds BLAS too: OpenBLAS has one process-wide thread count.
    public init(numThreads: Int) throws {
        guard numThreads >= 1, numThreads <= 1024 else {
            throw SNNError(.invalidArgument, "session: num_threads = \(numThreads), expected 1...1024")
        }
        self.numThreads = numThreads
        EngineThreads.shareOnePool()
    }

    // MARK: - binding to threads

    /// Per thread, the stack of bound sessions (innermost last), boxed; freed with the thread.
    private final class Stack { var sessions: [EngineSession] = [] }

    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k) { if let p = $0 { Unmanaged<Stack>.fromOpaque(p).release() } }
        return k
    }()

    private static func stack(creating: Bool) -> Stack? {
        if let p = pthread_getspecific(key) { return Unmanaged<Stack>.fromOpaque(p).takeUnretainedValue() }
        guard creating else { return nil }
        let s = Stack()
        pthread_setspecific(key, Unmanaged.passRetained(s).toOpaque())
        return s
    }

    /// The innermost session bound to the calling thread, or nil.
    public static var current: EngineSession? { stack(creating: false)?.sessions.last }

    /// Binds this session to the calling thread until the matching `exit` (nestable; the
    /// binding keeps the session alive even if its handle is freed meanwhile).
    public func enter() {
        EngineSession.stack(creating: true)?.sessions.append(self)
    }

    /// Unbinds this session from the calling thread; it must be the innermost one bound.
    public func exit(_ fn: String) throws {
        guard let stack = EngineSession.stack(creating: false), let top = stack.sessions.last else {
            throw SNNError(.invalidArgument, "\(fn): no session is bound to this thread (call snn_session_enter first)")
        }
        guard top === self else {
            throw SNNError(.invalidArgument, "\(fn): the session is not the innermost one bound to this thread; exit sessions in the reverse order of entering them")
        }
        stack.sessions.removeLast()
    }

    /// Runs `body` with this session bound to the calling thread.
    public func run<T>(_ body: () throws -> T) throws -> T {
        enter()
        defer { try? exit("session") }
        return try body()
    }
}
