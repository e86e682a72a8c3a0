// Memory-mapped safetensors: the file's pages become the tensors' memory, shared with every
// process that maps the same file and never copied (docs/concurrency.md#memory-mapped-weights).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped MAP_PRIVATE with read and write access: pages are read from the page
/// cache (shared between processes) until a write, when the kernel gives the writer a private
/// copy of that page (copy-on-write). So training a mapped model or an in-place update of one
/// of its tensors never writes the file and never faults. Unmapped when the last tensor over
/// it is gone.
final class FileMapping: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let length: Int

    init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SNNError(.io, "cannot open '\(path)' for reading: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw SNNError(.io, "cannot map '\(path)': not a regular file")
        }
        let size = Int(st.st_size)
        guard size >= 8 else {
            throw SNNError(.format, "safetensors file '\(path)': \(size) bytes is too short for the 8-byte header length")
        }
        guard let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw SNNError(.io, "cannot map '\(path)' (\(size) bytes): \(String(cString: strerror(errno)))")
        }
        base = p
        length = size
    }

    deinit { munmap(base, length) }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: length) }

    /// A tensor over `byteCount` bytes at `offset` of the file, keeping the mapping alive
    /// until its storage dies. The caller checked the range and the element alignment.
    func tensor(at offset: Int, byteCount: Int, shape: [Int], dtype: DType, _ fn: String) throws -> Tensor {
        let context = Unmanaged.passRetained(self).toOpaque()
        do {
            return try Tensor(borrowing: base + offset, byteCount: byteCount, shape: shape, dtype: dtype, writable: true,
                              release: { context in
                                  if let context { Unmanaged<FileMapping>.fromOpaque(context).release() }
                              }, context: context, fn)
        } catch {
            Unmanaged<FileMapping>.fromOpaque(context).release()
            throw error
        }
    }
}

extension SafeTensors {
    /// Reads a safetensors file by mapping it: every tensor whose data is aligned to its
    /// element size (all of them in files SwiftNN, safetensors and PyTorch write) views the
    /// mapped pages; any other is copied. Validation is `decode`'s, byte for byte.
    public static func map(path: String) throws -> SafeTensors {
        let mapping = try FileMapping(path: path)
        return try decode(buffer: mapping.bytes, what: "safetensors file '\(path)'", mapping: mapping)
    }

    /// Reads safetensors data held in memory (copied: the caller's buffer may go away).
    public static func decode(buffer: UnsafeRawBufferPointer, what: String = "safetensors data") throws -> SafeTensors {
        try decode(buffer: buffer, what: what, mapping: nil)
    }
}

extension Tensor {
    /// Makes this tensor use `source`'s memory instead of its own (a memory-mapped load: the
    /// module's freshly initialised parameter takes the file's pages). Both contiguous, with
    /// the same shape and dtype. Only for tensors no other thread can see yet. If anything else
    /// holds this tensor's storage (a view a layer keeps of its parameter), the values are
    /// copied instead, so that the holder keeps seeing the parameter.
    func adoptStorage(of source: Tensor, _ fn: String) throws {
        guard shape == source.shape, dtype == source.dtype else {
            throw SNNError.shape("\(fn): cannot adopt a \(fmt(source.shape)) \(source.dtype.name) tensor into a \(fmt(shape)) \(dtype.name) one")
        }
        let whole = isContiguous && offset == 0 && !isView && source.isContiguous && source.offset == 0
        guard whole, isKnownUniquelyReferenced(&storage) else {
            try copyValues(from: source)
            return
        }
        storage.freesOnRelease = true  // the initial values: back to the system, not the cache
        storage = source.storage
        packedCache = nil
    }
}
