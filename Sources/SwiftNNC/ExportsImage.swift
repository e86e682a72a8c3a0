// Image files as tensors (swiftnn/image.h): PNG read into float32 [C, H, W] in [0, 1], and
// [C, H, W] written back as an 8-bit PNG.
import CSwiftNN
import SwiftNN

@c @implementation
public func snn_image_read(_ out: UnsafeMutablePointer<OpaquePointer?>?, _ path: UnsafePointer<CChar>?, _ channels: Int64) -> snn_status {
    boundary { fn in
        let o = try outHandle(out, fn)
        let p = try stringArg(path, fn, "path")
        guard [0, 1, 3, 4].contains(channels) else {
            throw SNNError(.invalidArgument, "\(fn): channels is \(channels), expected 0 (as stored), 1 (luma), 3 (RGB) or 4 (RGBA)")
        }
        give(try ImageTensor.read(path: p, channels: Int(channels), fn), o)
    }
}

@c @implementation
public func snn_image_write_png(_ image: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> snn_status {
    boundary { fn in
        let t = try tensorArg(image, fn, "image")
        try ImageTensor.writePNG(t, path: try stringArg(path, fn, "path"), fn)
    }
}
