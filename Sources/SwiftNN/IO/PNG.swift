// PNG decoding in pure Swift (no libpng or zlib): the chunk walk with CRC-32 checks, IHDR
// validation, IDAT through Zlib/Inflate, the five scanline filters, Adam7 interlacing, every
// bit depth and colour type. Malformed input is SNNError(.format) naming the file and the fault.

/// A decoded PNG: samples row-major [H, W, channels], each in 0...maxValue.
public struct PNGImage: Sendable {
    public let width: Int, height: Int
    /// 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA. A palette image has 3 (4 with a tRNS chunk);
    /// a gray or RGB image with a tRNS colour key gains an alpha channel (0 on the key).
    public let channels: Int
    /// 2^depth - 1 for the file's bit depth (255 for palette images).
    public let maxValue: Int
    public let samples: [UInt16]
}

public enum PNG {
    /// Most samples (width * height * channels) an image may have: 2^28 (1 GiB as float32).
    public static let maxSamples = 1 << 28
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    public static func read(path: String) throws -> PNGImage {
        try decode(try File.read(path, maxBytes: 1 << 31), what: "PNG file '\(path)'")
    }

    /// Whether `bytes` start with the PNG signature.
    public static func isPNG(_ bytes: [UInt8]) -> Bool { bytes.count >= 8 && Array(bytes[0..<8]) == signature }

    struct Header {
        var width = 0, height = 0, depth = 0, colorType = 0, interlaced = false
        /// Samples per pixel in the file (a palette index is one sample).
        var rawChannels: Int {
            switch colorType {
            case 2: return 3
            case 4: return 2
            case 6: return 4
            default: return 1  // 0 gray, 3 palette index (readHeader allows no other type)
            }
        }
        /// Bytes of one filtered row of `w` pixels, the filter-type byte excluded.
        func rowBytes(_ w: Int) -> Int { (w * rawChannels * depth + 7) / 8 }
    }

