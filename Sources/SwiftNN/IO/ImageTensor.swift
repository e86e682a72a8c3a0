// Images as tensors: a decoded PNG as float32 [C, H, W] in [0, 1] with the channel count a
// model wants (alpha composited onto white, ITU-R 601 luma), and a [C, H, W] tensor back to PNG.

public enum ImageTensor {
    /// Reads a PNG or JPEG file as float32 [C, H, W] in [0, 1]. channels: 1 (luma 0.299 R + 0.587 G +
    /// 0.114 B, alpha composited onto white), 3 (RGB, alpha onto white), 4 (RGBA, opaque when
    /// the file has no alpha) or 0 (as stored: 1, 2, 3 or 4).
    public static func read(path: String, channels: Int, _ fn: String = "ImageTensor.read") throws -> Tensor {
        guard [0, 1, 3, 4].contains(channels) else {
            throw SNNError.invalid("\(fn): channels is \(channels), expected 0 (as stored), 1, 3 or 4")
        }
        let bytes = try File.read(path, maxBytes: 1 << 31)
        // JPEG by its signature (through libjpeg-turbo, loaded on first use); PNG otherwise.
        if JPEG.isJPEG(bytes) { return try tensor(try JPEG.decode(bytes, what: "JPEG file '\(path)'"), channels: channels, fn) }
        return try tensor(try PNG.decode(bytes, what: "PNG file '\(path)'"), channels: channels, fn)
    }

    public static func tensor(_ img: PNGImage, channels: Int, _ fn: String = "ImageTensor.tensor") throws -> Tensor {
        let hw = img.width * img.height, n = img.channels
        let c = channels == 0 ? n : channels
        guard [1, 2, 3, 4].contains(c) else { throw SNNError.invalid("\(fn): channels is \(channels), expected 0, 1, 3 or 4") }
        let t = try Tensor(empty: [c, img.height, img.width], dtype: .float32, zeroed: false, fn)
        let out = t.floats
        let scale = Float(img.maxValue)
        let hasAlpha = n == 2 || n == 4
        let color = n >= 3
        img.samples.withUnsafeBufferPointer { s in
            for i in 0..<hw {
                let px = s.baseAddress! + i * n
                if channels == 0 {
                    for k in 0..<n { out[k * hw + i] = Float(px[k]) / scale }
                    continue
                }
                let a: Float = hasAlpha ? Float(px[n - 1]) / scale : 1
                let r = Float(px[0]) / scale
                let g = color ? Float(px[1]) / scale : r, b = color ? Float(px[2]) / scale : r
                switch c {
                case 4:
                    out[i] = r; out[hw + i] = g; out[2 * hw + i] = b; out[3 * hw + i] = a
                case 3:
                    // Onto white: what a viewer shows, and how the emoji training set was rendered.
                    out[i] = r * a + (1 - a); out[hw + i] = g * a + (1 - a); out[2 * hw + i] = b * a + (1 - a)
                default:
                    // A gray file keeps its value exactly rather than passing through the weights.
                    let y = color ? 0.299 * r + 0.587 * g + 0.114 * b : r
                    out[i] = y * a + (1 - a)
                }
            }
        }
        return t
    }

    /// PNG bytes (8 bits per sample) of `image`, float32 [C, H, W] with C = 1 (gray),
    /// 2 (gray + alpha), 3 (RGB) or 4 (RGBA); values are clamped to [0, 1] and rounded to
    /// the nearest of 0...255 (so a read of such a file writes back identically). NaN is refused.
    public static func pngBytes(_ image: Tensor, _ fn: String = "ImageTensor.pngBytes") throws -> [UInt8] {
        guard image.dtype == .float32 else { throw SNNError.dtype("\(fn): image is \(image.dtype.name), expected float32 [C, H, W]") }
        guard image.rank == 3, (1...4).contains(image.shape[0]), image.shape[1] >= 1, image.shape[2] >= 1 else {
            throw SNNError.shape("\(fn): image has shape \(fmt(image.shape)), expected [C, H, W] with C = 1, 2, 3 or 4 and H, W >= 1")
        }
        let c = image.shape[0], h = image.shape[1], w = image.shape[2], hw = h * w
        guard image.count <= PNG.maxSamples else {
            throw SNNError(.unsupported, "\(fn): image has \(image.count) samples, more than the limit of \(PNG.maxSamples)")
        }
        let p = image.floats
        var samples = [UInt8](repeating: 0, count: image.count)
        for i in 0..<hw {
            for k in 0..<c {
                let v = p[k * hw + i]
                guard !v.isNaN else { throw SNNError.invalid("\(fn): image has NaN at channel \(k), row \(i / w), column \(i % w)") }
                samples[i * c + k] = UInt8((min(max(v, 0), 1) * 255).rounded())
            }
        }
        return PNG.encode(samples: samples, width: w, height: h, channels: c)
    }

    public static func writePNG(_ image: Tensor, path: String, _ fn: String = "ImageTensor.writePNG") throws {
        try File.writeAtomically(path, [try pngBytes(image, fn)])
    }
}
