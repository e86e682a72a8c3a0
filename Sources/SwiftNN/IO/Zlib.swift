// The zlib container (RFC 1950) around a DEFLATE stream, as PNG's IDAT data uses it: a
// two-byte header, the stream, and a big-endian Adler-32 of the decompressed bytes. Decoding
// checks all three; encoding writes stored (uncompressed) blocks, which needs no compressor.

enum Adler32 {
    /// Adler-32 of `p`, continuing from `adler` (1 for a fresh checksum).
    static func checksum(_ p: UnsafeRawBufferPointer, _ adler: UInt32 = 1) -> UInt32 {
        var a = adler & 0xFFFF, b = adler >> 16
        var i = 0
        // 5552 is the most bytes whose sums cannot overflow 32 bits before the modulo (zlib's NMAX).
        while i < p.count {
            let end = min(p.count, i + 5552)
            while i < end {
                a &+= UInt32(p[i])
                b &+= a
                i += 1
            }
            a %= 65521
            b %= 65521
        }
        return b << 16 | a
    }
}

enum Zlib {
    /// Decompresses a zlib stream whose output must be exactly `expectedBytes` long (PNG knows
    /// it from the header, so a stream that would produce more stops at the limit instead of
    /// filling memory). `what` names the input in messages.
    static func decompress(_ bytes: [UInt8], expectedBytes: Int, what: String) throws -> [UInt8] {
        guard bytes.count >= 6 else {
            throw SNNError(.format, "\(what): zlib stream of \(bytes.count) bytes is too short for a header and an Adler-32 (truncated)")
        }
        let cmf = bytes[0], flg = bytes[1]
        guard cmf & 0x0F == 8, cmf >> 4 <= 7 else {
            throw SNNError(.format, "\(what): zlib header 0x\(String(cmf, radix: 16)) is not DEFLATE with a window of at most 32 KiB (corrupt data)")
        }
        guard (UInt16(cmf) << 8 | UInt16(flg)) % 31 == 0 else {
            throw SNNError(.format, "\(what): zlib header check bits are wrong (corrupt data)")
        }
        guard flg & 0x20 == 0 else { throw SNNError(.format, "\(what): zlib stream asks for a preset dictionary, which PNG forbids") }
        let body = Array(bytes[2..<(bytes.count - 4)])
        let out = try Inflate.decompress(body, what: what, maxOutput: expectedBytes)
        guard out.count == expectedBytes else {
            throw SNNError(.format, "\(what): image data decompresses to \(out.count) bytes, expected \(expectedBytes) (truncated or corrupt)")
        }
        let n = bytes.count
        let stored = UInt32(bytes[n - 4]) << 24 | UInt32(bytes[n - 3]) << 16 | UInt32(bytes[n - 2]) << 8 | UInt32(bytes[n - 1])
        let actual = out.withUnsafeBytes { Adler32.checksum($0) }
        guard stored == actual else {
            throw SNNError(.format, "\(what): zlib Adler-32 is 0x\(String(stored, radix: 16)), the data has 0x\(String(actual, radix: 16)) (corrupt data)")
        }
        return out
    }

    /// `raw` as a zlib stream of stored DEFLATE blocks (BTYPE 00, at most 65535 bytes each).
    static func storedStream(_ raw: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]  // 32 KiB window, "fastest" level; 0x7801 % 31 == 0
        out.reserveCapacity(raw.count + raw.count / 65535 * 5 + 16)
        var start = 0
        repeat {
            let len = min(65535, raw.count - start)
            let final: UInt8 = start + len == raw.count ? 1 : 0
            out += [final, UInt8(len & 0xFF), UInt8(len >> 8), UInt8(~len & 0xFF), UInt8((~len >> 8) & 0xFF)]
            out += raw[start..<(start + len)]
            start += len
        } while start < raw.count
        let adler = raw.withUnsafeBytes { Adler32.checksum($0) }
        out += [UInt8(adler >> 24), UInt8((adler >> 16) & 0xFF), UInt8((adler >> 8) & 0xFF), UInt8(adler & 0xFF)]
        return out
    }
}
