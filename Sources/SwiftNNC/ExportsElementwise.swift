// Elementwise math, activations and powers (swiftnn/elementwise.h).
import CSwiftNN
import SwiftNN

@c @implementation
public func snn_tensor_neg(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t, "snn_tensor_neg", neg)
}

@c @implementation
public func snn_tensor_exp(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t, "snn_tensor_exp") { try SwiftNN.exp($0) }
}

@c @implementation
public func snn_tensor_log(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t, "snn_tensor_log") { try SwiftNN.log($0) }
}

@c @implementation
public func snn_tensor_sqrt(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t, "snn_tensor_sqrt") { try SwiftNN.sqrt($0) }
}

@c @implementation
public func snn_tensor_abs(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t, "snn_tensor_abs") { try SwiftNN.abs($0) }
}

@c @implementation
public func snn_tensor_tanh(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t, "snn_tensor_tanh") { try SwiftNN.tanh($0) }
}

@c @implementation
public func snn_tensor_sigmoid(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t, "snn_tensor_sigmoid", sigmoid)
}

@c @implementation
public func snn_tensor_relu(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t, "snn_tensor_relu", relu)
}

@c @implementation
public func snn_tensor_leaky_relu(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?,
                                  _ negativeSlope: Float) -> snn_status {
    unaryExport(out, t, "snn_tensor_leaky_relu") { try leakyReLU($0, negativeSlope: negativeSlope) }
}

@c @implementation
public func snn_tensor_relu6(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t, "snn_tensor_relu6", relu6)
}

@c @implementation
public func snn_tensor_clamp(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?,
                             _ min: Float, _ max: Float, _ hasMin: Bool, _ hasMax: Bool) -> snn_status {
    unaryExport(out, t, "snn_tensor_clamp") { try clamp($0, min: hasMin ? min : nil, max: hasMax ? max : nil) }
}

@c @implementation
public func snn_tensor_pow(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ a: OpaquePointer?, _ b: OpaquePointer?) -> snn_status {
    binaryExport(out, a, b, "snn_tensor_pow") { try SwiftNN.pow($0, $1) }
}

@c @implementation
public func snn_tensor_pow_scalar(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?,
                                  _ exponent: Float) -> snn_status {
    unaryExport(out, t, "snn_tensor_pow_scalar") { try SwiftNN.pow($0, exponent) }
}
