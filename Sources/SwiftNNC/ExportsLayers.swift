// Constructors of the built-in layers (swiftnn/layers.h).
import CSwiftNN
import SwiftNN

/// Shared body of the layer constructors.
func layerExport(_ out: UnsafeMutablePointer<OpaquePointer?>?, caller: String = #function, _ make: (_ fn: String) throws -> Module) -> snn_status {
    boundary(caller: caller) { fn in
        let o = try outHandle(out, fn)
        o.pointee = Registry.shared.insert(try make(fn))
    }
}

@c @implementation
public func snn_module_relu(_ out: UnsafeMutablePointer<OpaquePointer?>?) -> snn_status {
    layerExport(out) { _ in ReLU() }
}

@c @implementation
public func snn_module_leaky_relu(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ slope: Float) -> snn_status {
    layerExport(out) { fn in
        guard slope.isFinite else { throw SNNError(.invalidArgument, "\(fn): negative_slope \(slope) is not finite") }
        return LeakyReLU(negativeSlope: slope)
    }
}

@c @implementation
public func snn_module_relu6(_ out: UnsafeMutablePointer<OpaquePointer?>?) -> snn_status {
    layerExport(out) { _ in ReLU6() }
}

@c @implementation
public func snn_module_tanh(_ out: UnsafeMutablePointer<OpaquePointer?>?) -> snn_status {
    layerExport(out) { _ in Tanh() }
}

@c @implementation
public func snn_module_sigmoid(_ out: UnsafeMutablePointer<OpaquePointer?>?) -> snn_status {
    layerExport(out) { _ in Sigmoid() }
}

@c @implementation
public func snn_module_flatten(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ start: Int64, _ end: Int64) -> snn_status {
    layerExport(out) { fn in
        guard (-64...64).contains(start), (-64...64).contains(end) else { throw SNNError(.invalidArgument, "\(fn): start_dim \(start) / end_dim \(end) out of range") }
        return Flatten(startDim: Int(start), endDim: Int(end))
    }
}

/// A count argument that must fit the engine's limits.
func countArg(_ v: Int64, _ fn: String, _ name: String, min: Int64 = 0) throws -> Int {
    guard v >= min, v <= 1 << 32 else { throw SNNError(.invalidArgument, "\(fn): \(name) = \(v), expected \(min)...\(1 << 32)") }
    return Int(v)
}

@c @implementation
public func snn_module_linear(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ inF: Int64, _ outF: Int64, _ bias: Bool) -> snn_status {
    layerExport(out) { fn in
        return try Linear(inFeatures: try countArg(inF, fn, "in_features"), outFeatures: try countArg(outF, fn, "out_features"), bias: bias)
    }
}

@c @implementation
public func snn_module_conv_transpose2d(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ inC: Int64, _ outC: Int64, _ kh: Int64,
                                        _ kw: Int64, _ options: UnsafePointer<snn_conv2d_options>?, _ outputPadH: Int64,
                                        _ outputPadW: Int64, _ bias: Bool) -> snn_status {
    layerExport(out) { fn in
        let o = try optionsArg(options, fn) ?? .defaults
        let stride = (o.stride_h, o.stride_w), pad = (o.pad_h, o.pad_w), dil = (o.dilation_h, o.dilation_w)
        return try ConvTranspose2d(inChannels: try countArg(inC, fn, "in_channels", min: 1), outChannels: try countArg(outC, fn, "out_channels", min: 1),
                                   kernelSize: (try countArg(kh, fn, "kernel_h", min: 1), try countArg(kw, fn, "kernel_w", min: 1)),
                                   stride: (try countArg(stride.0, fn, "stride_h", min: 1), try countArg(stride.1, fn, "stride_w", min: 1)),
                                   padding: (try countArg(pad.0, fn, "pad_h"), try countArg(pad.1, fn, "pad_w")),
                                   outputPadding: (try countArg(outputPadH, fn, "output_pad_h"), try countArg(outputPadW, fn, "output_pad_w")),
                                   groups: try countArg(o.groups, fn, "groups", min: 1), bias: bias,
                                   dilation: (try countArg(dil.0, fn, "dilation_h", min: 1), try countArg(dil.1, fn, "dilation_w", min: 1)))
    }
}

