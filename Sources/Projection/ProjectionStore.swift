import CSQLiteConfig
import Events
import Foundation
import GRDB
import Journal

/// What the projection has applied: the last sequence number and the chain link there.
public struct ProjectionState: Sendable, Equatable {
    public var lastSequence: UInt64
    public var chainHead: ChainLink?
    public var lastTimeMicros: Int64

    public init(lastSequence: UInt64, chainHead: ChainLink?, lastTimeMicros: Int64) {
        self.lastSequence = lastSequence
        self.chainHead = chainHead
        self.lastTimeMicros = lastTimeMicros
    }
}

/// One journal record as the projection consumes it.
public enum ProjectionInput: Sendable {
    case event(RecordedEvent)
    case checkpoint(sequence: UInt64, timeMicros: Int64, CheckpointRecord)
    case journalKey(sequence: UInt64, timeMicros: Int64, JournalKeyRecord)

    public var sequence: UInt64 {
        switch self {
        case .event(let e): return e.sequence
        case .checkpoint(let s, _, _), .journalKey(let s, _, _): return s
        }
    }

    /// Decodes a journal record.
    public init(record: JournalRecord) throws {
        switch record.kind {
        case .event:
            self = .event(try EventCodec.decode(record.body, sequence: record.sequence, timeMicros: record.timeMicros))
        case .checkpoint:
            guard let c = CheckpointRecord.decode(record.body) else {
                throw ProjectionError.undecodable(sequence: record.sequence, "checkpoint")
            }
            self = .checkpoint(sequence: record.sequence, timeMicros: record.timeMicros, c)
        case .journalKey:
            guard let k = JournalKeyRecord.decode(record.body) else {
                throw ProjectionError.undecodable(sequence: record.sequence, "journal key")
            }
            self = .journalKey(sequence: record.sequence, timeMicros: record.timeMicros, k)
        }
    }
}

public enum ProjectionError: Error, CustomStringConvertible {
    case undecodable(sequence: UInt64, String)
    case outOfOrder(expected: UInt64, found: UInt64)
    case sqlite(code: Int32, message: String, sql: String)
    case noConnection

    public var description: String {
        switch self {
        case .undecodable(let s, let what): return "record \(s) (\(what)) does not decode"
        case .outOfOrder(let e, let f): return "projection expected sequence \(e), got \(f)"
        case .sqlite(let code, let message, let sql): return "SQLite error \(code) (\(message)) in: \(sql)"
        case .noConnection: return "the projection's database connection is closed"
        }
    }
}

/// The SQLite projection (GRDB, WAL): the live state the server reads, derived only from the journal.
///
/// It never needs its own fsync (`synchronous = NORMAL` in WAL mode syncs only at WAL checkpoints):
/// the journal is durable first, and after a crash the projection catches up from the sequence
/// number it stores in the same transaction as the rows it changed — applying is exactly-once.
///
/// ```swift
/// let store = try ProjectionStore.open(path: dir + "/projection.sqlite")
/// try store.apply(inputs, chainHead: head)
/// let state = try store.state()
/// ```
public final class ProjectionStore: Sendable {
    /// SQLite page cache of the writer connection (KiB): its working set of B-tree pages.
    public static let pageCacheKiB = 65_536
    /// Memory for sorting an index's keys at the end of a bulk load (KiB); beyond it, temporary files.
    static let bulkLoadIndexSortKiB = 8_192
    /// WAL pages between automatic checkpoints (4 KiB pages: ~64 MiB).
    public static let walCheckpointPages = 16_384

    public let path: String
    public let pool: DatabasePool
    /// Raw read-only connections for the protocol's point lookups (`Lookups.swift`).
    let points: PointReader
    /// The writer connection's applier, with its statements prepared once (not per transaction).
    /// Touched only inside `pool.write`, which serializes it.
    private let applierSlot: ApplierSlot
    /// SSO sessions already read. A session row is written once (`Applier`'s `insertSession`) and
    /// never changed, so a row read once stays what the projection holds; an SSO session is read at
    /// every authorization it serves (by the endpoint and by the decision).
    let sessionMemo = BoundedMemo<SessionRow>(entriesMax: 50_000)
    /// Pushed requests and codes as this store's transactions wrote them, and the active grants read
    /// for remembered consent (``RecentRows``); none for a bulk load (a rebuild reads nothing back, and its memory stays bounded by the batch).
    let recentRows: RecentRows?

