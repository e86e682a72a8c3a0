// Atomic file replacement for checkpoints: a temporary file beside the target, written and
// fsynced, renamed over the target, then the directory fsynced so the rename survives a crash.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension File {
    // Temporary names are `<target>.tmp.<pid>.<n>`, unique per process and call, opened with
    // O_EXCL. Unique names (rather than one fixed name under a lock) let two processes or
    // threads save to the same path at once without waiting on each other (the last rename
    // wins and every file renamed is complete), and need no lock that a killed process could
    // leave held. What a killed save leaves behind is removed by the next save to the same
    // path: a temporary whose pid is no longer alive can belong to no running save. A reused
    // pid only postpones the clean-up; our own pid's files may be other threads' saves in
    // progress, so they are left alone. (On a directory shared between machines, another
    // machine's pids mean nothing here: such a save loses its temporary and reports a failed
    // rename rather than ever damaging the target.)
    private static let counterLock = Lock()
    nonisolated(unsafe) private static var counter = 0

    /// Writes `chunks` to `path` atomically: a crash, a kill or a full disk never leaves a
    /// half-written file under the final name, and a failed save removes its temporary file.
    /// Refuses to replace anything but a regular file (a device such as /dev/full, a FIFO, a
    /// directory), since the rename would silently put a regular file in its place.
    static func writeAtomically(_ path: String, _ chunks: [[UInt8]]) throws {
        try requireReplaceable(path)
        let (dir, base) = splitPath(path)
        removeStaleTemporaries(dir: dir, base: base)
        let n = counterLock.withLock { counter += 1; return counter }
        let tmp = path + ".tmp.\(getpid()).\(n)"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw SNNError(.io, "cannot create '\(tmp)' to save '\(path)': \(errnoText())") }
        var failure: String?
        outer: for c in chunks where !c.isEmpty {
            var done = 0
            while done < c.count {
                let w = c.withUnsafeBytes { write(fd, $0.baseAddress! + done, c.count - done) }
                if w < 0 {
                    if errno == EINTR { continue }
                    failure = "writing failed after \(done) of \(c.count) bytes of a chunk: \(errnoText())"
                    break outer
                }
                done += w
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = "fsync failed: \(errnoText())" }
        if close(fd) != 0, failure == nil { failure = "close failed: \(errnoText())" }
        if let failure {
            unlink(tmp)
            throw SNNError(.io, "saving '\(path)' failed (\(failure)); the target was not changed")
        }
        guard rename(tmp, path) == 0 else {
            let msg = errnoText()
            unlink(tmp)
            throw SNNError(.io, "cannot rename '\(tmp)' to '\(path)': \(msg); the target was not changed")
        }
        // The rename is durable only once the directory entry is on disk.
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dfd >= 0 else { throw SNNError(.io, "saved '\(path)' but cannot open its directory '\(dir)' to fsync it: \(errnoText())") }
        defer { close(dfd) }
        // Some file systems cannot fsync a directory (EINVAL): nothing more can be done there.
        if fsync(dfd) != 0, errno != EINVAL {
            throw SNNError(.io, "saved '\(path)' but fsync of its directory '\(dir)' failed: \(errnoText())")
        }
    }

    /// Throws unless `path` is absent or a regular file (following symbolic links).
    static func requireReplaceable(_ path: String) throws {
        var st = stat()
        guard stat(path, &st) == 0 else { return }  // absent (or unreadable: open will say)
        let kind: String
        switch st.st_mode & S_IFMT {
        case S_IFREG: return
        case S_IFCHR: kind = "a character device"
        case S_IFBLK: kind = "a block device"
        case S_IFIFO: kind = "a FIFO"
        case S_IFDIR: kind = "a directory"
        case S_IFSOCK: kind = "a socket"
        default: kind = "not a regular file"
        }
        throw SNNError(.io, "cannot save to '\(path)': it is \(kind), not a regular file; SwiftNN replaces only regular files")
    }

    /// The directory and file name of `path` ("." for a bare name).
    static func splitPath(_ path: String) -> (dir: String, base: String) {
        let b = Array(path.utf8)
        guard let slash = b.lastIndex(of: UInt8(ascii: "/")) else { return (".", path) }
        let dir = slash == 0 ? "/" : String(decoding: b[..<slash], as: UTF8.self)
        return (dir, String(decoding: b[(slash + 1)...], as: UTF8.self))
    }

    /// Removes `<base>.tmp.<pid>[.<n>]` files in `dir` whose process is gone (see above).
    /// Best effort: a directory that cannot be listed only means nothing is cleaned.
    static func removeStaleTemporaries(dir: String, base: String) {
        guard let d = opendir(dir) else { return }
        defer { closedir(d) }
        let prefix = Array((base + ".tmp.").utf8)
        let me = getpid()
        while let e = readdir(d) {
            let name: [UInt8] = withUnsafeBytes(of: &e.pointee.d_name) { raw in
                Array(raw.prefix { $0 != 0 })
            }
            guard name.count > prefix.count, name.starts(with: prefix) else { continue }
            let digits = name[prefix.count...].prefix { $0 != UInt8(ascii: ".") }
            guard !digits.isEmpty, digits.count < 10, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  digits.count == name.count - prefix.count || name[prefix.count + digits.count] == UInt8(ascii: ".") else { continue }
            guard let pid = Int32(String(decoding: digits, as: UTF8.self)), pid > 0, pid != me else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                unlink(dir + "/" + String(decoding: name, as: UTF8.self))
            }
        }
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
