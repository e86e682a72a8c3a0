// The library's only way to say something outside a return value: messages go to the host's
// log callback (snn_set_log_callback), never to stdout or stderr. Lives in the lowest module
// so that kernels (thread start-up, CPU feature choice) can log as well as the engine.
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Severity, as the C header's snn_log_level (values fixed there).
public enum LogLevel: Int, Sendable, Comparable {
    case debug = 0, info = 1, warning = 2, error = 3

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }

    public var name: String {
        switch self {
        case .debug: "debug"
        case .info: "info"
        case .warning: "warning"
        case .error: "error"
        }
    }
}

public enum Log {
    /// Receives each message at or above the threshold. Called with the log lock held, so
    /// sinks never run concurrently and a new sink (or none) takes effect for every thread
    /// once `setSink` returns: the host may then free what the old one used.
    public typealias Sink = (LogLevel, String) -> Void

    /// Messages below this level are dropped before they are formatted. 4 drops everything.
    private static let threshold = Atomic<Int>(LogLevel.warning.rawValue)
    private static let hasSink = Atomic<Bool>(false)
    nonisolated(unsafe) private static var sink: Sink?
    nonisolated(unsafe) private static var said = Set<String>()
    /// Recursive, so that a sink may replace itself; messages the sink itself causes on its
    /// own thread are dropped instead (see `emit`).
    nonisolated(unsafe) private static let mutex: UnsafeMutablePointer<pthread_mutex_t> = {
        let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        var attr = pthread_mutexattr_t()
        pthread_mutexattr_init(&attr)
        pthread_mutexattr_settype(&attr, Int32(PTHREAD_MUTEX_RECURSIVE))
        pthread_mutex_init(m, &attr)
        pthread_mutexattr_destroy(&attr)
        // a fork while another thread held the lock would leave it held in the child forever
        pthread_atfork(nil, nil) { Log.resetLockAfterFork() }
        return m
    }()
    /// Nonzero on a thread while its sink runs.
    private static let inSinkKey: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    private static func resetLockAfterFork() {
        var attr = pthread_mutexattr_t()
        pthread_mutexattr_init(&attr)
        pthread_mutexattr_settype(&attr, Int32(PTHREAD_MUTEX_RECURSIVE))
        pthread_mutex_init(mutex, &attr)
        pthread_mutexattr_destroy(&attr)
    }

    /// Installs `sink` (nil: messages go nowhere, the default).
    public static func setSink(_ newSink: Sink?) {
        pthread_mutex_lock(mutex)
        sink = newSink
        hasSink.store(newSink != nil, ordering: .releasing)
        pthread_mutex_unlock(mutex)
    }

    /// The lowest level delivered (`rawValue` 4: none).
    public static var thresholdValue: Int {
        get { threshold.load(ordering: .relaxed) }
        set { threshold.store(newValue, ordering: .relaxed) }
    }

    /// Whether a message at `level` would reach a sink: callers with costly messages check first.
    @inline(__always)
    public static func enabled(_ level: LogLevel) -> Bool {
        level.rawValue >= threshold.load(ordering: .relaxed) && hasSink.load(ordering: .acquiring)
    }

    /// Delivers `message` (formatted only if it will be delivered).
    public static func emit(_ level: LogLevel, _ message: @autoclosure () -> String) {
        guard enabled(level), pthread_getspecific(inSinkKey) == nil else { return }
        let text = message()
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard let sink else { return }
        pthread_setspecific(inSinkKey, UnsafeRawPointer(bitPattern: 1))
        sink(level, text)
        pthread_setspecific(inSinkKey, nil)
    }

    /// Delivers `message` the first time `key` is seen in this process (deprecations, one-time
    /// fallbacks): a loop does not flood the host's log.
    public static func once(_ level: LogLevel, key: String, _ message: @autoclosure () -> String) {
        guard enabled(level) else { return }
        pthread_mutex_lock(mutex)
        let first = said.insert(key).inserted
        pthread_mutex_unlock(mutex)
        if first { emit(level, message()) }
    }

    public static func debug(_ m: @autoclosure () -> String) { emit(.debug, m()) }
    public static func info(_ m: @autoclosure () -> String) { emit(.info, m()) }
    public static func warning(_ m: @autoclosure () -> String) { emit(.warning, m()) }
    public static func error(_ m: @autoclosure () -> String) { emit(.error, m()) }

    /// A deprecation: a warning, once per `what` in the process.
    public static func deprecated(_ what: String, _ advice: String) {
        once(.warning, key: "deprecated:" + what, "deprecated: \(what); \(advice)")
    }
}
