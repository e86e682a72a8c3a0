// Neural style transfer (swiftnn/style.h).
import CSwiftNN
import SwiftNN

extension snn_style_options {
    /// What snn_style_options_init writes and NULL options mean.
    static var defaults: Self {
        let d = StyleTransferOptions()
        return Self(struct_size: MemoryLayout<Self>.stride, content_layers: nil, content_layer_count: 0, style_layers: nil,
                    style_layer_count: 0, content_weight: d.contentWeight, style_weight: d.styleWeight, tv_weight: d.tvWeight,
                    steps: Int64(d.steps), learning_rate: d.learningRate, mean: (d.mean[0], d.mean[1], d.mean[2]),
                    std: (d.std[0], d.std[1], d.std[2]), initial: nil, report_every: Int64(d.reportEvery), progress: nil,
                    user_data: nil, losses: nil)
    }
}

@c @implementation
public func snn_style_options_init(_ options: UnsafeMutablePointer<snn_style_options>?) -> snn_status {
    boundary { fn in try outPointer(options, fn, "options").pointee = .defaults }
}

/// The C options as the engine's (validation of values is the engine's; here only what C can
/// get wrong: counts without arrays, out-of-range integers).
private func styleOptions(_ o: snn_style_options, _ fn: String) throws -> StyleTransferOptions {
    var s = StyleTransferOptions()
    for (arg, count, names) in [("content_layers", o.content_layer_count, o.content_layers),
                                ("style_layers", o.style_layer_count, o.style_layers)] {
        guard count <= 4096 else { throw SNNError(.invalidArgument, "\(fn): options->\(arg)_count is \(count), expected 0...4096") }
        if names == nil && count != 0 {
            throw SNNError(.invalidArgument, "\(fn): options->\(arg) is NULL but options->\(arg)_count is \(count)")
        }
        let list = try namesArg(names, Int(count), fn, "options->\(arg)") ?? []
        if arg == "content_layers" { s.contentLayers = list } else { s.styleLayers = list }
    }
    guard (0...1_000_000).contains(o.steps) else {
        throw SNNError(.invalidArgument, "\(fn): options->steps is \(o.steps), expected 0...1000000")
    }
    guard (1...1_000_000).contains(o.report_every) else {
        throw SNNError(.invalidArgument, "\(fn): options->report_every is \(o.report_every), expected 1...1000000")
    }
    s.contentWeight = o.content_weight
    s.styleWeight = o.style_weight
    s.tvWeight = o.tv_weight
    s.steps = Int(o.steps)
    s.learningRate = o.learning_rate
    s.mean = [o.mean.0, o.mean.1, o.mean.2]
    s.std = [o.std.0, o.std.1, o.std.2]
    s.reportEvery = Int(o.report_every)
    return s
}

/// Where the losses go, after checking the caller's struct_size as every struct's.
private func lossesArg(_ p: UnsafeMutablePointer<snn_style_losses>?, _ fn: String, _ arg: String) throws -> UnsafeMutablePointer<snn_style_losses>? {
    guard let p else { return nil }
    _ = try optionsArg(UnsafePointer(p), fn, arg: arg)
    return p
}

private func write(_ l: StyleLosses, _ p: UnsafeMutablePointer<snn_style_losses>?) {
    p?.pointee = snn_style_losses(struct_size: MemoryLayout<snn_style_losses>.stride, total: l.total, content: l.content,
                                  style: l.style, tv: l.tv)
}

@c @implementation
public func snn_style_transfer(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ net: OpaquePointer?, _ content: OpaquePointer?,
                               _ style: OpaquePointer?, _ options: UnsafePointer<snn_style_options>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let network = try moduleArg(net, fn, "net")
        let c = try tensorArg(content, fn, "content")
        let s = try tensorArg(style, fn, "style")
        let opts = try optionsArg(options, fn) ?? .defaults
        let initial = opts.initial == nil ? nil : try tensorArg(opts.initial, fn, "options->initial")
        let transfer = try StyleTransfer(network: network, content: c, style: s, options: try styleOptions(opts, fn), fn)
        let lossesOut = try lossesArg(opts.losses, fn, "options->losses")
        let report = progressBridge(opts.progress, opts.user_data)
        let result = try transfer.run(from: initial) { p, losses in
            write(losses, lossesOut)
            return report?(p) ?? true
        }
        write(result.losses, lossesOut)
        give(result.image, o)
    }
}

@c @implementation
public func snn_style_loss(_ outGrad: UnsafeMutablePointer<OpaquePointer?>?, _ outLosses: UnsafeMutablePointer<snn_style_losses>?,
                           _ net: OpaquePointer?, _ image: OpaquePointer?, _ content: OpaquePointer?, _ style: OpaquePointer?,
                           _ options: UnsafePointer<snn_style_options>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(outGrad, fn, "out_grad")
        let losses = try lossesArg(try outPointer(outLosses, fn, "out_losses"), fn, "out_losses")
        let network = try moduleArg(net, fn, "net")
        let x = try tensorArg(image, fn, "image")
        let c = try tensorArg(content, fn, "content")
        let s = try tensorArg(style, fn, "style")
        let opts = try optionsArg(options, fn) ?? .defaults
        let transfer = try StyleTransfer(network: network, content: c, style: s, options: try styleOptions(opts, fn), fn)
        let (grad, parts) = try transfer.gradient(at: x)
        write(parts, losses)
        give(grad, o)
    }
}
