// Strided layout: a tensor's strides, contiguity, PyTorch's view-stride rule, and how kernels
// read a strided view. Kernels index their inputs as contiguous row-major arrays through the
// typed accessors (`floats`, `int64s`, ...); for a strided view those return a packed copy,
// made once per storage version and cached on the view, so every kernel reads strided input
// correctly without code of its own. Writes into existing tensors go through `mutate` or
// `writeElements`, which honour the strides and bump the version.

#if SNN_TSAN_BUILD && canImport(Glibc)
import Glibc
#endif

/// Whether `strides` are row-major for `shape`, ignoring size-1 dimensions (PyTorch's rule);
/// an empty tensor is contiguous.
func stridesAreContiguous(_ shape: [Int], _ strides: [Int]) -> Bool {
    if shape.contains(0) { return true }
    var expected = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) where shape[i] != 1 {
        if strides[i] != expected { return false }
        expected &*= shape[i]
    }
    return true
}

/// A non-contiguous tensor's packed copy, valid while its storage's version is `version`.
/// `previous` keeps the last replaced copy alive, so that a pointer handed out just before a
/// concurrent in-place write does not dangle.
final class PackedCache {
    let storage: Storage
    let version: Int
    let previous: Storage?

    init(storage: Storage, version: Int, previous: Storage?) {
        self.storage = storage
        self.version = version
        self.previous = previous
    }
}

/// Guards every view's packed cache (packing is rare and short; one lock is enough).
private let packLock = Lock()

#if SNN_TSAN_BUILD
/// Only in the ThreadSanitizer build (make test-tsan): with SWIFTNN_PLANT_RACE set, views pack
/// without `packLock`, a deliberate race that the TSan run must report (docs/concurrency.md).
private let plantedRace: Bool = getenv("SWIFTNN_PLANT_RACE") != nil
#endif

extension Tensor {
    /// Strides in elements, as PyTorch's `stride()`: 0 along expanded dimensions.
    public var strides: [Int] { explicitStrides ?? contiguousStrides(shape) }

    /// PyTorch's `storage_offset()`: the element offset of index (0, 0, ...) in the storage.
    public var storageOffset: Int { offset }

    /// The storage's version counter (PyTorch's `_version`): in-place writes to any view bump it.
    public var version: Int { storage.version }

    /// Called by the typed accessors of a strided view: the packed copy for the current version.
    @inline(never)
    func packedElements() -> UnsafeMutableRawPointer {
        #if SNN_TSAN_BUILD
        if plantedRace { return packedElementsUnlocked() }
        #endif
        return packLock.withLock { packedElementsUnlocked() }
    }

    private func packedElementsUnlocked() -> UnsafeMutableRawPointer {
        do {
            let v = storage.version
            if let c = packedCache, c.version == v { return c.storage.raw }
            // An accessor cannot throw: a failed allocation hands out zero pages and is
            // reported by the next allocation or the C boundary (PackFailure.swift).
            let bytes = count &* dtype.byteSize
            let allocated = PackFailure.injected() ? nil : try? Storage(byteCount: bytes, zeroed: false, "contiguous")
            guard let s = allocated else {
                if let zeros = PackFailure.record(bytes: bytes, shape: shape) { return zeros }
                fatalError("contiguous: cannot allocate \(bytes) bytes to pack a strided view, nor map as many zero bytes")
            }
            copyStrided(shape, from: storage, offset, strides, to: s, 0, contiguousStrides(shape), dtype.byteSize)
            packedCache = PackedCache(storage: s, version: v, previous: packedCache?.storage)
            return s.raw
        }
    }

    /// A contiguous tensor with these values: `self` when already contiguous (unless `always`),
    /// else a fresh packed copy. Unrecorded.
    func packed(_ fn: String, always: Bool = false) throws -> Tensor {
        if isContiguous && !always { return self }
        let t = try Tensor(empty: shape, dtype: dtype, zeroed: false, fn)
        if count > 0 {
            copyStrided(shape, from: storage, offset, strides, to: t.storage, 0, contiguousStrides(shape), dtype.byteSize)
        }
        return t
    }

