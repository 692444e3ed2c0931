/// What a journal record is (FORMAT.md §4). The journal layer understands checkpoints and journal
/// keys; event bodies are opaque to it.
public enum RecordKind: UInt8, Sendable, CaseIterable {
    case event = 1
    case checkpoint = 2
    case journalKey = 3
}

/// A record as read back from the journal.
public struct JournalRecord: Sendable, Equatable {
    public let sequence: UInt64
    public let kind: RecordKind
    public let timeMicros: Int64
    public let body: [UInt8]

    public init(sequence: UInt64, kind: RecordKind, timeMicros: Int64, body: [UInt8]) {
        self.sequence = sequence
        self.kind = kind
        self.timeMicros = timeMicros
        self.body = body
    }
}

/// A record to append; the writer assigns its sequence number.
public struct NewRecord: Sendable {
    public var kind: RecordKind
    public var timeMicros: Int64
    public var body: [UInt8]

    public init(kind: RecordKind, timeMicros: Int64, body: [UInt8]) {
        self.kind = kind
        self.timeMicros = timeMicros
        self.body = body
    }
}

/// Named limits of the format (FORMAT.md §3).
public enum JournalLimits {
    /// Largest uncompressed payload of one batch.
    public static let batchPayloadBytesMax = 16 * 1024 * 1024
    /// Most records in one batch.
    public static let batchRecordsMax = 65_536
    /// Largest body of one record.
    public static let recordBodyBytesMax = 1024 * 1024
    /// Default size at which the active segment is sealed and a new one started.
    public static let segmentBytesDefault: UInt64 = 64 * 1024 * 1024
}
