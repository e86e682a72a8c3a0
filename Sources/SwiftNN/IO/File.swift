// Whole-file reads with C stdio (atomic writes: AtomicWrite.swift) (the engine stays free of Foundation).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum File {
    /// Reads the whole file; errors name the path and the errno text.
    static func read(_ path: String, maxBytes: Int = 1 << 36) throws -> [UInt8] {
        guard let f = fopen(path, "rb") else { throw SNNError(.io, "cannot open '\(path)' for reading: \(String(cString: strerror(errno)))") }
        defer { fclose(f) }
        // fopen succeeds on a directory, whose "size" is then 2^63 - 1: say what it is instead.
        var st = stat()
        guard fstat(fileno(f), &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw SNNError(.io, "cannot read '\(path)': not a regular file")
        }
        guard fseeko(f, 0, SEEK_END) == 0 else { throw SNNError(.io, "cannot seek in '\(path)'") }
        let size = Int(ftello(f))
        guard size >= 0 else { throw SNNError(.io, "cannot determine the size of '\(path)' (is it a regular file?)") }
        guard size <= maxBytes else { throw SNNError(.io, "'\(path)' is \(size) bytes, more than the limit \(maxBytes)") }
        rewind(f)
        var bytes = [UInt8](repeating: 0, count: size)
        let got = bytes.withUnsafeMutableBytes { fread($0.baseAddress, 1, size, f) }
        guard got == size else { throw SNNError(.io, "short read of '\(path)': \(got) of \(size) bytes") }
        return bytes
    }
}
