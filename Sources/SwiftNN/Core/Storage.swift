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
        var p: UnsafeMutableRawPointer? = nil
        let rc = posix_memalign(&p, 64, max(byteCount, 64))
        guard rc == 0, let ptr = p else {
            throw SNNError(.outOfMemory, "\(fn): cannot allocate \(byteCount) bytes (posix_memalign failed with \(rc))")
        }
        if zeroed { memset(ptr, 0, max(byteCount, 64)) }
        raw = ptr
        self.byteCount = byteCount
    }

    deinit { free(raw) }
}
