// The model zoo, ImageNet class names, image preprocessing and feature extraction
// (swiftnn/zoo.h).
import CSwiftNN
import SwiftNN
#if canImport(Glibc)
import Glibc
#endif

extension snn_mobilenet_v2_options {
    /// What snn_mobilenet_v2_options_init writes and NULL options mean (torchvision's defaults).
    static var defaults: Self { Self(struct_size: MemoryLayout<Self>.stride, num_classes: 1000, width_mult: 1.0, dropout: 0.2) }
}

extension snn_efficientnet_lite0_options {
    /// What snn_efficientnet_lite0_options_init writes and NULL options mean.
    static var defaults: Self { Self(struct_size: MemoryLayout<Self>.stride, num_classes: 1000, dropout: 0.2) }
}

@c @implementation
public func snn_efficientnet_lite0_options_init(_ options: UnsafeMutablePointer<snn_efficientnet_lite0_options>?) -> snn_status {
    boundary { fn in try outPointer(options, fn, "options").pointee = .defaults }
}

@c @implementation
public func snn_model_efficientnet_lite0(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ weightsPath: UnsafePointer<CChar>?,
                                         _ options: UnsafePointer<snn_efficientnet_lite0_options>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let opts = try optionsArg(options, fn) ?? .defaults
        guard (1...1_000_000).contains(opts.num_classes) else {
            throw SNNError(.invalidArgument, "\(fn): options->num_classes is \(opts.num_classes), expected 1...1000000")
        }
        guard opts.dropout >= 0, opts.dropout <= 1 else {
            throw SNNError(.invalidArgument, "\(fn): options->dropout is \(opts.dropout), expected 0...1")
        }
        let n = Int(opts.num_classes)
        let model: Module
        if let weightsPath {
            model = try EfficientNetLite0.pretrained(path: try stringArg(weightsPath, fn, "weights_path"), numClasses: n,
                                                     dropout: opts.dropout)
        } else {
            model = try EfficientNetLite0(numClasses: n, dropout: opts.dropout)
        }
        o.pointee = Registry.shared.insert(model)
    }
}

extension snn_image_preprocess_options {
    /// torchvision's ImageNet preset: Resize(256), CenterCrop(224), ImageNet mean and std.
    static var defaults: Self {
        Self(struct_size: MemoryLayout<Self>.stride, resize_size: 256, crop_size: 224,
             mean: (0.485, 0.456, 0.406), std: (0.229, 0.224, 0.225))
    }
}

@c @implementation
public func snn_mobilenet_v2_options_init(_ options: UnsafeMutablePointer<snn_mobilenet_v2_options>?) -> snn_status {
    boundary { fn in try outPointer(options, fn, "options").pointee = .defaults }
}

@c @implementation
public func snn_image_preprocess_options_init(_ options: UnsafeMutablePointer<snn_image_preprocess_options>?) -> snn_status {
    boundary { fn in try outPointer(options, fn, "options").pointee = .defaults }
}

@c @implementation
public func snn_model_mobilenet_v2(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ weightsPath: UnsafePointer<CChar>?,
                                   _ options: UnsafePointer<snn_mobilenet_v2_options>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let opts = try optionsArg(options, fn) ?? .defaults
        guard (1...1_000_000).contains(opts.num_classes) else {
            throw SNNError(.invalidArgument, "\(fn): options->num_classes is \(opts.num_classes), expected 1...1000000")
        }
        guard opts.width_mult.isFinite, opts.width_mult >= 0.1, opts.width_mult <= 4 else {
            throw SNNError(.invalidArgument, "\(fn): options->width_mult is \(opts.width_mult), expected 0.1...4")
        }
        guard opts.dropout >= 0, opts.dropout <= 1 else {
            throw SNNError(.invalidArgument, "\(fn): options->dropout is \(opts.dropout), expected 0...1")
        }
        let n = Int(opts.num_classes)
        let model: Module
        if let weightsPath {
            model = try MobileNetV2.pretrained(path: try stringArg(weightsPath, fn, "weights_path"), numClasses: n,
                                               widthMult: opts.width_mult, dropout: opts.dropout)
        } else {
            model = try MobileNetV2(numClasses: n, widthMult: opts.width_mult, dropout: opts.dropout)
        }
        o.pointee = Registry.shared.insert(model)
    }
}

/// The class names as NUL-terminated C strings, made once and never freed (static storage).
nonisolated(unsafe) private let classNamePointers: [UnsafePointer<CChar>?] = imagenetClasses.map { s in strdup(s).map { UnsafePointer<CChar>($0) } }

@c @implementation
public func snn_imagenet_class_name(_ out: UnsafeMutablePointer<UnsafePointer<CChar>?>?, _ index: Int64) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        o.pointee = nil
        guard index >= 0, index < Int64(imagenetClasses.count) else {
            throw SNNError(.outOfRange, "\(fn): index \(index) out of range (ImageNet-1k has classes 0...\(imagenetClasses.count - 1))")
        }
        guard let p = classNamePointers[Int(index)] else { throw SNNError(.outOfMemory, "\(fn): no memory for the class names") }
        o.pointee = p
    }
}

