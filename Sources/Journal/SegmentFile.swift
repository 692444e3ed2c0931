#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One open segment file. Reads and writes are positional (`pread`/`pwrite`), so the reader needs no
/// shared offset; `dataSync()` may be called from another thread than the one that writes (the
/// committer syncs while the appender writes the next batch).
public final class SegmentFile: @unchecked Sendable {
    public let path: String
    let fd: Int32

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit { close(fd) }

    static func openReadOnly(_ path: String) throws -> SegmentFile {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw JournalError.io(path: path, operation: "open", errno: errno) }
        return SegmentFile(path: path, fd: fd)
    }

    static func openReadWrite(_ path: String) throws -> SegmentFile {
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw JournalError.io(path: path, operation: "open", errno: errno) }
        return SegmentFile(path: path, fd: fd)
    }

    /// Creates a new file exclusively (fails if it exists), mode 0600.
    static func create(_ path: String) throws -> SegmentFile {
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw JournalError.io(path: path, operation: "create", errno: errno) }
        return SegmentFile(path: path, fd: fd)
    }

    func size() throws -> UInt64 {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw JournalError.io(path: path, operation: "fstat", errno: errno) }
        return UInt64(st.st_size)
    }

    /// Reads up to `count` bytes at `offset`; fewer only at end of file.
    func read(count: Int, at offset: UInt64) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        try buffer.withUnsafeMutableBytes { p in
            while done < count {
                let n = pread(fd, p.baseAddress! + done, count - done, off_t(offset) + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw JournalError.io(path: path, operation: "pread", errno: errno)
                }
                if n == 0 { break }
                done += n
            }
        }
        if done < count { buffer.removeSubrange(done...) }
        return buffer
    }

    /// Writes all of `bytes` at `offset`.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw JournalError.io(path: path, operation: "pwrite", errno: errno)
            }
            done += n
        }
    }

    /// Makes everything written so far durable (data and the size; not other metadata).
    public func dataSync() throws {
        #if canImport(Glibc)
            let rc = fdatasync(fd)
        #else
            let rc = fsync(fd)
        #endif
        guard rc == 0 else { throw JournalError.io(path: path, operation: "fdatasync", errno: errno) }
    }

    func fullSync() throws {
        guard fsync(fd) == 0 else { throw JournalError.io(path: path, operation: "fsync", errno: errno) }
    }

    func truncate(to length: UInt64) throws {
        guard ftruncate(fd, off_t(length)) == 0 else {
            throw JournalError.io(path: path, operation: "ftruncate", errno: errno)
        }
    }
}

/// Small filesystem helpers shared by the journal's writer, reader and index.
enum FileSystem {
    static func fsyncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw JournalError.io(path: path, operation: "open directory", errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw JournalError.io(path: path, operation: "fsync directory", errno: errno) }
    }

    static func createDirectory(_ path: String, mode: mode_t = 0o700) throws {
        if mkdir(path, mode) != 0 && errno != EEXIST {
            throw JournalError.io(path: path, operation: "mkdir", errno: errno)
        }
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func list(_ directory: String) throws -> [String] {
        guard let dir = opendir(directory) else {
            if errno == ENOENT { return [] }
            throw JournalError.io(path: directory, operation: "opendir", errno: errno)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    static func remove(_ path: String) throws {
        if unlink(path) != 0 && errno != ENOENT { throw JournalError.io(path: path, operation: "unlink", errno: errno) }
    }

    static func rename(_ from: String, _ to: String) throws {
        guard Glibc.rename(from, to) == 0 else {
            throw JournalError.io(path: from, operation: "rename to \(to)", errno: errno)
        }
    }

    /// Writes a whole file atomically: temp file, fsync, rename, fsync directory.
    static func writeAtomically(_ bytes: [UInt8], to path: String, directory: String) throws {
        let tmp = path + ".tmp"
        try remove(tmp)
        let file = try SegmentFile.create(tmp)
        try bytes.withUnsafeBytes { try file.write($0, at: 0) }
        try file.fullSync()
        try rename(tmp, path)
        try fsyncDirectory(directory)
    }
}
