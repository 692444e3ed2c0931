/// The per-segment sparse index file (FORMAT.md §6): one entry per batch, written when a segment
/// is sealed, rebuilt from the batch headers when missing or damaged.
enum SparseIndex {
    static let magic = Array("SRJIDX01".utf8)

    static func fileName(forSegment name: String) -> String {
        String(name.dropLast(4)) + ".idx"
    }

    static func encode(firstSequence: UInt64, entries: [IndexEntry]) -> [UInt8] {
        var body = ByteWriter(capacity: entries.count * 16)
        for e in entries {
            body.u64(e.firstSequence)
            body.u64(e.offset)
        }
        var w = ByteWriter(capacity: 24 + body.bytes.count)
        w.raw(magic)
        w.u64(firstSequence)
        w.u32(UInt32(entries.count))
        w.u32(CRC32C.checksum(body.bytes))
        w.raw(body.bytes)
        return w.bytes
    }

    /// Returns nil when the file is missing, damaged, or does not describe `header`'s segment.
    static func load(path: String, header: SegmentHeader) -> [IndexEntry]? {
        guard FileSystem.exists(path), let file = try? SegmentFile.openReadOnly(path), let size = try? file.size(),
            size >= 24, size <= 1 << 30, let bytes = try? file.read(count: Int(size), at: 0)
        else { return nil }
        return bytes.withUnsafeBytes { raw -> [IndexEntry]? in
            var r = ByteReader(raw)
            guard r.raw(8) == magic, r.u64() == header.firstSequence, let count = r.u32(), let crc = r.u32(),
                r.remaining == Int(count) * 16,
                CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[24...])) == crc
            else { return nil }
            var entries: [IndexEntry] = []
            entries.reserveCapacity(Int(count))
            var previous: IndexEntry?
            for _ in 0..<count {
                guard let s = r.u64(), let o = r.u64() else { return nil }
                let e = IndexEntry(firstSequence: s, offset: o)
                if let p = previous, !(e.firstSequence > p.firstSequence && e.offset > p.offset) { return nil }
                entries.append(e)
                previous = e
            }
            return entries
        }
    }

    static func write(_ entries: [IndexEntry], header: SegmentHeader, path: String, directory: String) throws {
        try FileSystem.writeAtomically(
            encode(firstSequence: header.firstSequence, entries: entries), to: path, directory: directory)
    }
}

/// Lists and opens the segments of a journal directory and checks that they continue each other
/// (FORMAT.md §2). Shared by the writer, the reader and the verifier.
enum SegmentCatalog {
    static func journalDirectory(_ dataDirectory: String) -> String { dataDirectory + "/journal" }
    static func indexDirectory(_ dataDirectory: String) -> String { dataDirectory + "/journal/index" }

    static func segmentNames(journalDirectory: String) throws -> [String] {
        try FileSystem.list(journalDirectory).filter { $0.hasSuffix(".seg") && $0.count == 24 }
    }

    static func readHeader(_ file: SegmentFile, name: String) throws -> SegmentHeader {
        let bytes = try file.read(count: SegmentHeader.byteCount, at: 0)
        let decoded = bytes.withUnsafeBytes { raw -> Result<SegmentHeader, SegmentHeader.Problem> in
            do throws(SegmentHeader.Problem) { return .success(try SegmentHeader.decode(raw)) } catch {
                return .failure(error)
            }
        }
        switch decoded {
        case .success(let header): return header
        case .failure(let problem):
            // The header is unreadable, but the file name still says which sequence number it starts at.
            throw JournalError.corrupt(
                JournalCorruption(
                    segment: name, offset: 0, sequence: UInt64(name.dropLast(4)), reason: problem.description))
        }
    }

    /// Checks that `header` (the `index`-th segment) continues `previous` exactly.
    static func checkContinuity(
        header: SegmentHeader, name: String, index: Int, first: SegmentHeader?, previous: SegmentInfo?
    ) throws {
        func fail(_ why: String) -> JournalError {
            .corrupt(JournalCorruption(segment: name, offset: 0, sequence: header.firstSequence, reason: why))
        }
        guard header.segmentNumber == UInt32(index) else {
            throw fail(
                "segment number \(header.segmentNumber) where \(index) was expected: a segment is missing or out of place"
            )
        }
        guard name == SegmentHeader.fileName(firstSequence: header.firstSequence) else {
            throw fail("file name does not match its first sequence number \(header.firstSequence)")
        }
        if let first, header.journalID != first.journalID {
            throw fail("segment belongs to another journal (id \(header.journalID), expected \(first.journalID))")
        }
        if let previous {
            guard header.firstSequence == previous.lastSequence + 1 else {
                throw fail(
                    "segment starts at sequence \(header.firstSequence) but the previous one (\(previous.name)) ends at \(previous.lastSequence): events are missing"
                )
            }
            guard header.previousLink == previous.lastLink else {
                throw fail("chain link in the header does not continue segment \(previous.name)")
            }
        } else {
            guard header.firstSequence == 1 else {
                throw fail(
                    "the first segment starts at sequence \(header.firstSequence), not 1: earlier segments are missing")
            }
            guard header.previousLink == ChainLink.genesis(journalID: header.journalID) else {
                throw fail("the first segment does not start from the journal's genesis link")
            }
        }
    }
}
