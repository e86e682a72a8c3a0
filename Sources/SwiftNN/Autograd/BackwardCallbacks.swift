// Work queued during a backward pass to run once it has finished, on its thread (PyTorch's
// Variable._execution_engine.queue_callback): data-parallel training waits for its gradient
// allreduces there, so `loss.backward()` alone leaves averaged gradients behind.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

final class BackwardCallbacks {
    private var callbacks: [() throws -> Void] = []
    private let previous: UnsafeMutableRawPointer?

    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    private init(previous: UnsafeMutableRawPointer?) { self.previous = previous }

    /// Opens the scope of one backward pass on this thread (nested passes each get their own).
    static func enter() -> BackwardCallbacks {
        let scope = BackwardCallbacks(previous: pthread_getspecific(key))
        pthread_setspecific(key, Unmanaged.passUnretained(scope).toOpaque())
        return scope
    }

    /// Closes the scope (the caller keeps `self` alive until then).
    func exit() { pthread_setspecific(BackwardCallbacks.key, previous) }

    /// Runs the queued callbacks in order (callbacks queued meanwhile run too).
    func run() throws {
        var i = 0
        while i < callbacks.count {
            try callbacks[i]()
            i += 1
        }
        callbacks = []
    }

    /// Queues `body` to run when the backward pass running on this thread ends; false when no
    /// backward pass is running here.
    static func queue(_ body: @escaping () throws -> Void) -> Bool {
        guard let p = pthread_getspecific(key) else { return false }
        Unmanaged<BackwardCallbacks>.fromOpaque(p).takeUnretainedValue().callbacks.append(body)
        return true
    }
}
