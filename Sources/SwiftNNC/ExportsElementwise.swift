// Elementwise math, activations and powers (swiftnn/elementwise.h).
import CSwiftNN
import SwiftNN

@c @implementation
public func snn_tensor_neg(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t, neg)
}

@c @implementation
public func snn_tensor_exp(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t) { try SwiftNN.exp($0) }
}

@c @implementation
public func snn_tensor_log(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t) { try SwiftNN.log($0) }
}

@c @implementation
public func snn_tensor_sqrt(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t) { try SwiftNN.sqrt($0) }
}

@c @implementation
public func snn_tensor_abs(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t) { try SwiftNN.abs($0) }
}

@c @implementation
public func snn_tensor_tanh(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t) { try SwiftNN.tanh($0) }
}

@c @implementation
public func snn_tensor_sigmoid(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t, sigmoid)
}

@c @implementation
public func snn_tensor_relu(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t, relu)
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
