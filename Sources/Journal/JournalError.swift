#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The place and nature of the first problem found in a journal: which segment file, which byte
/// offset in it, which sequence number (when known). An operator reads this at 3 a.m.
public struct JournalCorruption: Error, Equatable, CustomStringConvertible, Sendable {
    public let segment: String
    public let offset: UInt64
    public let sequence: UInt64?
    public let reason: String

    public init(segment: String, offset: UInt64, sequence: UInt64?, reason: String) {
        self.segment = segment
        self.offset = offset
        self.sequence = sequence
        self.reason = reason
    }

    public var description: String {
        let seq = sequence.map { ", sequence \($0)" } ?? ""
        return "journal corrupt: segment \(segment), byte offset \(offset)\(seq): \(reason)"
    }
}

/// Everything the journal layer can fail with.
public enum JournalError: Error, CustomStringConvertible, Sendable {
    /// A system call failed.
    case io(path: String, operation: String, errno: Int32)
    /// The journal's bytes are not what was written: stop, never skip.
    case corrupt(JournalCorruption)
    /// Another process holds the data directory.
    case locked(path: String, holder: String)
    /// A caller passed something the journal cannot take.
    case invalidArgument(String)
    /// An earlier write or sync failed; the writer refuses to go on (its state on disk is unknown
    /// until the journal is reopened and recovered).
    case writerFailed(String)

    public var description: String {
        switch self {
        case .io(let path, let op, let e):
            return "\(op) failed on \(path): \(String(cString: strerror(e))) (errno \(e))"
        case .corrupt(let c): return c.description
        case .locked(let path, let holder):
            return
                "data directory is locked by another process (\(holder)); lock file \(path). Stop that process or use another --data-dir."
        case .invalidArgument(let why): return why
        case .writerFailed(let why):
            return "journal writer stopped after a failure: \(why). Restart to recover the journal."
        }
    }
}
