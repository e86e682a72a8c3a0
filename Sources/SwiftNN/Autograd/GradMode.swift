// Thread-local gradient mode: `no_grad` nests per thread, like PyTorch's, so one host thread
// running inference never stops another thread's training from recording its graph.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum GradMode {
    /// Depth of nested no-grad scopes, stored as the key's pointer value (no allocation).
    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    private static var depth: Int {
        get { Int(bitPattern: pthread_getspecific(key)) }
        set { pthread_setspecific(key, UnsafeRawPointer(bitPattern: newValue)) }
    }

    /// Whether operations on this thread record the graph.
    public static var isEnabled: Bool { depth == 0 }

    /// Enters a no-grad scope on this thread (nestable).
    public static func pushNoGrad() { depth += 1 }

    /// Leaves a no-grad scope; returns false if there was none to leave.
    @discardableResult
    public static func popNoGrad() -> Bool {
        guard depth > 0 else { return false }
        depth -= 1
        return true
    }

    /// Runs `body` with recording disabled on this thread.
    public static func withoutGrad<T>(_ body: () throws -> T) rethrows -> T {
        pushNoGrad()
        defer { popNoGrad() }
        return try body()
    }
}
