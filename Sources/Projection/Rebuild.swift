import Events
import Foundation
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
    public static let replayTransactionRecords = 16_384

    /// Applies every record after the store's last sequence number, up to `limit`, in transactions
    /// of `replayTransactionRecords`. Reading and decoding run on a second thread, one chunk ahead of
    /// the SQLite transactions (at most `replayChunksAhead` chunks in memory), so replay uses both
    /// cores and its memory stays bounded whatever the journal's size. Returns the state reached.
    @discardableResult
    public static func catchUp(
        store: ProjectionStore, reader: JournalReader, limit: Limit = .none,
        progress: (_ applied: UInt64, _ total: UInt64) -> Void = { _, _ in }
    ) throws -> ProjectionState {
        let start = try store.state().lastSequence
        let end = min(limit.untilSequence ?? reader.lastSequence, reader.lastSequence)
        guard end > start else { return try store.state() }
        let pipe = ChunkPipe(capacity: replayChunksAhead)
        let decoder = Thread {
            do {
                var pending: [ProjectionInput] = []
                pending.reserveCapacity(replayTransactionRecords)
                var head: ChainLink?
                try reader.forEachWithLink(from: start + 1, through: end) { record, link in
                    if let until = limit.untilTimeMicros, record.timeMicros > until { return false }
                    pending.append(try ProjectionInput(record: record))
                    head = link
                    if pending.count >= replayTransactionRecords {
                        guard pipe.put(.chunk(pending, link)) else { return false }
                        pending = []
                        pending.reserveCapacity(replayTransactionRecords)
                    }
                    return true
                }
                if let head, !pending.isEmpty { _ = pipe.put(.chunk(pending, head)) }
                _ = pipe.put(.end)
            } catch {
                _ = pipe.put(.failed(error))
            }
        }
        decoder.name = "strongroom-replay-decoder"
        decoder.start()
        defer { pipe.cancel() }
        var applied: UInt64 = 0
        while true {
            switch pipe.take() {
            case .chunk(let inputs, let head):
                try store.apply(inputs, chainHead: head)
                applied += UInt64(inputs.count)
                progress(applied, end - start)
                // Freeing a chunk's ~16,000 decoded events is ~10 % of applying them: hand it back
                // so that the decoding thread (which has time to spare) frees it.
                pipe.recycle(consume inputs)
            case .end: return try store.state()
            case .failed(let error): throw error
            }
        }
    }

    /// Decoded chunks the decoding thread may be ahead of the applying one.
    public static let replayChunksAhead = 1

    /// Builds a fresh projection at `path` (which must not exist) from the whole journal, up to `limit`,
    /// and closes it. The file is written as a bulk load (no rollback journal, no syncs: see
    /// `ProjectionStore.open(path:bulkLoad:)`): if this throws, the file is unusable and removed.
    /// `buildingIndexes` is called once every record is applied, before the indexes the load went
    /// without are built (about a second per million events).
    @discardableResult
    public static func rebuild(
        reader: JournalReader, into path: String, limit: Limit = .none,
        progress: (_ applied: UInt64, _ total: UInt64) -> Void = { _, _ in },
        buildingIndexes: () -> Void = {}
    ) throws -> ProjectionState {
        do {
            let store = try ProjectionStore.open(path: path, bulkLoad: true)
            let state = try catchUp(store: store, reader: reader, limit: limit, progress: progress)
            buildingIndexes()
            try store.checkpointAndClose()
            return state
        } catch {
            try? ProjectionStore.remove(path: path)
            throw error
        }
    }
}

/// A bounded hand-off between the replay's decoding thread and its applying thread.
private final class ChunkPipe: @unchecked Sendable {
    enum Item {
        case chunk([ProjectionInput], ChainLink)
        case end
        case failed(any Error)
    }

    private let condition = NSCondition()
    private var items: [Item] = []
    private var cancelled = false
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Chunks applied, waiting to be freed by the producer.
    private var applied: [[ProjectionInput]] = []

    /// Waits for room; false when the consumer has gone. Frees the chunks the consumer handed back.
    func put(_ item: Item) -> Bool {
        condition.lock()
        while items.count >= capacity && !cancelled { condition.wait() }
        guard !cancelled else {
            condition.unlock()
            return false
        }
        items.append(item)
        var done: [[ProjectionInput]] = []
        swap(&done, &applied)
        condition.broadcast()
        condition.unlock()
        done.removeAll()  // the deallocation, on this thread
        return true
    }

    /// The consumer is done with a chunk: the producer frees it at its next `put`.
    func recycle(_ chunk: consuming [ProjectionInput]) {
        condition.lock()
        applied.append(chunk)
        condition.unlock()
    }

    func take() -> Item {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty { condition.wait() }
        let item = items.removeFirst()
        condition.broadcast()
        return item
    }

    /// The consumer stops: a waiting producer gives up.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