    /// Writes `src`'s elements (same shape and dtype; any strides) through this tensor's
    /// strides and bumps the version. A source overlapping this storage is packed first.
    func writeElements(from src: Tensor) {
        guard count > 0 else { storage.version &+= 1; return }
        let (from, fromOffset, fromStrides): (Storage, Int, [Int])
        if src.storage === storage {
            let s = try? src.packed("copy_", always: true)
            guard let s else { return }
            (from, fromOffset, fromStrides) = (s.storage, 0, contiguousStrides(shape))
        } else {
            (from, fromOffset, fromStrides) = (src.storage, src.offset, src.strides)
        }
        copyStrided(shape, from: from, fromOffset, fromStrides, to: storage, offset, strides, dtype.byteSize)
        storage.version &+= 1
    }

    /// Runs `body` on this tensor's elements as one writable row-major buffer and bumps the
    /// version: in place when contiguous, else on a packed copy written back through the
    /// strides. For writers such as optimizer steps, whose kernels take one pointer.
    func mutate<T>(_ fn: String, _ body: (UnsafeMutableRawPointer) throws -> T) throws -> T {
        defer { storage.version &+= 1 }
        if isContiguous { return try body(storage.raw + offset &* dtype.byteSize) }
        let t = try packed(fn, always: true)
        let r = try body(t.storage.raw)
        if count > 0 { copyStrided(shape, from: t.storage, 0, contiguousStrides(shape), to: storage, offset, strides, dtype.byteSize) }
        return r
    }

    /// Strides that show this tensor's elements in `newShape` without moving them, or nil when
    /// some new dimension would span two non-adjacent runs (PyTorch's computeStride).
    func viewStrides(_ newShape: [Int]) -> [Int]? {
        let oldStrides = strides
        if shape.isEmpty { return [Int](repeating: 1, count: newShape.count) }
        if count == 0 { return contiguousStrides(newShape) }
        var newStrides = [Int](repeating: 0, count: newShape.count)
        var viewD = newShape.count - 1
        var chunkBase = oldStrides[oldStrides.count - 1]
        var tensorNumel = 1, viewNumel = 1
        for tensorD in stride(from: shape.count - 1, through: 0, by: -1) {
            tensorNumel &*= shape[tensorD]
            if tensorD == 0 || (shape[tensorD - 1] != 1 && oldStrides[tensorD - 1] != tensorNumel &* chunkBase) {
                while viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] == 1) {
                    newStrides[viewD] = viewNumel &* chunkBase
                    viewNumel &*= newShape[viewD]
                    viewD -= 1
                }
                if viewNumel != tensorNumel { return nil }
                if tensorD > 0 {
                    chunkBase = oldStrides[tensorD - 1]
                    tensorNumel = 1
                    viewNumel = 1
                }
            }
        }
        return viewD == -1 ? newStrides : nil
    }

    /// A view of the same storage with another shape, strides and offset (a view of a view
    /// points at the storage directly, never at the other view).
    func restrided(_ shape: [Int], _ strides: [Int], offset: Int) -> Tensor {
        let v = Tensor(shape: shape, strides: strides, dtype: dtype, storage: storage, offset: offset)
        v.isView = true
        v.viewBase = viewBase ?? self
        return v
    }
}

extension Tensor {
    /// PyTorch's contiguous(): `self` when already contiguous, else a row-major copy whose
    /// gradient flows back unchanged (a clone in the graph).
    public func contiguous() throws -> Tensor {
        if isContiguous { return self }
        let out = try packed("contiguous", always: true)
        return out.traced(.clone, [self]).recorded("CloneBackward", [self], saves: [], readsOutput: false) { g in
            // forward: out = t, in row-major order
            [g]
        }
    }

    /// Whether the two tensors are views of one storage (so in-place writes to one show in the other).
    public func sharesStorage(with other: Tensor) -> Bool { storage === other.storage }
}
