// IDX files, the MNIST format: magic (0, 0, element type, rank), `rank` big-endian UInt32
// dimensions, then the elements big-endian in row-major order. Read raw or gzipped (detected
// by the 1f 8b magic), strictly: the header, the dimensions and the data length must agree.

public enum IDX {
    /// Element types of the IDX format (the third magic byte).
    public enum ElementType: UInt8, Sendable {
        case uint8 = 0x08, int8 = 0x09, int16 = 0x0B, int32 = 0x0C, float32 = 0x0D, float64 = 0x0E

        public var byteSize: Int {
            switch self {
            case .uint8, .int8: 1
            case .int16: 2
            case .int32, .float32: 4
            case .float64: 8
            }
        }

        var isInteger: Bool { self != .float32 && self != .float64 }
    }

    /// A validated header.
    public struct Header: Sendable {
        public let type: ElementType
        public let shape: [Int]
        /// Bytes before the data (4 + 4 * rank).
        public let dataOffset: Int
        public let count: Int
    }

    /// Largest rank accepted: images gain a channel dimension and tensors have at most 16.
    public static let maxRank = 15

    /// Parses and checks the header against the data length.
    public static func header(_ p: UnsafeRawBufferPointer, what: String) throws -> Header {
        guard p.count >= 4 else { throw SNNError(.format, "\(what): \(p.count) bytes is too short for the 4-byte IDX magic") }
        guard p[0] == 0, p[1] == 0 else {
            throw SNNError(.format, "\(what): not an IDX file (magic starts \(hex(p[0])) \(hex(p[1])), expected 00 00)")
        }
        guard let type = ElementType(rawValue: p[2]) else {
            throw SNNError(.format, "\(what): unknown IDX element type 0x\(hex(p[2])) (expected 08, 09, 0b, 0c, 0d or 0e)")
        }
        let rank = Int(p[3])
        guard rank >= 1, rank <= maxRank else { throw SNNError(.format, "\(what): IDX rank \(rank) (expected 1...\(maxRank))") }
        let dataOffset = 4 + 4 * rank
        guard p.count >= dataOffset else {
            throw SNNError(.format, "\(what): \(p.count) bytes is too short for the header of a rank-\(rank) IDX file (\(dataOffset) bytes)")
        }
        var shape: [Int] = []
        var count = 1, overflow = false
        for i in 0..<rank {
            var d = 0
            for k in 0..<4 { d = d << 8 | Int(p[4 + 4 * i + k]) }
            shape.append(d)
            let (m, o) = count.multipliedReportingOverflow(by: d)
            overflow = overflow || o
            count = o ? Int.max : m
        }
        let available = p.count - dataOffset
        let (bytes, o) = count.multipliedReportingOverflow(by: type.byteSize)
        guard !overflow, !o, bytes <= available else {
            throw SNNError(.format, "\(what): header says shape \(fmt(shape)) of \(type) but only \(available) data bytes follow (truncated?)")
        }
        guard bytes == available else {
            throw SNNError(.format, "\(what): \(available - bytes) bytes after the \(bytes) data bytes of shape \(fmt(shape))")
        }
        guard count <= maxElementCount else { throw SNNError(.format, "\(what): shape \(fmt(shape)) has too many elements") }
        return Header(type: type, shape: shape, dataOffset: dataOffset, count: count)
    }

    /// Loads an IDX file (raw or gzipped) as a tensor:
    /// - integer elements of rank 1 (labels) become int64 `[N]`;
    /// - uint8 of rank 3 (images `[N, H, W]`) become float32 `[N, 1, H, W]` = x / 255;
    /// - uint8 of other ranks become float32 of the same shape, x / 255;
    /// - other types become float32 values of the same shape, unscaled.
    /// `normalize` = (mean, std) then maps scaled uint8 data to (x / 255 - mean) / std.
    public static func load(path: String, normalize: (mean: Float, std: Float)? = nil) throws -> Tensor {
        let bytes = try File.read(path)
        if Gzip.isGzip(bytes) {
            // The decompressed bytes and the tensor made from them must both fit in memory.
            let cap = min(Gzip.defaultMaxOutput, Storage.physicalBytes / 2)
            return try Gzip.withDecompressed(bytes, what: "gzip file '\(path)'", maxOutput: cap) {
                try decode($0, what: "IDX file '\(path)' (after gunzip)", normalize: normalize)
            }
        }
        return try bytes.withUnsafeBytes { try decode($0, what: "IDX file '\(path)'", normalize: normalize) }
    }

    /// Decodes IDX bytes (already decompressed) as `load` does.
    public static func decode(_ p: UnsafeRawBufferPointer, what: String = "IDX data",
                              normalize: (mean: Float, std: Float)? = nil) throws -> Tensor {
        let h = try header(p, what: what)
        if let (mean, std) = normalize {
            guard mean.isFinite, std.isFinite, std > 0 else {
                throw SNNError(.invalidArgument, "\(what): normalisation needs a finite mean and a finite std > 0 (got \(mean), \(std))")
            }
        }
        guard let base = p.baseAddress.map({ UnsafeRawPointer($0) + h.dataOffset }) else {
            return try Tensor(empty: h.shape, dtype: h.type.isInteger && h.shape.count == 1 ? .int64 : .float32, zeroed: true, "IDX")
        }
        if h.type.isInteger, h.shape.count == 1 {
            let t = try Tensor(empty: h.shape, dtype: .int64, zeroed: false, "IDX")
            let o = t.int64s
            for i in 0..<h.count { o[i] = integer(base, i, h.type) }
            return t
        }
        if h.type == .uint8 {
            let shape = h.shape.count == 3 ? [h.shape[0], 1, h.shape[1], h.shape[2]] : h.shape
            let t = try Tensor(empty: shape, dtype: .float32, zeroed: false, "IDX")
            var lut = [Float](repeating: 0, count: 256)
            for v in 0..<256 {
                let x = Float(v) / 255
                lut[v] = normalize.map { (x - $0.mean) / $0.std } ?? x
            }
            let o = t.floats, src = base.assumingMemoryBound(to: UInt8.self)
            lut.withUnsafeBufferPointer { l in
                for i in 0..<h.count { o[i] = l[Int(src[i])] }
            }
            return t
        }
        let t = try Tensor(empty: h.shape, dtype: .float32, zeroed: false, "IDX")
        let o = t.floats
        switch h.type {
        case .float32:
            for i in 0..<h.count {
                o[i] = Float(bitPattern: UInt32(bigEndian: base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
        case .float64:
            for i in 0..<h.count {
                o[i] = Float(Double(bitPattern: UInt64(bigEndian: base.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
            }
        default:
            for i in 0..<h.count { o[i] = Float(integer(base, i, h.type)) }
        }
        return t
    }

    /// Element `i` of integer data, sign-extended as its type says.
    @inline(__always)
    static func integer(_ base: UnsafeRawPointer, _ i: Int, _ type: ElementType) -> Int64 {
        switch type {
        case .uint8: Int64(base.load(fromByteOffset: i, as: UInt8.self))
        case .int8: Int64(base.load(fromByteOffset: i, as: Int8.self))
        case .int16: Int64(Int16(bigEndian: base.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)))
        default: Int64(Int32(bigEndian: base.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
        }
    }

    static func hex(_ b: UInt8) -> String { (b < 16 ? "0" : "") + String(b, radix: 16) }
}
