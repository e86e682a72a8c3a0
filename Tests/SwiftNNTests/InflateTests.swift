// gzip/DEFLATE decoding against files made by Python's gzip and zlib (Tests/fixtures/inflate,
// written by tools/make_data_fixtures.py), and corrupt or truncated input -> .format errors.
import Testing
@testable import SwiftNN

let fixturesDir = repoRoot + "/Tests/fixtures"

func fixture(_ name: String) throws -> [UInt8] { try File.read(fixturesDir + "/" + name) }

/// The status of a thrown SNNError, or nil when `body` succeeds.
func thrownStatus<T>(_ body: () throws -> T) -> (Status, String)? {
    do {
        _ = try body()
        return nil
    } catch let e as SNNError {
        return (e.status, e.message)
    } catch {
        return (.internalError, "\(error)")
    }
}

@Test(arguments: ["payload-l0.gz", "payload-l1.gz", "payload-l6.gz", "payload-l9.gz", "payload-fixed.gz",
                  "payload-huffman.gz", "payload-rle.gz", "payload-headers.gz", "payload-multi.gz", "trailing-zeros.gz"])
func gzipRoundTrip(file: String) throws {
    let expected = try fixture("inflate/payload.bin")
    let got = try Gzip.decompress(try fixture("inflate/" + file), what: file)
    #expect(got.count == expected.count)
    #expect(got == expected, "\(file) decodes to different bytes")
}

@Test func rawDeflateAndEmptyMember() throws {
    #expect(try Inflate.decompress(try fixture("inflate/payload.deflate")) == (try fixture("inflate/payload.bin")))
    #expect(try Gzip.decompress(try fixture("inflate/empty.gz")).isEmpty)
}

@Test func craftedStreams() throws {
    let names = String(decoding: try fixture("inflate/CRAFTED"), as: UTF8.self).split(separator: "\n").map(String.init)
    #expect(names.count >= 16)
    for name in names {
        let input = try fixture("inflate/crafted-\(name).gz")
        if name.hasPrefix("bad-") {
            let r = thrownStatus { try Gzip.decompress(input, what: name) }
            #expect(r?.0 == .format, "\(name): expected a format error, got \(String(describing: r))")
            #expect(r?.1.hasPrefix(name) == true, "\(name): message should name the input: \(r?.1 ?? "")")
        } else {
            #expect(try Gzip.decompress(input, what: name) == (try fixture("inflate/crafted-\(name).out")), "\(name)")
        }
    }
}

@Test(arguments: [
    ("bad-crc.gz", "CRC32 mismatch"), ("bad-isize.gz", "size mismatch"), ("bad-method.gz", "compression method"),
    ("bad-flags.gz", "reserved header flags"), ("bad-header-crc.gz", "header CRC16"), ("truncated-half.gz", "truncated"),
    ("truncated-trailer.gz", "truncated gzip trailer"), ("trailing-garbage.gz", "unexpected data after gzip member 1"),
    ("not-gzip.gz", "not a gzip file"),
])
func corruptFilesAreFormatErrors(file: String, words: String) throws {
    let r = thrownStatus { try Gzip.decompress(try fixture("inflate/" + file), what: "gzip file '\(file)'") }
    #expect(r?.0 == .format, "\(file): \(String(describing: r))")
    #expect(r?.1.contains(words) == true, "\(file): message '\(r?.1 ?? "")' lacks '\(words)'")
    #expect(r?.1.contains(file) == true)
}

/// Every prefix of a small file must fail cleanly (never succeed, never trap).
@Test func everyTruncationFails() throws {
    for name in ["crafted-mixed-single-dist.gz", "crafted-repeat-codes.gz", "empty.gz"] {
        let full = try fixture("inflate/" + name)
        for n in 0..<full.count {
            let r = thrownStatus { try Gzip.decompress(Array(full[0..<n]), what: name) }
            #expect(r?.0 == .format, "\(name) cut to \(n) bytes: \(String(describing: r))")
        }
    }
    let big = try fixture("inflate/payload-l6.gz")
    for n in stride(from: 0, to: big.count, by: 61) {
        #expect(thrownStatus { try Gzip.decompress(Array(big[0..<n])) }?.0 == .format, "payload-l6.gz cut to \(n)")
    }
}

/// Random bit flips: either a .format error or (a flip in MTIME/XFL/OS) the original bytes.
@Test func bitFlipsNeverCrash() throws {
    let expected = try fixture("inflate/payload.bin")
    for name in ["payload-l9.gz", "payload-fixed.gz", "payload-l0.gz", "crafted-mixed-single-dist.gz"] {
        let good = try fixture("inflate/" + name)
        let want = name.hasPrefix("crafted") ? try fixture("inflate/crafted-mixed-single-dist.out") : expected
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<150 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let bit = Int(state >> 33) % (good.count * 8)
            var bad = good
            bad[bit / 8] ^= UInt8(1 << (bit % 8))
            do {
                let out = try Gzip.decompress(bad, what: name)
                #expect(out == want, "\(name) with bit \(bit) flipped decoded to other bytes without an error")
            } catch let e as SNNError {
                #expect(e.status == .format, "\(name) bit \(bit): \(e.message)")
            }
        }
    }
}

@Test func outputLimitIsEnforced() throws {
    let input = try fixture("inflate/payload-l9.gz")
    let r = thrownStatus { try Gzip.decompress(input, what: "capped", maxOutput: 1000) }
    #expect(r?.0 == .format)
    #expect(r?.1.contains("exceeds the limit of 1000 bytes") == true, "\(r?.1 ?? "")")
    #expect(try Gzip.decompress(input, maxOutput: 45123).count == 45123)
    let stored = thrownStatus { try Gzip.decompress(try fixture("inflate/payload-l0.gz"), maxOutput: 100) }
    #expect(stored?.0 == .format)
}

@Test func crc32KnownAnswers() {
    let check = Array("123456789".utf8)
    #expect(check.withUnsafeBytes { CRC32.checksum($0) } == 0xCBF4_3926)
    let long = [UInt8](repeating: 0xA5, count: 1000)
    let whole = long.withUnsafeBytes { CRC32.checksum($0) }
    let split = long.withUnsafeBytes { p in CRC32.checksum(UnsafeRawBufferPointer(rebasing: p[3...]), CRC32.checksum(UnsafeRawBufferPointer(rebasing: p[..<3]))) }
    #expect(whole == split)
}