/// An image size argument: 1...65536.
private func sizeArg(_ v: Int64, _ fn: String, _ name: String) throws -> Int {
    guard v >= 1, v <= 65536 else { throw SNNError(.invalidArgument, "\(fn): \(name) is \(v), expected 1...65536") }
    return Int(v)
}

@c @implementation
public func snn_image_resize(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ image: OpaquePointer?, _ height: Int64,
                             _ width: Int64, _ antialias: Bool) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let t = try tensorArg(image, fn, "image")
        give(try ImageTransform.resize(t, height: try sizeArg(height, fn, "height"), width: try sizeArg(width, fn, "width"),
                                       antialias: antialias, fn), o)
    }
}

@c @implementation
public func snn_image_center_crop(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ image: OpaquePointer?, _ height: Int64,
                                  _ width: Int64) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let t = try tensorArg(image, fn, "image")
        give(try ImageTransform.centerCrop(t, height: try sizeArg(height, fn, "height"), width: try sizeArg(width, fn, "width"), fn), o)
    }
}

@c @implementation
public func snn_image_normalize(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ image: OpaquePointer?, _ mean: UnsafePointer<Float>?,
                                _ std: UnsafePointer<Float>?, _ n: Int) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let t = try tensorArg(image, fn, "image")
        guard n >= 1, n <= 4096 else { throw SNNError(.invalidArgument, "\(fn): n is \(n), expected 1...4096 channel values") }
        guard let mean, let std else { throw SNNError(.invalidArgument, "\(fn): mean or std is NULL but n is \(n)") }
        let m = (0..<n).map { mean[$0] }, s = (0..<n).map { std[$0] }
        give(try ImageTransform.normalize(t, mean: m, std: s, fn), o)
    }
}

@c @implementation
public func snn_image_preprocess(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ image: OpaquePointer?,
                                 _ options: UnsafePointer<snn_image_preprocess_options>?) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let t = try tensorArg(image, fn, "image")
        let opts = try optionsArg(options, fn) ?? .defaults
        let resize = try sizeArg(opts.resize_size, fn, "options->resize_size"), crop = try sizeArg(opts.crop_size, fn, "options->crop_size")
        let mean = [opts.mean.0, opts.mean.1, opts.mean.2], std = [opts.std.0, opts.std.1, opts.std.2]
        give(try ImageTransform.classificationPreset(t, resizeSize: resize, cropSize: crop, mean: mean, std: std, fn), o)
    }
}

@c @implementation
public func snn_module_child_count(_ out: UnsafeMutablePointer<Int>?, _ m: OpaquePointer?) -> snn_status {
    boundary { fn in
        let o = try outPointer(out, fn)
        o.pointee = try moduleArg(m, fn).children.count
    }
}

@c @implementation
public func snn_module_child_name(_ buf: UnsafeMutablePointer<CChar>?, _ capacity: Int, _ outLen: UnsafeMutablePointer<Int>?,
                                  _ m: OpaquePointer?, _ index: Int) -> snn_status {
    boundary { fn in
        let mod = try moduleArg(m, fn)
        guard index >= 0, index < mod.children.count else {
            throw SNNError(.outOfRange, "\(fn): index \(index) out of range (\(mod.typeName) has \(mod.children.count) children)")
        }
        try writeString(mod.children[index].name, buf, capacity, outLen, fn)
    }
}

@c @implementation
public func snn_module_features(_ outs: UnsafeMutablePointer<OpaquePointer?>?, _ m: OpaquePointer?, _ input: OpaquePointer?,
                                _ names: UnsafePointer<UnsafePointer<CChar>?>?, _ n: Int) -> snn_status {
    boundary { fn in
        guard let outs else { throw SNNError(.invalidArgument, "\(fn): outs is NULL, expected an array of n tensor handles") }
        // On error the out handles are NULL, as every out handle: the first always (as a
        // single out pointer would be), all n when n is valid.
        outs[0] = nil
        if n >= 1 && n <= 4096 { for i in 0..<n { outs[i] = nil } }
        let mod = try moduleArg(m, fn)
        let x = try tensorArg(input, fn, "input")
        guard n >= 1, n <= 4096 else { throw SNNError(.invalidArgument, "\(fn): n is \(n), expected 1...4096 layer names") }
        guard let names else { throw SNNError(.invalidArgument, "\(fn): names is NULL but n is \(n)") }
        let paths = try (0..<n).map { try stringArg(names[$0], fn, "names[\($0)]") }
        let ys = try mod.extractFeatures(x, names: paths, fn)
        for (i, y) in ys.enumerated() { outs[i] = Registry.shared.insert(y) }
    }
}
