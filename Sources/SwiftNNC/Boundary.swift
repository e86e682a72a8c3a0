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

    /// Removes `handle` only if it is a live handle of kind T, in one step under the lock, so
    /// two threads freeing the same handle cannot both succeed.
    func remove<T: HandleNamed>(_ handle: OpaquePointer, ifKind: T.Type) -> Bool {
        let key = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(handle)))
        // The removed object is released after the lock is dropped (its deinit may be long).
        let removed: AnyObject? = lock.withLock {
            guard let object = objects[key], object as? T != nil else { return nil }
            return objects.removeValue(forKey: key)
        }
        return removed != nil
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

/// The body of every `_free`: NULL is a no-op; a live handle of kind T is released; anything
/// else (freed, garbage, another kind) is SNN_ERR_INVALID_HANDLE with the precise message.
func freeHandle<T: HandleNamed>(_ h: OpaquePointer?, _ kind: T.Type, _ arg: String = "handle",
                                caller: String = #function) -> snn_status {
    boundary(caller: caller) { fn in
        guard let h else { return }
        if Registry.shared.remove(h, ifKind: kind) { return }
        _ = try resolve(h, kind, fn, arg)  // not live or another kind: throws the message
        throw SNNError(.invalidHandle, "\(fn): \(arg) was freed concurrently by another thread")
    }
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
/// The body receives `fn` for its messages: #function at the `boundary { fn in ... }` call
/// ("snn_tensor_add(_:_:_:)"), so no export types its own name. A shared helper that wraps
/// `boundary` takes `caller: String = #function` itself and passes it on. The argument labels
/// are stripped only when a call fails (`exportName`, `withExportNames`): doing it on every
/// call cost about 0.1 us, a fifth of a cheap call from ctypes. Every message names its
/// function, whichever engine code threw it (see `namedMessage`).
@inline(__always)
func boundary(caller: String = #function, _ body: (_ fn: String) throws -> Void) -> snn_status {
    do {
        try body(caller)
        try Tensor.throwPendingPackFailure()  // values computed from a view that could not be packed
        return SNN_OK
    } catch let e as SNNError {
        failed(namedMessage(withExportNames(e.message, caller), exportName(caller)))
        return cStatus(e.status)
    } catch {
        failed(namedMessage(withExportNames("internal error: \(error)", caller), exportName(caller)))
        return SNN_ERR_INTERNAL
    }
}

/// A failed call's message: kept for snn_last_error and repeated to the log at debug level
/// (hosts that log every failure need not wrap every call).
@inline(never)
private func failed(_ message: String) {
    setLastError(message)
    Log.debug(message)
}

/// An export's C name from its #function: the Swift name without the parenthesised argument
/// labels ("snn_tensor_add(_:_:_:)" -> "snn_tensor_add"); the @c exports are named as in C.
func exportName(_ function: String) -> String {
    String(decoding: function.utf8.prefix { $0 != UInt8(ascii: "(") }, as: UTF8.self)
}

/// `message` with every occurrence of `function` (an export's #function, as the body put it
/// into its messages) replaced by its C name. Byte-wise, as `namedMessage` (no Unicode tables).
func withExportNames(_ message: String, _ function: String) -> String {
    let needle = Array(function.utf8), text = Array(message.utf8)
    guard needle.contains(UInt8(ascii: "(")), text.count >= needle.count else { return message }
    let name = Array(exportName(function).utf8)
    var out: [UInt8] = []
    out.reserveCapacity(text.count)
    var i = 0
    while i < text.count {
        if i + needle.count <= text.count, text[i..<(i + needle.count)].elementsEqual(needle) {
            out.append(contentsOf: name)
            i += needle.count
        } else {
            out.append(text[i])
            i += 1
        }
    }
    return String(decoding: out, as: UTF8.self)
}

/// The header's code for an engine status, by name: the numbers are written only in swiftnn.h.
func cStatus(_ status: Status) -> snn_status {
    switch status {
    case .invalidArgument: SNN_ERR_INVALID_ARGUMENT
    case .invalidHandle: SNN_ERR_INVALID_HANDLE
    case .shapeMismatch: SNN_ERR_SHAPE
    case .dtypeMismatch: SNN_ERR_DTYPE
    case .outOfRange: SNN_ERR_OUT_OF_RANGE
    case .outOfMemory: SNN_ERR_OUT_OF_MEMORY
    case .io: SNN_ERR_IO
    case .format: SNN_ERR_FORMAT
    case .unsupported: SNN_ERR_UNSUPPORTED
    case .autograd: SNN_ERR_AUTOGRAD
    case .internalError: SNN_ERR_INTERNAL
    }
}

/// The engine status for a code a caller's callback returned (SNN_ERR_INTERNAL for codes the
/// header does not define).
func engineStatus(_ status: snn_status) -> Status {
    let all: [Status] = [.invalidArgument, .invalidHandle, .shapeMismatch, .dtypeMismatch, .outOfRange, .outOfMemory,
                         .io, .format, .unsupported, .autograd, .internalError]
    return all.first { cStatus($0) == status } ?? .internalError
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

/// `message`, led by the C function's name unless it already contains it or starts with an
/// op's name ("add: shapes ...", "CosineAnnealingLR: ..."). Engine code shared by many exports
/// (file reading, allocation) cannot know which export called it: "cannot open 'x' for
/// reading" becomes "snn_tensor_map_load: cannot open 'x' for reading". Only export names
/// (snn_...) are added; a helper such as `binaryExport` names the function itself.
/// (Works on UTF-8 bytes: Character properties and String.contains would link Unicode tables
/// into the library, about 1.4 MB.)
func namedMessage(_ message: String, _ fn: String) -> String {
    let name = Array(fn.utf8)
    let text = Array(message.utf8)
    guard name.starts(with: Array("snn_".utf8)), !contains(text, name) else { return message }
    if let colon = text.firstIndex(of: UInt8(ascii: ":")), colon > 0,
       text[..<colon].allSatisfy({ isIdentifierByte($0) || $0 == UInt8(ascii: ".") }) {
        return message
    }
    return String(decoding: name, as: UTF8.self) + ": " + message
}

private func isIdentifierByte(_ b: UInt8) -> Bool {
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
}

private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard !needle.isEmpty, haystack.count >= needle.count else { return needle.isEmpty }
    for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
        return true
    }
    return false
}

