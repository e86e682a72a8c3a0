// safetensors: 8-byte little-endian header length, a JSON header of {name: {dtype, shape,
// data_offsets}} plus optional string `__metadata__`, then the raw little-endian data. Read
// strictly (bounded header, offsets in range, no overlaps or holes, no duplicate keys).

public struct SafeTensors {
    /// Tensors in file order.
    public var tensors: [(name: String, tensor: Tensor)]
    /// The `__metadata__` strings.
    public var metadata: [(key: String, value: String)]

    public init(tensors: [(name: String, tensor: Tensor)] = [], metadata: [(key: String, value: String)] = []) {
        self.tensors = tensors
        self.metadata = metadata
    }

    public static let maxHeaderBytes = 100_000_000

    public subscript(name: String) -> Tensor? { tensors.first { $0.name == name }?.tensor }

    public func metadata(_ key: String) -> String? { metadata.first { $0.key == key }?.value }

    public static func read(path: String) throws -> SafeTensors {
        try decode(try File.read(path), what: "safetensors file '\(path)'")
    }

    public static func decode(_ bytes: [UInt8], what: String = "safetensors data") throws -> SafeTensors {
        try bytes.withUnsafeBytes { try decode(buffer: $0, what: what, mapping: nil) }
    }

    /// The reader: tensors are copied out of `bytes`, or, given the `mapping` that `bytes` is,
    /// view it where their data is aligned to the element size (FileMapping.swift).
    static func decode(buffer bytes: UnsafeRawBufferPointer, what: String, mapping: FileMapping?) throws -> SafeTensors {
        guard bytes.count >= 8 else {
            if let foreign = FormatSniff.foreignFormat(bytes) { throw SNNError(.format, "\(what): \(foreign)") }
            throw SNNError(.format, "\(what): \(bytes.count) bytes is too short for the 8-byte header length")
        }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        // an impossible header length usually means another format: name it if we can
        if n > UInt64(maxHeaderBytes) || n > UInt64(bytes.count - 8), let foreign = FormatSniff.foreignFormat(bytes) {
            throw SNNError(.format, "\(what): \(foreign)")
        }
        guard n <= UInt64(maxHeaderBytes) else { throw SNNError(.format, "\(what): header length \(n) exceeds the 100 MB limit") }
        guard n <= UInt64(bytes.count - 8) else {
            throw SNNError(.format, "\(what): header length \(n) runs past the end of the file (\(bytes.count) bytes; truncated?)")
        }
        let headerEnd = 8 + Int(n)
        let header = try JSON.parse(Array(bytes[8..<headerEnd]), what: "\(what) header")
        guard let entries = header.object else { throw SNNError(.format, "\(what): header is not a JSON object") }
        let dataCount = bytes.count - headerEnd
        var result = SafeTensors()
        var seen = Set<String>()
        var ranges: [(Int, Int, String)] = []
        for (name, entry) in entries {
            guard seen.insert(name).inserted else { throw SNNError(.format, "\(what): duplicate key '\(name)'") }
            if name == "__metadata__" {
                guard let pairs = entry.object else { throw SNNError(.format, "\(what): __metadata__ is not an object") }
                for (k, v) in pairs {
                    guard let s = v.string else { throw SNNError(.format, "\(what): __metadata__ value of '\(k)' is not a string") }
                    result.metadata.append((k, s))
                }
                continue
            }
            guard let dt = entry["dtype"]?.string else { throw SNNError(.format, "\(what): tensor '\(name)' has no dtype") }
            let dtype: DType
            switch dt {
            case "F32": dtype = .float32
            case "I64": dtype = .int64
            case "F64": dtype = .float64
            case "I32": dtype = .int32
            case "U8": dtype = .uint8
            case "BOOL": dtype = .bool
            default: throw SNNError(.format, "\(what): tensor '\(name)' has dtype \(dt); SwiftNN reads F32, F64, I64, I32, U8 and BOOL")
            }
            guard let shapeJSON = entry["shape"]?.array else { throw SNNError(.format, "\(what): tensor '\(name)' has no shape") }
            var shape: [Int] = []
            for d in shapeJSON {
                guard let v = d.number, v >= 0, v == v.rounded(), v < 1e15 else {
                    throw SNNError(.format, "\(what): tensor '\(name)' has an invalid shape entry")
                }
                shape.append(Int(v))
            }
            guard shape.count <= 16 else { throw SNNError(.format, "\(what): tensor '\(name)' has rank \(shape.count) > 16") }
            guard let offs = entry["data_offsets"]?.array, offs.count == 2,
                  let b = offs[0].number, let e = offs[1].number, b >= 0, e >= b, b == b.rounded(), e == e.rounded(),
                  e <= Double(dataCount) else {
                throw SNNError(.format, "\(what): tensor '\(name)' has data_offsets outside the \(dataCount)-byte data buffer")
            }
            let count = try elementCount(shape, "\(what): tensor '\(name)'")
            let begin = Int(b), end = Int(e)
            guard end - begin == count * dtype.byteSize else {
                throw SNNError(.format, "\(what): tensor '\(name)' of shape \(fmt(shape)) \(dt) needs \(count * dtype.byteSize) bytes but data_offsets span \(end - begin)")
            }
            ranges.append((begin, end, name))
            let t: Tensor
            if let mapping, end > begin, (headerEnd + begin) % dtype.byteSize == 0 {
                t = try mapping.tensor(at: headerEnd + begin, byteCount: end - begin, shape: shape, dtype: dtype, "safetensors")
            } else {
                t = try Tensor(empty: shape, dtype: dtype, zeroed: false, "safetensors")
                if end > begin, let src = bytes.baseAddress {
                    t.storage.raw.copyMemory(from: src + headerEnd + begin, byteCount: end - begin)
                }
            }
            // Kernels treat a bool byte as 0 or 1; any other byte would be a third value.
            if dtype == .bool, let bad = (0..<t.count).first(where: { t.bytes[$0] > 1 }) {
                throw SNNError(.format, "\(what): bool tensor '\(name)' has byte \(t.bytes[bad]) at element \(bad); bool elements must be 0 or 1")
            }
            result.tensors.append((name, t))
        }
        ranges.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        var cursor = 0
        for (b, e, name) in ranges {
            guard b >= cursor else { throw SNNError(.format, "\(what): tensor '\(name)' overlaps the previous tensor's data") }
            guard b == cursor else { throw SNNError(.format, "\(what): bytes \(cursor)..<\(b) of the data buffer belong to no tensor") }
            cursor = e
        }
        guard cursor == dataCount else { throw SNNError(.format, "\(what): \(dataCount - cursor) trailing bytes belong to no tensor") }
        return result
    }

