import Logging

/// How hard the journal tries to make an append survive power loss.
public enum Durability: String, Sendable, CaseIterable {
    /// `fdatasync` after every group of batches: an acknowledged event survives a crash.
    case fsync
    /// No syncs at all: only for tests that say so. An OS crash loses recent events.
    case none
}

/// Knobs of the writer; every default is a production default.
public struct JournalOptions: Sendable {
    public var durability: Durability = .fsync
    /// Seal the active segment once it reaches this size.
    public var segmentBytesLimit: UInt64 = JournalLimits.segmentBytesDefault
    /// LZ4-compress batch payloads (off only to measure what compression buys).
    public var compress = true
    /// LZ4 effort: `.fast` by default; `.high(level)` trades writer CPU for smaller segments.
    public var compressionLevel: CompressionLevel = .fast

    public init(durability: Durability = .fsync, segmentBytesLimit: UInt64 = JournalLimits.segmentBytesDefault) {
        self.durability = durability
        self.segmentBytesLimit = segmentBytesLimit
    }
}

/// What opening the journal found and did.
public struct RecoveryReport: Sendable {
    public var segments: Int
    public var records: UInt64
    public var lastSequence: UInt64
    public var chainHead: ChainLink
    public var tornTail: TornTail?
    public var createdNewJournal: Bool
    public var checkpointsVerified: Int
}

/// A batch that has been written (not yet durable). Hand `segment` to a `sync` before acknowledging.
public struct AppendedBatch: Sendable {
    public let firstSequence: UInt64
    public let lastSequence: UInt64
    public let lastLink: ChainLink
    public let firstTimeMicros: Int64
    public let lastTimeMicros: Int64
    public let rawBytes: Int
    public let storedBytes: Int
    /// The file the batch went to; `dataSync()` on it makes the batch durable.
    public let segment: SegmentFile
}

/// The only writer of a journal: appends batches to the active segment, rolls and seals segments,
/// writes signed checkpoints. Not thread-safe by design: one thread owns it (the Ledger's appender).
/// `AppendedBatch.segment.dataSync()` is the one call that may happen on another thread.
///
/// ```swift
/// let lock = try DataDirectoryLock.acquire(dataDirectory: dir)
/// let journal = try JournalWriter.open(dataDirectory: dir, signer: signer, logger: logger)
/// let batch = try journal.append([NewRecord(kind: .event, timeMicros: now, body: bytes)])
/// try journal.sync(batch)          // durable: now it may be acknowledged
/// ```
public final class JournalWriter {
    public let dataDirectory: String
    public let journalID: JournalID
    public let options: JournalOptions
    public private(set) var lastSequence: UInt64
    public private(set) var chainHead: ChainLink
    public private(set) var lastTimeMicros: Int64
    public private(set) var lastCheckpointSequence: UInt64 = 0
    public private(set) var lastCheckpointTimeMicros: Int64 = 0
    public let recoveryReport: RecoveryReport

    private let signer: any CheckpointSigner
    private let logger: Logger
    private let journalDirectory: String
    private let indexDirectory: String
    private var activeFile: SegmentFile
    private var active: SegmentInfo
    private var sealedCount: Int
    private var builder = BatchBuilder()
    private var failure: String?

    /// Checkpoint records the writer wrote on its own (periodic or at a segment seal) since the last
    /// `drainOwnRecords()`: the Ledger hands them to the projection in order.
    private var ownRecords: [JournalRecord] = []

    /// Returns and forgets the records the writer wrote on its own since the last call.
    public func drainOwnRecords() -> [JournalRecord] {
        defer { ownRecords.removeAll() }
        return ownRecords
    }

    /// Active journal signing keys by key id (from kind-3 records).
    public private(set) var activeKeys: [String: [UInt8]] = [:]

    private init(
        dataDirectory: String, journalID: JournalID, options: JournalOptions, signer: any CheckpointSigner,
        logger: Logger, activeFile: SegmentFile, active: SegmentInfo, sealedCount: Int, report: RecoveryReport,
        activeKeys: [String: [UInt8]], lastCheckpoint: (UInt64, Int64)
    ) {
        self.dataDirectory = dataDirectory
        self.journalID = journalID
        self.options = options
        self.signer = signer
        self.logger = logger
        self.journalDirectory = SegmentCatalog.journalDirectory(dataDirectory)
        self.indexDirectory = SegmentCatalog.indexDirectory(dataDirectory)
        self.activeFile = activeFile
        self.active = active
        self.sealedCount = sealedCount
        self.recoveryReport = report
        self.lastSequence = active.lastSequence
        self.chainHead = active.lastLink
        self.lastTimeMicros = active.lastTimeMicros == .min ? 0 : active.lastTimeMicros
        self.activeKeys = activeKeys
        (self.lastCheckpointSequence, self.lastCheckpointTimeMicros) = lastCheckpoint
    }

