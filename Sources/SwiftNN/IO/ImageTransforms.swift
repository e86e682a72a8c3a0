// Image preprocessing for pretrained classifiers, as torchvision's transforms do it on float
// tensors: Resize (bilinear, antialiased like PIL and torch's interpolate(antialias=True)),
// CenterCrop, Normalize, and the ImageNet preset that chains them. These prepare inputs; they
// record no gradient (an image file's pixels are data, not parameters).

public enum ImageTransform {
    /// ImageNet's channel means and standard deviations (torchvision's presets).
    public static let imagenetMean: [Float] = [0.485, 0.456, 0.406]
    public static let imagenetStd: [Float] = [0.229, 0.224, 0.225]

    /// `image` as [N, C, H, W] (a [C, H, W] image is one of N = 1) and whether it was 3-D.
    static func batched(_ image: Tensor, _ fn: String) throws -> (Tensor, Bool) {
        guard image.dtype == .float32 else {
            throw SNNError.dtype("\(fn): image is \(image.dtype.name), expected float32 [C, H, W] or [N, C, H, W]")
        }
        guard image.rank == 3 || image.rank == 4, image.count > 0 else {
            throw SNNError.shape("\(fn): image has shape \(fmt(image.shape)), expected a non-empty [C, H, W] or [N, C, H, W]")
        }
        let c = try image.contiguous()
        return image.rank == 3 ? (try c.view(as: [1] + image.shape), true) : (c, false)
    }

    /// torchvision's Resize(size) with one number: the shorter side becomes `size`, the longer
    /// `Int(size * long / short)` (truncated, as torchvision's _compute_resized_output_size).
    public static func resizedSize(height: Int, width: Int, shorter: Int) -> (Int, Int) {
        if width <= height {
            return (Int(Double(shorter) * Double(height) / Double(width)), shorter)
        }
        return (shorter, Int(Double(shorter) * Double(width) / Double(height)))
    }

    /// One dimension's taps: for each output index, the first input index and its weights.
    /// Bilinear (triangle) filter, align_corners = False; when shrinking with `antialias`, the
    /// filter is stretched by the scale (PIL's ImagingResample, torch's _upsample_bilinear2d_aa).
    static func taps(input: Int, output: Int, antialias: Bool) -> [(start: Int, weights: [Float])] {
        let scale = Double(input) / Double(output)
        let support = antialias && scale >= 1 ? scale : 1.0
        let invScale = antialias && scale >= 1 ? 1 / scale : 1.0
        return (0..<output).map { i in
            // As torch's _compute_indices_min_size_weights_aa (Int() truncates toward zero, as C's cast).
            let center = scale * (Double(i) + 0.5)
            let lo = max(Int(center - support + 0.5), 0)
            let hi = min(Int(center + support + 0.5), input)
            var w: [Double] = []
            var total = 0.0
            for j in lo..<max(lo, hi) {
                let v = max(0, 1 - abs((Double(j) - center + 0.5) * invScale))
                w.append(v); total += v
            }
            if w.isEmpty || total == 0 { return (start: min(lo, input - 1), weights: [1]) }
            return (start: lo, weights: w.map { Float($0 / total) })
        }
    }

    /// Bilinear resize of [C, H, W] or [N, C, H, W] to height x width (torch's
    /// interpolate(mode="bilinear", align_corners=False, antialias=...)): width first, then height.
    public static func resize(_ image: Tensor, height: Int, width: Int, antialias: Bool = true, _ fn: String = "resize") throws -> Tensor {
        let (x, was3D) = try batched(image, fn)
        guard (1...65536).contains(height), (1...65536).contains(width) else {
            throw SNNError.invalid("\(fn): size \(height) x \(width) out of range (1...65536 each)")
        }
        let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
        let planes = n * c
        let tw = taps(input: w, output: width, antialias: antialias), th = taps(input: h, output: height, antialias: antialias)
        let mid = try Tensor(empty: [planes, h, width], dtype: .float32, zeroed: false, fn)
        let out = try Tensor(empty: [n, c, height, width], dtype: .float32, zeroed: false, fn)
        let src = x.floats, m = mid.floats, dst = out.floats
        for p in 0..<planes {
            for r in 0..<h {
                let row = src + (p * h + r) * w, o = m + (p * h + r) * width
                for (j, t) in tw.enumerated() {
                    var s: Float = 0
                    for (k, wt) in t.weights.enumerated() { s += row[t.start + k] * wt }
                    o[j] = s
                }
            }
            let plane = m + p * h * width, o = dst + p * height * width
            for (i, t) in th.enumerated() {
                for j in 0..<width {
                    var s: Float = 0
                    for (k, wt) in t.weights.enumerated() { s += plane[(t.start + k) * width + j] * wt }
                    o[i * width + j] = s
                }
            }
        }
        return was3D ? try out.view(as: [c, height, width]) : out
    }

