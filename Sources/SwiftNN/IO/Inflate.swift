// DEFLATE (RFC 1951) and gzip (RFC 1952) decoding in pure Swift, so gzipped data sets load
// without zlib. Table-driven Huffman decoding; every read is bounds-checked, and malformed or
// truncated input becomes SNNError(.format) naming the file and the fault, never a trap.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// gzip files: one or more members, each a header, a DEFLATE stream, CRC32 and ISIZE.
public enum Gzip {
    /// Default cap on decompressed bytes: 16 GiB or the machine's memory, whichever is less.
    public static var defaultMaxOutput: Int { min(1 << 34, Storage.physicalBytes) }

    /// Whether `bytes` starts with the gzip magic 1f 8b.
    public static func isGzip(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    public static func isGzip(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { isGzip($0) } }

    /// Decompresses every member, verifying each member's CRC32 and ISIZE.
    /// `what` names the input in messages ("gzip file 'x.gz'").
    public static func decompress(_ bytes: [UInt8], what: String = "gzip data", maxOutput: Int? = nil) throws -> [UInt8] {
        try withDecompressed(bytes, what: what, maxOutput: maxOutput) { Array($0) }
    }

    /// Decompresses into a temporary buffer and passes it to `body` (no copy of the output).
    public static func withDecompressed<T>(_ bytes: [UInt8], what: String = "gzip data", maxOutput: Int? = nil,
                                           _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T {
        try bytes.withUnsafeBytes { input in
            var inf = Inflater(input: input, what: what, limit: maxOutput ?? defaultMaxOutput)
            defer { inf.release() }
            try inf.gunzip()
            return try body(UnsafeRawBufferPointer(start: inf.out, count: inf.outCount))
        }
    }
}

/// Raw DEFLATE streams (no container).
public enum Inflate {
    /// Decompresses one DEFLATE stream; bytes after its final block are an error.
    public static func decompress(_ bytes: [UInt8], what: String = "deflate data", maxOutput: Int? = nil) throws -> [UInt8] {
        try bytes.withUnsafeBytes { input in
            var inf = Inflater(input: input, what: what, limit: maxOutput ?? Gzip.defaultMaxOutput)
            defer { inf.release() }
            try inf.reserveHint(input.count &* 4)
            try inf.inflateStream()
            try inf.alignToByte()
            guard inf.pos == input.count else {
                throw SNNError(.format, "\(what): \(input.count - inf.pos) bytes after the end of the DEFLATE stream")
            }
            return Array(UnsafeBufferPointer(start: inf.out, count: inf.outCount))
        }
    }
}

// MARK: - CRC32 (slicing by 8)

enum CRC32 {
    static let table: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for n in 0..<256 {
            var c = UInt32(n)
            for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            t[n] = c
        }
        for n in 0..<256 {
            var c = t[n]
            for k in 1..<8 {
                c = t[Int(c & 0xFF)] ^ (c >> 8)
                t[k * 256 + n] = c
            }
        }
        return t
    }()

    /// CRC-32 (ISO-HDLC, as gzip and zlib) of `p`, continuing from `crc`.
    static func checksum(_ p: UnsafeRawBufferPointer, _ crc: UInt32 = 0) -> UInt32 {
        var c = ~crc
        let n = p.count
        table.withUnsafeBufferPointer { t in
            var i = 0
            while i + 8 <= n {
                let lo = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt32.self)) ^ c
                let hi = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self))
                c = t[1792 + Int(lo & 0xFF)] ^ t[1536 + Int((lo >> 8) & 0xFF)]
                    ^ t[1280 + Int((lo >> 16) & 0xFF)] ^ t[1024 + Int(lo >> 24)]
                    ^ t[768 + Int(hi & 0xFF)] ^ t[512 + Int((hi >> 8) & 0xFF)]
                    ^ t[256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
                i += 8
            }
            while i < n {
                c = t[Int((c ^ UInt32(p[i])) & 0xFF)] ^ (c >> 8)
                i += 1
            }
        }
        return ~c
    }
}

// MARK: - Huffman tables

