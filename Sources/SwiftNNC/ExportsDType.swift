// C exports for tensors of every dtype (swiftnn/tensor.h): data in and out as raw bytes, and
// the dtype argument's validation, shared by every export that takes an snn_dtype.
import CSwiftNN
import SwiftNN

/// An snn_dtype argument as the engine's DType; an unknown value is SNN_ERR_DTYPE naming it.
func dtypeArg(_ d: snn_dtype, _ fn: String, _ arg: String = "dtype") throws -> DType {
    guard let t = DType(rawValue: Int32(truncatingIfNeeded: d.rawValue)) else {
        throw SNNError(.dtypeMismatch, "\(fn): \(arg) \(d.rawValue) is not an snn_dtype (expected 0...\(DType.allCases.count - 1): "
                       + DType.allCases.map { "\($0.rawValue) \($0.name)" }.joined(separator: ", ") + ")")
    }
    return t
}

@c @implementation
public func snn_tensor_from_bytes(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ data: UnsafePointer<UInt8>?, _ count: Int,
                                  _ shape: UnsafePointer<Int64>?, _ ndim: Int, _ dtype: snn_dtype) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let dt = try dtypeArg(dtype, fn)
        let dims = try shapeArg(shape, ndim, fn)
        let t = try Tensor(empty: dims, dtype: dt, zeroed: false, fn)
        guard count == t.count else {
            throw SNNError(.shapeMismatch, "\(fn): count is \(count) but shape \(dims) has \(t.count) elements")
        }
        if count > 0 {
            guard let data else { throw SNNError(.invalidArgument, "\(fn): data is NULL but count is \(count)") }
            if dt == .bool {
                // Only 0 and 1 are bools: the kernels may rely on it (as PyTorch's do).
                for i in 0..<count { t.bytes[i] = data[i] == 0 ? 0 : 1 }
            } else {
                t.rawBytes.copyMemory(from: data, byteCount: count * dt.byteSize)
            }
        }
        give(t, o)
    }
}

@c @implementation
public func snn_tensor_copy_bytes(_ dst: UnsafeMutablePointer<UInt8>?, _ capacity: Int, _ t: OpaquePointer?) -> snn_status {
    boundary { fn in
        let x = try tensorArg(t, fn)
        let bytes = x.count * x.dtype.byteSize
        guard capacity >= bytes else {
            throw SNNError(.invalidArgument, "\(fn): capacity \(capacity) bytes is smaller than the tensor's \(bytes) "
                           + "(\(x.count) \(x.dtype.name) elements of shape \(x.shape))")
        }
        if bytes > 0 {
            guard let dst else { throw SNNError(.invalidArgument, "\(fn): dst is NULL") }
            UnsafeMutableRawPointer(dst).copyMemory(from: x.rawBytes, byteCount: bytes)
        }
    }
}

@c @implementation
public func snn_tensor_to(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?, _ dtype: snn_dtype) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let x = try tensorArg(t, fn)
        give(try x.to(try dtypeArg(dtype, fn)), o)
    }
}

@c @implementation
public func snn_tensor_full_dtype(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ shape: UnsafePointer<Int64>?, _ ndim: Int,
                                  _ value: Double, _ dtype: snn_dtype) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let dt = try dtypeArg(dtype, fn)
        give(try Tensor.full(try shapeArg(shape, ndim, fn), value, dtype: dt, fn), o)
    }
}

@c @implementation
public func snn_tensor_arange_dtype(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ start: Double, _ end: Double, _ step: Double,
                                    _ dtype: snn_dtype) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        give(try Tensor.arange(start, end, step, dtype: try dtypeArg(dtype, fn)), o)
    }
}

@c @implementation
public func snn_tensor_floor_divide(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ a: OpaquePointer?, _ b: OpaquePointer?) -> snn_status {
    binaryExport(out, a, b) { try floorDivideOp($0, $1) }
}

@c @implementation
public func snn_tensor_remainder(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ a: OpaquePointer?, _ b: OpaquePointer?) -> snn_status {
    binaryExport(out, a, b) { try remainder($0, $1) }
}

@c @implementation
public func snn_tensor_number(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ value: UnsafePointer<UInt8>?, _ dtype: snn_dtype) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let dt = try dtypeArg(dtype, fn)
        guard let value else { throw SNNError(.invalidArgument, "\(fn): value is NULL, expected a pointer to one \(dt.name) element") }
        let t = try Tensor(empty: [], dtype: dt, zeroed: false, fn)
        if dt == .bool { t.bytes[0] = value[0] == 0 ? 0 : 1 } else { t.rawBytes.copyMemory(from: value, byteCount: dt.byteSize) }
        t.isWrappedNumber = true
        give(t, o)
    }
}

@c @implementation
public func snn_dtype_promote(_ out: UnsafeMutablePointer<snn_dtype>?, _ a: snn_dtype, _ b: snn_dtype) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        let d = DType.promoted(try dtypeArg(a, fn, "a"), try dtypeArg(b, fn, "b"))
        o.pointee = snn_dtype(rawValue: UInt32(d.rawValue))
    }
}

@c @implementation
public func snn_tensor_result_type(_ out: UnsafeMutablePointer<snn_dtype>?, _ a: OpaquePointer?, _ b: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        let d = promote(try tensorArg(a, fn, "a"), try tensorArg(b, fn, "b"))
        o.pointee = snn_dtype(rawValue: UInt32(d.rawValue))
    }
}
