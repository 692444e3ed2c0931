import Crypto

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `strongroom journal backup`: a consistent copy of a journal, taken while the server writes it.
///
/// Every segment before the one holding `through` is copied whole (sealed segments never change); the
/// segment holding `through` is copied up to the end of the batch that holds it. Batches are written
/// with one `write(2)` and never rewritten, so the bytes before a durable batch's end are final: the
/// copy needs no lock and does not stop the writer. The copy is then verified like
/// `journal verify` does (every CRC, the whole chain, every checkpoint signature) before it is
/// reported: a backup that does not verify is not a backup.
///
/// ```swift
/// let durable = try await ledger.checkpointNow()          // or through the admin socket
/// let copy = try JournalBackup.copy(dataDirectory: dir, to: "/backup/2026-11-21", through: durable)
/// print(copy.verified.summary)
/// ```
public enum JournalBackup {
    public struct Summary: Sendable {
        /// The segment files written, in order.
        public var segments: [String]
        /// Bytes copied.
        public var bytes: UInt64
        /// The verification of the copy.
        public var verified: JournalVerifier.Report
    }

    /// Copies the journal of `dataDirectory` through sequence number `through` (inclusive, rounded up
    /// to the end of its batch) into `target`'s `journal/` directory, which must not exist yet or be
    /// empty. `progress` gets bytes copied and bytes to copy.
    public static func copy(
        dataDirectory: String, to target: String, through: UInt64,
        progress: (_ bytesDone: UInt64, _ bytesTotal: UInt64) -> Void = { _, _ in }
    ) throws -> Summary {
        let source = SegmentCatalog.journalDirectory(dataDirectory)
        guard FileSystem.exists(source) else { throw JournalError.invalidArgument("no journal at \(source)") }
        let names = try SegmentCatalog.segmentNames(journalDirectory: source)
        guard !names.isEmpty else { throw JournalError.invalidArgument("no journal segment in \(source)") }

        // Which bytes of which segment: whole segments up to the one holding `through`, then a prefix.
        var plan: [(name: String, length: UInt64)] = []
        for (index, name) in names.enumerated() {
            let file = try SegmentFile.openReadOnly(source + "/" + name)
            let header = try SegmentCatalog.readHeader(file, name: name)
            guard header.firstSequence <= through else { break }
            let nextFirst: UInt64? =
                index + 1 < names.count
                ? try SegmentCatalog.readHeader(
                    SegmentFile.openReadOnly(source + "/" + names[index + 1]), name: names[index + 1]
                ).firstSequence : nil
            if let nextFirst, nextFirst <= through {
                plan.append((name, try file.size()))
                continue
            }
            // The segment holding `through`: cut after the batch that holds it.
            let (info, _) = try SegmentScanner.scan(
                file: file, name: name, header: header, isLast: true, depth: .headers)
            guard info.lastSequence >= through else {
                throw JournalError.invalidArgument(
                    "the journal ends at sequence \(info.lastSequence), before the requested \(through)")
            }
            let cut = info.batches.first { $0.firstSequence > through }?.offset ?? info.endOffset
            plan.append((name, cut))
            break
        }
        guard !plan.isEmpty else {
            throw JournalError.invalidArgument("the journal holds nothing up to sequence \(through)")
        }

        let targetJournal = SegmentCatalog.journalDirectory(target)
        if !FileSystem.exists(target) { try FileSystem.createDirectory(target) }
        if FileSystem.exists(targetJournal) {
            guard try FileSystem.list(targetJournal).isEmpty else {
                throw JournalError.invalidArgument("\(targetJournal) is not empty: back up into a new directory")
            }
        } else {
            try FileSystem.createDirectory(targetJournal)
        }

        let total = plan.reduce(UInt64(0)) { $0 + $1.length }
        var done: UInt64 = 0
        progress(0, total)
        for (name, length) in plan {
            let input = try SegmentFile.openReadOnly(source + "/" + name)
            let output = try SegmentFile.create(targetJournal + "/" + name)
            var offset: UInt64 = 0
            while offset < length {
                let chunk = Int(min(UInt64(4 << 20), length - offset))
                let bytes = try input.read(count: chunk, at: offset)
                guard bytes.count == chunk else {
                    throw JournalError.invalidArgument("\(name) is shorter than \(length) bytes while copying")
                }
                try bytes.withUnsafeBytes { try output.write($0, at: offset) }
                offset += UInt64(chunk)
                done += UInt64(chunk)
                progress(done, total)
            }
            try output.dataSync()
        }
        try FileSystem.fsyncDirectory(targetJournal)
        try FileSystem.fsyncDirectory(target)

        let report = try JournalVerifier.verify(dataDirectory: target)
        return Summary(segments: plan.map(\.name), bytes: total, verified: report)
    }

    /// SHA-256 of a file's bytes, lower-case hex (the backup's `BACKUP.sha256`, `sha256sum -c` format).
    public static func sha256Hex(ofFile path: String) throws -> String {
        let file = try SegmentFile.openReadOnly(path)
        var hasher = SHA256()
        var offset: UInt64 = 0
        while true {
            let bytes = try file.read(count: 1 << 20, at: offset)
            if bytes.isEmpty { break }
            hasher.update(data: bytes)
            offset += UInt64(bytes.count)
        }
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        for byte in hasher.finalize() {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: hex, as: UTF8.self)
    }
}
