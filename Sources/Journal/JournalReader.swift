/// Read-only access to a journal: iterate from a sequence number, or fetch given sequence numbers,
/// through the sparse index. Every batch it reads is checked again (CRC32C and hash chain) — records
/// are checked when written and when read.
///
/// It takes no lock, so it works while the server runs: it sees the journal as it was when opened
/// (or up to `limit`), and ignores a torn tail instead of truncating it.
///
/// ```swift
/// let reader = try JournalReader(dataDirectory: dir)
/// try reader.forEach(from: 1) { record in print(record.sequence, record.kind) }
/// let some = try reader.records(sequences: [42, 43, 1_000_000])
/// ```
public final class JournalReader: @unchecked Sendable {
    struct Segment {
        let name: String
        let file: SegmentFile
        let header: SegmentHeader
        let batches: [IndexEntry]
        let lastSequence: UInt64
        /// The file's size when the reader opened it: every batch it indexes ends within it.
        let visibleBytes: UInt64
    }

    public let dataDirectory: String
    public let journalID: JournalID?
    let segments: [Segment]
    /// The last sequence number this reader will return.
    public let lastSequence: UInt64

    /// Opens the journal under `dataDirectory` read-only. `limit` caps what is visible (a server
    /// passes its durable sequence number, so nothing unsynced is read).
    public init(dataDirectory: String, limit: UInt64? = nil) throws {
        self.dataDirectory = dataDirectory
        let journalDirectory = SegmentCatalog.journalDirectory(dataDirectory)
        let indexDirectory = SegmentCatalog.indexDirectory(dataDirectory)
        let names = try SegmentCatalog.segmentNames(journalDirectory: journalDirectory)
        var segments: [Segment] = []
        var previousInfo: SegmentInfo?
        for (index, name) in names.enumerated() {
            let file = try SegmentFile.openReadOnly(journalDirectory + "/" + name)
            let header = try SegmentCatalog.readHeader(file, name: name)
            let isLast = index == names.count - 1
            var info: SegmentInfo
            if !isLast,
                let entries = SparseIndex.load(
                    path: indexDirectory + "/" + SparseIndex.fileName(forSegment: name), header: header)
            {
                info = SegmentInfo(name: name, path: file.path, header: header)
                info.batches = entries
                if let lastEntry = entries.last {
                    let head = try file.read(count: BatchHeader.byteCount, at: lastEntry.offset)
                    guard case .success(let h) = head.withUnsafeBytes({ BatchHeader.parse($0) }) else {
                        throw JournalError.corrupt(
                            JournalCorruption(
                                segment: name, offset: lastEntry.offset, sequence: lastEntry.firstSequence,
                                reason: "index points at something that is not a batch"))
                    }
                    info.lastSequence = h.lastSequence
                    info.lastLink = h.lastLink
                }
            } else {
                (info, _) = try SegmentScanner.scan(
                    file: file, name: name, header: header, isLast: isLast, depth: .headers)
            }
            try SegmentCatalog.checkContinuity(
                header: header, name: name, index: index, first: segments.first?.header, previous: previousInfo)
            segments.append(
                Segment(
                    name: name, file: file, header: header, batches: info.batches, lastSequence: info.lastSequence,
                    visibleBytes: try file.size()))
            previousInfo = info
        }
        self.segments = segments
        self.journalID = segments.first?.header.journalID
        let last = segments.last?.lastSequence ?? 0
        self.lastSequence = min(last, limit ?? last)
    }

    /// Calls `body` for every record with `from ≤ sequence ≤ through`, in order, one batch in memory
    /// at a time. Return `false` from `body` to stop early.
    public func forEach(from: UInt64, through: UInt64? = nil, _ body: (JournalRecord) throws -> Bool) throws {
        try forEachWithLink(from: from, through: through) { record, _ in try body(record) }
    }

    /// Like `forEach`, also giving the chain link after each record.
    public func forEachWithLink(
        from: UInt64, through: UInt64? = nil, _ body: (JournalRecord, ChainLink) throws -> Bool
    ) throws {
        let end = min(through ?? lastSequence, lastSequence)
        guard from <= end, var position = locate(max(from, 1)) else { return }
        var stop = false
        var previousLink: ChainLink?  // the link after the batch just read: the next one starts from it
        while !stop {
            let segment = segments[position.segment]
            let entry = segment.batches[position.batch]
            if entry.firstSequence > end { return }
            previousLink = try readBatch(segment: position.segment, batch: position.batch, previousLink: previousLink) {
                record, link in
                if record.sequence < from { return }
                if record.sequence > end || stop {
                    stop = true
                    return
                }
                if try !body(record, link) { stop = true }
            }
            guard let next = advance(position) else { return }
            position = next
        }
    }

