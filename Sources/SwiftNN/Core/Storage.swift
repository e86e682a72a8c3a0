// Reference-counted, 64-byte aligned memory behind tensors. Allocation failure and absurd sizes
// become `outOfMemory` errors instead of the runtime's trap, so a host process survives them.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

final class Storage: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer
    let byteCount: Int
    /// Bumped by every in-place write (PyTorch's version counter), shared by all views of this
    /// storage. Autograd compares it with the version it saved; strided views' packed copies
    /// are valid only for the version they were made at. Not atomic: writing one storage from
    /// two threads at once is a data race on the elements themselves anyway.
    var version: Int = 0

    /// Bytes of physical memory; requests above it fail fast rather than being overcommitted
    /// and later killed by the OOM killer.
    static let physicalBytes: Int = {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        if pages <= 0 || size <= 0 { return Int.max }
        let (p, o) = pages.multipliedReportingOverflow(by: size)
        return o ? Int.max : p
    }()

    /// `fn` names the caller's function in the error message, as every message must.
    init(byteCount: Int, zeroed: Bool, _ fn: String = "allocate") throws {
        guard byteCount >= 0, byteCount <= Storage.physicalBytes else {
            throw SNNError(.outOfMemory, "\(fn): cannot allocate \(byteCount) bytes: the machine has \(Storage.physicalBytes) bytes of memory")
        }
        let cached = byteCount >= BufferCache.minimumBytes
        let blockBytes = cached ? BufferCache.roundedSize(byteCount) : max(byteCount, 64)
        if cached, let ptr = BufferCache.shared.take(blockBytes) {
            raw = ptr
        } else {
            var p: UnsafeMutableRawPointer? = nil
            let rc = posix_memalign(&p, 64, blockBytes)
            guard rc == 0, let ptr = p else {
                throw SNNError(.outOfMemory, "\(fn): cannot allocate \(byteCount) bytes (posix_memalign failed with \(rc))")
            }
            raw = ptr
        }
        if zeroed { memset(raw, 0, blockBytes) }
        self.byteCount = byteCount
        self.blockBytes = blockBytes
    }

    /// Bytes of the block behind `raw` (at least byteCount; page-rounded for cached sizes).
    private let blockBytes: Int

    deinit {
        if blockBytes >= BufferCache.minimumBytes { BufferCache.shared.give(raw, blockBytes) } else { free(raw) }
    }
}
