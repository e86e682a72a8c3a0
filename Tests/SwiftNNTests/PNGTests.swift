// PNG decoding against files written by Pillow and by tools/make_png_fixtures.py's own encoder
// (Tests/fixtures/png, expected pixels in expected.safetensors), channel conversion, the
// writer's exact round trip, and corrupt files -> errors, never traps.
import Testing
@testable import SwiftNN

let pngDir = fixturesDir + "/png/"

func pngFixtureNames() throws -> [String] {
    String(decoding: try fixture("png/FILES"), as: UTF8.self).split(separator: "\n").map(String.init)
}

@Test func pngFixturesDecodeExactly() throws {
    let expected = try SafeTensors.read(path: pngDir + "expected.safetensors")
    let names = try pngFixtureNames()
    #expect(names.count >= 16)
    for name in names {
        let want = try #require(expected[name], "\(name) missing from expected.safetensors")
        let got = try ImageTensor.read(path: pngDir + name + ".png", channels: 0)
        #expect(got.shape == want.shape, "\(name)")
        #expect(got.scalars == want.scalars, "\(name) decodes to other values")
    }
}

@Test func pngChannelConversions() throws {
    // rgba: luma and RGB are composited onto white; RGBA is as stored.
    let img = try PNG.read(path: pngDir + "rgba.png")
    let stored = try ImageTensor.tensor(img, channels: 0).scalars
    let hw = img.width * img.height
    let rgb = try ImageTensor.tensor(img, channels: 3).scalars
    let gray = try ImageTensor.tensor(img, channels: 1).scalars
    #expect(try ImageTensor.tensor(img, channels: 4).scalars == stored)
    for i in 0..<hw {
        let a = stored[3 * hw + i]
        for k in 0..<3 { #expect(abs(rgb[k * hw + i] - (stored[k * hw + i] * a + 1 - a)) < 1e-6) }
        let y = 0.299 * stored[i] + 0.587 * stored[hw + i] + 0.114 * stored[2 * hw + i]
        #expect(abs(gray[i] - (y * a + 1 - a)) < 1e-6)
    }
    // A gray file asked for RGB repeats its value; an opaque one asked for RGBA gets alpha 1.
    let g = try PNG.read(path: pngDir + "gray8.png")
    let g1 = try ImageTensor.tensor(g, channels: 1).scalars
    let g4 = try ImageTensor.tensor(g, channels: 4).scalars
    let n = g.width * g.height
    #expect(Array(g4[0..<n]) == g1 && Array(g4[n..<(2 * n)]) == g1 && Array(g4[(3 * n)...]) == [Float](repeating: 1, count: n))
}

@Test func pngWriteReadRoundTripIsExact() throws {
    for name in ["rgba", "rgb", "gray8", "gray_alpha"] {
        let t = try ImageTensor.read(path: pngDir + name + ".png", channels: 0)
        let bytes = try ImageTensor.pngBytes(t)
        let back = try ImageTensor.tensor(try PNG.decode(bytes), channels: 0)
        #expect(back.shape == t.shape && back.scalars == t.scalars, "\(name)")
    }
    // Clamped and rounded: -1 -> 0, 2 -> 255, 0.5 -> 128 (0.5 * 255 = 127.5 rounds away from zero).
    let t = try Tensor([-1, 2, 0.5, 0.2], shape: [1, 2, 2])
    let back = try ImageTensor.tensor(try PNG.decode(try ImageTensor.pngBytes(t)), channels: 0).scalars
    #expect(back == [0, 1, Float(128) / 255, Float(51) / 255])
    // Stored blocks longer than one (65535 bytes) and a correct Adler-32 over all of them.
    let big = try Tensor((0..<(3 * 200 * 150)).map { Float($0 % 251) / 250 }, shape: [3, 200, 150])
    let again = try ImageTensor.tensor(try PNG.decode(try ImageTensor.pngBytes(big)), channels: 0)
    #expect(again.scalars.enumerated().allSatisfy { abs($1 - big.scalars[$0]) <= 0.5 / 255 + 1e-7 })
}

@Test func pngWriterRefusesBadTensors() throws {
    #expect(thrownStatus { try ImageTensor.pngBytes(try Tensor([1, 2], shape: [2])) }?.0 == .shapeMismatch)
    #expect(thrownStatus { try ImageTensor.pngBytes(try Tensor(empty: [5, 2, 2], zeroed: true)) }?.0 == .shapeMismatch)
    #expect(thrownStatus { try ImageTensor.pngBytes(try Tensor([.nan], shape: [1, 1, 1])) }?.0 == .invalidArgument)
    #expect(thrownStatus { try ImageTensor.pngBytes(try Tensor(int64: [1], shape: [1, 1, 1])) }?.0 == .dtypeMismatch)
}

/// `bytes` with a chunk's CRC recomputed, so a corrupted field reaches the check behind the CRC.
func fixCRC(_ bytes: inout [UInt8], chunkAt pos: Int) {
    let n = Int(bytes[pos]) << 24 | Int(bytes[pos + 1]) << 16 | Int(bytes[pos + 2]) << 8 | Int(bytes[pos + 3])
    let crc = bytes.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[(pos + 4)..<(pos + 8 + n)])) }
    for k in 0..<4 { bytes[pos + 8 + n + k] = UInt8((crc >> (24 - 8 * UInt32(k))) & 0xFF) }
}