    /// The records with the given sequence numbers (sorted, duplicates removed); each batch read once.
    public func records(sequences: [UInt64]) throws -> [JournalRecord] {
        let wanted = Array(Set(sequences.filter { $0 >= 1 && $0 <= lastSequence })).sorted()
        var out: [JournalRecord] = []
        out.reserveCapacity(wanted.count)
        var i = 0
        while i < wanted.count {
            guard let position = locate(wanted[i]) else { break }
            try readBatch(segment: position.segment, batch: position.batch, previousLink: nil) { record, _ in
                while i < wanted.count, wanted[i] < record.sequence { i += 1 }
                if i < wanted.count, wanted[i] == record.sequence {
                    out.append(record)
                    i += 1
                }
            }
            // Any wanted sequence numbers left inside the batch just read were not in it: skip them.
            let segment = segments[position.segment]
            let batchEnd =
                position.batch + 1 < segment.batches.count
                ? segment.batches[position.batch + 1].firstSequence : segment.lastSequence + 1
            while i < wanted.count, wanted[i] < batchEnd { i += 1 }
        }
        return out
    }

    /// Where the batch holding `sequence` is.
    func locate(_ sequence: UInt64) -> (segment: Int, batch: Int)? {
        guard sequence <= lastSequence else { return nil }
        var lo = 0
        var hi = segments.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if segments[mid].header.firstSequence <= sequence { lo = mid } else { hi = mid - 1 }
        }
        guard lo < segments.count else { return nil }
        let batches = segments[lo].batches
        guard !batches.isEmpty else { return nil }
        var blo = 0
        var bhi = batches.count - 1
        while blo < bhi {
            let mid = (blo + bhi + 1) / 2
            if batches[mid].firstSequence <= sequence { blo = mid } else { bhi = mid - 1 }
        }
        return (lo, blo)
    }

    private func advance(_ p: (segment: Int, batch: Int)) -> (segment: Int, batch: Int)? {
        if p.batch + 1 < segments[p.segment].batches.count { return (p.segment, p.batch + 1) }
        var s = p.segment + 1
        while s < segments.count {
            if !segments[s].batches.isEmpty { return (s, 0) }
            s += 1
        }
        return nil
    }

    /// Reads, checks and decodes one batch; returns the chain link after it. `previousLink` is the link
    /// before it when the caller knows it (sequential reads), else it is read from the previous header.
    @discardableResult
    private func readBatch(
        segment s: Int, batch b: Int, previousLink known: ChainLink?, _ visit: (JournalRecord, ChainLink) throws -> Void
    ) throws -> ChainLink {
        let segment = segments[s]
        let entry = segment.batches[b]
        func corrupt(_ why: String) -> JournalError {
            .corrupt(
                JournalCorruption(
                    segment: segment.name, offset: entry.offset, sequence: entry.firstSequence, reason: why))
        }
        let previousLink: ChainLink
        if let known, b > 0 {
            previousLink = known
        } else if b == 0 {
            previousLink = segment.header.previousLink
        } else {
            let head = try segment.file.read(count: BatchHeader.byteCount, at: segment.batches[b - 1].offset)
            guard case .success(let h) = head.withUnsafeBytes({ BatchHeader.parse($0) }) else {
                throw corrupt("previous batch header unreadable")
            }
            previousLink = h.lastLink
        }
        let outcome = try SegmentScanner.readFrame(
            file: segment.file, at: entry.offset, fileSize: segment.visibleBytes, salt: segment.header.salt,
            depth: .records)
        switch outcome {
        case .failure(let problem): throw corrupt(problem.description)
        case .success(let (header, frame)):
            guard header.firstSequence == entry.firstSequence, let frame else {
                throw corrupt("index and batch disagree")
            }
            do {
                return try frame.withUnsafeBytes { raw in
                    try BatchDecoder.decodeRecords(header, frame: raw, previousLink: previousLink) { record, _, after in
                        try visit(record, after)
                    }
                }
            } catch let problem as FrameProblem {
                throw corrupt(problem.description)
            }
        }
    }
}
