#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension FileSecurityError {
    /// True when the failure is "no such file or directory".
    public var isNotFound: Bool {
        if case .systemCall(_, _, let code) = self { return code == ENOENT }
        return false
    }
}

/// Crash-safe, permission-checked file I/O for secret material (package-internal).
///
/// * Directories are created `0700`; files `0600` via `open(2)` + `fchmod(2)` (the umask cannot widen them).
/// * Writes go to a temporary file in the same directory, are `fsync`ed, `rename`d over the target and
///   the directory is `fsync`ed: a reader sees the old file or the complete new one, never half of it.
/// * Reads of secrets open with `O_NOFOLLOW` and check, on the opened descriptor, that the file is
///   regular, owned by the effective user and not accessible by group/others.
package enum SecureFileIO {
    /// Permission bits that must be clear on a secret file or directory.
    package static let groupOrOtherBits: mode_t = 0o077

    /// Creates `path` (and missing parents) with mode `0700`, then checks the leaf: a directory,
    /// owned by us, no group/other access.
    package static func ensurePrivateDirectory(_ path: String) throws(FileSecurityError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + component
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST {
                throw .systemCall(operation: "mkdir", path: prefix, errno: errno)
            }
        }
        var info = stat()
        guard lstat(path, &info) == 0 else { throw .systemCall(operation: "lstat", path: path, errno: errno) }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw .wrongFileType(path: path) }
        guard info.st_uid == geteuid() else { throw .wrongOwner(path: path, owner: UInt32(info.st_uid)) }
        guard info.st_mode & groupOrOtherBits == 0 else {
            throw .insecurePermissions(path: path, mode: UInt32(info.st_mode))
        }
    }

    /// Atomically replaces `path` with `bytes`, file mode `mode` (default `0600`).
    package static func writeAtomically(
        _ bytes: [UInt8], to path: String, mode: mode_t = 0o600
    ) throws(FileSecurityError) {
        let directory = parentDirectory(of: path)
        var suffix = SystemRandomNumberGenerator()
        let temporary = "\(directory)/.tmp-\(String(suffix.next(), radix: 16))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
        guard fd >= 0 else { throw .systemCall(operation: "open", path: temporary, errno: errno) }
        do throws(FileSecurityError) {
            guard fchmod(fd, mode) == 0 else { throw .systemCall(operation: "fchmod", path: temporary, errno: errno) }
            try writeAll(fd, bytes, path: temporary)
            guard fsync(fd) == 0 else { throw .systemCall(operation: "fsync", path: temporary, errno: errno) }
            guard close(fd) == 0 else {
                unlink(temporary)
                throw .systemCall(operation: "close", path: temporary, errno: errno)
            }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw .systemCall(operation: "rename", path: path, errno: code)
        }
        try syncDirectory(directory)
    }

    /// Reads a secret file after checking it on the open descriptor: regular file (no symlink),
    /// owned by the effective user, no group/other permission bits, at most `maxBytes`.
    package static func readSecretFile(_ path: String, maxBytes: Int) throws(FileSecurityError) -> [UInt8] {
        try read(path, maxBytes: maxBytes, requirePrivate: true)
    }

    /// Reads a non-secret file (certificates), regular files only, at most `maxBytes`.
    package static func readPublicFile(_ path: String, maxBytes: Int) throws(FileSecurityError) -> [UInt8] {
        try read(path, maxBytes: maxBytes, requirePrivate: false)
    }

    /// Removes `path` and syncs its directory so the removal is durable.
    package static func remove(_ path: String) throws(FileSecurityError) {
        guard unlink(path) == 0 else { throw .systemCall(operation: "unlink", path: path, errno: errno) }
        try syncDirectory(parentDirectory(of: path))
    }

    /// Modification time of `path` in seconds since 1970 (no symlink following).
    package static func modificationTime(_ path: String) throws(FileSecurityError) -> Double {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw .systemCall(operation: "lstat", path: path, errno: errno) }
        #if canImport(Darwin)
            return Double(info.st_mtimespec.tv_sec) + Double(info.st_mtimespec.tv_nsec) / 1e9
        #else
            return Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        #endif
    }

    /// Permission bits of `path` (no symlink following).
    package static func permissions(_ path: String) throws(FileSecurityError) -> mode_t {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw .systemCall(operation: "lstat", path: path, errno: errno) }
        return info.st_mode & 0o7777
    }

    /// Names in `directory` (without `.` and `..`), unsorted.
    package static func directoryEntries(_ directory: String) throws(FileSecurityError) -> [String] {
        guard let stream = opendir(directory) else {
            throw .systemCall(operation: "opendir", path: directory, errno: errno)
        }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// True when something exists at `path` (symlinks included, not followed).
    package static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    // MARK: Private

    private static func read(_ path: String, maxBytes: Int, requirePrivate: Bool) throws(FileSecurityError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            let code = errno
            throw code == ELOOP ? .wrongFileType(path: path) : .systemCall(operation: "open", path: path, errno: code)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .systemCall(operation: "fstat", path: path, errno: errno) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .wrongFileType(path: path) }
        if requirePrivate {
            guard info.st_uid == geteuid() else { throw .wrongOwner(path: path, owner: UInt32(info.st_uid)) }
            guard info.st_mode & groupOrOtherBits == 0 else {
                throw .insecurePermissions(path: path, mode: UInt32(info.st_mode))
            }
        }
        guard Int(info.st_size) <= maxBytes else { throw .tooLarge(path: path, maxBytes: maxBytes) }
        var result = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .systemCall(operation: "read", path: path, errno: errno)
            }
            if count == 0 { break }
            result.append(contentsOf: chunk[0..<count])
            guard result.count <= maxBytes else { throw .tooLarge(path: path, maxBytes: maxBytes) }
        }
        return result
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(FileSecurityError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                systemWrite(fd, buffer.baseAddress.map { $0 + offset }, bytes.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw .systemCall(operation: "write", path: path, errno: errno)
            }
            offset += written
        }
    }

    private static func syncDirectory(_ directory: String) throws(FileSecurityError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .systemCall(operation: "open", path: directory, errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .systemCall(operation: "fsync", path: directory, errno: errno) }
    }

    package static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }
}

// `read` is shadowed inside `SecureFileIO` by its own static function; call libc through these.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}

private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(fd, buffer, count)
}
