// Elementwise math, activations and powers (swiftnn/elementwise.h).
import CSwiftNN
import SwiftNN

@c @implementation
public func snn_tensor_neg(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t, neg)
}

@c @implementation
public func snn_tensor_leaky_relu(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?,
                                  _ negativeSlope: Float) -> snn_status {
    unaryExport(out, t) { try leakyReLU($0, negativeSlope: negativeSlope) }
}

@c @implementation
public func snn_tensor_relu6(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t, relu6)
}

@c @implementation
public func snn_tensor_clamp(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?,
                             _ min: Float, _ max: Float, _ hasMin: Bool, _ hasMax: Bool) -> snn_status {
    unaryExport(out, t) { try clamp($0, min: hasMin ? min : nil, max: hasMax ? max : nil) }
}

@c @implementation
public func snn_tensor_pow(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ a: OpaquePointer?, _ b: OpaquePointer?) -> snn_status {
    binaryExport(out, a, b) { try SwiftNN.pow($0, $1) }
}

@c @implementation
public func snn_tensor_pow_scalar(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?,
                                  _ exponent: Float) -> snn_status {
    unaryExport(out, t) { try SwiftNN.pow($0, exponent) }
}
