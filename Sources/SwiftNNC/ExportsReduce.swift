// Reductions over dimensions (swiftnn/reduce.h).
import CSwiftNN
import SwiftNN

/// Shared body of the `out = reduce(t, dims, keepdim)` exports.
func reduceExport(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?, _ dims: UnsafePointer<Int64>?,
                  _ ndims: Int, _ keepdim: Bool, _ fn: String,
                  _ op: (Tensor, [Int], Bool) throws -> Tensor) -> snn_status {
    boundary {
        let o = try outHandle(out, fn)
        let x = try tensorArg(t, fn)
        let ds = try intsArg(dims, ndims, fn, "dims")
        give(try op(x, ds, keepdim), o)
    }
}

@c @implementation
public func snn_tensor_sum(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?,
                           _ dims: UnsafePointer<Int64>?, _ ndims: Int, _ keepdim: Bool) -> snn_status {
    reduceExport(out, t, dims, ndims, keepdim, "snn_tensor_sum") { try sum($0, dims: $1, keepdim: $2) }
}

@c @implementation
public func snn_tensor_mean(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?,
                            _ dims: UnsafePointer<Int64>?, _ ndims: Int, _ keepdim: Bool) -> snn_status {
    reduceExport(out, t, dims, ndims, keepdim, "snn_tensor_mean") { try mean($0, dims: $1, keepdim: $2) }
}
