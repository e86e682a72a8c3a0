// Feature caching for transfer learning (swiftnn/transfer.h).
import CSwiftNN
import SwiftNN

extension snn_feature_cache_options {
    /// What snn_feature_cache_options_init writes and NULL options mean.
    static var defaults: Self {
        Self(struct_size: MemoryLayout<Self>.stride, batch_size: 64, preprocess: nil, path: nil, progress: nil, user_data: nil)
    }
}

@c @implementation
public func snn_feature_cache_options_init(_ options: UnsafeMutablePointer<snn_feature_cache_options>?) -> snn_status {
    boundary { fn in try outPointer(options, fn, "options").pointee = .defaults }
}

/// The preprocess options as the engine's, validated as snn_image_preprocess validates them.
private func preprocessArg(_ p: UnsafePointer<snn_image_preprocess_options>?, _ fn: String) throws -> FeaturePreprocess? {
    guard let o = try optionsArg(p, fn, arg: "options->preprocess") else { return nil }
    for (name, v) in [("resize_size", o.resize_size), ("crop_size", o.crop_size)] where !(1...65536).contains(v) {
        throw SNNError(.invalidArgument, "\(fn): options->preprocess->\(name) is \(v), expected 1...65536")
    }
    return FeaturePreprocess(resizeSize: Int(o.resize_size), cropSize: Int(o.crop_size),
                             mean: [o.mean.0, o.mean.1, o.mean.2], std: [o.std.0, o.std.1, o.std.2])
}

@c @implementation
public func snn_module_cache_features(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ m: OpaquePointer?, _ inputs: OpaquePointer?,
                                      _ layer: UnsafePointer<CChar>?,
                                      _ options: UnsafePointer<snn_feature_cache_options>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let mod = try moduleArg(m, fn)
        let x = try tensorArg(inputs, fn, "inputs")
        let opts = try optionsArg(options, fn) ?? .defaults
        guard opts.batch_size >= 1, opts.batch_size <= 1 << 30 else {
            throw SNNError(.invalidArgument, "\(fn): options->batch_size is \(opts.batch_size), expected 1...2^30")
        }
        let name = layer == nil ? "" : try stringArg(layer, fn, "layer")
        let path = opts.path == nil ? nil : try stringArg(opts.path, fn, "options->path")
        let features = try mod.cacheFeatures(x, layer: name, batchSize: Int(opts.batch_size),
                                             preprocess: try preprocessArg(opts.preprocess, fn), path: path,
                                             progress: progressBridge(opts.progress, opts.user_data), fn)
        give(features, o)
    }
}
