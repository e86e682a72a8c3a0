// ONNX external data: initializers whose bytes live in a file beside the model (torch.onnx's
// default exporter writes `model.onnx.data`). Read at load time into raw_data; locations are
// confined to the model's folder, and offsets and lengths are checked against the file.

/// Reads every external initializer of a model loaded from `modelPath` into its raw_data.
func resolveExternalData(_ tensors: inout [ONNXTensor], modelPath: String, _ what: String) throws {
    let folder = modelPath.lastIndex(of: "/").map { String(modelPath[..<$0]) } ?? "."
    var files: [String: [UInt8]] = [:]
    for i in tensors.indices where !tensors[i].externalData.isEmpty {
        let t = tensors[i], e = t.externalData
        let label = "\(what): initializer '\(t.name)'"
        guard let location = e["location"], !location.isEmpty else {
            throw SNNError(.format, "\(label): external data without a location")
        }
        let parts = location.split(separator: "/", omittingEmptySubsequences: false)
        guard !location.hasPrefix("/"), !parts.contains(".."), !location.contains("\\") else {
            throw SNNError(.format, "\(label): external data location '\(location)' must be a relative path inside the model's folder")
        }
        if files[location] == nil { files[location] = try File.read(folder + "/" + location, maxBytes: 1 << 36) }
        let bytes = files[location] ?? []
        func number(_ key: String, _ d: Int) throws -> Int {
            guard let v = e[key] else { return d }
            guard let n = Int(v), n >= 0 else { throw SNNError(.format, "\(label): external data \(key) '\(v)' is not a non-negative integer") }
            return n
        }
        let offset = try number("offset", 0)
        guard offset <= bytes.count else {
            throw SNNError(.format, "\(label): external data offset \(offset) is beyond the end of '\(location)' (\(bytes.count) bytes)")
        }
        let length = try number("length", bytes.count - offset)
        guard length <= bytes.count - offset else {
            throw SNNError(.format, "\(label): external data (offset \(offset), length \(length)) runs past the end of '\(location)' (\(bytes.count) bytes)")
        }
        tensors[i].rawData = Array(bytes[offset..<(offset + length)])
        tensors[i].externalData = [:]
    }
}