/// The one reader of option structs: passed by pointer with `size_t struct_size` first, as
/// `snn_<x>_init` fills them. NULL is nil (the caller wants the defaults); otherwise
/// struct_size must equal this library's sizeof (C's, i.e. MemoryLayout.stride). Smaller is a
/// struct not filled by its _init function (no older, shorter layout has shipped; when one
/// does, its size is accepted here, in one place); larger comes from a newer header, and its
/// extra bytes are never read (the caller's allocation is unknown), so it is refused.
func optionsArg<T>(_ p: UnsafePointer<T>?, _ fn: String, arg: String = "options") throws -> T? {
    guard let p else { return nil }
    let size = UnsafeRawPointer(p).loadUnaligned(as: Int.self)
    let known = MemoryLayout<T>.stride
    guard size >= known else {
        let type = String(describing: T.self)  // only on failure: it builds a String
        throw SNNError(.invalidArgument, "\(fn): \(arg)->struct_size is \(size), expected sizeof(\(type)) = \(known) (fill the struct with \(type)_init)")
    }
    guard size == known else {
        let type = String(describing: T.self)
        throw SNNError(.unsupported, "\(fn): \(arg)->struct_size is \(size) but this library's \(type) has \(known) bytes; the caller was built against a newer swiftnn.h than this libswiftnn")
    }
    return p.pointee
}

/// `optionsArg` for a struct that must be given (it holds a value without a default).
func requiredOptionsArg<T>(_ p: UnsafePointer<T>?, _ fn: String, arg: String = "options") throws -> T {
    guard let o = try optionsArg(p, fn, arg: arg) else {
        throw SNNError(.invalidArgument, "\(fn): \(arg) is NULL (fill a \(String(describing: T.self)) with \(String(describing: T.self))_init)")
    }
    return o
}
