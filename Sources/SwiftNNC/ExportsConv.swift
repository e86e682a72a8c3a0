// Convolution, pooling, batch norm, dropout and linear through the C API (swiftnn/conv.h).
import CSwiftNN
import SwiftNN

/// An optional tensor argument: NULL is nil, anything else must be a live tensor handle.
func optionalTensorArg(_ handle: OpaquePointer?, _ fn: String, _ arg: String) throws -> Tensor? {
    handle == nil ? nil : try tensorArg(handle, fn, arg)
}

/// Converts a (height, width) pair of int64 option fields; range checks happen in the engine.
@inline(__always)
func pairArg(_ h: Int64, _ w: Int64) -> (Int, Int) { (Int(h), Int(w)) }

@c @implementation
public func snn_tensor_conv2d(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ input: OpaquePointer?, _ weight: OpaquePointer?,
                              _ bias: OpaquePointer?, _ options: UnsafePointer<snn_conv2d_options>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let x = try tensorArg(input, fn, "input"), w = try tensorArg(weight, fn, "weight")
        let b = try optionalTensorArg(bias, fn, "bias")
        let opts = try optionsArg(options, fn) ?? .defaults
        let y = try conv2d(x, weight: w, bias: b, stride: pairArg(opts.stride_h, opts.stride_w),
                           padding: pairArg(opts.pad_h, opts.pad_w), dilation: pairArg(opts.dilation_h, opts.dilation_w),
                           groups: Int(opts.groups))
        give(y, o)
    }
}

@c @implementation
public func snn_tensor_conv_transpose2d(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ input: OpaquePointer?, _ weight: OpaquePointer?,
                                        _ bias: OpaquePointer?, _ options: UnsafePointer<snn_conv2d_options>?,
                                        _ outputPadH: Int64, _ outputPadW: Int64) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let x = try tensorArg(input, fn, "input"), w = try tensorArg(weight, fn, "weight")
        let b = try optionalTensorArg(bias, fn, "bias")
        let opts = try optionsArg(options, fn) ?? .defaults
        let y = try convTranspose2d(x, weight: w, bias: b, stride: pairArg(opts.stride_h, opts.stride_w),
                                    padding: pairArg(opts.pad_h, opts.pad_w), outputPadding: pairArg(outputPadH, outputPadW),
                                    groups: Int(opts.groups), dilation: pairArg(opts.dilation_h, opts.dilation_w))
        give(y, o)
    }
}

extension snn_conv2d_options {
    /// What snn_conv2d_options_init writes and a NULL options pointer means.
    static var defaults: Self {
        Self(struct_size: MemoryLayout<Self>.stride, stride_h: 1, stride_w: 1, pad_h: 0, pad_w: 0,
             dilation_h: 1, dilation_w: 1, groups: 1)
    }
}

extension snn_pool2d_options {
    /// What snn_pool2d_options_init writes (the kernel is left for the caller).
    static var defaults: Self {
        Self(struct_size: MemoryLayout<Self>.stride, kernel_h: 0, kernel_w: 0, stride_h: 0, stride_w: 0,
             pad_h: 0, pad_w: 0, dilation_h: 1, dilation_w: 1, ceil_mode: false, count_include_pad: true, divisor_override: 0)
    }
}

@c @implementation
public func snn_conv2d_options_init(_ options: UnsafeMutablePointer<snn_conv2d_options>?) -> snn_status {
    boundary { fn in try outPointer(options, fn, "options").pointee = .defaults }
}

@c @implementation
public func snn_pool2d_options_init(_ options: UnsafeMutablePointer<snn_pool2d_options>?) -> snn_status {
    boundary { fn in try outPointer(options, fn, "options").pointee = .defaults }
}

/// The pooling options shared by max and average pooling; NULL is an error (the kernel size
/// has no default).
func poolOptions(_ options: UnsafePointer<snn_pool2d_options>?, _ fn: String) throws
    -> (opts: snn_pool2d_options, kernel: (Int, Int), stride: (Int, Int)?) {
    let opts = try requiredOptionsArg(options, fn)
    let stride: (Int, Int)?
    switch (opts.stride_h, opts.stride_w) {
    case (0, 0): stride = nil
    case (0, _), (_, 0):
        throw SNNError(.invalidArgument, "\(fn): stride (\(opts.stride_h), \(opts.stride_w)) must be positive, or (0, 0) for the kernel size")
    default: stride = pairArg(opts.stride_h, opts.stride_w)
    }
    return (opts, pairArg(opts.kernel_h, opts.kernel_w), stride)
}

