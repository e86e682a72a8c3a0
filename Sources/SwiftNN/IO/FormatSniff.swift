// Recognises files that are not safetensors by their first bytes, so a reader can say what
// the file is and how to convert it instead of reporting a nonsensical header length.

enum FormatSniff {
    static let conversion = "convert it with tools/torch_to_safetensors.py in.pth out.safetensors "
        + "(or, with torch: safetensors.torch.save_file(torch.load(path, map_location='cpu'), 'out.safetensors'))"

    /// What `bytes` look like when they are a known non-safetensors format, else nil.
    static func foreignFormat(_ bytes: UnsafeRawBufferPointer) -> String? {
        func starts(_ magic: [UInt8]) -> Bool { bytes.count >= magic.count && bytes.starts(with: magic) }
        // torch.save since 1.6 writes a zip archive (data.pkl + tensor records)
        if starts([0x50, 0x4B, 0x03, 0x04]) {
            return "this is a PyTorch zip checkpoint (torch.save), not safetensors: \(conversion)"
        }
        // the legacy torch.save format and plain pickles open with PROTO (0x80) and version 2-5
        if bytes.count >= 2, bytes[0] == 0x80, (2...5).contains(bytes[1]) {
            return "this is a PyTorch pickle checkpoint (legacy torch.save or pickle), not safetensors: \(conversion)"
        }
        if starts([0x93] + Array("NUMPY".utf8)) {
            return "this is a numpy .npy file, not safetensors: write it with safetensors.numpy.save_file({'name': array}, path)"
        }
        if starts([0x1F, 0x8B]) {
            return "this is a gzip file, not safetensors: decompress it first"
        }
        return nil
    }

    static func foreignFormat(_ bytes: [UInt8]) -> String? { bytes.withUnsafeBytes { foreignFormat($0) } }
}
