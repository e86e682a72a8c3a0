// Reductions over dimensions, maxima and indices, softmax, variance (swiftnn/reduce.h).
import CSwiftNN
import SwiftNN

/// Shared body of the `out = reduce(t, dims, keepdim)` exports.
func reduceExport(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?, _ dims: UnsafePointer<Int64>?,
                  _ ndims: Int, _ keepdim: Bool, caller: String = #function,
                  _ op: (Tensor, [Int], Bool) throws -> Tensor) -> snn_status {
    boundary(caller: caller) { fn in
        let o = try outHandle(out, fn)
        let x = try tensorArg(t, fn)
        let ds = try intsArg(dims, ndims, fn, "dims")
        give(try op(x, ds, keepdim), o)
    }
}

@c @implementation
public func snn_tensor_sum(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?,
                           _ dims: UnsafePointer<Int64>?, _ ndims: Int, _ keepdim: Bool) -> snn_status {
    reduceExport(out, t, dims, ndims, keepdim) { try sum($0, dims: $1, keepdim: $2) }
}

@c @implementation
public func snn_tensor_mean(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?,
                            _ dims: UnsafePointer<Int64>?, _ ndims: Int, _ keepdim: Bool) -> snn_status {
    reduceExport(out, t, dims, ndims, keepdim) { try mean($0, dims: $1, keepdim: $2) }
}

/// A C int64 argument as Int (exact; a value that does not fit is an invalid argument).
func intArg(_ v: Int64, _ fn: String, _ arg: String) throws -> Int {
    guard let i = Int(exactly: v) else { throw SNNError(.invalidArgument, "\(fn): \(arg) \(v) does not fit in a machine integer") }
    return i
}

/// Shared body of max_dim and min_dim: two out-handles, both NULL on failure.
func extremeDimExport(_ values: UnsafeMutablePointer<OpaquePointer?>?, _ indices: UnsafeMutablePointer<OpaquePointer?>?,
                      _ t: OpaquePointer?, _ dim: Int64, _ keepdim: Bool, caller: String = #function,
                      _ op: (Tensor, Int, Bool) throws -> (values: Tensor, indices: Tensor)) -> snn_status {
    boundary(caller: caller) { fn in
        let ov = try outHandle(values, fn, "values")
        let oi = try outHandle(indices, fn, "indices")
        let r = try op(try tensorArg(t, fn), try intArg(dim, fn, "dim"), keepdim)
        give(r.values, ov)
        give(r.indices, oi)
    }
}

@c @implementation
public func snn_tensor_max_dim(_ values: UnsafeMutablePointer<OpaquePointer?>?, _ indices: UnsafeMutablePointer<OpaquePointer?>?,
                               _ t: OpaquePointer?, _ dim: Int64, _ keepdim: Bool) -> snn_status {
    extremeDimExport(values, indices, t, dim, keepdim) { try max($0, dim: $1, keepdim: $2) }
}

@c @implementation
public func snn_tensor_min_dim(_ values: UnsafeMutablePointer<OpaquePointer?>?, _ indices: UnsafeMutablePointer<OpaquePointer?>?,
                               _ t: OpaquePointer?, _ dim: Int64, _ keepdim: Bool) -> snn_status {
    extremeDimExport(values, indices, t, dim, keepdim) { try min($0, dim: $1, keepdim: $2) }
}

@c @implementation
public func snn_tensor_amax(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?,
                            _ dims: UnsafePointer<Int64>?, _ ndims: Int, _ keepdim: Bool) -> snn_status {
    reduceExport(out, t, dims, ndims, keepdim) { try amax($0, dims: $1, keepdim: $2) }
}

@c @implementation
public func snn_tensor_amin(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?,
                            _ dims: UnsafePointer<Int64>?, _ ndims: Int, _ keepdim: Bool) -> snn_status {
    reduceExport(out, t, dims, ndims, keepdim) { try amin($0, dims: $1, keepdim: $2) }
}

/// Shared body of argmax and argmin.
func extremeIndexExport(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?, _ dim: Int64, _ hasDim: Bool,
                        _ keepdim: Bool, caller: String = #function, _ op: (Tensor, Int?, Bool) throws -> Tensor) -> snn_status {
    boundary(caller: caller) { fn in
        let o = try outHandle(out, fn)
        let x = try tensorArg(t, fn)
        give(try op(x, hasDim ? try intArg(dim, fn, "dim") : nil, keepdim), o)
    }
}

@c @implementation
public func snn_tensor_argmax(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?,
                              _ dim: Int64, _ hasDim: Bool, _ keepdim: Bool) -> snn_status {
    extremeIndexExport(out, t, dim, hasDim, keepdim) { try argmax($0, dim: $1, keepdim: $2) }
}

@c @implementation
public func snn_tensor_argmin(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?,
                              _ dim: Int64, _ hasDim: Bool, _ keepdim: Bool) -> snn_status {
    extremeIndexExport(out, t, dim, hasDim, keepdim) { try argmin($0, dim: $1, keepdim: $2) }
}

/// Shared body of softmax and log_softmax.
func dimExport(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?, _ dim: Int64, caller: String = #function,
               _ op: (Tensor, Int) throws -> Tensor) -> snn_status {
    boundary(caller: caller) { fn in
        let o = try outHandle(out, fn)
        let x = try tensorArg(t, fn)
        give(try op(x, try intArg(dim, fn, "dim")), o)
    }
}

@c @implementation
public func snn_tensor_softmax(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?, _ dim: Int64) -> snn_status {
    dimExport(out, t, dim) { try softmax($0, dim: $1) }
}

@c @implementation
public func snn_tensor_log_softmax(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?, _ dim: Int64) -> snn_status {
    dimExport(out, t, dim) { try logSoftmax($0, dim: $1) }
}

@c @implementation
public func snn_tensor_logsumexp(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?,
                                 _ dims: UnsafePointer<Int64>?, _ ndims: Int, _ keepdim: Bool) -> snn_status {
    reduceExport(out, t, dims, ndims, keepdim) { try logsumexp($0, dims: $1, keepdim: $2) }
}

@c @implementation
public func snn_tensor_var(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?,
                           _ dims: UnsafePointer<Int64>?, _ ndims: Int, _ correction: Double, _ keepdim: Bool) -> snn_status {
    reduceExport(out, t, dims, ndims, keepdim) { try variance($0, dims: $1, correction: correction, keepdim: $2) }
}

@c @implementation
public func snn_tensor_std(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?,
                           _ dims: UnsafePointer<Int64>?, _ ndims: Int, _ correction: Double, _ keepdim: Bool) -> snn_status {
    reduceExport(out, t, dims, ndims, keepdim) { try standardDeviation($0, dims: $1, correction: correction, keepdim: $2) }
}
