/// A walk over every segment of a journal, as deep as it goes: headers and their continuity, every
/// batch checksum, every record, the hash chain, every checkpoint signature (FORMAT.md §7 steps 1–2).
/// Used by the writer on open and by `journal verify`; it never changes a file.
struct FullScan {
    var segments: [SegmentInfo] = []
    /// Open files, in the order of `segments`; the last one writable when asked.
    var files: [SegmentFile] = []
    var tornTail: TornTail?
    var tracker = CheckpointTracker(journalID: nil)

    static func run(
        journalDirectory: String, names: [String], lastWritable: Bool,
        progress: (UInt64) -> Void = { _ in },
        visit: (JournalRecord) throws -> Void
    ) throws -> FullScan {
        var scan = FullScan()
        for (index, name) in names.enumerated() {
            let isLast = index == names.count - 1
            let path = journalDirectory + "/" + name
            let file = isLast && lastWritable ? try SegmentFile.openReadWrite(path) : try SegmentFile.openReadOnly(path)
            let header = try SegmentCatalog.readHeader(file, name: name)
            try SegmentCatalog.checkContinuity(
                header: header, name: name, index: index, first: scan.segments.first?.header,
                previous: scan.segments.last)
            if index == 0 { scan.tracker = CheckpointTracker(journalID: header.journalID) }
            var tracker = scan.tracker
            let (info, torn) = try SegmentScanner.scan(
                file: file, name: name, header: header, isLast: isLast, depth: .records
            ) { record, before in
                try tracker.observe(record, linkBefore: before)
                try visit(record)
            }
            scan.tracker = tracker
            if !isLast, info.lastRecordKind != .checkpoint {
                throw JournalError.corrupt(
                    JournalCorruption(
                        segment: name, offset: info.endOffset, sequence: info.lastSequence,
                        reason: "sealed segment does not end with its sealing checkpoint: it was cut short"))
            }
            scan.tornTail = torn
            scan.segments.append(info)
            scan.files.append(file)
            progress(info.endOffset)
        }
        return scan
    }
}