/// A canonical Huffman code as a lookup table on the next `fastBits` input bits, with a
/// bit-by-bit canonical decode for the rare longer codes.
///
/// Entry layout (UInt32): bits 0-3 code length (0 = no entry), 4-5 kind, 8-11 extra bits,
/// 16-31 value (literal byte, length or distance base).
struct Huffman {
    static let literal: UInt32 = 0, match: UInt32 = 1, endOfBlock: UInt32 = 2, invalid: UInt32 = 3

    let fastBits: Int
    var fast: [UInt32]
    /// Codes of each length 0...15.
    var counts = [Int](repeating: 0, count: 16)
    /// Entries (without length) in canonical order: by code length, then symbol.
    var sorted: [UInt32] = []

    /// Builds the code from code lengths; `entry(symbol)` gives a symbol's kind/extra/value.
    /// Over-subscribed codes are rejected; incomplete codes too, unless `allowSingle` and the
    /// code has no symbol or a single one-bit symbol (RFC 1951 3.2.7; zlib and puff agree).
    init(lengths: [UInt8], fastBits: Int, what: String, name: String, allowSingle: Bool,
         entry: (Int) -> UInt32) throws {
        self.fastBits = fastBits
        fast = [UInt32](repeating: 0, count: 1 << fastBits)
        for l in lengths { counts[Int(l & 15)] += 1 }
        counts[0] = 0
        var left = 1
        for len in 1...15 {
            left <<= 1
            left -= counts[len]
            guard left >= 0 else { throw SNNError(.format, "\(what): over-subscribed \(name) Huffman code") }
        }
        let used = lengths.count - lengths.lazy.filter { $0 == 0 }.count
        if left > 0 {
            // Incomplete: only "no codes" or "one one-bit code" may be (as zlib and puff).
            guard allowSingle, used <= 1, used == counts[1] else {
                throw SNNError(.format, "\(what): incomplete \(name) Huffman code")
            }
        }
        // Canonical order and codes (RFC 1951 3.2.2).
        var offsets = [Int](repeating: 0, count: 16)
        for len in 1..<15 { offsets[len + 1] = offsets[len] + counts[len] }
        sorted = [UInt32](repeating: 0, count: used)
        var nextCode = [Int](repeating: 0, count: 16)
        var code = 0
        for len in 1...15 {
            code = (code + counts[len - 1]) << 1
            nextCode[len] = code
        }
        for (sym, l) in lengths.enumerated() where l != 0 {
            let len = Int(l)
            let e = entry(sym)
            sorted[offsets[len]] = e
            offsets[len] += 1
            let c = nextCode[len]
            nextCode[len] += 1
            guard len <= fastBits else { continue }
            var rev = 0
            for b in 0..<len where (c >> b) & 1 != 0 { rev |= 1 << (len - 1 - b) }
            let full = e | UInt32(len)
            var i = rev
            while i < fast.count {
                fast[i] = full
                i += 1 << len
            }
        }
    }

    /// Canonical decode of a code longer than `fastBits` (or an unassigned pattern), reading
    /// bits from `bits` (low bit first). Returns the entry with its length, or 0.
    func slowDecode(_ bits: UInt64) -> UInt32 {
        var code = 0, first = 0, index = 0
        var b = bits
        for len in 1...15 {
            code |= Int(b & 1)
            b >>= 1
            let count = counts[len]
            if code - first < count {
                let i = index + code - first
                guard i >= 0, i < sorted.count else { return 0 }
                return sorted[i] | UInt32(len)
            }
            index += count
            first += count
            first <<= 1
            code <<= 1
        }
        return 0
    }

