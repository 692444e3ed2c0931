import Events
import Journal

/// Rebuilding and catching up a projection from the journal.
public enum ProjectionRebuilder {
    /// Where a point-in-time rebuild stops (inclusive).
    public struct Limit: Sendable {
        public var untilSequence: UInt64?
        public var untilTimeMicros: Int64?
        public init(untilSequence: UInt64? = nil, untilTimeMicros: Int64? = nil) {
            self.untilSequence = untilSequence
            self.untilTimeMicros = untilTimeMicros
        }
        public static let none = Limit()
    }

    /// Records applied per SQLite transaction while replaying.
    public static let replayTransactionRecords = 8_192

    /// Applies every record after the store's last sequence number, up to `limit`, in transactions
    /// of `replayTransactionRecords`. Returns the state reached.
    @discardableResult
    public static func catchUp(
        store: ProjectionStore, reader: JournalReader, limit: Limit = .none,
        progress: (_ applied: UInt64, _ total: UInt64) -> Void = { _, _ in }
    ) throws -> ProjectionState {
        let start = try store.state().lastSequence
        let end = min(limit.untilSequence ?? reader.lastSequence, reader.lastSequence)
        guard end > start else { return try store.state() }
        var pending: [ProjectionInput] = []
        pending.reserveCapacity(replayTransactionRecords)
        var head: ChainLink?
        var applied: UInt64 = 0
        try reader.forEachWithLink(from: start + 1, through: end) { record, link in
            if let until = limit.untilTimeMicros, record.timeMicros > until { return false }
            pending.append(try ProjectionInput(record: record))
            head = link
            if pending.count >= replayTransactionRecords {
                try store.apply(pending, chainHead: link)
                applied += UInt64(pending.count)
                pending.removeAll(keepingCapacity: true)
                progress(applied, end - start)
            }
            return true
        }
        if let head, !pending.isEmpty {
            try store.apply(pending, chainHead: head)
            applied += UInt64(pending.count)
            progress(applied, end - start)
        }
        return try store.state()
    }

    /// Builds a fresh projection at `path` (which must not exist) from the whole journal, up to `limit`.
    public static func rebuild(
        reader: JournalReader, into path: String, limit: Limit = .none,
        progress: (_ applied: UInt64, _ total: UInt64) -> Void = { _, _ in }
    ) throws -> ProjectionState {
        let store = try ProjectionStore.open(path: path)
        return try catchUp(store: store, reader: reader, limit: limit, progress: progress)
    }
}
