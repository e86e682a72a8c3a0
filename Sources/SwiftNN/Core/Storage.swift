// Reference-counted memory behind tensors: owned (64-byte aligned, ours to free or cache) or
// borrowed (caller memory, given back through the caller's release callback exactly once, from
// deinit). Allocation failure and absurd sizes become `outOfMemory` errors instead of the
// runtime's trap, so a host process survives them. See docs/storage-model.md.
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a borrowed storage gives its memory back: `release(context)`, called once.
public typealias ReleaseCallback = @convention(c) (UnsafeMutableRawPointer?) -> Void

final class Storage: @unchecked Sendable {
    /// Where the bytes came from, and so who frees them.
    enum Origin {
        /// posix_memalign or a BufferCache block: freed (or cached) by deinit.
        case owned
        /// Caller memory: `release(context)` from deinit, on whatever thread drops the last reference.
        case borrowed(release: ReleaseCallback, context: UnsafeMutableRawPointer?)
    }

    let raw: UnsafeMutableRawPointer
    let byteCount: Int
    /// Bumped by every in-place write (PyTorch's version counter), shared by all views of this
    /// storage. Autograd compares it with the version it saved; strided views' packed copies
    /// are valid only for the version they were made at. Not atomic: writing one storage from
    /// two threads at once is a data race on the elements themselves anyway.
    var version: Int = 0
    let origin: Origin
    /// False for read-only borrowed memory (a read-only numpy array, `snn_tensor_wrap_readonly`):
    /// writes through the engine (copy_, optimizer steps) refuse it instead of faulting.
    let isWritable: Bool
    /// Set once the data pointer was handed out zero-copy (`snn_tensor_data_ptr`, numpy,
    /// DLPack): such memory is never recycled while it lives (docs/storage-model.md). Sticky.
    /// Atomic: lending a pointer is a read of the tensor, which many threads may do at once.
    var isExported: Bool { exported.load(ordering: .relaxed) }
    private let exported = Atomic<Bool>(false)

    /// The largest power of two (up to 4096) dividing the base address: computed, never
    /// assumed, since borrowed memory has whatever alignment the caller gave it.
    var alignment: Int {
        let address = UInt(bitPattern: Int(bitPattern: raw))
        return address == 0 ? 4096 : Swift.min(1 << address.trailingZeroBitCount, 4096)
    }

    func markExported() { exported.store(true, ordering: .relaxed) }

    /// Set by the one owner of a block it is about to drop for good (a mapped load replacing a
    /// parameter's initial values): deinit frees it instead of keeping it in the buffer cache.
    var freesOnRelease = false

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
        try AllocationBudget.charge(byteCount)  // only while a model is built from a file
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
        self.origin = .owned
        self.isWritable = true
    }

    /// Borrows `byteCount` bytes at `data` (NULL only when byteCount is 0). From here on the
    /// storage owns the obligation to call `release(context)`, exactly once, from deinit.
    init(borrowing data: UnsafeMutableRawPointer?, byteCount: Int, writable: Bool,
         release: @escaping ReleaseCallback, context: UnsafeMutableRawPointer?) {
        // An empty borrowed tensor may have no memory at all; it then points at a static block
        // that no kernel reads (count 0) and deinit never frees.
        self.raw = data ?? Storage.emptyBlock
        self.byteCount = byteCount
        self.blockBytes = 0
        self.origin = .borrowed(release: release, context: context)
        self.isWritable = writable
    }

    nonisolated(unsafe) private static let emptyBlock: UnsafeMutableRawPointer = {
        var p: UnsafeMutableRawPointer? = nil
        _ = posix_memalign(&p, 64, 64)
        return p ?? UnsafeMutableRawPointer(bitPattern: 64)!
    }()

    /// Bytes of the block behind `raw` (at least byteCount; page-rounded for cached sizes).
    private let blockBytes: Int

    deinit {
        switch origin {
        case .owned:
            if blockBytes >= BufferCache.minimumBytes && !freesOnRelease { BufferCache.shared.give(raw, blockBytes) } else { free(raw) }
        case .borrowed(let release, let context):
            release(context)
        }
    }
}
