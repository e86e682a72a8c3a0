// Constructors of the built-in layers (swiftnn/layers.h).
import CSwiftNN
import SwiftNN

/// Shared body of the layer constructors.
func layerExport(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ fn: String, _ make: () throws -> Module) -> snn_status {
    boundary {
        let o = try outHandle(out, fn)
        o.pointee = Registry.shared.insert(try make())
    }
}

@c @implementation
public func snn_module_relu(_ out: UnsafeMutablePointer<OpaquePointer?>?) -> snn_status {
    layerExport(out, "snn_module_relu") { ReLU() }
}

@c @implementation
public func snn_module_leaky_relu(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ slope: Float) -> snn_status {
    layerExport(out, "snn_module_leaky_relu") {
        guard slope.isFinite else { throw SNNError(.invalidArgument, "snn_module_leaky_relu: negative_slope \(slope) is not finite") }
        return LeakyReLU(negativeSlope: slope)
    }
}

@c @implementation
public func snn_module_relu6(_ out: UnsafeMutablePointer<OpaquePointer?>?) -> snn_status {
    layerExport(out, "snn_module_relu6") { ReLU6() }
}

@c @implementation
public func snn_module_tanh(_ out: UnsafeMutablePointer<OpaquePointer?>?) -> snn_status {
    layerExport(out, "snn_module_tanh") { Tanh() }
}

@c @implementation
public func snn_module_sigmoid(_ out: UnsafeMutablePointer<OpaquePointer?>?) -> snn_status {
    layerExport(out, "snn_module_sigmoid") { Sigmoid() }
}

@c @implementation
public func snn_module_flatten(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ start: Int64, _ end: Int64) -> snn_status {
    layerExport(out, "snn_module_flatten") {
        guard (-64...64).contains(start), (-64...64).contains(end) else { throw SNNError(.invalidArgument, "snn_module_flatten: start_dim \(start) / end_dim \(end) out of range") }
        return Flatten(startDim: Int(start), endDim: Int(end))
    }
}
