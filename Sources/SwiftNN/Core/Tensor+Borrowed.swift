// Tensors over memory the engine does not own (caller buffers, numpy arrays, DLPack tensors)
// and the data pointer lent out zero-copy. Lifetimes and alignment: docs/storage-model.md.

extension Tensor {
    /// A tensor of `shape` and `dtype` over `byteCount` bytes at `data`, without copying.
    /// The memory is the caller's until the tensor's storage dies, when `release(context)` is
    /// called exactly once (on whichever thread drops the last reference: the last handle,
    /// view or autograd graph). If this initializer throws, `release` is not called and the
    /// memory stays the caller's. Any alignment is accepted: kernels load unaligned.
    public convenience init(borrowing data: UnsafeMutableRawPointer?, byteCount: Int, shape: [Int], dtype: DType,
                            writable: Bool, release: @escaping ReleaseCallback,
                            context: UnsafeMutableRawPointer?, _ fn: String = "Tensor(borrowing:)") throws {
        let n = try elementCount(shape, fn)
        let (needed, overflow) = n.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else {
            throw SNNError(.outOfMemory, "\(fn): shape \(fmt(shape)) of \(dtype.name) overflows the address space")
        }
        guard byteCount >= needed else {
            throw SNNError.shape("\(fn): \(byteCount) bytes are too few for shape \(fmt(shape)) of \(dtype.name) (\(needed) bytes needed)")
        }
        if data == nil && byteCount > 0 {
            throw SNNError(.invalidArgument, "\(fn): data is NULL but bytes is \(byteCount)")
        }
        if data == nil && needed > 0 {
            throw SNNError(.invalidArgument, "\(fn): data is NULL but shape \(fmt(shape)) has \(n) elements")
        }
        let s = Storage(borrowing: data, byteCount: byteCount, writable: writable, release: release, context: context)
        self.init(shape: shape, dtype: dtype, storage: s, count: n)
    }

    /// The address of element 0, lent out: valid while the caller holds this tensor. Marks the
    /// storage exported, so no buffer plan ever recycles it. Only contiguous tensors lend their
    /// memory (a strided view's elements are not where row-major readers would look).
    public func exportDataPointer(_ fn: String) throws -> UnsafeMutableRawPointer {
        guard isContiguous else {
            throw SNNError(.unsupported, "\(fn): the tensor is a strided view (shape \(fmt(shape))), whose memory is not row-major; make it contiguous first (snn_tensor_contiguous / .contiguous())")
        }
        storage.markExported()
        return storage.raw + offset * dtype.byteSize
    }

    /// The address of the first element (index (0, 0, ...)) of any tensor, strided views
    /// included, lent out like `exportDataPointer`: element (i0, i1, ...) is at this address +
    /// sum(i_k * strides[k]) * element size. Strides are never negative here.
    public func exportFirstElementPointer(_ fn: String) throws -> UnsafeMutableRawPointer {
        storage.markExported()
        return storage.raw + offset * dtype.byteSize
    }

    /// Whether the engine may write the elements (false for read-only borrowed memory).
    public var isWritable: Bool { storage.isWritable }

    /// Whether the data pointer was handed out zero-copy.
    public var isExported: Bool { storage.isExported }

    /// The alignment of element 0's address (a power of two, at most 4096).
    public var dataAlignment: Int {
        let address = UInt(bitPattern: Int(bitPattern: storage.raw + offset * dtype.byteSize))
        return address == 0 ? 4096 : Swift.min(1 << address.trailingZeroBitCount, 4096)
    }

    /// Throws unless the elements may be written (`fn` names the writing op).
    func requireWritable(_ fn: String) throws {
        guard storage.isWritable else {
            throw SNNError(.invalidArgument, "\(fn): the tensor \(fmt(shape)) \(dtype.name) wraps read-only memory (a read-only numpy array or snn_tensor_wrap_readonly); copy it with clone() first")
        }
    }
}