@c @implementation
public func snn_module_conv2d(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ inC: Int64, _ outC: Int64, _ kh: Int64, _ kw: Int64,
                              _ options: UnsafePointer<snn_conv2d_options>?, _ bias: Bool) -> snn_status {
    layerExport(out) { fn in
        let o = try optionsArg(options, fn) ?? .defaults
        let stride = (o.stride_h, o.stride_w), pad = (o.pad_h, o.pad_w), dil = (o.dilation_h, o.dilation_w)
        return try Conv2d(inChannels: try countArg(inC, fn, "in_channels", min: 1), outChannels: try countArg(outC, fn, "out_channels", min: 1),
                          kernelSize: (try countArg(kh, fn, "kernel_h", min: 1), try countArg(kw, fn, "kernel_w", min: 1)),
                          stride: (try countArg(stride.0, fn, "stride_h", min: 1), try countArg(stride.1, fn, "stride_w", min: 1)),
                          padding: (try countArg(pad.0, fn, "pad_h"), try countArg(pad.1, fn, "pad_w")),
                          dilation: (try countArg(dil.0, fn, "dilation_h", min: 1), try countArg(dil.1, fn, "dilation_w", min: 1)),
                          groups: try countArg(o.groups, fn, "groups", min: 1), bias: bias)
    }
}

@c @implementation
public func snn_module_max_pool2d(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ options: UnsafePointer<snn_pool2d_options>?) -> snn_status {
    layerExport(out) { fn in
        let (o, kernel, stride) = try poolOptions(options, fn)
        let m = MaxPool2d(kernelSize: kernel, stride: stride, padding: pairArg(o.pad_h, o.pad_w),
                          dilation: pairArg(o.dilation_h, o.dilation_w), ceilMode: o.ceil_mode)
        try validatePool(kernel: m.kernelSize, stride: m.stride, padding: m.padding, dilation: m.dilation, fn)
        return m
    }
}

@c @implementation
public func snn_module_avg_pool2d(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ options: UnsafePointer<snn_pool2d_options>?) -> snn_status {
    layerExport(out) { fn in
        let (o, kernel, stride) = try poolOptions(options, fn)
        let m = AvgPool2d(kernelSize: kernel, stride: stride, padding: pairArg(o.pad_h, o.pad_w),
                          ceilMode: o.ceil_mode, countIncludePad: o.count_include_pad)
        try validatePool(kernel: m.kernelSize, stride: m.stride, padding: m.padding, dilation: (1, 1), fn)
        return m
    }
}

/// Pool parameters checked at construction, so a bad layer fails where it is made, not at
/// its first forward.
private func validatePool(kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int), _ fn: String) throws {
    let limit = 1 << 20
    for (name, v, lo) in [("kernel_h", kernel.0, 1), ("kernel_w", kernel.1, 1), ("stride_h", stride.0, 1), ("stride_w", stride.1, 1),
                          ("pad_h", padding.0, 0), ("pad_w", padding.1, 0), ("dilation_h", dilation.0, 1), ("dilation_w", dilation.1, 1)]
    where v < lo || v > limit {
        throw SNNError(.invalidArgument, "\(fn): \(name) = \(v), expected \(lo)...\(limit)")
    }
    guard padding.0 <= kernel.0 / 2, padding.1 <= kernel.1 / 2 else {
        throw SNNError(.invalidArgument, "\(fn): padding \(padding) must be at most half the kernel \(kernel)")
    }
}

@c @implementation
public func snn_module_adaptive_avg_pool2d(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ oh: Int64, _ ow: Int64) -> snn_status {
    layerExport(out) { fn in
        return AdaptiveAvgPool2d(outputSize: (try countArg(oh, fn, "out_h", min: 1), try countArg(ow, fn, "out_w", min: 1)))
    }
}

@c @implementation
public func snn_module_batch_norm(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ n: Int64, _ spatial: Int32, _ eps: Double,
                                  _ momentum: Double, _ affine: Bool, _ track: Bool) -> snn_status {
    layerExport(out) { fn in
        guard spatial == 1 || spatial == 2 else { throw SNNError(.invalidArgument, "\(fn): spatial_dims = \(spatial), expected 1 or 2") }
        return try BatchNorm(numFeatures: try countArg(n, fn, "num_features", min: 1), spatialDims: Int(spatial),
                             eps: eps, momentum: momentum, affine: affine, trackRunningStats: track)
    }
}

@c @implementation
public func snn_module_dropout(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ p: Double) -> snn_status {
    layerExport(out) { _ in try Dropout(p: p) }
}