    /// Opens (or creates) the journal under `dataDirectory/journal`, verifying every segment, every
    /// batch checksum, the hash chain and every checkpoint signature, and truncating a torn tail of
    /// the last segment (FORMAT.md §7). The caller must hold the `DataDirectoryLock`.
    public static func open(
        dataDirectory: String, options: JournalOptions = JournalOptions(), signer: any CheckpointSigner,
        logger: Logger, nowMicros: Int64
    ) throws -> JournalWriter {
        let journalDirectory = SegmentCatalog.journalDirectory(dataDirectory)
        let indexDirectory = SegmentCatalog.indexDirectory(dataDirectory)
        try FileSystem.createDirectory(dataDirectory)
        try FileSystem.createDirectory(journalDirectory)
        try FileSystem.createDirectory(indexDirectory)
        for name in try FileSystem.list(journalDirectory) where name.hasSuffix(".tmp") {
            logger.warning("removing unfinished file from an interrupted segment roll", metadata: ["file": "\(name)"])
            try FileSystem.remove(journalDirectory + "/" + name)
        }

        var names = try SegmentCatalog.segmentNames(journalDirectory: journalDirectory)
        var created = false
        if names.isEmpty {
            let id = JournalID.random()
            let header = SegmentHeader(
                segmentNumber: 0, journalID: id, salt: JournalID.random().bytes, firstSequence: 1,
                createdMicros: nowMicros, previousLink: .genesis(journalID: id))
            try createSegment(header: header, journalDirectory: journalDirectory)
            names = [SegmentHeader.fileName(firstSequence: 1)]
            created = true
            logger.notice(
                "created a new journal", metadata: ["journal_id": "\(id)", "directory": "\(journalDirectory)"])
        }

        let scan = try FullScan.run(
            journalDirectory: journalDirectory, names: names, lastWritable: true, visit: { _ in })
        for (info, file) in zip(scan.segments.dropLast(), scan.files) {
            let indexPath = indexDirectory + "/" + SparseIndex.fileName(forSegment: info.name)
            if SparseIndex.load(path: indexPath, header: info.header) != info.batches {
                try SparseIndex.write(info.batches, header: info.header, path: indexPath, directory: indexDirectory)
            }
            _ = file
        }
        if let torn = scan.tornTail, let file = scan.files.last, let info = scan.segments.last {
            try file.truncate(to: info.endOffset)
            logger.warning(
                "truncated a torn tail of the journal (bytes never acknowledged)",
                metadata: [
                    "segment": "\(torn.segment)", "offset": "\(torn.offset)", "bytes": "\(torn.droppedBytes)",
                    "problem": "\(torn.problem)",
                ])
        }
        // What survived a crash may sit in the page cache without ever having been synced: make it
        // durable before anything (projection, answers) is derived from it.
        try scan.files.last?.dataSync()
        let tracker = scan.tracker
        let tail = scan.tornTail
        let previous = scan.segments.last
        let lastFile = scan.files.last
        let first = scan.segments.first?.header
        let totalRecords = scan.segments.reduce(0) { $0 + $1.recordCount }
        guard var active = previous, let activeFile = lastFile, let journalID = first?.journalID else {
            throw JournalError.invalidArgument("journal has no segment")
        }
        active.batches.reserveCapacity(1024)
        let report = RecoveryReport(
            segments: names.count, records: totalRecords, lastSequence: active.lastSequence, chainHead: active.lastLink,
            tornTail: tail, createdNewJournal: created, checkpointsVerified: tracker.checkpointsVerified)
        let writer = JournalWriter(
            dataDirectory: dataDirectory, journalID: journalID, options: options, signer: signer, logger: logger,
            activeFile: activeFile, active: active, sealedCount: names.count - 1, report: report,
            activeKeys: tracker.activeKeys, lastCheckpoint: (tracker.lastCheckpointSequence, tracker.lastCheckpointTime)
        )
        try writer.announceSignerIfNeeded(nowMicros: nowMicros)
        return writer
    }

    // MARK: appending

