// Tracing, part of autograd's recording: while a Tracer is active on a thread, every public
// engine op called on that thread appends one record (its OpDef, input and output tensors,
// attributes). ONNX export lowers each record through its OpDef; when no tracer is active an
// op pays one thread-local read.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An attribute of a traced op call (the op's non-tensor arguments).
public enum TraceValue: Equatable, Sendable {
    case int(Int)
    case ints([Int])
    case float(Double)
    case bool(Bool)
    case none
}

/// One op call seen by a tracer.
public struct TraceRecord {
    /// The op that ran (its registry entry: name and ONNX lowering).
    public let op: OpDef
    /// Tensor arguments in the op's order; nil for an omitted optional one (a missing bias).
    public let inputs: [Tensor?]
    public let outputs: [Tensor]
    public let attributes: [(name: String, value: TraceValue)]

    public func attribute(_ name: String) -> TraceValue? { attributes.first { $0.name == name }?.value }
}

/// Records the engine ops called on the thread that began it, until `end()`. The records keep
/// every tensor they mention alive, so tensor identity stays meaningful for the whole trace.
public final class Tracer: @unchecked Sendable {
    private var recorded: [TraceRecord] = []
    private var active = true
    private let lock = Lock()

    /// The ops recorded so far, in call order (a topological order of the traced graph).
    public var records: [TraceRecord] { lock.withLock { recorded } }
    /// False once ended; a stopped tracer records nothing more.
    public var isActive: Bool { lock.withLock { active } }

    /// The active tracer of this thread, held as a retained pointer (no allocation per read).
    static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    private init() {}

    /// The tracer recording on this thread, if any.
    public static var current: Tracer? {
        guard let p = pthread_getspecific(key) else { return nil }
        return Unmanaged<Tracer>.fromOpaque(p).takeUnretainedValue()
    }

    /// Starts recording the ops called on this thread. One tracer per thread at a time.
    public static func begin() throws -> Tracer {
        if let active = current {
            if active.isActive {
                throw SNNError.invalid("onnx trace: a trace is already recording on this thread; end it first")
            }
            active.detachFromThread()
        }
        let t = Tracer()
        pthread_setspecific(key, Unmanaged.passRetained(t).toOpaque())
        return t
    }

    /// Stops recording. May be called from any thread and more than once.
    public func end() {
        lock.withLock { active = false }
        if Tracer.current === self { detachFromThread() }
    }

    /// Clears this thread's slot if it holds `self` and releases the slot's reference.
    private func detachFromThread() {
        guard let p = pthread_getspecific(Tracer.key), p == Unmanaged.passUnretained(self).toOpaque() else { return }
        pthread_setspecific(Tracer.key, nil)
        Unmanaged<Tracer>.fromOpaque(p).release()
    }

    /// Runs `body` with a fresh tracer active on this thread and returns the tracer, ended.
    public static func trace(_ body: () throws -> Void) throws -> Tracer {
        let t = try begin()
        defer { t.end() }
        try body()
        return t
    }

    func append(_ r: TraceRecord) {
        let added = lock.withLock { () -> Bool in
            if active { recorded.append(r) }
            return active
        }
        // Ended from another thread: let go of this thread's slot on its next op.
        if !added { detachFromThread() }
    }
}

/// The hook every public op calls: one thread-local read when nothing is tracing; the record
/// (and its arrays) is only built when a tracer is active.
@inline(__always)
func trace(_ op: @autoclosure () -> OpDef, _ inputs: @autoclosure () -> [Tensor?], _ outputs: @autoclosure () -> [Tensor],
           _ attributes: @autoclosure () -> [(name: String, value: TraceValue)] = []) {
    guard let p = pthread_getspecific(Tracer.key) else { return }
    Unmanaged<Tracer>.fromOpaque(p).takeUnretainedValue()
        .append(TraceRecord(op: op(), inputs: inputs(), outputs: outputs(), attributes: attributes()))
}

extension Tensor {
    /// Records `self` as the output of `op` when a tracer is active; returns `self`, so an op
    /// can end with `return out.traced(.relu, [t]).recorded(...)`.
    @inline(__always)
    func traced(_ op: @autoclosure () -> OpDef, _ inputs: @autoclosure () -> [Tensor?],
                _ attributes: @autoclosure () -> [(name: String, value: TraceValue)] = []) -> Tensor {
        trace(op(), inputs(), [self], attributes())
        return self
    }
}

extension TraceValue {
    static func pair(_ p: (Int, Int)) -> TraceValue { .ints([p.0, p.1]) }
    static func optional(_ v: Float?) -> TraceValue { v.map { .float(Double($0)) } ?? .none }
}