    static let lengthBase: [UInt32] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
                                       35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra: [UInt32] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
                                        3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distBase: [UInt32] = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193,
                                     257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
                                     8193, 12289, 16385, 24577]
    static let distExtra: [UInt32] = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6,
                                      7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

    static func litlenEntry(_ sym: Int) -> UInt32 {
        if sym < 256 { return literal << 4 | UInt32(sym) << 16 }
        if sym == 256 { return endOfBlock << 4 }
        let i = sym - 257
        guard i < 29 else { return invalid << 4 }
        return match << 4 | lengthExtra[i] << 8 | lengthBase[i] << 16
    }

    static func distEntry(_ sym: Int) -> UInt32 {
        guard sym < 30 else { return invalid << 4 }
        return match << 4 | distExtra[sym] << 8 | distBase[sym] << 16
    }

    static let litlenFastBits = 12, distFastBits = 10

    static func litlen(_ lengths: [UInt8], _ what: String) throws -> Huffman {
        try Huffman(lengths: lengths, fastBits: litlenFastBits, what: what, name: "literal/length", allowSingle: true, entry: litlenEntry)
    }

    static func dist(_ lengths: [UInt8], _ what: String) throws -> Huffman {
        try Huffman(lengths: lengths, fastBits: distFastBits, what: what, name: "distance", allowSingle: true, entry: distEntry)
    }

    /// The fixed codes of block type 1 (RFC 1951 3.2.6); complete by construction.
    static let fixed: (litlen: Huffman, dist: Huffman)? = {
        var l = [UInt8](repeating: 8, count: 288)
        for i in 144..<256 { l[i] = 9 }
        for i in 256..<280 { l[i] = 7 }
        guard let lit = try? litlen(l, "fixed"), let d = try? dist([UInt8](repeating: 5, count: 30 + 2), "fixed") else { return nil }
        return (lit, d)
    }()
}

// MARK: - The decoder

/// Decoding state: input cursor with a 64-bit bit buffer, and a growable output buffer
/// (malloc'd, `slack` bytes beyond the limit so match copies may overrun by a word).
struct Inflater {
    let input: UnsafeRawBufferPointer
    let what: String
    let limit: Int
    var pos = 0
    var bitbuf: UInt64 = 0
    var bitcount = 0
    /// Zero bytes appended past the end of the input to fill the bit buffer; consuming any of
    /// them means the stream was truncated.
    var padBytes = 0
    var out: UnsafeMutablePointer<UInt8>?
    var outCap = 0
    var outCount = 0
    /// Output offset where the current gzip member began (distances may not reach before it).
    var memberStart = 0
    static let slack = 258 + 16

    init(input: UnsafeRawBufferPointer, what: String, limit: Int) {
        self.input = input
        self.what = what
        self.limit = max(0, limit)
    }

    mutating func release() {
        free(out)
        out = nil
        outCap = 0
    }

    func fail(_ message: String) -> SNNError { SNNError(.format, "\(what): \(message)") }

    func truncated(_ context: String) -> SNNError {
        SNNError(.format, "\(what): truncated \(context) (input ends at byte \(input.count))")
    }

    // MARK: output buffer

    /// Grows the buffer to hold at least `needed` bytes (plus slack), up to limit + slack.
    mutating func grow(_ needed: Int) throws {
        let ceiling = limit + Inflater.slack
        var cap = max(outCap * 2, needed + Inflater.slack, 1 << 16)
        cap = min(cap, ceiling)
        guard cap >= needed, cap > outCap else {
            throw SNNError(.format, "\(what): decompressed data exceeds the limit of \(limit) bytes")
        }
        guard let p = realloc(out, cap) else {
            throw SNNError(.outOfMemory, "\(what): cannot allocate \(cap) bytes for the decompressed data")
        }
        out = p.assumingMemoryBound(to: UInt8.self)
        outCap = cap
    }

    /// Pre-sizes the output buffer from an untrusted size hint (capped by what DEFLATE can
    /// expand the input to, about 1032:1, and by the limit).
    mutating func reserveHint(_ hint: Int) throws {
        let cap = min(max(hint, 0), input.count &* 1040 &+ 1024, limit)
        if cap > outCap { try grow(cap) }
    }

    // MARK: bits

    /// Fills the bit buffer to at least 56 bits, padding with zero bytes past the end.
    @inline(__always)
    mutating func refill() throws {
        if pos &+ 8 <= input.count {
            let w = UInt64(littleEndian: input.loadUnaligned(fromByteOffset: pos, as: UInt64.self))
            bitbuf |= w &<< UInt64(bitcount)
            pos &+= (63 &- bitcount) &>> 3
            bitcount |= 56
        } else {
            try refillSlow()
        }
    }

    mutating func refillSlow() throws {
        while bitcount <= 56 {
            if pos < input.count {
                bitbuf |= UInt64(input[pos]) &<< UInt64(bitcount)
                pos += 1
            } else {
                padBytes += 1
                guard padBytes <= 8 else { throw truncated("in the middle of a compressed block") }
            }
            bitcount += 8
        }
    }