    /// The file's bytes: header padded with spaces to a multiple of 8, tensors in order.
    public func encode() throws -> [[UInt8]] {
        var seen = Set<String>()
        var entries: [(String, JSON)] = []
        if !metadata.isEmpty { entries.append(("__metadata__", .object(metadata.map { ($0.key, .string($0.value)) }))) }
        var offset = 0
        var chunks: [[UInt8]] = []
        for (name, t) in tensors {
            guard name != "__metadata__", seen.insert(name).inserted else { throw SNNError.invalid("safetensors: duplicate or reserved tensor name '\(name)'") }
            let bytes = t.count * t.dtype.byteSize
            entries.append((name, .object([
                ("dtype", .string(safetensorsName(t.dtype))),
                ("shape", .array(t.shape.map { .number(Double($0)) })),
                ("data_offsets", .array([.number(Double(offset)), .number(Double(offset + bytes))])),
            ])))
            chunks.append(Array(UnsafeRawBufferPointer(start: t.elements, count: bytes)))
            offset += bytes
        }
        var header = Array(JSON.object(entries).serialized.utf8)
        while (header.count % 8) != 0 { header.append(0x20) }
        var len = [UInt8](repeating: 0, count: 8)
        for i in 0..<8 { len[i] = UInt8(truncatingIfNeeded: UInt64(header.count) >> (8 * UInt64(i))) }
        return [len, header] + chunks
    }

    /// Writes atomically (temporary file + rename).
    public func write(path: String) throws {
        try File.writeAtomically(path, try encode())
    }
}

/// The safetensors spelling of a dtype.
func safetensorsName(_ d: DType) -> String {
    switch d {
    case .float32: "F32"
    case .float64: "F64"
    case .int64: "I64"
    case .int32: "I32"
    case .uint8: "U8"
    case .bool: "BOOL"
    }
}
