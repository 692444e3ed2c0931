/// `strongroom journal verify`: checks a journal completely and offline — every segment header and
/// their continuity, every batch CRC32C, every record, the whole hash chain, every checkpoint's link
/// and signature — without changing a byte (a torn tail is reported, not cut).
///
/// ```swift
/// let report = try JournalVerifier.verify(dataDirectory: dir)   // throws JournalError.corrupt(...)
/// print(report.summary)
/// ```
public enum JournalVerifier {
    public struct Report: Sendable {
        public var journalID: String
        public var segments: Int
        public var batches: Int
        public var records: UInt64
        public var events: UInt64
        public var checkpoints: Int
        public var lastSequence: UInt64
        public var lastCheckpointSequence: UInt64
        public var chainHead: ChainLink
        public var rawBytes: UInt64
        public var storedBytes: UInt64
        public var tornTail: TornTail?
        public var activeKeyIDs: [String]

        public var summary: String {
            var s =
                "journal intact: \(segments) segment(s), \(records) records (\(events) events), \(checkpoints) signed checkpoint(s) verified, last sequence \(lastSequence), chain head \(chainHead.hex)"
            if lastSequence > lastCheckpointSequence {
                s += "; \(lastSequence - lastCheckpointSequence) record(s) after the last checkpoint"
            }
            if let t = tornTail { s += "; WARNING \(t) — never acknowledged, cut at the next start" }
            return s
        }
    }

    /// Verifies everything. `expectKeyID`: every checkpoint must be signed by this journal key.
    /// `visit` sees every record (for statistics); `progress` gets the bytes done after each segment.
    public static func verify(
        dataDirectory: String, expectKeyID: String? = nil,
        progress: (_ bytesDone: UInt64, _ bytesTotal: UInt64) -> Void = { _, _ in },
        visit: (JournalRecord) throws -> Void = { _ in }
    ) throws -> Report {
        let journalDirectory = SegmentCatalog.journalDirectory(dataDirectory)
        guard FileSystem.exists(journalDirectory) else {
            throw JournalError.invalidArgument("no journal at \(journalDirectory)")
        }
        let names = try SegmentCatalog.segmentNames(journalDirectory: journalDirectory)
        guard !names.isEmpty else { throw JournalError.invalidArgument("no journal segment in \(journalDirectory)") }
        var total: UInt64 = 0
        for name in names { total += (try? SegmentFile.openReadOnly(journalDirectory + "/" + name).size()) ?? 0 }
        var done: UInt64 = 0
        var events: UInt64 = 0
        let scan = try FullScan.run(
            journalDirectory: journalDirectory, names: names, lastWritable: false,
            progress: { bytes in
                done += bytes
                progress(done, total)
            },
            visit: { record in
                if record.kind == .event { events += 1 }
                if let expectKeyID, record.kind == .checkpoint, let cp = CheckpointRecord.decode(record.body),
                    cp.keyID != expectKeyID
                {
                    // The scanner adds the segment and the batch offset.
                    throw RecordRejected(
                        sequence: record.sequence,
                        reason: "checkpoint signed by journal key \(cp.keyID), not the expected \(expectKeyID)")
                }
                try visit(record)
            })
        guard let first = scan.segments.first, let last = scan.segments.last else {
            throw JournalError.invalidArgument("no journal segment in \(journalDirectory)")
        }
        return Report(
            journalID: first.header.journalID.description,
            segments: scan.segments.count, batches: scan.segments.reduce(0) { $0 + $1.batches.count },
            records: scan.segments.reduce(0) { $0 + $1.recordCount }, events: events,
            checkpoints: scan.tracker.checkpointsVerified, lastSequence: last.lastSequence,
            lastCheckpointSequence: scan.tracker.lastCheckpointSequence,
            chainHead: last.lastLink,
            rawBytes: scan.segments.reduce(0) { $0 + $1.rawBytes },
            storedBytes: scan.segments.reduce(0) { $0 + $1.storedBytes },
            tornTail: scan.tornTail, activeKeyIDs: scan.tracker.activeKeys.keys.sorted())
    }
}