    /// torchvision's CenterCrop: the top-left corner at round((H - h) / 2), round((W - w) / 2)
    /// (Python's round: halves to even). An image smaller than the crop is an error.
    public static func centerCrop(_ image: Tensor, height: Int, width: Int, _ fn: String = "center_crop") throws -> Tensor {
        let (x, was3D) = try batched(image, fn)
        let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
        guard height >= 1, width >= 1, height <= h, width <= w else {
            throw SNNError.shape("\(fn): cannot crop \(height) x \(width) from an image of \(h) x \(w) (shape \(fmt(image.shape)))")
        }
        let top = Int((Double(h - height) / 2).rounded(.toNearestOrEven))
        let left = Int((Double(w - width) / 2).rounded(.toNearestOrEven))
        let out = try Tensor(empty: [n, c, height, width], dtype: .float32, zeroed: false, fn)
        let src = x.floats, dst = out.floats
        for p in 0..<(n * c) {
            for r in 0..<height {
                (dst + (p * height + r) * width).update(from: src + (p * h + top + r) * w + left, count: width)
            }
        }
        return was3D ? try out.view(as: [c, height, width]) : out
    }

    /// torchvision's Normalize: (x - mean[c]) / std[c] for each channel c.
    public static func normalize(_ image: Tensor, mean: [Float], std: [Float], _ fn: String = "normalize") throws -> Tensor {
        let (x, was3D) = try batched(image, fn)
        let n = x.shape[0], c = x.shape[1], hw = x.shape[2] * x.shape[3]
        guard mean.count == c, std.count == c else {
            throw SNNError.shape("\(fn): image has \(c) channels (shape \(fmt(image.shape))) but mean has \(mean.count) values and std \(std.count)")
        }
        guard mean.allSatisfy(\.isFinite), std.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw SNNError.invalid("\(fn): mean \(mean) must be finite and std \(std) finite and > 0")
        }
        let out = try Tensor(empty: x.shape, dtype: .float32, zeroed: false, fn)
        let src = x.floats, dst = out.floats
        for b in 0..<n {
            for k in 0..<c {
                let base = (b * c + k) * hw, m = mean[k], s = std[k]
                for i in 0..<hw { dst[base + i] = (src[base + i] - m) / s }
            }
        }
        return was3D ? try out.view(as: image.shape) : out
    }

    /// torchvision's ImageClassification preset (the `transforms()` of its ImageNet weights):
    /// Resize(resizeSize) with antialiasing, CenterCrop(cropSize), Normalize(mean, std). Input:
    /// float32 [3, H, W] or [N, 3, H, W] in [0, 1] (what `ImageTensor.read` gives).
    public static func classificationPreset(_ image: Tensor, resizeSize: Int = 256, cropSize: Int = 224,
                                            mean: [Float] = imagenetMean, std: [Float] = imagenetStd,
                                            _ fn: String = "image_preprocess") throws -> Tensor {
        let (x, _) = try batched(image, fn)
        guard x.shape[1] == mean.count else {
            throw SNNError.shape("\(fn): image has \(x.shape[1]) channels (shape \(fmt(image.shape))), expected \(mean.count) (RGB: read the file with 3 channels)")
        }
        guard (1...65536).contains(resizeSize), (1...65536).contains(cropSize), cropSize <= resizeSize else {
            throw SNNError.invalid("\(fn): resize_size \(resizeSize) and crop_size \(cropSize) must be in 1...65536 with crop_size <= resize_size")
        }
        let (rh, rw) = resizedSize(height: x.shape[2], width: x.shape[3], shorter: resizeSize)
        let resized = try resize(image, height: rh, width: rw, antialias: true, fn)
        return try normalize(try centerCrop(resized, height: cropSize, width: cropSize, fn), mean: mean, std: std, fn)
    }
}