    @inline(__always)
    mutating func consume(_ n: Int) {
        bitbuf &>>= UInt64(n)
        bitcount &-= n
    }

    /// Takes `n` <= 32 bits (after a refill).
    @inline(__always)
    mutating func take(_ n: Int) -> UInt32 {
        let v = UInt32(truncatingIfNeeded: bitbuf & ((1 &<< UInt64(n)) &- 1))
        consume(n)
        return v
    }

    /// Whether bits past the real end of the input were consumed.
    var overran: Bool { bitcount < padBytes * 8 }

    /// Drops bits up to the next byte boundary and hands the buffered whole bytes back to the
    /// input, so that `pos` is the next unread byte.
    mutating func alignToByte() throws {
        consume(bitcount & 7)
        guard !overran else { throw truncated("DEFLATE stream") }
        pos -= bitcount / 8 - padBytes
        bitbuf = 0
        bitcount = 0
        padBytes = 0
    }

    // MARK: blocks

    /// Decodes blocks until the final one.
    mutating func inflateStream() throws {
        var final = false
        var blocks = 0
        while !final {
            try refill()
            final = take(1) == 1
            let type = take(2)
            blocks += 1
            switch type {
            case 0: try storedBlock()
            case 1:
                guard let f = Huffman.fixed else { throw SNNError(.internalError, "\(what): fixed Huffman tables unavailable") }
                try codesBlock(f.litlen, f.dist)
            case 2:
                let (l, d) = try dynamicTables()
                try codesBlock(l, d)
            default:
                throw fail("invalid block type 3 in block \(blocks) (near input byte \(pos))")
            }
            guard !overran else { throw truncated("in block \(blocks)") }
        }
    }

    mutating func storedBlock() throws {
        consume(bitcount & 7)
        try refill()
        let len = Int(take(16)), nlen = Int(take(16))
        guard !overran else { throw truncated("stored block header") }
        guard len == (~nlen & 0xFFFF) else {
            throw fail("stored block length \(len) does not match its complement \(nlen) (near input byte \(pos))")
        }
        // Hand back the whole bytes still in the bit buffer; read the block from the input.
        pos -= bitcount / 8 - padBytes
        bitbuf = 0
        bitcount = 0
        padBytes = 0
        guard len <= input.count - pos else { throw truncated("stored block of \(len) bytes at input byte \(pos)") }
        guard len <= limit - outCount else {
            throw SNNError(.format, "\(what): decompressed data exceeds the limit of \(limit) bytes")
        }
        if outCount + len + Inflater.slack > outCap { try grow(outCount + len) }
        guard let out, let src = input.baseAddress else {
            if len == 0 { return }
            throw SNNError(.internalError, "\(what): no buffer for a stored block")
        }
        (out + outCount).update(from: src.assumingMemoryBound(to: UInt8.self) + pos, count: len)
        outCount += len
        pos += len
    }

    /// Reads the code-length code and the literal/length and distance codes of a type-2 block.
    mutating func dynamicTables() throws -> (Huffman, Huffman) {
        try refill()
        let hlit = Int(take(5)) + 257, hdist = Int(take(5)) + 1, hclen = Int(take(4)) + 4
        guard hlit <= 286, hdist <= 30 else {
            throw fail("dynamic block declares \(hlit) literal/length and \(hdist) distance codes (at most 286 and 30)")
        }
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        var clen = [UInt8](repeating: 0, count: 19)
        for i in 0..<hclen {
            try refill()
            clen[order[i]] = UInt8(take(3))
        }
        let lencode = try Huffman(lengths: clen, fastBits: 7, what: what, name: "code-length", allowSingle: false) { UInt32($0) << 16 }
        var lengths = [UInt8](repeating: 0, count: hlit + hdist)
        var i = 0
        while i < lengths.count {
            try refill()
            var e = lencode.fast[Int(bitbuf & 127)]
            if e & 15 == 0 { e = lencode.slowDecode(bitbuf) }
            guard e & 15 != 0 else { throw fail("invalid code-length code (near input byte \(pos))") }
            consume(Int(e & 15))
            let sym = Int(e >> 16)
            if sym < 16 {
                lengths[i] = UInt8(sym)
                i += 1
                continue
            }
            var value: UInt8 = 0, repeatCount: Int
            switch sym {
            case 16:
                guard i > 0 else { throw fail("code-length repeat (16) with no previous length") }
                value = lengths[i - 1]
                repeatCount = 3 + Int(take(2))
            case 17: repeatCount = 3 + Int(take(3))
            default: repeatCount = 11 + Int(take(7))
            }
            guard repeatCount <= lengths.count - i else {
                throw fail("code-length repeat runs past the \(lengths.count) code lengths")
            }
            for k in i..<(i + repeatCount) { lengths[k] = value }
            i += repeatCount
        }
        guard !overran else { throw truncated("dynamic block header") }
        guard lengths[256] != 0 else { throw fail("dynamic block has no end-of-block code") }
        let lit = try Huffman.litlen(Array(lengths[0..<hlit]), what)
        let dist = try Huffman.dist(Array(lengths[hlit...]), what)
        return (lit, dist)
    }

