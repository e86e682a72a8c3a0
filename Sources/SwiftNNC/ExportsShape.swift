// Reshaping, reordering, indexing and joining (swiftnn/shape.h).
import CSwiftNN
import SwiftNN

@c @implementation
public func snn_tensor_reshape(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?,
                               _ shape: UnsafePointer<Int64>?, _ ndim: Int) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        give(try reshape(try tensorArg(t, fn), try intsArg(shape, ndim, fn, "shape")), o)
    }
}

@c @implementation
public func snn_tensor_flatten(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?,
                               _ startDim: Int64, _ endDim: Int64) -> snn_status {
    unaryExport(out, t) { try flatten($0, startDim: Int(startDim), endDim: Int(endDim)) }
}

@c @implementation
public func snn_tensor_squeeze(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?,
                               _ dims: UnsafePointer<Int64>?, _ ndims: Int) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        give(try squeeze(try tensorArg(t, fn), dims: try intsArg(dims, ndims, fn, "dims")), o)
    }
}

@c @implementation
public func snn_tensor_unsqueeze(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?, _ dim: Int64) -> snn_status {
    unaryExport(out, t) { try unsqueeze($0, dim: Int(dim)) }
}

@c @implementation
public func snn_tensor_transpose(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?,
                                 _ dim0: Int64, _ dim1: Int64) -> snn_status {
    unaryExport(out, t) { try transpose($0, Int(dim0), Int(dim1)) }
}

@c @implementation
public func snn_tensor_permute(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?,
                               _ dims: UnsafePointer<Int64>?, _ ndims: Int) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        give(try permute(try tensorArg(t, fn), try intsArg(dims, ndims, fn, "dims")), o)
    }
}

@c @implementation
public func snn_tensor_expand(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?,
                              _ shape: UnsafePointer<Int64>?, _ ndim: Int) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        give(try expand(try tensorArg(t, fn), to: try intsArg(shape, ndim, fn, "shape")), o)
    }
}

@c @implementation
public func snn_tensor_slice(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?,
                             _ dim: Int64, _ start: Int64, _ end: Int64, _ step: Int64) -> snn_status {
    unaryExport(out, t) {
        try slice($0, dim: Int(dim), start: Int(start), end: Int(end), step: Int(step))
    }
}

@c @implementation
public func snn_tensor_select(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?,
                              _ dim: Int64, _ index: Int64) -> snn_status {
    unaryExport(out, t) { try select($0, dim: Int(dim), index: Int(index)) }
}

@c @implementation
public func snn_tensor_index_select(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?,
                                    _ dim: Int64, _ index: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        give(try indexSelect(try tensorArg(t, fn), dim: Int(dim), index: try tensorArg(index, fn, "index")), o)
    }
}

@c @implementation
public func snn_tensor_cat(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ ts: UnsafePointer<OpaquePointer?>?,
                           _ n: Int, _ dim: Int64) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        give(try cat(try tensorsArg(ts, n, fn, "ts"), dim: Int(dim)), o)
    }
}

@c @implementation
public func snn_tensor_stack(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ ts: UnsafePointer<OpaquePointer?>?,
                             _ n: Int, _ dim: Int64) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        give(try stack(try tensorsArg(ts, n, fn, "ts"), dim: Int(dim)), o)
    }
}