    /// The `CREATE INDEX` statements a bulk load dropped (`Schema.indexesBuiltAfterBulkLoad`),
    /// run by `checkpointAndClose`; empty for an ordinary store.
    private let indexesToBuild: [String]

    /// Whether this store is a bulk load (see `open(path:bulkLoad:)`).
    private let bulkLoad: Bool

    private init(path: String, pool: DatabasePool, bulkLoad: Bool, indexesToBuild: [String]) {
        self.path = path
        self.pool = pool
        self.bulkLoad = bulkLoad
        self.indexesToBuild = indexesToBuild
        self.recentRows = bulkLoad ? nil : RecentRows()
        self.applierSlot = ApplierSlot(mode: bulkLoad ? .bulkLoad : .live)
        self.points = PointReader(path: path)
    }

    /// Opens (creating and migrating when needed) the projection at `path`.
    ///
    /// `bulkLoad` is for a projection being built from nothing into a file that nothing else uses
    /// (`ProjectionRebuilder.rebuild`): no rollback journal and no syncs (`journal_mode = OFF`,
    /// `synchronous = OFF`), so every page is written once instead of to the WAL and then again at
    /// its checkpoint. A failed or interrupted bulk load leaves a file that must be discarded — which
    /// the rebuild does, since it only swaps in a finished one. Close the store with
    /// `checkpointAndClose()`, which also builds the secondary indexes that the load went without
    /// (`Schema.indexesBuiltAfterBulkLoad`) and runs the token revocations it deferred
    /// (`Applier.Mode.bulkLoad`); the next ordinary `open` puts the file back in WAL mode.
    public static func open(path: String, bulkLoad: Bool = false) throws -> ProjectionStore {
        SQLiteSetup.configure()
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            // The journal is the durable copy: no fsync per transaction (WAL + NORMAL syncs only at
            // WAL checkpoints), and checkpoints rarely (every ~64 MiB of WAL).
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // The writer's B-tree working set is large; readers (up to GRDB's reader count) keep SQLite's
            // default ~2 MiB each, so memory stays bounded however many requests read at once.
            if !db.configuration.readonly {
                try db.execute(sql: "PRAGMA cache_size = -\(ProjectionStore.pageCacheKiB)")
            }
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        configuration.label = "projection"
        let pool = try DatabasePool(path: path, configuration: configuration)
        try pool.writeWithoutTransaction { db in
            _ = try Row.fetchOne(db, sql: "PRAGMA wal_autocheckpoint = \(ProjectionStore.walCheckpointPages)")
        }
        try Schema.migrator().migrate(pool)
        var indexesToBuild: [String] = []
        if bulkLoad {
            try pool.writeWithoutTransaction { db in
                let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode = OFF")
                guard mode?.lowercased() == "off" else {
                    throw ProjectionError.sqlite(
                        code: 0, message: "journal_mode is \(mode ?? "?")", sql: "PRAGMA journal_mode = OFF")
                }
                try db.execute(sql: "PRAGMA synchronous = OFF")
                // The definitions come from the migrated schema itself, so the rebuilt indexes are
                // exactly the migrations' (the equivalence checks compare `sqlite_master` too). The
                // file is new, so a listed index that is missing means the list is stale.
                for name in Schema.indexesBuiltAfterBulkLoad {
                    let lookup = "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?"
                    guard let sql = try String.fetchOne(db, sql: lookup, arguments: [name]) else {
                        throw ProjectionError.sqlite(
                            code: 0, message: "the migrated schema has no index \(name) to build after the load",
                            sql: lookup)
                    }
                    try db.execute(sql: "DROP INDEX \(name)")
                    indexesToBuild.append(sql)
                }
                try db.execute(sql: Schema.createBulkLoadTokenRevocations)
            }
        }
        return ProjectionStore(
            path: path, pool: pool, bulkLoad: bulkLoad, indexesToBuild: indexesToBuild)
    }

