// Whole-file reads and atomic writes with C stdio (the engine stays free of Foundation).
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

    /// Writes to a temporary file beside `path`, flushes it and renames it into place, so a
    /// crash or a full disk never leaves a half-written file under the final name.
    static func writeAtomically(_ path: String, _ chunks: [[UInt8]]) throws {
        let tmp = path + ".tmp.\(getpid())"
        guard let f = fopen(tmp, "wb") else { throw SNNError(.io, "cannot open '\(tmp)' for writing: \(String(cString: strerror(errno)))") }
        var ok = true
        for c in chunks where !c.isEmpty {
            let n = c.withUnsafeBytes { fwrite($0.baseAddress, 1, c.count, f) }
            if n != c.count { ok = false; break }
        }
        if fflush(f) != 0 { ok = false }
        if fsync(fileno(f)) != 0 { ok = false }
        if fclose(f) != 0 { ok = false }
        guard ok else {
            let msg = String(cString: strerror(errno))
            unlink(tmp)
            throw SNNError(.io, "writing '\(path)' failed: \(msg)")
        }
        guard rename(tmp, path) == 0 else {
            let msg = String(cString: strerror(errno))
            unlink(tmp)
            throw SNNError(.io, "cannot rename '\(tmp)' to '\(path)': \(msg)")
        }
    }
}
