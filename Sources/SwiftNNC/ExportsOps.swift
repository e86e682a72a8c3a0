// Elementwise arithmetic and matrix products (swiftnn/ops.h).
import CSwiftNN
import SwiftNN

/// Shared body of every `out = op(a, b)` export.
func binaryExport(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ a: OpaquePointer?, _ b: OpaquePointer?,
                  caller: String = #function, _ op: (Tensor, Tensor) throws -> Tensor) -> snn_status {
    boundary(caller: caller) { fn in
        let o = try outHandle(out, fn)
        give(try op(try tensorArg(a, fn, "a"), try tensorArg(b, fn, "b")), o)
    }
}

/// Shared body of every `out = op(t)` export.
func unaryExport(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?,
                 caller: String = #function, _ op: (Tensor) throws -> Tensor) -> snn_status {
    boundary(caller: caller) { fn in
        let o = try outHandle(out, fn)
        give(try op(try tensorArg(t, fn)), o)
    }
}

@c @implementation
public func snn_tensor_add(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ a: OpaquePointer?, _ b: OpaquePointer?) -> snn_status {
    binaryExport(out, a, b, add)
}

@c @implementation
public func snn_tensor_sub(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ a: OpaquePointer?, _ b: OpaquePointer?) -> snn_status {
    binaryExport(out, a, b, sub)
}

@c @implementation
public func snn_tensor_mul(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ a: OpaquePointer?, _ b: OpaquePointer?) -> snn_status {
    binaryExport(out, a, b, mul)
}

@c @implementation
public func snn_tensor_div(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ a: OpaquePointer?, _ b: OpaquePointer?) -> snn_status {
    binaryExport(out, a, b, div)
}

@c @implementation
public func snn_tensor_matmul(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ a: OpaquePointer?, _ b: OpaquePointer?) -> snn_status {
    binaryExport(out, a, b, matmul)
}