    /// Writes `records` as one batch (one `write`). Not durable until `sync(_:)`.
    /// Record times are clamped so that they never decrease (FORMAT.md §4).
    @discardableResult
    public func append(_ records: [NewRecord]) throws -> AppendedBatch {
        if let failure { throw JournalError.writerFailed(failure) }
        guard !records.isEmpty else { throw JournalError.invalidArgument("an empty batch cannot be appended") }
        var clamped = records
        for i in clamped.indices where clamped[i].timeMicros < lastTimeMicros {
            clamped[i].timeMicros = lastTimeMicros
        }
        for i in clamped.indices.dropFirst() where clamped[i].timeMicros < clamped[i - 1].timeMicros {
            clamped[i].timeMicros = clamped[i - 1].timeMicros
        }
        let batch = try writeBatch(clamped)
        if active.endOffset >= options.segmentBytesLimit { try seal(nowMicros: batch.lastTimeMicros) }
        return batch
    }

    /// Appends a signed checkpoint of the current head, unless nothing was written since the last one.
    @discardableResult
    public func appendCheckpoint(nowMicros: Int64) throws -> AppendedBatch? {
        if let failure { throw JournalError.writerFailed(failure) }
        guard lastSequence > lastCheckpointSequence, lastSequence > 0 else { return nil }
        let time = max(nowMicros, lastTimeMicros)
        let checkpoint = try CheckpointRecord.make(
            journalID: journalID, coveredSequence: lastSequence, link: chainHead, timeMicros: time, signer: signer)
        let body = checkpoint.encoded()
        let batch = try writeBatch([NewRecord(kind: .checkpoint, timeMicros: time, body: body)])
        ownRecords.append(JournalRecord(sequence: batch.lastSequence, kind: .checkpoint, timeMicros: time, body: body))
        lastCheckpointSequence = batch.lastSequence
        lastCheckpointTimeMicros = time
        return batch
    }

    /// Makes `batch` (and everything written before it) durable.
    public func sync(_ batch: AppendedBatch) throws {
        guard options.durability == .fsync else { return }
        do { try batch.segment.dataSync() } catch {
            failure = "\(error)"
            throw error
        }
    }

    /// Makes everything written so far durable.
    public func syncActive() throws {
        guard options.durability == .fsync else { return }
        do { try activeFile.dataSync() } catch {
            failure = "\(error)"
            throw error
        }
    }

    /// Marks the writer failed (e.g. a sync on another thread failed): every later append throws.
    public func markFailed(_ why: String) { failure = why }

    /// A clean stop: a final checkpoint, then sync.
    public func close(nowMicros: Int64) throws {
        guard failure == nil else { return }
        try appendCheckpoint(nowMicros: nowMicros)
        try syncActive()
    }

    /// Index entries of the active segment (for an in-process reader).
    public var activeSegmentIndex: (name: String, entries: [IndexEntry]) { (active.name, active.batches) }

    /// Bytes in the active segment.
    public var activeSegmentBytes: UInt64 { active.endOffset }

    private func writeBatch(_ records: [NewRecord]) throws -> AppendedBatch {
        let header = builder.build(
            records: records, firstSequence: lastSequence + 1, previousLink: chainHead, salt: active.header.salt,
            compress: options.compress, level: options.compressionLevel)
        let offset = active.endOffset
        do {
            try builder.frame.withUnsafeBytes { try activeFile.write($0, at: offset) }
        } catch {
            failure = "\(error)"
            throw error
        }
        active.batches.append(IndexEntry(firstSequence: header.firstSequence, offset: offset))
        active.endOffset += UInt64(header.frameByteCount)
        active.lastSequence = header.lastSequence
        active.lastLink = header.lastLink
        active.lastTimeMicros = header.lastTimeMicros
        active.lastRecordKind = records[records.count - 1].kind
        lastSequence = header.lastSequence
        chainHead = header.lastLink
        lastTimeMicros = header.lastTimeMicros
        return AppendedBatch(
            firstSequence: header.firstSequence, lastSequence: header.lastSequence, lastLink: header.lastLink,
            firstTimeMicros: header.firstTimeMicros, lastTimeMicros: header.lastTimeMicros,
            rawBytes: Int(header.rawLength), storedBytes: header.frameByteCount, segment: activeFile)
    }

