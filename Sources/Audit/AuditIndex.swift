import Events
import Foundation
import GRDB
import Journal

/// The audit locator (`DATA/audit/index.sqlite` by default): maps every interaction, grant, subject
/// and client to the sequence numbers of its events, and lists where the checkpoints and journal
/// keys are. Derived from the journal alone, caught up incrementally on every audit from its last
/// indexed sequence, and rebuildable by deleting the file. It is only a locator: every event it
/// points at is read back from the journal, decoded, matched exactly and re-verified against the
/// chain and a signed checkpoint.
///
/// ```swift
/// let reader = try JournalReader(dataDirectory: dir)
/// let index = try AuditIndex(path: dir + "/audit/index.sqlite")
/// try index.catchUp(reader)
/// let sequences = try index.sequences(for: AuditKey(.grant, grantID))
/// ```
public final class AuditIndex: @unchecked Sendable {
    /// Events per catch-up transaction: progress survives an interrupted first build.
    public static let catchUpTransactionEventsMax = 200_000
    /// A catch-up longer than this drops the key index first and recreates it at the end (a sort is
    /// much faster than this many random B-tree inserts).
    public static let bulkRebuildRecordsMin: UInt64 = 500_000
    static let schemaVersion = 3  // 3: client.jwks_fetched events are client key events

    let database: DatabaseQueue

    /// What the last catch-up did.
    public struct CatchUp: Sendable {
        public var fromSequence: UInt64
        public var throughSequence: UInt64
        public var recordsIndexed: UInt64
        public var rebuilt: Bool
    }

