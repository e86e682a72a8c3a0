// Padding, interpolation, one-hot encoding and attention (swiftnn/resample.h, attention.h).
import CSwiftNN
import SwiftNN

@c @implementation
public func snn_tensor_pad(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ input: OpaquePointer?, _ pads: UnsafePointer<Int64>?,
                           _ n: Int, _ mode: Int32, _ value: Double) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let p = try intsArg(pads, n, fn, "pad")
        guard mode >= 0, mode < Int32(PadMode.allModes.count) else {
            throw SNNError(.invalidArgument, "\(fn): mode \(mode) is not one of SNN_PAD_CONSTANT (0), REFLECT (1), REPLICATE (2), CIRCULAR (3)")
        }
        give(try pad(try tensorArg(input, fn, "input"), p, mode: PadMode.allModes[Int(mode)], value: value), o)
    }
}

@c @implementation
public func snn_tensor_interpolate(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ input: OpaquePointer?,
                                   _ size: UnsafePointer<Int64>?, _ n: Int, _ scales: UnsafePointer<Double>?,
                                   _ mode: Int32, _ alignCorners: Bool) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let s = try intsArg(size, n, fn, "size")
        guard let m = InterpolateMode(rawValue: Int(mode)) else {
            throw SNNError(.invalidArgument, "\(fn): mode \(mode) is not one of SNN_INTERPOLATE_NEAREST (0), NEAREST_EXACT (1), LINEAR (2)")
        }
        let sc: [Double?] = scales.map { p in (0..<n).map { p[$0] > 0 ? p[$0] : nil } } ?? []
        give(try interpolate(try tensorArg(input, fn, "input"), size: s, scales: sc, mode: m, alignCorners: alignCorners), o)
    }
}

@c @implementation
public func snn_tensor_one_hot(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ indices: OpaquePointer?, _ numClasses: Int64) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        give(try oneHot(try tensorArg(indices, fn, "indices"), numClasses: try intArg(numClasses, fn, "num_classes")), o)
    }
}

@c @implementation
public func snn_tensor_scaled_dot_product_attention(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ query: OpaquePointer?,
                                                    _ key: OpaquePointer?, _ value: OpaquePointer?, _ mask: OpaquePointer?,
                                                    _ dropoutP: Double, _ isCausal: Bool, _ scale: Double) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        give(try scaledDotProductAttention(try tensorArg(query, fn, "query"), try tensorArg(key, fn, "key"),
                                           try tensorArg(value, fn, "value"), attnMask: try optionalTensorArg(mask, fn, "attn_mask"),
                                           dropoutP: dropoutP, isCausal: isCausal, scale: scale > 0 ? scale : nil), o)
    }
}
