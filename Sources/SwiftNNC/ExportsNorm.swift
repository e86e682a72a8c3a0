// Layer and group normalization: the ops and the modules (swiftnn/norm.h).
import CSwiftNN
import SwiftNN

@c @implementation
public func snn_tensor_layer_norm(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ input: OpaquePointer?,
                                  _ normalizedShape: UnsafePointer<Int64>?, _ n: Int,
                                  _ weight: OpaquePointer?, _ bias: OpaquePointer?, _ eps: Double) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let shape = try shapeArg(normalizedShape, n, fn, "normalized_shape")
        give(try layerNorm(try tensorArg(input, fn, "input"), normalizedShape: shape,
                           weight: try optionalTensorArg(weight, fn, "weight"), bias: try optionalTensorArg(bias, fn, "bias"),
                           eps: eps), o)
    }
}

@c @implementation
public func snn_tensor_group_norm(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ input: OpaquePointer?, _ numGroups: Int64,
                                  _ weight: OpaquePointer?, _ bias: OpaquePointer?, _ eps: Double) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        give(try groupNorm(try tensorArg(input, fn, "input"), numGroups: try intArg(numGroups, fn, "num_groups"),
                           weight: try optionalTensorArg(weight, fn, "weight"), bias: try optionalTensorArg(bias, fn, "bias"),
                           eps: eps), o)
    }
}

@c @implementation
public func snn_module_layer_norm(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ normalizedShape: UnsafePointer<Int64>?,
                                  _ n: Int, _ eps: Double, _ elementwiseAffine: Bool, _ bias: Bool) -> snn_status {
    layerExport(out) { fn in
        try LayerNorm(normalizedShape: try shapeArg(normalizedShape, n, fn, "normalized_shape"), eps: eps,
                      elementwiseAffine: elementwiseAffine, bias: bias)
    }
}

@c @implementation
public func snn_module_group_norm(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ numGroups: Int64, _ numChannels: Int64,
                                  _ eps: Double, _ affine: Bool) -> snn_status {
    layerExport(out) { fn in
        try GroupNorm(numGroups: try countArg(numGroups, fn, "num_groups", min: 1),
                      numChannels: try countArg(numChannels, fn, "num_channels", min: 1), eps: eps, affine: affine)
    }
}
