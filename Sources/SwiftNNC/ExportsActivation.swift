// Activations, trigonometry, erf, rounding and reciprocal (swiftnn/activation.h).
import CSwiftNN
import SwiftNN

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
public func snn_tensor_prelu(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ t: OpaquePointer?, _ weight: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        give(try prelu(try tensorArg(t, fn), weight: try tensorArg(weight, fn, "weight")), o)
    }
}