@c @implementation
public func snn_tensor_max_pool2d(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ outIndices: UnsafeMutablePointer<OpaquePointer?>?,
                                  _ input: OpaquePointer?, _ options: UnsafePointer<snn_pool2d_options>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let oi = try outIndices.map { try outHandle($0, fn, "out_indices") }
        guard oi != o else { throw SNNError(.invalidArgument, "\(fn): out and out_indices point to the same variable") }
        let x = try tensorArg(input, fn, "input")
        let (opts, kernel, stride) = try poolOptions(options, fn)
        let padding = pairArg(opts.pad_h, opts.pad_w), dilation = pairArg(opts.dilation_h, opts.dilation_w)
        guard let oi else {
            // no indices asked for: the paths that keep none where nothing needs them
            give(try maxPool2d(x, kernelSize: kernel, stride: stride, padding: padding, dilation: dilation,
                               ceilMode: opts.ceil_mode), o)
            return
        }
        let (y, indices) = try maxPool2dWithIndices(x, kernelSize: kernel, stride: stride, padding: padding,
                                                    dilation: dilation, ceilMode: opts.ceil_mode)
        give(y, o)
        give(indices, oi)
    }
}

@c @implementation
public func snn_tensor_avg_pool2d(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ input: OpaquePointer?,
                                  _ options: UnsafePointer<snn_pool2d_options>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let x = try tensorArg(input, fn, "input")
        let (opts, kernel, stride) = try poolOptions(options, fn)
        guard opts.dilation_h == 1, opts.dilation_w == 1 else {
            throw SNNError(.invalidArgument, "\(fn): dilation (\(opts.dilation_h), \(opts.dilation_w)) must be (1, 1): average pooling has no dilation")
        }
        guard opts.divisor_override >= 0 else {
            throw SNNError(.invalidArgument, "\(fn): divisor_override is \(opts.divisor_override), expected > 0 (or 0 for none)")
        }
        give(try avgPool2d(x, kernelSize: kernel, stride: stride, padding: pairArg(opts.pad_h, opts.pad_w),
                           ceilMode: opts.ceil_mode, countIncludePad: opts.count_include_pad,
                           divisorOverride: opts.divisor_override == 0 ? nil : Int(opts.divisor_override)), o)
    }
}

@c @implementation
public func snn_tensor_adaptive_avg_pool2d(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ input: OpaquePointer?,
                                           _ outH: Int64, _ outW: Int64) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        give(try adaptiveAvgPool2d(try tensorArg(input, fn, "input"), outputSize: pairArg(outH, outW)), o)
    }
}

extension snn_pool3d_options {
    /// What snn_pool3d_options_init writes (the kernel is left for the caller).
    static var defaults: Self {
        Self(struct_size: MemoryLayout<Self>.stride, kernel: (0, 0, 0), stride: (0, 0, 0), padding: (0, 0, 0),
             dilation: (1, 1, 1), ceil_mode: false, count_include_pad: true, divisor_override: 0)
    }
}

@c @implementation
public func snn_pool3d_options_init(_ options: UnsafeMutablePointer<snn_pool3d_options>?) -> snn_status {
    boundary { fn in try outPointer(options, fn, "options").pointee = .defaults }
}

/// The 3-D pooling options as triples; NULL is an error (the kernel size has no default).
func pool3dOptions(_ options: UnsafePointer<snn_pool3d_options>?, _ fn: String) throws
    -> (opts: snn_pool3d_options, kernel: [Int], stride: [Int]?, padding: [Int], dilation: [Int]) {
    let opts = try requiredOptionsArg(options, fn)
    func triple(_ t: (Int64, Int64, Int64), _ name: String) throws -> [Int] {
        let v = [t.0, t.1, t.2]
        // Out-of-range values are refused by the op with its own message; only Int conversion is checked here.
        guard v.allSatisfy({ $0 >= Int64(Int32.min) && $0 <= Int64(Int32.max) }) else {
            throw SNNError(.invalidArgument, "\(fn): \(name) \(v) is out of range")
        }
        return v.map { Int($0) }
    }
    let stride = try triple(opts.stride, "stride")
    guard stride == [0, 0, 0] || !stride.contains(0) else {
        throw SNNError(.invalidArgument, "\(fn): stride \(stride) must be positive, or all 0 for the kernel size")
    }
    guard opts.divisor_override >= 0, opts.divisor_override <= Int64(Int32.max) else {
        throw SNNError(.invalidArgument, "\(fn): divisor_override is \(opts.divisor_override), expected > 0 (or 0 for none)")
    }
    return (opts, try triple(opts.kernel, "kernel"), stride == [0, 0, 0] ? nil : stride,
            try triple(opts.padding, "padding"), try triple(opts.dilation, "dilation"))
}