    /// Adam7 passes as (x0, y0, dx, dy); a non-interlaced image is the single pass (0, 0, 1, 1).
    static let adam7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]

    public static func decode(_ bytes: [UInt8], what: String = "PNG data") throws -> PNGImage {
        func bad(_ message: String) -> SNNError { SNNError(.format, "\(what): \(message)") }
        guard bytes.count >= 8 else { throw bad("\(bytes.count) bytes is too short for the 8-byte PNG signature (truncated, or not a PNG)") }
        guard isPNG(bytes) else {
            if Array(bytes[1..<4]) == [0x50, 0x4E, 0x47] {
                throw bad("PNG signature is damaged (line endings changed by a text-mode transfer?)")
            }
            throw bad("not a PNG file (the first 8 bytes are not the PNG signature)")
        }
        func be32(_ at: Int) -> UInt32 {
            UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
        }
        var header: Header?
        var palette: [UInt8] = []
        var transparency: [UInt8]?
        var idat: [UInt8] = []
        var idatState = 0  // 0 none yet, 1 in the run of IDAT chunks, 2 after it
        var ended = false
        var pos = 8
        var index = 0
        while !ended {
            guard bytes.count - pos >= 12 else {
                throw bad(pos == bytes.count ? "ends after \(index) chunks without an IEND chunk (truncated)"
                                             : "truncated inside the header of chunk \(index) at byte \(pos)")
            }
            let length = Int(be32(pos))
            let typeBytes = Array(bytes[(pos + 4)..<(pos + 8)])
            guard typeBytes.allSatisfy({ ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) }) else {
                throw bad("chunk \(index) at byte \(pos) has an invalid type (corrupt file)")
            }
            let type = String(decoding: typeBytes, as: UTF8.self)
            guard length <= 0x7FFF_FFFF else { throw bad("chunk \(type) at byte \(pos) claims \(length) bytes, more than PNG allows") }
            guard length <= bytes.count - pos - 12 else {
                throw bad("chunk \(type) at byte \(pos) claims \(length) bytes but only \(bytes.count - pos - 12) remain (truncated)")
            }
            let data = (pos + 8)..<(pos + 8 + length)
            let stored = be32(pos + 8 + length)
            let actual = bytes.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[(pos + 4)..<(pos + 8 + length)])) }
            guard stored == actual else {
                throw bad("CRC-32 mismatch in chunk \(type) at byte \(pos): stored 0x\(String(stored, radix: 16)), computed 0x\(String(actual, radix: 16)) (corrupt file)")
            }
            guard index > 0 || type == "IHDR" else { throw bad("the first chunk is \(type), expected IHDR") }
            if idatState == 1 && type != "IDAT" { idatState = 2 }
            switch type {
            case "IHDR":
                guard index == 0 else { throw bad("a second IHDR chunk at byte \(pos)") }
                header = try readHeader(Array(bytes[data]), bad)
            case "PLTE":
                guard length % 3 == 0, length >= 3, length <= 768 else {
                    throw bad("PLTE chunk has \(length) bytes, expected 3 per entry and 1...256 entries")
                }
                guard idatState == 0 else { throw bad("PLTE chunk after the image data") }
                palette = Array(bytes[data])
            case "tRNS":
                guard idatState == 0 else { throw bad("tRNS chunk after the image data") }
                transparency = Array(bytes[data])
            case "IDAT":
                guard idatState != 2 else { throw bad("IDAT chunks are not consecutive (another chunk at byte \(pos) interrupts them)") }
                idatState = 1
                idat += bytes[data]
            case "IEND":
                ended = true
            default:
                // Ancillary chunks (lowercase first letter) carry nothing a pixel array needs.
                guard typeBytes[0] & 0x20 != 0 else {
                    throw SNNError(.unsupported, "\(what): unknown critical chunk \(type) at byte \(pos); the image cannot be decoded without it")
                }
            }
            pos += 12 + length
            index += 1
        }
        guard let h = header else { throw bad("no IHDR chunk") }
        guard idatState != 0 else { throw bad("no IDAT chunk (no image data)") }
        if h.colorType == 3 {
            guard !palette.isEmpty else { throw bad("palette image (colour type 3) without a PLTE chunk") }
        }
        let alphaFromTRNS = try checkTransparency(transparency, h, palette.count / 3, bad)
        let channels = h.colorType == 3 ? (alphaFromTRNS ? 4 : 3) : h.rawChannels + (alphaFromTRNS ? 1 : 0)

        // Bound the output before allocating anything proportional to it.
        let (pixels, o1) = h.width.multipliedReportingOverflow(by: h.height)
        let (total, o2) = pixels.multipliedReportingOverflow(by: channels)
        guard !o1, !o2, total <= maxSamples else {
            throw SNNError(.unsupported, "\(what): \(h.width) x \(h.height) x \(channels) samples exceeds the limit of \(maxSamples)")
        }
        let passes = h.interlaced ? adam7 : [(0, 0, 1, 1)]
        var expected = 0
        for (x0, y0, dx, dy) in passes {
            let pw = h.width > x0 ? (h.width - x0 + dx - 1) / dx : 0
            let ph = h.height > y0 ? (h.height - y0 + dy - 1) / dy : 0
            if pw > 0 && ph > 0 { expected += ph * (1 + h.rowBytes(pw)) }
        }
        var raw = try Zlib.decompress(idat, expectedBytes: expected, what: what)
        idat = []

        var samples = [UInt16](repeating: 0, count: total)
        let maxValue = h.colorType == 3 ? 255 : (1 << h.depth) - 1
        var offset = 0
        for (p, (x0, y0, dx, dy)) in passes.enumerated() {
            let pw = h.width > x0 ? (h.width - x0 + dx - 1) / dx : 0
            let ph = h.height > y0 ? (h.height - y0 + dy - 1) / dy : 0
            guard pw > 0 && ph > 0 else { continue }
            let rb = h.rowBytes(pw)
            try unfilter(&raw, offset, rows: ph, rowBytes: rb, bpp: max(1, h.rawChannels * h.depth / 8),
                         { bad("row \($0) of " + (h.interlaced ? "Adam7 pass \(p + 1)" : "the image") + " has filter type \($1), expected 0...4 (corrupt file)") })
            for r in 0..<ph {
                let row = offset + r * (rb + 1) + 1
                let y = y0 + r * dy
                for c in 0..<pw {
                    let dst = ((y * h.width) + x0 + c * dx) * channels
                    expand(raw, row, c, h, palette, transparency, alphaFromTRNS, maxValue, &samples, dst)
                }
            }
            offset += ph * (rb + 1)
        }
        return PNGImage(width: h.width, height: h.height, channels: channels, maxValue: maxValue, samples: samples)
    }

    static func readHeader(_ d: [UInt8], _ bad: (String) -> SNNError) throws -> Header {
        guard d.count == 13 else { throw bad("IHDR chunk has \(d.count) bytes, expected 13") }
        func be32(_ at: Int) -> Int { Int(d[at]) << 24 | Int(d[at + 1]) << 16 | Int(d[at + 2]) << 8 | Int(d[at + 3]) }
        var h = Header()
        h.width = be32(0)
        h.height = be32(4)
        h.depth = Int(d[8])
        h.colorType = Int(d[9])
        guard (1...0x7FFF_FFFF).contains(h.width), (1...0x7FFF_FFFF).contains(h.height) else {
            throw bad("IHDR size \(h.width) x \(h.height) is invalid (each must be 1...2^31-1)")
        }
        let allowed: [Int: [Int]] = [0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]]
        guard let depths = allowed[h.colorType] else {
            throw bad("IHDR colour type \(h.colorType) is invalid (expected 0, 2, 3, 4 or 6)")
        }
        guard depths.contains(h.depth) else {
            throw bad("IHDR bit depth \(h.depth) is invalid for colour type \(h.colorType) (expected one of \(depths))")
        }
        guard d[10] == 0 else { throw bad("IHDR compression method \(d[10]) is unknown (expected 0)") }
        guard d[11] == 0 else { throw bad("IHDR filter method \(d[11]) is unknown (expected 0)") }
        guard d[12] <= 1 else { throw bad("IHDR interlace method \(d[12]) is unknown (expected 0 or 1)") }
        h.interlaced = d[12] == 1
        return h
    }

    /// Whether tRNS adds an alpha channel. A tRNS that contradicts the header is an error;
    /// on gray + alpha and RGBA images (which may not have one) it is ignored, as libpng does.
    static func checkTransparency(_ t: [UInt8]?, _ h: Header, _ paletteCount: Int, _ bad: (String) -> SNNError) throws -> Bool {
        guard let t else { return false }
        switch h.colorType {
        case 0, 2:
            let want = h.colorType == 0 ? 2 : 6
            guard t.count == want else { throw bad("tRNS chunk has \(t.count) bytes, expected \(want) for colour type \(h.colorType)") }
            return true
        case 3:
            guard t.count <= paletteCount else { throw bad("tRNS chunk has \(t.count) entries but the palette only \(paletteCount)") }
            return true
        default:
            return false
        }
    }

    /// Undoes the scanline filters in place: each row is a filter-type byte and `rowBytes`
    /// bytes; a(left, `bpp` bytes back), b(above), c(above-left) are zero outside the pass.
    static func unfilter(_ raw: inout [UInt8], _ start: Int, rows: Int, rowBytes: Int, bpp: Int,
                         _ bad: (Int, UInt8) -> SNNError) throws {
        try raw.withUnsafeMutableBufferPointer { buf in
            let p = buf.baseAddress!
            for r in 0..<rows {
                let rowStart = start + r * (rowBytes + 1)
                let type = p[rowStart]
                let x = p + rowStart + 1
                let prior: UnsafeMutablePointer<UInt8>? = r == 0 ? nil : x - (rowBytes + 1)
                switch type {
                case 0:
                    break
                case 1:
                    if rowBytes > bpp { for i in bpp..<rowBytes { x[i] &+= x[i - bpp] } }
                case 2:
                    if let b = prior { for i in 0..<rowBytes { x[i] &+= b[i] } }
                case 3:
                    for i in 0..<rowBytes {
                        let a = i >= bpp ? Int(x[i - bpp]) : 0
                        let b = prior.map { Int($0[i]) } ?? 0
                        x[i] &+= UInt8((a + b) >> 1)
                    }
                case 4:
                    for i in 0..<rowBytes {
                        let a = i >= bpp ? Int(x[i - bpp]) : 0
                        let b = prior.map { Int($0[i]) } ?? 0
                        let c = i >= bpp ? prior.map { Int($0[i - bpp]) } ?? 0 : 0
                        x[i] &+= UInt8(paeth(a, b, c))
                    }
                default:
                    throw bad(r, type)
                }
            }
        }
    }

    @inline(__always)
    static func paeth(_ a: Int, _ b: Int, _ c: Int) -> Int {
        let p = a + b - c
        let pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
        if pa <= pb && pa <= pc { return a }
        return pb <= pc ? b : c
    }

    /// Writes pixel `c` of the unfiltered row at `row` into samples[dst...] with the output's
    /// channels (palette looked up, tRNS turned into alpha).
    @inline(__always)
    static func expand(_ raw: [UInt8], _ row: Int, _ c: Int, _ h: Header, _ palette: [UInt8], _ trns: [UInt8]?,
                       _ addAlpha: Bool, _ maxValue: Int, _ out: inout [UInt16], _ dst: Int) {
        let n = h.rawChannels
        func sample(_ k: Int) -> UInt16 {
            switch h.depth {
            case 8: return UInt16(raw[row + c * n + k])
            case 16: return UInt16(raw[row + 2 * (c * n + k)]) << 8 | UInt16(raw[row + 2 * (c * n + k) + 1])
            default:  // 1, 2, 4 bits (one channel): pixels packed from the most significant bit
                let bit = c * h.depth
                let byte = raw[row + bit / 8]
                return UInt16((byte >> UInt8(8 - h.depth - bit % 8)) & UInt8((1 << h.depth) - 1))
            }
        }
        if h.colorType == 3 {
            // Indices past the palette read as black, as libpng does, rather than failing.
            let i = Int(sample(0))
            for k in 0..<3 { out[dst + k] = 3 * i + k < palette.count ? UInt16(palette[3 * i + k]) : 0 }
            if addAlpha, let t = trns { out[dst + 3] = i < t.count ? UInt16(t[i]) : 255 }
            return
        }
        var key = true
        for k in 0..<n {
            let v = sample(k)
            out[dst + k] = v
            if addAlpha, let t = trns, v != UInt16(t[2 * k]) << 8 | UInt16(t[2 * k + 1]) { key = false }
        }
        if addAlpha { out[dst + n] = key ? 0 : UInt16(maxValue) }
    }
}