    /// Decodes literals and matches until end-of-block.
    mutating func codesBlock(_ lit: Huffman, _ dist: Huffman) throws {
        let litMask = UInt64((1 << lit.fastBits) - 1), distMask = UInt64((1 << dist.fastBits) - 1)
        try lit.fast.withUnsafeBufferPointer { litFast in
            try dist.fast.withUnsafeBufferPointer { distFast in
                while true {
                    if outCount + Inflater.slack > outCap { try grow(outCount + Inflater.slack) }
                    guard let out else { throw SNNError(.internalError, "\(what): no output buffer") }
                    try refill()
                    var e = litFast[Int(bitbuf & litMask)]
                    if e & 15 == 0 {
                        e = lit.slowDecode(bitbuf)
                        guard e & 15 != 0 else { throw fail("invalid literal/length code (near input byte \(pos))") }
                    }
                    consume(Int(e & 15))
                    let kind = (e >> 4) & 3
                    if kind == Huffman.literal {
                        guard outCount < limit else {
                            throw SNNError(.format, "\(what): decompressed data exceeds the limit of \(limit) bytes")
                        }
                        out[outCount] = UInt8(truncatingIfNeeded: e >> 16)
                        outCount &+= 1
                        continue
                    }
                    if kind == Huffman.endOfBlock { return }
                    guard kind == Huffman.match else { throw fail("invalid literal/length symbol (286 or 287)") }
                    let length = Int(e >> 16) &+ Int(take(Int((e >> 8) & 15)))
                    var d = distFast[Int(bitbuf & distMask)]
                    if d & 15 == 0 {
                        d = dist.slowDecode(bitbuf)
                        guard d & 15 != 0 else { throw fail("invalid distance code (near input byte \(pos))") }
                    }
                    consume(Int(d & 15))
                    guard (d >> 4) & 3 == Huffman.match else { throw fail("invalid distance symbol (30 or 31)") }
                    let distance = Int(d >> 16) &+ Int(take(Int((d >> 8) & 15)))
                    guard distance <= outCount - memberStart else {
                        throw fail("distance \(distance) reaches before the start of the data (\(outCount - memberStart) bytes written)")
                    }
                    guard length <= limit - outCount else {
                        throw SNNError(.format, "\(what): decompressed data exceeds the limit of \(limit) bytes")
                    }
                    copyMatch(out, distance, length)
                }
            }
        }
    }

    /// Copies `length` bytes from `distance` back; the slack lets 8-byte chunks overrun.
    @inline(__always)
    mutating func copyMatch(_ out: UnsafeMutablePointer<UInt8>, _ distance: Int, _ length: Int) {
        let dst = UnsafeMutableRawPointer(out + outCount)
        let src = UnsafeRawPointer(out + (outCount - distance))
        if distance >= 8 {
            var k = 0
            while k < length {
                dst.storeBytes(of: src.loadUnaligned(fromByteOffset: k, as: UInt64.self), toByteOffset: k, as: UInt64.self)
                k &+= 8
            }
        } else if distance == 1 {
            memset(dst, Int32(out[outCount - 1]), length)
        } else {
            let s = out + (outCount - distance), t = out + outCount
            for k in 0..<length { t[k] = s[k] }
        }
        outCount &+= length
    }