    public func state() throws -> ProjectionState {
        try pool.read { db in try Self.readState(db) }
    }

    static func readState(_ db: Database) throws -> ProjectionState {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT last_sequence, chain_head, last_time_micros FROM projection_state WHERE id = 1"))
        else { return ProjectionState(lastSequence: 0, chainHead: nil, lastTimeMicros: 0) }
        let head: String = row[1]
        return ProjectionState(
            lastSequence: UInt64(row[0] as Int64), chainHead: ChainLink(hex: head), lastTimeMicros: row[2])
    }

    /// The last applied sequence number (what `apply` checks continuity against, in its transaction).
    static func readLastSequence(_ db: Database) throws -> UInt64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT last_sequence FROM projection_state WHERE id = 1"))
            .map(UInt64.init) ?? 0
    }

    /// Applies `inputs` (consecutive, in sequence order) in one transaction and records `chainHead`
    /// as the link after the last of them. Inputs at or below the stored sequence are skipped.
    public func apply(_ inputs: [ProjectionInput], chainHead: ChainLink) throws {
        remember(try applyLeavingMemory(inputs, chainHead: chainHead))
    }

    /// What a transaction of ``applyLeavingMemory(_:chainHead:)`` changed in rows the store keeps
    /// in memory (`RecentRows`), for ``remember(_:)``.
    public struct CommittedChanges: Sendable {
        fileprivate let changes: [RecentRows.Change]
    }

    /// ``apply(_:chainHead:)`` without updating the rows kept in memory: the caller passes the result
    /// to ``remember(_:)``, in commit order, before it relies on those rows or lets anyone else (the
    /// Ledger's answerer does it before answering the cycle's commands, so that the projector's
    /// next transaction overlaps it). Until then the memory lags SQLite, never leads it.
    public func applyLeavingMemory(_ inputs: [ProjectionInput], chainHead: ChainLink) throws -> CommittedChanges {
        guard let last = inputs.last else { return CommittedChanges(changes: []) }
        let changes = try pool.write { db in
            var lastSequence = try Self.readLastSequence(db)
            guard let connection = db.sqliteConnection else { throw ProjectionError.noConnection }
            let applier = applierSlot.applier(for: connection)
            applier.begin()
            for input in inputs where input.sequence > lastSequence {
                guard input.sequence == lastSequence + 1 else {
                    throw ProjectionError.outOfOrder(expected: lastSequence + 1, found: input.sequence)
                }
                try applier.apply(input)
                lastSequence = input.sequence
            }
            try applier.finish()
            let time: Int64
            switch last {
            case .event(let e): time = e.timeMicros
            case .checkpoint(_, let t, _), .journalKey(_, let t, _): time = t
            }
            try db.cachedStatement(
                sql: "UPDATE projection_state SET last_sequence = ?, chain_head = ?, last_time_micros = ? WHERE id = 1"
            ).execute(arguments: [Int64(lastSequence), chainHead.hex, time])
            return applier.takeRecentChanges()
        }
        return CommittedChanges(changes: changes)
    }

    /// Makes a committed transaction's changes to the rows kept in memory.
    public func remember(_ committed: CommittedChanges) {
        if !committed.changes.isEmpty { recentRows?.absorb(committed.changes) }
    }

    /// Every table's rows, each rendered as one line, ordered by primary key, and under
    /// `"sqlite_master"` the schema itself (every table's and index's `CREATE` statement, by name):
    /// what two projections are compared by (replay equivalence), indexes included.
    public func dumpAllTables() throws -> [String: [String]] {
        try pool.read { db in
            var out: [String: [String]] = [:]
            for (table, orderBy) in Schema.tables {
                out[table] = try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY \(orderBy)").map {
                    $0.description
                }
            }
            let schema = "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
            out["sqlite_master"] = try Row.fetchAll(db, sql: schema + " ORDER BY type, name").map { $0.description }
            return out
        }
    }

    /// Sequence numbers of the events of one stream.
    public func sequences(stream: StreamID) throws -> [UInt64] {
        try pool.read { db in
            try Int64.fetchAll(
                db, sql: "SELECT sequence FROM event_streams WHERE stream = ? ORDER BY sequence",
                arguments: [stream.rawValue]
            )
            .map { UInt64($0) }
        }
    }
}

