// Activations, trigonometry, erf, rounding and reciprocal (swiftnn/activation.h).
import CSwiftNN
import SwiftNN

@c @implementation
public func snn_tensor_hardswish(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t) { try SwiftNN.hardswish($0) }
}

@c @implementation
public func snn_tensor_hardsigmoid(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t) { try SwiftNN.hardsigmoid($0) }
}

@c @implementation
public func snn_tensor_gelu(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?,
                            _ approximate: snn_gelu_approximate) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)  // first: it sets *out to NULL for every failure below
        guard let mode = GELUApproximation(rawValue: Int(approximate.rawValue)) else {
            throw SNNError(.invalidArgument, "\(fn): approximate is \(approximate.rawValue); expected SNN_GELU_NONE (0) or SNN_GELU_TANH (1)")
        }
        give(try gelu(try tensorArg(t, fn), approximate: mode), o)
    }
}

@c @implementation
public func snn_tensor_silu(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t) { try SwiftNN.silu($0) }
}

@c @implementation
public func snn_tensor_softplus(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?,
                                _ beta: Float, _ threshold: Float) -> snn_status {
    unaryExport(out, t) { try softplus($0, beta: beta, threshold: threshold) }
}

@c @implementation
public func snn_tensor_elu(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?, _ alpha: Float) -> snn_status {
    unaryExport(out, t) { try elu($0, alpha: alpha) }
}

@c @implementation
public func snn_tensor_celu(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?, _ alpha: Float) -> snn_status {
    unaryExport(out, t) { try celu($0, alpha: alpha) }
}

@c @implementation
public func snn_tensor_selu(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t) { try SwiftNN.selu($0) }
}

@c @implementation
public func snn_tensor_mish(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t) { try SwiftNN.mish($0) }
}

@c @implementation
public func snn_tensor_softsign(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t) { try SwiftNN.softsign($0) }
}

@c @implementation
public func snn_tensor_prelu(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?, _ weight: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        give(try prelu(try tensorArg(t, fn), weight: try tensorArg(weight, fn, "weight")), o)
    }
}

@c @implementation
public func snn_tensor_sin(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t) { try SwiftNN.sin($0) }
}

@c @implementation
public func snn_tensor_cos(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t) { try SwiftNN.cos($0) }
}

@c @implementation
public func snn_tensor_tan(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t) { try SwiftNN.tan($0) }
}

@c @implementation
public func snn_tensor_asin(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t) { try SwiftNN.asin($0) }
}

@c @implementation
public func snn_tensor_acos(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t) { try SwiftNN.acos($0) }
}

@c @implementation
public func snn_tensor_atan(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t) { try SwiftNN.atan($0) }
}

@c @implementation
public func snn_tensor_sinh(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t) { try SwiftNN.sinh($0) }
}

@c @implementation
public func snn_tensor_cosh(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t) { try SwiftNN.cosh($0) }
}

@c @implementation
public func snn_tensor_asinh(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t) { try SwiftNN.asinh($0) }
}

@c @implementation
public func snn_tensor_acosh(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t) { try SwiftNN.acosh($0) }
}

@c @implementation
public func snn_tensor_atanh(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t) { try SwiftNN.atanh($0) }
}

@c @implementation
public func snn_tensor_erf(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t) { try SwiftNN.erf($0) }
}

@c @implementation
public func snn_tensor_floor(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t) { try SwiftNN.floor($0) }
}

@c @implementation
public func snn_tensor_ceil(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t) { try SwiftNN.ceil($0) }
}

@c @implementation
public func snn_tensor_round(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t) { try SwiftNN.round($0) }
}

@c @implementation
public func snn_tensor_sign(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t) { try SwiftNN.sign($0) }
}

@c @implementation
public func snn_tensor_reciprocal(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?) -> snn_status {
    unaryExport(out, t) { try SwiftNN.reciprocal($0) }
}
