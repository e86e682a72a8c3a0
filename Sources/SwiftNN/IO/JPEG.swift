// JPEG decoding through libjpeg-turbo loaded at run time (Sources/CJPEG/jpeg_shim.h): the
// library keeps OpenBLAS as its only link-time dependency, and a machine without
// libjpeg62-turbo gets a clear error on the first JPEG instead of failing to load.
import CJPEG
#if canImport(Glibc)
import Glibc
#endif

public enum JPEG {
    /// Whether `bytes` start with a JPEG SOI marker followed by another marker.
    public static func isJPEG(_ bytes: [UInt8]) -> Bool { bytes.count >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF }

    /// Decodes JPEG bytes to 8-bit RGB (gray and YCbCr files alike; CMYK is refused).
    /// Corrupt or truncated data is SNNError(.format) with libjpeg's message; a missing
    /// libjpeg.so.62 is SNNError(.unsupported) saying which package to install.
    public static func decode(_ bytes: [UInt8], what: String = "JPEG data") throws -> PNGImage {
        var out: UnsafeMutablePointer<UInt8>? = nil
        var w: Int64 = 0, h: Int64 = 0
        var err = [CChar](repeating: 0, count: 600)
        let rc = bytes.withUnsafeBufferPointer { b in
            err.withUnsafeMutableBufferPointer { e in
                snn_jpeg_decode_rgb(b.baseAddress, UInt(b.count), UInt64(PNG.maxSamples), &out, &w, &h, e.baseAddress, e.count)
            }
        }
        guard rc == 0, let px = out else {
            let message = String(decoding: err.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let status: Status = message.hasPrefix("JPEG input needs") || message.contains("not a libjpeg") ? .unsupported : .format
            throw SNNError(status, "\(what): \(message)")
        }
        defer { free(px) }
        let n = Int(w) * Int(h) * 3
        let samples = [UInt16](unsafeUninitializedCapacity: n) { buf, count in
            for i in 0..<n { buf[i] = UInt16(px[i]) }
            count = n
        }
        return PNGImage(width: Int(w), height: Int(h), channels: 3, maxValue: 255, samples: samples)
    }
}
