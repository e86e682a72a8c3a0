// The C boundary's machinery: the registry of live handles, the thread-local error message,
// and `boundary`, which every export runs inside so that no error escapes as a trap.
import CSwiftNN
import SwiftNN
#if canImport(Glibc)
import Glibc
#endif

/// Live handles. A handle is a token, never a pointer we dereference, so a garbage or freed
/// handle is a failed dictionary lookup rather than a crash.
final class Registry: @unchecked Sendable {
    static let shared = Registry()
    private let lock = Lock()
    private var objects: [UInt: AnyObject] = [:]
    /// Tokens start high and step by 16 so small integers and typical pointers never collide
    /// with a live handle by accident.
    private var next: UInt = 0x5A00_0000_0000

    func insert(_ object: AnyObject) -> OpaquePointer {
        lock.withLock {
            next &+= 16
            objects[next] = object
            return OpaquePointer(bitPattern: next)!
        }
    }

    func lookup(_ handle: OpaquePointer) -> AnyObject? {
        lock.withLock { objects[UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(handle)))] }
    }

    func remove(_ handle: OpaquePointer) -> AnyObject? {
        lock.withLock { objects.removeValue(forKey: UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(handle)))) }
    }

    var count: Int { lock.withLock { objects.count } }
}

/// What a handle of type T is called in messages.
protocol HandleNamed: AnyObject { static var handleName: String { get } }
extension Tensor: HandleNamed { static var handleName: String { "snn_tensor" } }

/// Resolves a handle argument of the expected kind or throws a message naming it.
func resolve<T: HandleNamed>(_ handle: OpaquePointer?, _ kind: T.Type, _ fn: String, _ arg: String) throws -> T {
    guard let handle else { throw SNNError(.invalidArgument, "\(fn): \(arg) is NULL, expected a \(T.handleName) handle") }
    guard let object = Registry.shared.lookup(handle) else {
        throw SNNError(.invalidHandle, "\(fn): \(arg) is not a live \(T.handleName) handle (already freed, or never returned by SwiftNN)")
    }
    guard let typed = object as? T else {
        let actual = (object as? HandleNamed).map { type(of: $0).handleName } ?? "another kind of"
        throw SNNError(.invalidHandle, "\(fn): \(arg) is a \(actual) handle, expected a \(T.handleName) handle")
    }
    return typed
}

func tensorArg(_ handle: OpaquePointer?, _ fn: String, _ arg: String = "t") throws -> Tensor {
    try resolve(handle, Tensor.self, fn, arg)
}

/// Checks an out-pointer, clears it, and returns a setter for the result.
func outHandle(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ fn: String, _ arg: String = "out") throws -> UnsafeMutablePointer<OpaquePointer?> {
    guard let out else { throw SNNError(.invalidArgument, "\(fn): \(arg) is NULL, expected a pointer to receive the result") }
    out.pointee = nil
    return out
}

func outPointer<T>(_ out: UnsafeMutablePointer<T>?, _ fn: String, _ arg: String = "out") throws -> UnsafeMutablePointer<T> {
    guard let out else { throw SNNError(.invalidArgument, "\(fn): \(arg) is NULL, expected a pointer to receive the result") }
    return out
}

/// Reads a C shape array, validating rank and sizes.
func shapeArg(_ shape: UnsafePointer<Int64>?, _ ndim: Int, _ fn: String, _ arg: String = "shape") throws -> [Int] {
    guard ndim >= 0, ndim <= Int(SNN_MAX_NDIM) else {
        throw SNNError(.invalidArgument, "\(fn): ndim \(ndim) out of range (expected 0...\(SNN_MAX_NDIM))")
    }
    if ndim == 0 { return [] }
    guard let shape else { throw SNNError(.invalidArgument, "\(fn): \(arg) is NULL but ndim is \(ndim)") }
    let dims = (0..<ndim).map { Int(shape[$0]) }
    if dims.contains(where: { $0 < 0 }) {
        throw SNNError(.invalidArgument, "\(fn): \(arg) \(dims) has a negative dimension")
    }
    return dims
}

/// Reads a C array of int64 (dimension lists, permutations); NULL allowed only when n == 0.
func intsArg(_ p: UnsafePointer<Int64>?, _ n: Int, _ fn: String, _ arg: String) throws -> [Int] {
    guard n >= 0, n <= 1 << 20 else { throw SNNError(.invalidArgument, "\(fn): \(arg) length \(n) out of range") }
    if n == 0 { return [] }
    guard let p else { throw SNNError(.invalidArgument, "\(fn): \(arg) is NULL but its length is \(n)") }
    return (0..<n).map { Int(p[$0]) }
}

