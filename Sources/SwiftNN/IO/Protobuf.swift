// The protobuf wire format (varints, length-delimited fields, fixed32/64), enough for ONNX
// without swift-protobuf (which would bring Foundation into the library). Reading is bounds-
// checked everywhere and nesting is limited, so a malformed file is an error, never a trap.

public struct ProtoWriter {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func tag(_ field: Int, _ wire: Int) { varint(UInt64(field << 3 | wire)) }

    /// int64/int32/enum/bool (negative values take ten bytes, as protobuf specifies).
    public mutating func int(_ field: Int, _ v: Int64) {
        tag(field, 0)
        varint(UInt64(bitPattern: v))
    }

    public mutating func float(_ field: Int, _ v: Float) {
        tag(field, 5)
        let b = v.bitPattern
        for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: b >> (8 * UInt32(i)))) }
    }

    public mutating func data(_ field: Int, _ d: [UInt8]) {
        tag(field, 2)
        varint(UInt64(d.count))
        bytes.append(contentsOf: d)
    }

    public mutating func string(_ field: Int, _ s: String) { data(field, Array(s.utf8)) }

    public mutating func message(_ field: Int, _ build: (inout ProtoWriter) -> Void) {
        var w = ProtoWriter()
        build(&w)
        data(field, w.bytes)
    }

    public mutating func packedInts(_ field: Int, _ vs: [Int64]) {
        var w = ProtoWriter()
        for v in vs { w.varint(UInt64(bitPattern: v)) }
        data(field, w.bytes)
    }

    public mutating func packedFloats(_ field: Int, _ vs: [Float]) {
        var d: [UInt8] = []
        d.reserveCapacity(vs.count * 4)
        for v in vs { let b = v.bitPattern; for i in 0..<4 { d.append(UInt8(truncatingIfNeeded: b >> (8 * UInt32(i)))) } }
        data(field, d)
    }
}

/// One field as read from the wire.
public enum ProtoValue {
    case varint(UInt64)
    case fixed64(UInt64)
    case bytes(ArraySlice<UInt8>)
    case fixed32(UInt32)
}

public struct ProtoReader {
    let buf: ArraySlice<UInt8>
    var i: Int
    let what: String
    let depth: Int

    public init(_ bytes: ArraySlice<UInt8>, what: String, depth: Int = 0) throws {
        guard depth < 64 else { throw SNNError(.format, "\(what): messages nested deeper than 64") }
        buf = bytes
        i = bytes.startIndex
        self.what = what
        self.depth = depth
    }

    func fail(_ msg: String) -> SNNError { SNNError(.format, "\(what): malformed protobuf at byte \(i - buf.startIndex): \(msg)") }

    mutating func readVarint() throws -> UInt64 {
        var v: UInt64 = 0, shift: UInt64 = 0
        while true {
            guard i < buf.endIndex else { throw fail("truncated varint") }
            let b = buf[i]
            i += 1
            guard shift < 64 else { throw fail("varint longer than 10 bytes") }
            v |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return v }
            shift += 7
        }
    }

    /// The next field, or nil at the end of the message.
    public mutating func next() throws -> (field: Int, value: ProtoValue)? {
        guard i < buf.endIndex else { return nil }
        let key = try readVarint()
        let field = Int(truncatingIfNeeded: key >> 3), wire = Int(key & 7)
        guard field > 0 else { throw fail("field number 0") }
        switch wire {
        case 0: return (field, .varint(try readVarint()))
        case 1:
            guard buf.endIndex - i >= 8 else { throw fail("truncated fixed64") }
            var v: UInt64 = 0
            for k in 0..<8 { v |= UInt64(buf[i + k]) << (8 * UInt64(k)) }
            i += 8
            return (field, .fixed64(v))
        case 2:
            let n = try readVarint()
            guard n <= UInt64(buf.endIndex - i) else { throw fail("length \(n) runs past the end of the message") }
            let s = buf[i..<i + Int(n)]
            i += Int(n)
            return (field, .bytes(s))
        case 5:
            guard buf.endIndex - i >= 4 else { throw fail("truncated fixed32") }
            var v: UInt32 = 0
            for k in 0..<4 { v |= UInt32(buf[i + k]) << (8 * UInt32(k)) }
            i += 4
            return (field, .fixed32(v))
        default:
            throw fail("unsupported wire type \(wire) (field \(field))")
        }
    }

    /// A reader for a nested message in `value`.
    public func nested(_ value: ProtoValue, _ name: String) throws -> ProtoReader {
        guard case let .bytes(b) = value else { throw fail("\(name) is not a length-delimited message") }
        return try ProtoReader(b, what: what, depth: depth + 1)
    }

    public func int(_ value: ProtoValue, _ name: String) throws -> Int64 {
        guard case let .varint(v) = value else { throw fail("\(name) is not a varint") }
        return Int64(bitPattern: v)
    }

    public func string(_ value: ProtoValue, _ name: String) throws -> String {
        guard case let .bytes(b) = value else { throw fail("\(name) is not a string") }
        guard let s = String(validating: b, as: UTF8.self) else { throw fail("\(name) is not valid UTF-8") }
        return s
    }

    public func bytes(_ value: ProtoValue, _ name: String) throws -> [UInt8] {
        guard case let .bytes(b) = value else { throw fail("\(name) is not bytes") }
        return Array(b)
    }

    public func float(_ value: ProtoValue, _ name: String) throws -> Float {
        guard case let .fixed32(v) = value else { throw fail("\(name) is not a float") }
        return Float(bitPattern: v)
    }

    /// A repeated int64 field, packed or not: appends to `out`.
    public func ints(_ value: ProtoValue, _ name: String, into out: inout [Int64]) throws {
        switch value {
        case let .varint(v): out.append(Int64(bitPattern: v))
        case let .bytes(b):
            var r = try ProtoReader(b, what: what, depth: depth + 1)
            while r.i < b.endIndex { out.append(Int64(bitPattern: try r.readVarint())) }
        default: throw fail("\(name) is not an int64 list")
        }
    }

    /// A repeated float field, packed or not.
    public func floats(_ value: ProtoValue, _ name: String, into out: inout [Float]) throws {
        switch value {
        case let .fixed32(v): out.append(Float(bitPattern: v))
        case let .bytes(b):
            guard b.count % 4 == 0 else { throw fail("\(name): packed floats of \(b.count) bytes") }
            var k = b.startIndex
            while k < b.endIndex {
                out.append(Float(bitPattern: UInt32(b[k]) | UInt32(b[k + 1]) << 8 | UInt32(b[k + 2]) << 16 | UInt32(b[k + 3]) << 24))
                k += 4
            }
        default: throw fail("\(name) is not a float list")
        }
    }
}
