// DLPack through the C API (swiftnn/interop.h): a producer that lends a tensor's memory in a
// DLManagedTensor holding a retained reference to the tensor, and a consumer that wraps a
// DLManagedTensor's memory as borrowed storage whose release is the producer's deleter.
// The struct layout is DLPack's, from Sources/CSwiftNN/dlpack.h.
import CSwiftNN
import SwiftNN
#if canImport(Glibc)
import Glibc
#endif

private let kDLCPU: Int32 = 1

/// (DLDataTypeCode, bits) of each dtype: kDLInt 0, kDLUInt 1, kDLFloat 2, kDLBool 6.
private func dlType(_ d: DType) -> (code: UInt8, bits: UInt8) {
    switch d {
    case .float32: (2, 32)
    case .float64: (2, 64)
    case .int64: (0, 64)
    case .int32: (0, 32)
    case .uint8: (1, 8)
    case .bool: (6, 8)
    }
}

private func dtype(dlCode code: UInt8, bits: UInt8) -> DType? {
    DType.allCases.first { dlType($0) == (code, bits) }
}

/// The deleter of every DLManagedTensor we produce: drops the tensor reference it holds and
/// frees the block (struct, shape and strides in one allocation).
private let producedDeleter: @convention(c) (UnsafeMutablePointer<snn_dl_managed_tensor>?) -> Void = { m in
    guard let m else { return }
    if let ctx = m.pointee.manager_ctx { Unmanaged<Tensor>.fromOpaque(ctx).release() }
    free(m)
}

/// The release of a consumed DLManagedTensor: its producer's deleter, once.
private let consumedRelease: ReleaseCallback = { ctx in
    guard let m = ctx?.assumingMemoryBound(to: snn_dl_managed_tensor.self) else { return }
    m.pointee.deleter?(m)
}

@c @implementation
public func snn_tensor_to_dlpack(_ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ t: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn, "out_managed")
        o.pointee = nil
        let x = try tensorArg(t, fn)
        guard x.isWritable else {
            throw SNNError(.unsupported, "\(fn): the tensor wraps read-only memory, which unversioned DLPack cannot mark read-only; clone it first")
        }
        // A strided view goes out with its strides (DLPack's strides are in elements, as ours).
        let data = try x.exportFirstElementPointer(fn)
        let viewStrides = x.strides
        let nd = x.rank, header = MemoryLayout<snn_dl_managed_tensor>.stride
        guard let block = malloc(header + 2 * Swift.max(nd, 1) * MemoryLayout<Int64>.stride) else {
            throw SNNError(.outOfMemory, "\(fn): cannot allocate the DLManagedTensor")
        }
        let shape = (block + header).bindMemory(to: Int64.self, capacity: 2 * Swift.max(nd, 1))
        let strides = shape + nd
        for i in 0..<nd {
            shape[i] = Int64(x.shape[i])
            strides[i] = Int64(viewStrides[i])
        }
        let (code, bits) = dlType(x.dtype)
        let tensor = snn_dl_tensor(data: data, device: snn_dl_device(device_type: kDLCPU, device_id: 0),
                                   ndim: Int32(nd), dtype: snn_dl_data_type(code: code, bits: bits, lanes: 1),
                                   shape: shape, strides: strides, byte_offset: 0)
        block.bindMemory(to: snn_dl_managed_tensor.self, capacity: 1).initialize(
            to: snn_dl_managed_tensor(dl_tensor: tensor, manager_ctx: Unmanaged.passRetained(x).toOpaque(),
                                      deleter: producedDeleter))
        o.pointee = block
    }
}

@c @implementation
public func snn_tensor_from_dlpack(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ managed: UnsafeMutableRawPointer?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        guard let managed else { throw SNNError(.invalidArgument, "\(fn): managed is NULL, expected a DLManagedTensor *") }
        let dl = managed.assumingMemoryBound(to: snn_dl_managed_tensor.self).pointee.dl_tensor
        guard dl.device.device_type == kDLCPU else {
            throw SNNError(.unsupported, "\(fn): the tensor is on DLPack device type \(dl.device.device_type) (id \(dl.device.device_id)); SwiftNN reads CPU memory (kDLCPU = 1)")
        }
        guard dl.dtype.lanes == 1, let kind = dtype(dlCode: dl.dtype.code, bits: dl.dtype.bits) else {
            throw SNNError(.dtypeMismatch, "\(fn): DLPack dtype (code \(dl.dtype.code), bits \(dl.dtype.bits), lanes \(dl.dtype.lanes)) is not supported; SwiftNN has float32, float64, int64, int32, uint8 and bool")
        }
        guard dl.ndim >= 0, dl.ndim <= Int32(SNN_MAX_NDIM) else {
            throw SNNError(.invalidArgument, "\(fn): ndim \(dl.ndim) out of range (expected 0...\(SNN_MAX_NDIM))")
        }
        let nd = Int(dl.ndim)
        guard nd == 0 || dl.shape != nil else { throw SNNError(.invalidArgument, "\(fn): shape is NULL but ndim is \(nd)") }
        let dims = (0..<nd).map { Int(dl.shape![$0]) }
        guard !dims.contains(where: { $0 < 0 }) else { throw SNNError(.invalidArgument, "\(fn): shape \(dims) has a negative dimension") }
        var n = 1
        for d in dims {
            let (m, overflow) = n.multipliedReportingOverflow(by: d)
            guard !overflow, m <= 1 << 40 else { throw SNNError(.outOfMemory, "\(fn): shape \(dims) has too many elements") }
            n = m
        }
        // Strided memory (numpy's a[::2], a.T) is shared too: the span it covers is borrowed and
        // viewed with its strides (as_strided). Negative strides are refused, as PyTorch does.
        var strided: [Int]? = nil
        var span = n
        if let strides = dl.strides, n > 1 {
            let given = (0..<nd).map { Int(strides[$0]) }
            var expected = 1, compact = true
            for i in stride(from: nd - 1, through: 0, by: -1) {
                if dims[i] != 1 && given[i] != expected { compact = false }
                expected *= dims[i]
            }
            if !compact {
                guard given.allSatisfy({ $0 >= 0 }) else {
                    throw SNNError(.unsupported, "\(fn): strides \(given) of shape \(dims) include a negative stride, which SwiftNN tensors (like PyTorch's) do not support; make a copy first")
                }
                var last = 0
                for (d, st) in zip(dims, given) {
                    let (step, o1) = (d - 1).multipliedReportingOverflow(by: st)
                    let (sum, o2) = last.addingReportingOverflow(step)
                    guard !o1, !o2, sum <= 1 << 40 else { throw SNNError(.outOfMemory, "\(fn): strides \(given) of shape \(dims) span too much memory") }
                    last = sum
                }
                strided = given
                span = last + 1
            }
        }
        guard n == 0 || dl.data != nil else { throw SNNError(.invalidArgument, "\(fn): data is NULL but shape \(dims) has \(n) elements") }
        let data = n == 0 ? nil : dl.data.map { $0 + Int(truncatingIfNeeded: dl.byte_offset) }
        let whole = try Tensor(borrowing: data, byteCount: span * kind.byteSize, shape: strided == nil ? dims : [span],
                               dtype: kind, writable: true, release: consumedRelease, context: managed, fn)
        if let strides = strided {
            give(try GradMode.withoutGrad { try asStrided(whole, size: dims, stride: strides, storageOffset: 0) }, o)
        } else {
            give(whole, o)
        }
    }
}
