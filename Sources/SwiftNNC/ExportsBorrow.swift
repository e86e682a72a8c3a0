// Memory shared without copying (swiftnn/interop.h): caller memory wrapped as a tensor with a
// release callback, and a tensor's data pointer lent to the caller.
import CSwiftNN
import SwiftNN

/// The one body of snn_tensor_wrap and snn_tensor_wrap_readonly: everything is validated
/// before the storage takes over `release`, so a failed call never calls it.
func wrapExport(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ data: UnsafeMutableRawPointer?, _ bytes: Int,
                _ shape: UnsafePointer<Int64>?, _ ndim: Int, _ dtype: snn_dtype, writable: Bool,
                _ release: snn_release_fn?, _ ctx: UnsafeMutableRawPointer?, caller: String = #function) -> snn_status {
    boundary(caller: caller) { fn in
        let o = try outHandle(out, fn)
        let dims = try shapeArg(shape, ndim, fn)
        guard let kind = DType(rawValue: Int32(bitPattern: dtype.rawValue)) else {
            throw SNNError(.dtypeMismatch, "\(fn): dtype \(dtype.rawValue) is not an snn_dtype (expected 0...\(DType.allCases.count - 1))")
        }
        guard let release else {
            throw SNNError(.invalidArgument, "\(fn): release is NULL; pass a function that releases ctx (one that does nothing if the memory outlives the tensor)")
        }
        guard bytes >= 0 else { throw SNNError(.invalidArgument, "\(fn): bytes \(UInt(bitPattern: bytes)) is too large") }
        give(try Tensor(borrowing: data, byteCount: bytes, shape: dims, dtype: kind, writable: writable,
                        release: release, context: ctx, fn), o)
    }
}

@c @implementation
public func snn_tensor_wrap(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ data: UnsafeMutableRawPointer?, _ bytes: Int,
                            _ shape: UnsafePointer<Int64>?, _ ndim: Int, _ dtype: snn_dtype,
                            _ release: snn_release_fn?, _ ctx: UnsafeMutableRawPointer?) -> snn_status {
    wrapExport(out, data, bytes, shape, ndim, dtype, writable: true, release, ctx)
}

@c @implementation
public func snn_tensor_wrap_readonly(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ data: UnsafeRawPointer?, _ bytes: Int,
                                     _ shape: UnsafePointer<Int64>?, _ ndim: Int, _ dtype: snn_dtype,
                                     _ release: snn_release_fn?, _ ctx: UnsafeMutableRawPointer?) -> snn_status {
    // The engine never writes through a read-only storage (requireWritable), so the cast only
    // lets one Storage type hold both kinds.
    wrapExport(out, UnsafeMutableRawPointer(mutating: data), bytes, shape, ndim, dtype, writable: false, release, ctx)
}

@c @implementation
public func snn_tensor_data_ptr(_ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ t: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        o.pointee = nil
        o.pointee = try tensorArg(t, fn).exportDataPointer(fn)
    }
}

@c @implementation
public func snn_tensor_strided_data_ptr(_ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ t: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        o.pointee = nil
        o.pointee = try tensorArg(t, fn).exportFirstElementPointer(fn)
    }
}

@c @implementation
public func snn_tensor_is_writable(_ out: UnsafeMutablePointer<Bool>?, _ t: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        o.pointee = try tensorArg(t, fn).isWritable
    }
}
