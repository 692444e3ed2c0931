#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The exclusive lock that makes one process the only writer of a data directory.
///
/// `flock(2)` on `DATA/LOCK`, held for the life of the object; the kernel drops it when the process
/// dies (kill -9 included), so a crash never leaves a stale lock. The file holds the owner's pid for
/// the error message of the process that is refused.
///
/// ```swift
/// let lock = try DataDirectoryLock.acquire(dataDirectory: "/var/lib/strongroom")
/// defer { lock.release() }
/// ```
public final class DataDirectoryLock: @unchecked Sendable {
    public let path: String
    private var fd: Int32

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit { release() }

    /// Takes the lock or throws `JournalError.locked` at once (never waits).
    public static func acquire(dataDirectory: String) throws -> DataDirectoryLock {
        try FileSystem.createDirectory(dataDirectory)
        let path = dataDirectory + "/LOCK"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw JournalError.io(path: path, operation: "open", errno: errno) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let e = errno
            var buffer = [UInt8](repeating: 0, count: 64)
            let n = pread(fd, &buffer, 64, 0)
            close(fd)
            if e == EWOULDBLOCK {
                let holder = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingWhitespace() : "unknown"
                throw JournalError.locked(path: path, holder: "pid \(holder)")
            }
            throw JournalError.io(path: path, operation: "flock", errno: e)
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return DataDirectoryLock(path: path, fd: fd)
    }

    /// Whether some process holds the lock right now (without taking it for long).
    public static func isHeld(dataDirectory: String) -> Bool {
        let path = dataDirectory + "/LOCK"
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 { return true }
        flock(fd, LOCK_UN)
        return false
    }

    public func release() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