/// Resolves an array of tensor handles.
func tensorsArg(_ p: UnsafePointer<OpaquePointer?>?, _ n: Int, _ fn: String, _ arg: String) throws -> [Tensor] {
    guard n >= 0, n <= 1 << 20 else { throw SNNError(.invalidArgument, "\(fn): \(arg) count \(n) out of range") }
    if n == 0 { return [] }
    guard let p else { throw SNNError(.invalidArgument, "\(fn): \(arg) is NULL but its count is \(n)") }
    return try (0..<n).map { try tensorArg(p[$0], fn, "\(arg)[\($0)]") }
}

/// Resolves an array of tensor handles in which NULL entries mean "absent" (optional inputs).
func optionalTensorsArg(_ p: UnsafePointer<OpaquePointer?>?, _ n: Int, _ fn: String, _ arg: String) throws -> [Tensor?] {
    guard n >= 0, n <= 1 << 20 else { throw SNNError(.invalidArgument, "\(fn): \(arg) count \(n) out of range") }
    if n == 0 { return [] }
    guard let p else { throw SNNError(.invalidArgument, "\(fn): \(arg) is NULL but its count is \(n)") }
    return try (0..<n).map { p[$0] == nil ? nil : try tensorArg(p[$0], fn, "\(arg)[\($0)]") }
}

/// Registers a new handle for `t` in `out`.
func give(_ t: Tensor, _ out: UnsafeMutablePointer<OpaquePointer?>) {
    out.pointee = Registry.shared.insert(t)
}

// MARK: - Thread-local last error

private let errorKey: pthread_key_t = {
    var k = pthread_key_t()
    pthread_key_create(&k) { free($0) }
    return k
}()

func setLastError(_ message: String) {
    let old = pthread_getspecific(errorKey)
    let copy = strdup(message)
    pthread_setspecific(errorKey, copy)
    free(old)
}

func lastErrorPointer() -> UnsafePointer<CChar> {
    if let p = pthread_getspecific(errorKey) { return UnsafePointer(p.assumingMemoryBound(to: CChar.self)) }
    return emptyString
}

nonisolated(unsafe) private let emptyString: UnsafePointer<CChar> = UnsafePointer(strdup("")!)

/// Runs an export's body: success is SNN_OK, a thrown error becomes its status and message.
@inline(__always)
func boundary(_ body: () throws -> Void) -> snn_status {
    do {
        try body()
        return SNN_OK
    } catch let e as SNNError {
        setLastError(e.message)
        return snn_status(rawValue: UInt32(e.status.rawValue))
    } catch {
        setLastError("internal error: \(error)")
        return SNN_ERR_INTERNAL
    }
}

extension Module: HandleNamed { static var handleName: String { "snn_module" } }

/// Reads a NUL-terminated C string argument.
func stringArg(_ p: UnsafePointer<CChar>?, _ fn: String, _ arg: String) throws -> String {
    guard let p else { throw SNNError(.invalidArgument, "\(fn): \(arg) is NULL") }
    let n = strnlen(p, 1 << 20)
    guard n < 1 << 20 else { throw SNNError(.invalidArgument, "\(fn): \(arg) is longer than 1 MiB (not NUL-terminated?)") }
    return String(decoding: UnsafeRawBufferPointer(start: p, count: n), as: UTF8.self)
}

/// Writes `s` NUL-terminated into buf; `outLen` gets its length. Too small a buffer is an
/// error that still reports the length needed.
func writeString(_ s: String, _ buf: UnsafeMutablePointer<CChar>?, _ capacity: Int,
                 _ outLen: UnsafeMutablePointer<Int>?, _ fn: String) throws {
    let bytes = Array(s.utf8)
    outLen?.pointee = bytes.count
    guard capacity > bytes.count else {
        throw SNNError(.invalidArgument, "\(fn): buffer capacity \(capacity) is too small; \(bytes.count + 1) bytes needed")
    }
    guard let buf else { throw SNNError(.invalidArgument, "\(fn): buf is NULL") }
    bytes.withUnsafeBufferPointer { src in
        UnsafeMutableRawPointer(buf).copyMemory(from: src.baseAddress!, byteCount: bytes.count)
    }
    buf[bytes.count] = 0
}

/// Writes new handles for `tensors` into a caller array (count-only when capacity is 0).
func giveArray(_ tensors: [Tensor], _ outs: UnsafeMutablePointer<OpaquePointer?>?, _ capacity: Int,
               _ outCount: UnsafeMutablePointer<Int>?, _ fn: String) throws {
    let count = try outPointer(outCount, fn, "out_count")
    count.pointee = tensors.count
    if outs == nil && capacity == 0 { return }
    guard capacity >= tensors.count else {
        throw SNNError(.invalidArgument, "\(fn): capacity \(capacity) is smaller than the \(tensors.count) results")
    }
    guard let outs else { throw SNNError(.invalidArgument, "\(fn): outs is NULL but capacity is \(capacity)") }
    for (i, t) in tensors.enumerated() { outs[i] = Registry.shared.insert(t) }
}