@Test func pngCorruptFilesAreErrors() throws {
    let good = try fixture("png/rgb.png")
    func status(_ b: [UInt8]) -> (Status, String)? { thrownStatus { try PNG.decode(b, what: "PNG file 'x.png'") } }
    // Every truncation is a format error naming the file.
    for n in stride(from: 0, to: good.count, by: 7) {
        let s = status(Array(good[..<n]))
        #expect(s?.0 == .format && s?.1.contains("'x.png'") == true, "truncated to \(n): \(String(describing: s))")
    }
    var b = good; b[0] = 0x88
    #expect(status(b)?.1.contains("signature") == true)
    b = good; b[20] ^= 1  // IHDR width, CRC not fixed
    #expect(status(b)?.1.contains("CRC-32 mismatch in chunk IHDR") == true)
    b = good; b[16...19] = [0x7F, 0xFF, 0xFF, 0xFF]; b[20...23] = [0x7F, 0xFF, 0xFF, 0xFF]; fixCRC(&b, chunkAt: 8)
    #expect(status(b)?.0 == .unsupported, "huge IHDR must be refused before allocating")
    b = good; b[16...19] = [0, 0, 0, 0]; fixCRC(&b, chunkAt: 8)
    #expect(status(b)?.1.contains("IHDR size") == true)
    b = good; b[24] = 3; fixCRC(&b, chunkAt: 8)  // bit depth 3
    #expect(status(b)?.1.contains("bit depth 3") == true)
    let idat = 33  // rgb.png (Pillow): IHDR is followed directly by IDAT
    #expect(Array(good[(idat + 4)..<(idat + 8)]) == Array("IDAT".utf8))
    b = good; b[idat + 8] = 0x79; fixCRC(&b, chunkAt: idat)  // zlib CM/CINFO
    #expect(status(b)?.1.contains("zlib header") == true)
    b = good; b[idat + 8 + 20] ^= 0x55; fixCRC(&b, chunkAt: idat)  // inside the deflate data
    #expect(status(b)?.0 == .format)
    // Missing IHDR (first chunk is IDAT) and missing IEND.
    b = Array(good[..<8]) + Array(good[idat...])
    #expect(status(b)?.1.contains("expected IHDR") == true)
    b = Array(good[..<(good.count - 12)])
    #expect(status(b)?.1.contains("without an IEND") == true)
    // A wrong Adler-32 (last 4 bytes of the zlib stream in our own writer's single IDAT).
    var w = try ImageTensor.pngBytes(try Tensor([0.1, 0.2, 0.3], shape: [3, 1, 1]))
    let idatEnd = w.count - 12 - 4  // IEND chunk, then this IDAT's CRC
    w[idatEnd - 1] ^= 1; fixCRC(&w, chunkAt: 33)
    #expect(status(w)?.1.contains("Adler-32") == true)
    // A filter type of 5.
    var f = try ImageTensor.pngBytes(try Tensor([0.1, 0.2, 0.3], shape: [3, 1, 1]))
    // Stored block: zlib 2 bytes, block header 5 bytes, then the row's filter byte.
    f[33 + 8 + 7] = 5
    var raw = Array(f[(33 + 8 + 7)..<(33 + 8 + 7 + 4)])
    let adler = raw.withUnsafeBytes { Adler32.checksum($0) }
    for k in 0..<4 { f[33 + 8 + 7 + 4 + k] = UInt8((adler >> (24 - 8 * UInt32(k))) & 0xFF) }
    raw = []
    fixCRC(&f, chunkAt: 33)
    #expect(status(f)?.1.contains("filter type 5") == true)
}