    // MARK: gzip

    /// Decodes all gzip members of the input.
    mutating func gunzip() throws {
        guard Gzip.isGzip(input) else {
            throw fail(input.count < 2 ? "\(input.count) bytes is too short for a gzip header" : "not a gzip file (no 1f 8b magic)")
        }
        // The last 4 bytes are the last member's size mod 2^32: a good first guess.
        if input.count >= 18 {
            let isize = Int(UInt32(littleEndian: input.loadUnaligned(fromByteOffset: input.count - 4, as: UInt32.self)))
            try reserveHint(isize)
        }
        var member = 0
        while pos < input.count {
            member += 1
            if member > 1, !(input.count - pos >= 2 && input[pos] == 0x1F && input[pos + 1] == 0x8B) {
                // Trailing zeros (tape padding) are accepted, as by gzip; anything else is not.
                for i in pos..<input.count where input[i] != 0 {
                    throw fail("unexpected data after gzip member \(member - 1) at byte \(i)")
                }
                break
            }
            try readMember(member)
        }
        if member == 0 { throw truncated("gzip header") }
    }

    /// One member: header, DEFLATE stream, CRC32 and ISIZE.
    mutating func readMember(_ n: Int) throws {
        let start = pos
        func need(_ k: Int, _ field: String) throws {
            guard k <= input.count - pos else { throw truncated("gzip header (\(field)) of member \(n)") }
        }
        try need(10, "fixed fields")
        guard input[pos] == 0x1F, input[pos + 1] == 0x8B else { throw fail("member \(n) at byte \(pos) has no gzip magic") }
        guard input[pos + 2] == 8 else { throw fail("member \(n) uses compression method \(input[pos + 2]); only 8 (deflate) exists") }
        let flags = input[pos + 3]
        guard flags & 0xE0 == 0 else { throw fail("member \(n) sets reserved header flags (0x\(String(flags, radix: 16)))") }
        pos += 10
        if flags & 4 != 0 {  // FEXTRA
            try need(2, "extra length")
            let xlen = Int(input[pos]) | Int(input[pos + 1]) << 8
            pos += 2
            try need(xlen, "extra field")
            pos += xlen
        }
        for (bit, field) in [(UInt8(8), "file name"), (UInt8(16), "comment")] where flags & bit != 0 {
            while true {
                try need(1, field)
                pos += 1
                if input[pos - 1] == 0 { break }
            }
        }
        if flags & 2 != 0 {  // FHCRC: low 16 bits of the CRC32 of the header so far
            try need(2, "header CRC")
            let stored = UInt32(input[pos]) | UInt32(input[pos + 1]) << 8
            let header = UnsafeRawBufferPointer(rebasing: input[start..<pos])
            let actual = CRC32.checksum(header) & 0xFFFF
            guard stored == actual else {
                throw fail("member \(n) header CRC16 is 0x\(String(stored, radix: 16)), computed 0x\(String(actual, radix: 16))")
            }
            pos += 2
        }
        memberStart = outCount
        try inflateStream()
        try alignToByte()
        guard input.count - pos >= 8 else { throw truncated("gzip trailer (CRC32 and size) of member \(n)") }
        let storedCRC = UInt32(littleEndian: input.loadUnaligned(fromByteOffset: pos, as: UInt32.self))
        let storedSize = UInt32(littleEndian: input.loadUnaligned(fromByteOffset: pos + 4, as: UInt32.self))
        pos += 8
        let produced = outCount - memberStart
        let crc = out.map { CRC32.checksum(UnsafeRawBufferPointer(start: $0 + memberStart, count: produced)) } ?? CRC32.checksum(UnsafeRawBufferPointer(start: nil, count: 0))
        guard crc == storedCRC else {
            throw fail("CRC32 mismatch in member \(n): stored 0x\(String(storedCRC, radix: 16)), data has 0x\(String(crc, radix: 16)) (corrupt file)")
        }
        guard UInt32(truncatingIfNeeded: produced) == storedSize else {
            throw fail("size mismatch in member \(n): trailer says \(storedSize) bytes (mod 2^32), decoded \(produced)")
        }
    }
}