    /// Opens or creates the index at `path`; `nil` keeps it in memory (the `--no-index` full scan).
    public init(path: String?) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.label = "audit-index"
        if let path {
            database = try DatabaseQueue(path: path, configuration: configuration)
        } else {
            database = try DatabaseQueue(configuration: configuration)
        }
        try database.writeWithoutTransaction { db in
            if path != nil { try db.execute(sql: "PRAGMA journal_mode = WAL") }
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA cache_size = -65536")
        }
        try database.write { db in try Self.createSchema(db) }
    }

    static func createSchema(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE IF NOT EXISTS audit_state (
                    id INTEGER PRIMARY KEY CHECK (id = 1), schema INTEGER NOT NULL, journal_id TEXT NOT NULL,
                    last_sequence INTEGER NOT NULL, last_link BLOB NOT NULL);
                CREATE TABLE IF NOT EXISTS locator (key INTEGER NOT NULL, seq INTEGER NOT NULL, time INTEGER NOT NULL);
                CREATE INDEX IF NOT EXISTS locator_key ON locator(key, seq);
                CREATE TABLE IF NOT EXISTS checkpoints (seq INTEGER PRIMARY KEY);
                CREATE TABLE IF NOT EXISTS journal_keys (seq INTEGER PRIMARY KEY);
                """)
    }

    /// Brings the index up to the reader's last sequence. If the index belongs to another journal,
    /// or the journal's chain at the index's last sequence is not what was indexed (a restored or
    /// rewritten journal), the index is rebuilt from sequence 1.
    @discardableResult
    public func catchUp(
        _ reader: JournalReader, progress: (_ done: UInt64, _ total: UInt64) -> Void = { _, _ in }
    ) throws -> CatchUp {
        let journalID = reader.journalID?.description ?? ""
        let state = try database.read { db in
            try Row.fetchOne(db, sql: "SELECT schema, journal_id, last_sequence, last_link FROM audit_state")
        }
        var start: UInt64 = 0
        var startLink: ChainLink?
        var rebuilt = false
        if let state {
            let schema: Int = state["schema"]
            let indexedJournal: String = state["journal_id"]
            let lastIndexed: Int64 = state["last_sequence"]
            let last = UInt64(max(lastIndexed, 0))
            let linkData: Data? = state["last_link"]
            let linkBytes = Array(linkData ?? Data())
            if schema == Self.schemaVersion, indexedJournal == journalID, last <= reader.lastSequence,
                linkBytes.count == ChainLink.byteCount
            {
                start = last
                startLink = ChainLink(bytes: linkBytes)
            } else {
                rebuilt = true
            }
        }
        if start > 0, let startLink {
            var matches = false
            try reader.forEachWithLink(from: start, through: start) { _, link in
                matches = link == startLink
                return false
            }
            if !matches {
                start = 0
                rebuilt = true
            }
        }
        if start == 0 { try reset(journalID: journalID) }
        let total = reader.lastSequence - start
        guard total > 0 else {
            return CatchUp(fromSequence: start + 1, throughSequence: start, recordsIndexed: 0, rebuilt: rebuilt)
        }
        let bulk = total >= Self.bulkRebuildRecordsMin
        if bulk { try database.write { db in try db.execute(sql: "DROP INDEX IF EXISTS locator_key") } }

        var pending: [(sequence: UInt64, kind: RecordKind, time: Int64, link: ChainLink, keys: [Int64])] = []
        pending.reserveCapacity(Self.catchUpTransactionEventsMax)
        var done: UInt64 = 0
        func flush() throws {
            guard let last = pending.last else { return }
            try database.write { db in
                let insert = try db.cachedStatement(sql: "INSERT INTO locator (key, seq, time) VALUES (?, ?, ?)")
                let checkpoint = try db.cachedStatement(sql: "INSERT OR REPLACE INTO checkpoints (seq) VALUES (?)")
                let key = try db.cachedStatement(sql: "INSERT OR REPLACE INTO journal_keys (seq) VALUES (?)")
                // Another audit may have indexed part of this range meanwhile: skip what it did.
                let indexed = try Int64.fetchOne(db, sql: "SELECT last_sequence FROM audit_state") ?? 0
                for item in pending where Int64(item.sequence) > indexed {
                    let seq = Int64(item.sequence)
                    switch item.kind {
                    case .event:
                        for locator in item.keys {
                            try insert.execute(arguments: [locator, seq, item.time])
                        }
                    case .checkpoint: try checkpoint.execute(arguments: [seq])
                    case .journalKey: try key.execute(arguments: [seq])
                    }
                }
                if Int64(last.sequence) > indexed {
                    try db.execute(
                        sql: "UPDATE audit_state SET last_sequence = ?, last_link = ?",
                        arguments: [Int64(last.sequence), Data(last.link.bytes)])
                }
            }
            done += UInt64(pending.count)
            progress(done, total)
            pending.removeAll(keepingCapacity: true)
        }
        try reader.forEachWithLink(from: start + 1) { record, link in
            var keys: [Int64] = []
            if record.kind == .event {
                // An event this build cannot decode is still in the journal; it is simply not
                // locatable (`journal verify` and `journal dump` still show it).
                if let event = try? EventCodec.decode(
                    record.body, sequence: record.sequence, timeMicros: record.timeMicros)
                {
                    var locators = Set(event.auditKeys.map(\.locator))
                    if let clientID = event.registeredClientID {
                        locators.insert(AuditKey.registrationLocator(clientID: clientID))
                    }
                    keys = locators.sorted()
                }
            }
            pending.append((record.sequence, record.kind, record.timeMicros, link, keys))
            if pending.count >= Self.catchUpTransactionEventsMax { try flush() }
            return true
        }
        try flush()
        if bulk { try database.write { db in try Self.createSchema(db) } }
        return CatchUp(fromSequence: start + 1, throughSequence: start + done, recordsIndexed: done, rebuilt: rebuilt)
    }

    private func reset(journalID: String) throws {
        try database.write { db in
            try db.execute(
                sql: "DELETE FROM locator; DELETE FROM checkpoints; DELETE FROM journal_keys; DELETE FROM audit_state")
            try db.execute(
                sql:
                    "INSERT INTO audit_state (id, schema, journal_id, last_sequence, last_link) VALUES (1, ?, ?, 0, ?)",
                arguments: [Self.schemaVersion, journalID, Data(repeating: 0, count: ChainLink.byteCount)])
        }
    }

    /// The sequence numbers of the events that may be about `key` (exactly, or by a locator
    /// collision), optionally within inclusive time bounds.
    public func sequences(for key: AuditKey, fromMicros: Int64? = nil, toMicros: Int64? = nil) throws -> [UInt64] {
        try sequences(locator: key.locator, fromMicros: fromMicros, toMicros: toMicros)
    }

    /// The sequence numbers of a client's registration events (and of locator collisions).
    public func registrationSequences(clientID: String, through sequence: UInt64) throws -> [UInt64] {
        try sequences(locator: AuditKey.registrationLocator(clientID: clientID)).filter { $0 <= sequence }
    }

    func sequences(locator: Int64, fromMicros: Int64? = nil, toMicros: Int64? = nil) throws -> [UInt64] {
        try database.read { db in
            try Int64.fetchAll(
                db,
                sql: "SELECT seq FROM locator WHERE key = ? AND time >= ? AND time <= ? ORDER BY seq",
                arguments: [locator, fromMicros ?? Int64.min, toMicros ?? Int64.max]
            ).map { UInt64($0) }
        }
    }

    /// The first checkpoint after `sequence`, if one is indexed.
    public func checkpoint(after sequence: UInt64) throws -> UInt64? {
        try database.read { db in
            try Int64.fetchOne(
                db, sql: "SELECT seq FROM checkpoints WHERE seq > ? ORDER BY seq LIMIT 1", arguments: [Int64(sequence)])
        }.map { UInt64($0) }
    }

    /// The journal-key records before `sequence`.
    public func journalKeys(before sequence: UInt64) throws -> [UInt64] {
        try database.read { db in
            try Int64.fetchAll(
                db, sql: "SELECT seq FROM journal_keys WHERE seq < ? ORDER BY seq", arguments: [Int64(sequence)])
        }.map { UInt64($0) }
    }

    /// The last sequence number indexed.
    public func lastSequence() throws -> UInt64 {
        try database.read { db in
            try Int64.fetchOne(db, sql: "SELECT last_sequence FROM audit_state")
        }.map { UInt64($0) } ?? 0
    }
}