    /// Seals the active segment (checkpoint + sync + index) and starts the next one.
    private func seal(nowMicros: Int64) throws {
        do {
            try appendCheckpoint(nowMicros: nowMicros)
            try activeFile.dataSync()
            let indexPath = indexDirectory + "/" + SparseIndex.fileName(forSegment: active.name)
            try SparseIndex.write(active.batches, header: active.header, path: indexPath, directory: indexDirectory)
            let header = SegmentHeader(
                segmentNumber: UInt32(sealedCount + 1), journalID: journalID, salt: JournalID.random().bytes,
                firstSequence: lastSequence + 1, createdMicros: max(nowMicros, lastTimeMicros), previousLink: chainHead)
            let file = try Self.createSegment(header: header, journalDirectory: journalDirectory)
            logger.info(
                "sealed journal segment", metadata: ["segment": "\(active.name)", "last_seq": "\(active.lastSequence)"])
            sealedCount += 1
            activeFile = file
            active = SegmentInfo(
                name: SegmentHeader.fileName(firstSequence: header.firstSequence), path: file.path, header: header)
            active.lastTimeMicros = lastTimeMicros
        } catch {
            failure = "sealing segment \(active.name): \(error)"
            throw error
        }
    }

    /// Writes a segment under a temporary name, syncs it, renames it into place, syncs the directory.
    @discardableResult
    private static func createSegment(header: SegmentHeader, journalDirectory: String) throws -> SegmentFile {
        let name = SegmentHeader.fileName(firstSequence: header.firstSequence)
        let path = journalDirectory + "/" + name
        let tmp = path + ".tmp"
        try FileSystem.remove(tmp)
        let file = try SegmentFile.create(tmp)
        try header.encoded().withUnsafeBytes { try file.write($0, at: 0) }
        try file.fullSync()
        try FileSystem.rename(tmp, path)
        try FileSystem.fsyncDirectory(journalDirectory)
        return try SegmentFile.openReadWrite(path)
    }

    /// Records the signer's public key (and retires any other active key) if the journal does not
    /// already have it as its active key.
    private func announceSignerIfNeeded(nowMicros: Int64) throws {
        guard activeKeys[signer.keyID] == nil || activeKeys.count > 1 else { return }
        var records: [NewRecord] = []
        let time = max(nowMicros, lastTimeMicros)
        for (kid, key) in activeKeys.sorted(by: { $0.key < $1.key }) where kid != signer.keyID {
            records.append(
                NewRecord(
                    kind: .journalKey, timeMicros: time,
                    body: JournalKeyRecord(status: .retired, keyID: kid, publicKeyX963: key).encoded()))
        }
        if activeKeys[signer.keyID] == nil {
            records.append(
                NewRecord(
                    kind: .journalKey, timeMicros: time,
                    body: JournalKeyRecord(status: .active, keyID: signer.keyID, publicKeyX963: signer.publicKeyX963)
                        .encoded()))
        }
        let batch = try append(records)
        try sync(batch)
        activeKeys = [signer.keyID: signer.publicKeyX963]
        logger.notice("journal signing key recorded in the journal", metadata: ["key_id": "\(signer.keyID)"])
    }
}

/// Follows journal-key and checkpoint records during a scan and verifies each checkpoint: signed by a
/// key active at that point, committing to the link the chain really has at its covered sequence.
struct CheckpointTracker {
    let journalID: JournalID?
    var activeKeys: [String: [UInt8]] = [:]
    var lastCheckpointSequence: UInt64 = 0
    var lastCheckpointTime: Int64 = 0
    var checkpointsVerified = 0

    init(journalID: JournalID?) { self.journalID = journalID }

    /// `record` arrives in sequence order with the chain link before it.
    mutating func observe(_ record: JournalRecord, linkBefore: ChainLink) throws {
        guard let journalID else { return }
        func reject(_ why: String) -> RecordRejected { RecordRejected(sequence: record.sequence, reason: why) }
        switch record.kind {
        case .event: break
        case .journalKey:
            guard let key = JournalKeyRecord.decode(record.body) else {
                throw reject("journal key record is malformed")
            }
            switch key.status {
            case .active: activeKeys[key.keyID] = key.publicKeyX963
            case .retired: activeKeys[key.keyID] = nil
            }
        case .checkpoint:
            guard let checkpoint = CheckpointRecord.decode(record.body) else {
                throw reject("checkpoint record is malformed")
            }
            guard checkpoint.coveredSequence == record.sequence - 1, checkpoint.link == linkBefore else {
                throw reject("checkpoint does not commit to the chain link at sequence \(record.sequence - 1)")
            }
            guard let key = activeKeys[checkpoint.keyID] else {
                throw reject("checkpoint signed by key \(checkpoint.keyID), which is not an active journal key here")
            }
            guard checkpoint.verifySignature(journalID: journalID, publicKeyX963: key) else {
                throw reject("checkpoint signature does not verify")
            }
            lastCheckpointSequence = record.sequence
            lastCheckpointTime = record.timeMicros
            checkpointsVerified += 1
        }
    }
}