@c @implementation
public func snn_tensor_max_pool3d(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ outIndices: UnsafeMutablePointer<OpaquePointer?>?,
                                  _ input: OpaquePointer?, _ options: UnsafePointer<snn_pool3d_options>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let oi = try outIndices.map { try outHandle($0, fn, "out_indices") }
        guard oi != o else { throw SNNError(.invalidArgument, "\(fn): out and out_indices point to the same variable") }
        let x = try tensorArg(input, fn, "input")
        let p = try pool3dOptions(options, fn)
        let (y, indices) = try maxPool3dWithIndices(x, kernelSize: p.kernel, stride: p.stride, padding: p.padding,
                                                    dilation: p.dilation, ceilMode: p.opts.ceil_mode)
        give(y, o)
        if let oi { give(indices, oi) }
    }
}

@c @implementation
public func snn_tensor_avg_pool3d(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ input: OpaquePointer?,
                                  _ options: UnsafePointer<snn_pool3d_options>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let x = try tensorArg(input, fn, "input")
        let p = try pool3dOptions(options, fn)
        give(try avgPool3d(x, kernelSize: p.kernel, stride: p.stride, padding: p.padding, ceilMode: p.opts.ceil_mode,
                           countIncludePad: p.opts.count_include_pad,
                           divisorOverride: p.opts.divisor_override == 0 ? nil : Int(p.opts.divisor_override),
                           dilation: p.dilation), o)
    }
}

extension snn_conv_transpose3d_options {
    /// What snn_conv_transpose3d_options_init writes and a NULL options pointer means.
    static var defaults: Self {
        Self(struct_size: MemoryLayout<Self>.stride, stride: (1, 1, 1), padding: (0, 0, 0), output_padding: (0, 0, 0),
             dilation: (1, 1, 1), groups: 1)
    }
}

@c @implementation
public func snn_conv_transpose3d_options_init(_ options: UnsafeMutablePointer<snn_conv_transpose3d_options>?) -> snn_status {
    boundary { fn in try outPointer(options, fn, "options").pointee = .defaults }
}

@c @implementation
public func snn_tensor_conv_transpose3d(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ input: OpaquePointer?,
                                        _ weight: OpaquePointer?, _ bias: OpaquePointer?,
                                        _ options: UnsafePointer<snn_conv_transpose3d_options>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let opts = try optionsArg(options, fn) ?? .defaults
        func triple(_ t: (Int64, Int64, Int64), _ name: String) throws -> [Int] {
            let v = [t.0, t.1, t.2]
            // Out-of-range values are refused by the op with its own message; only Int conversion is checked here.
            guard v.allSatisfy({ $0 >= Int64(Int32.min) && $0 <= Int64(Int32.max) }) else {
                throw SNNError(.invalidArgument, "\(fn): \(name) \(v) is out of range")
            }
            return v.map { Int($0) }
        }
        guard opts.groups >= 1, opts.groups <= Int64(Int32.max) else {
            throw SNNError(.invalidArgument, "\(fn): groups is \(opts.groups), expected a positive number")
        }
        give(try convTranspose3d(try tensorArg(input, fn, "input"), weight: try tensorArg(weight, fn, "weight"),
                                 bias: try optionalTensorArg(bias, fn, "bias"), stride: try triple(opts.stride, "stride"),
                                 padding: try triple(opts.padding, "padding"),
                                 outputPadding: try triple(opts.output_padding, "output_padding"),
                                 groups: Int(opts.groups), dilation: try triple(opts.dilation, "dilation")), o)
    }
}

@c @implementation
public func snn_tensor_batch_norm(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ input: OpaquePointer?,
                                  _ runningMean: OpaquePointer?, _ runningVar: OpaquePointer?,
                                  _ weight: OpaquePointer?, _ bias: OpaquePointer?,
                                  _ training: Bool, _ momentum: Double, _ eps: Double) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let y = try batchNorm(try tensorArg(input, fn, "input"),
                              runningMean: try optionalTensorArg(runningMean, fn, "running_mean"),
                              runningVar: try optionalTensorArg(runningVar, fn, "running_var"),
                              weight: try optionalTensorArg(weight, fn, "weight"),
                              bias: try optionalTensorArg(bias, fn, "bias"),
                              training: training, momentum: momentum, eps: eps)
        give(y, o)
    }
}

@c @implementation
public func snn_tensor_dropout(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ input: OpaquePointer?,
                               _ p: Double, _ training: Bool) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        give(try dropout(try tensorArg(input, fn, "input"), p: p, training: training), o)
    }
}

@c @implementation
public func snn_tensor_linear(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ input: OpaquePointer?,
                              _ weight: OpaquePointer?, _ bias: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        give(try linear(try tensorArg(input, fn, "input"), weight: try tensorArg(weight, fn, "weight"),
                        bias: try optionalTensorArg(bias, fn, "bias")), o)
    }
}
