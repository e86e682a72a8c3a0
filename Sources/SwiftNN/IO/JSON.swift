// A small, strict JSON reader and writer (no Foundation): enough for safetensors headers and
// model metadata. Depth and size are bounded so hostile input fails cleanly.

public indirect enum JSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    public static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public subscript(key: String) -> JSON? {
        if case let .object(pairs) = self { return pairs.first { $0.0 == key }?.1 }
        return nil
    }

    public var string: String? { if case let .string(s) = self { return s }; return nil }
    public var number: Double? { if case let .number(n) = self { return n }; return nil }
    public var array: [JSON]? { if case let .array(a) = self { return a }; return nil }
    public var object: [(String, JSON)]? { if case let .object(o) = self { return o }; return nil }

    /// Parses `bytes`; throws `.format` naming the byte offset of the problem. Containers may
    /// nest `maxDepth` deep (`depthNote` says why in the message). Iterative and linear in the
    /// input, so hostile nesting costs neither stack nor quadratic time.
    public static func parse(_ bytes: [UInt8], what: String = "JSON", maxDepth: Int = 64, depthNote: String = "") throws -> JSON {
        var p = Parser(bytes: bytes, what: what)
        let v = try p.document(maxDepth: maxDepth, depthNote: depthNote)
        p.skipSpace()
        guard p.i == bytes.count else { throw p.fail("trailing characters") }
        return v
    }

    /// Compact serialisation (keys in insertion order), written into one buffer so that deep
    /// nesting costs linear time.
    public var serialized: String {
        var out = ""
        write(into: &out)
        return out
    }

    private func write(into out: inout String) {
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .number(n):
            if n == n.rounded(), abs(n) < 1e15 { out += String(Int64(n)) } else { out += "\(n)" }
        case let .string(s): out += JSON.quote(s)
        case let .array(a):
            out += "["
            for (k, v) in a.enumerated() {
                if k > 0 { out += "," }
                v.write(into: &out)
            }
            out += "]"
        case let .object(o):
            out += "{"
            for (k, (key, v)) in o.enumerated() {
                if k > 0 { out += "," }
                out += JSON.quote(key) + ":"
                v.write(into: &out)
            }
            out += "}"
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}

private struct Parser {
    let bytes: [UInt8]
    let what: String
    var i = 0

    init(bytes: [UInt8], what: String) { self.bytes = bytes; self.what = what }

    func fail(_ msg: String) -> SNNError { SNNError(.format, "\(what): invalid JSON at byte \(i): \(msg)") }

    mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    /// An open container while its contents are read: an array's items, or an object's pairs
    /// and the key whose value comes next. Mutated in place on the stack (no copies).
    struct Frame {
        var isObject: Bool
        var items: [JSON] = []
        var pairs: [(String, JSON)] = []
        var key = ""
    }

    /// One JSON value with an explicit stack instead of recursion.
    mutating func document(maxDepth: Int, depthNote: String) throws -> JSON {
        var stack: [Frame] = []
        while true {
            // Read the start of a value: a scalar, an empty container, or open a container.
            skipSpace()
            guard i < bytes.count else { throw fail("unexpected end") }
            var v: JSON
            switch bytes[i] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let isObject = bytes[i] == UInt8(ascii: "{")
                guard stack.count < maxDepth else { throw fail("nesting deeper than \(maxDepth)\(depthNote)") }
                i += 1
                skipSpace()
                if i < bytes.count, bytes[i] == UInt8(ascii: isObject ? "}" : "]") {
                    i += 1
                    v = isObject ? .object([]) : .array([])
                } else {
                    var f = Frame(isObject: isObject)
                    if isObject { f.key = try key() }
                    stack.append(f)
                    continue
                }
            case UInt8(ascii: "\""): v = .string(try string())
            case UInt8(ascii: "t"): try literal("true"); v = .bool(true)
            case UInt8(ascii: "f"): try literal("false"); v = .bool(false)
            case UInt8(ascii: "n"): try literal("null"); v = .null
            default: v = .number(try number())
            }
            // Give the value to the innermost open container; close containers while they end.
            while true {
                guard !stack.isEmpty else { return v }
                let top = stack.count - 1
                skipSpace()
                if stack[top].isObject {
                    stack[top].pairs.append((stack[top].key, v))
                    guard i < bytes.count else { throw fail("unexpected end in object") }
                    if bytes[i] == UInt8(ascii: ",") { i += 1; stack[top].key = try key(); break }
                    guard bytes[i] == UInt8(ascii: "}") else { throw fail("expected ',' or '}'") }
                    i += 1
                    v = .object(stack.removeLast().pairs)
                } else {
                    stack[top].items.append(v)
                    guard i < bytes.count else { throw fail("unexpected end in array") }
                    if bytes[i] == UInt8(ascii: ",") { i += 1; break }
                    guard bytes[i] == UInt8(ascii: "]") else { throw fail("expected ',' or ']'") }
                    i += 1
                    v = .array(stack.removeLast().items)
                }
            }
        }
    }

    /// An object's key and the ':' after it.
    mutating func key() throws -> String {
        skipSpace()
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a key string") }
        let k = try string()
        skipSpace()
        guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
        i += 1
        return k
    }

    mutating func literal(_ word: String) throws {
        let w = Array(word.utf8)
        guard i + w.count <= bytes.count, Array(bytes[i..<i + w.count]) == w else { throw fail("unknown literal") }
        i += w.count
    }

    mutating func number() throws -> Double {
        let start = i
        while i < bytes.count, let c = Optional(bytes[i]),
              (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
            i += 1
        }
        guard i > start, i - start < 64, let d = Double(String(decoding: bytes[start..<i], as: UTF8.self)) else { throw fail("invalid number") }
        return d
    }

    /// A string's UTF-8 bytes are gathered (escapes encoded in place) and validated once at
    /// the end: one pass, however many escapes (architecture metadata is a long string full
    /// of \" escapes).
    mutating func string() throws -> String {
        i += 1  // opening quote
        var out: [UInt8] = []
        while true {
            guard i < bytes.count else { throw fail("unterminated string") }
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                guard let s = String(validating: out, as: UTF8.self) else { throw fail("invalid UTF-8 in string") }
                return s
            }
            if c < 0x20 { throw fail("control character in string") }
            if c != UInt8(ascii: "\\") {
                out.append(c)
                i += 1
                continue
            }
            i += 1
            guard i < bytes.count else { throw fail("unterminated escape") }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var v = try hex4()
                if v >= 0xD800 && v < 0xDC00 {
                    guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else { throw fail("lone surrogate") }
                    i += 2
                    let lo = try hex4()
                    guard lo >= 0xDC00 && lo < 0xE000 else { throw fail("bad surrogate pair") }
                    v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00)
                }
                guard let u = Unicode.Scalar(v) else { throw fail("invalid code point") }
                out.append(contentsOf: String(Character(u)).utf8)
            default: throw fail("unknown escape")
            }
        }
    }

    mutating func hex4() throws -> UInt32 {
        guard i + 4 <= bytes.count else { throw fail("short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw fail("bad hex digit")
            }
            v = v * 16 + d
            i += 1
        }
        return v
    }
}