extension ProjectionStore {
    /// Finishes a bulk load (builds the indexes it went without, then runs the token revocations it
    /// deferred), folds the WAL into the database file and closes every connection. The store is
    /// unusable after.
    public func checkpointAndClose() throws {
        if bulkLoad {
            try pool.writeWithoutTransaction { db in
                // Building an index sorts its keys in memory up to the cache size, then in temporary
                // files: with the load's page cache no longer needed and those files on disk, the
                // memory stays bounded however large the journal (`temp_store = MEMORY` would hold
                // every spilled run: ~45 bytes per token).
                try db.execute(sql: "PRAGMA cache_size = -\(Self.bulkLoadIndexSortKiB)")
                try db.execute(sql: "PRAGMA temp_store = FILE")
                try db.execute(sql: "PRAGMA shrink_memory")
            }
            // The load's page cache came back to the allocator in 4 KiB pieces, which the sort's
            // buffers cannot reuse: hand them back to the system, or they stay in the process's
            // memory beside the sort (10 M events: peaks of 262–276 MB in two runs of four without
            // this; with it and the 8 MiB sort, the index builds stay below the load's ~178 MB).
            strongroom_release_free_memory()
            try pool.write { db in
                for sql in indexesToBuild { try db.execute(sql: sql) }
                guard let connection = db.sqliteConnection else { throw ProjectionError.noConnection }
                try applierSlot.applier(for: connection).runDeferredTokenRevocations(db)
            }
        }
        try pool.writeWithoutTransaction { db in
            _ = try Row.fetchAll(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)")
            applierSlot.release()  // its prepared statements would keep the connection from closing
        }
        try pool.close()
    }

    /// Replaces the projection at `livePath` by the closed database at `newPath` (same directory):
    /// the old file and its WAL are removed, the new one renamed into place.
    public static func swap(newPath: String, into livePath: String) throws {
        let fm = FileManager.default
        for suffix in ["-wal", "-shm", ""] where fm.fileExists(atPath: livePath + suffix) {
            try fm.removeItem(atPath: livePath + suffix)
        }
        for suffix in ["-wal", "-shm"] where fm.fileExists(atPath: newPath + suffix) {
            try fm.moveItem(atPath: newPath + suffix, toPath: livePath + suffix)
        }
        try fm.moveItem(atPath: newPath, toPath: livePath)
    }

    /// Removes a projection database and its WAL files, if present.
    public static func remove(path: String) throws {
        let fm = FileManager.default
        for suffix in ["-wal", "-shm", ""] where fm.fileExists(atPath: path + suffix) {
            try fm.removeItem(atPath: path + suffix)
        }
    }
}

/// Holds the writer connection's `Applier` between transactions. Only touched inside `pool.write`,
/// which GRDB serializes: that is what makes the unchecked `Sendable` sound.
final class ApplierSlot: @unchecked Sendable {
    private var connection: OpaquePointer?
    private var cached: Applier?
    private let mode: Applier.Mode

    init(mode: Applier.Mode) { self.mode = mode }

    /// Drops the applier (finalizing its statements).
    func release() {
        cached = nil
        connection = nil
    }

    func applier(for connection: OpaquePointer) -> Applier {
        if let cached, self.connection == connection { return cached }
        let fresh = Applier(connection: connection, mode: mode)
        self.connection = connection
        cached = fresh
        return fresh
    }
}
