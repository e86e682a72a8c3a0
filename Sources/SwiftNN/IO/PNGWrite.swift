// PNG encoding of 8-bit gray, gray + alpha, RGB and RGBA pixels with stored (uncompressed)
// DEFLATE blocks: files are larger than a compressor's, but need no zlib and are exact.

extension PNG {
    /// A PNG file of `samples`, row-major [height, width, channels] with channels 1...4
    /// (the caller, ImageTensor.pngBytes, has checked the sizes).
    static func encode(samples: [UInt8], width: Int, height: Int, channels: Int) -> [UInt8] {
        // Every row gets filter type 0 (none): with stored blocks, filtering would gain nothing.
        let rowBytes = width * channels
        var raw = [UInt8](repeating: 0, count: height * (rowBytes + 1))
        for y in 0..<height {
            raw[(y * (rowBytes + 1) + 1)..<((y + 1) * (rowBytes + 1))] = samples[(y * rowBytes)..<((y + 1) * rowBytes)]
        }
        let colorType: UInt8 = [0, 4, 2, 6][channels - 1]
        var ihdr = [UInt8]()
        for v in [width, height] { ihdr += [UInt8((v >> 24) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
        ihdr += [8, colorType, 0, 0, 0]
        var out = signature
        appendChunk(&out, "IHDR", ihdr)
        appendChunk(&out, "IDAT", Zlib.storedStream(raw))
        appendChunk(&out, "IEND", [])
        return out
    }

    static func appendChunk(_ out: inout [UInt8], _ type: String, _ data: [UInt8]) {
        let n = data.count
        out += [UInt8((n >> 24) & 0xFF), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)]
        let start = out.count
        out += Array(type.utf8)
        out += data
        let crc = out.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        out += [UInt8(crc >> 24), UInt8((crc >> 16) & 0xFF), UInt8((crc >> 8) & 0xFF), UInt8(crc & 0xFF)]
    }
}
