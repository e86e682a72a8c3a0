// The C export of as_strided (swiftnn/inplace.h): a bounds-checked view with any sizes,
// strides and storage offset.
import CSwiftNN
import SwiftNN

@c @implementation
public func snn_tensor_as_strided(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?,
                                  _ size: UnsafePointer<Int64>?, _ stride: UnsafePointer<Int64>?, _ ndim: Int,
                                  _ storageOffset: Int64) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let x = try tensorArg(t, fn)
        guard ndim <= Int(SNN_MAX_NDIM) else {
            throw SNNError(.invalidArgument, "\(fn): ndim \(ndim) out of range (expected 0...\(SNN_MAX_NDIM))")
        }
        let sizes = try intsArg(size, ndim, fn, "size"), strides = try intsArg(stride, ndim, fn, "stride")
        guard storageOffset >= -1 else {
            throw SNNError(.invalidArgument, "\(fn): storage_offset \(storageOffset) is negative (expected -1 for the tensor's own offset, or >= 0)")
        }
        give(try asStrided(x, size: sizes, stride: strides, storageOffset: storageOffset == -1 ? nil : Int(storageOffset)), o)
    }
}
