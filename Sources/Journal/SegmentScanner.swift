/// Where one batch starts: the unit of the sparse index (FORMAT.md §6).
public struct IndexEntry: Sendable, Equatable {
    public var firstSequence: UInt64
    public var offset: UInt64
}

/// What a walk over one segment learned.
struct SegmentInfo: Sendable {
    let name: String
    let path: String
    let header: SegmentHeader
    var batches: [IndexEntry] = []
    /// End of the last valid batch (the file size once a torn tail is cut).
    var endOffset: UInt64 = UInt64(SegmentHeader.byteCount)
    var lastSequence: UInt64
    var lastLink: ChainLink
    var lastTimeMicros: Int64 = .min
    var lastRecordKind: RecordKind?
    var recordCount: UInt64 = 0
    var rawBytes: UInt64 = 0
    var storedBytes: UInt64 = 0

    init(name: String, path: String, header: SegmentHeader) {
        self.name = name
        self.path = path
        self.header = header
        lastSequence = header.firstSequence - 1
        lastLink = header.previousLink
    }

    var isEmpty: Bool { batches.isEmpty }
}

/// A frame problem at the end of the last segment with nothing valid after it.
public struct TornTail: Sendable, Equatable, CustomStringConvertible {
    public let segment: String
    public let offset: UInt64
    public let droppedBytes: UInt64
    public let problem: String

    public var description: String {
        "torn tail in segment \(segment) at byte offset \(offset): \(droppedBytes) bytes (\(problem))"
    }
}

/// Walks the batches of one segment, checking as deep as asked.
enum SegmentScanner {
    enum Depth {
        /// Frame headers only (index rebuild for readers).
        case headers
        /// Every frame's CRC32C, decompression, every record and the hash chain.
        case records
    }

    /// Scans `file`. In the last segment (`isLast`), a bad frame followed by no valid frame is a torn
    /// tail and is returned; anywhere else a bad frame throws `JournalCorruption`.
    static func scan(
        file: SegmentFile, name: String, header: SegmentHeader, isLast: Bool, depth: Depth,
        visit: (JournalRecord, ChainLink) throws -> Void = { _, _ in }
    ) throws -> (SegmentInfo, TornTail?) {
        var info = SegmentInfo(name: name, path: file.path, header: header)
        let size = try file.size()
        var offset = UInt64(SegmentHeader.byteCount)

        func corruption(_ problem: String, at offset: UInt64, sequence: UInt64?) -> JournalError {
            .corrupt(JournalCorruption(segment: name, offset: offset, sequence: sequence, reason: problem))
        }

        while offset < size {
            let expectedSequence = info.lastSequence + 1
            let outcome = try readFrame(file: file, at: offset, fileSize: size, salt: header.salt, depth: depth)
            switch outcome {
            case .failure(let problem):
                if isLast, try !hasValidFrame(file: file, after: offset, fileSize: size, salt: header.salt) {
                    return (
                        info,
                        TornTail(
                            segment: name, offset: offset, droppedBytes: size - offset, problem: problem.description)
                    )
                }
                throw corruption(problem.description, at: offset, sequence: expectedSequence)
            case .success(let (batchHeader, frame)):
                guard batchHeader.firstSequence == expectedSequence else {
                    throw corruption(
                        FrameProblem.sequenceGap(expected: expectedSequence, found: batchHeader.firstSequence)
                            .description,
                        at: offset, sequence: expectedSequence)
                }
                guard batchHeader.firstTimeMicros >= info.lastTimeMicros else {
                    throw corruption("batch time goes backwards", at: offset, sequence: expectedSequence)
                }
                if depth == .records, let frame {
                    do {
                        var lastKind: RecordKind?
                        info.lastLink = try frame.withUnsafeBytes { raw in
                            try BatchDecoder.decodeRecords(batchHeader, frame: raw, previousLink: info.lastLink) {
                                record, before, _ in
                                lastKind = record.kind
                                try visit(record, before)
                            }
                        }
                        info.lastRecordKind = lastKind
                    } catch let problem as FrameProblem {
                        throw corruption(problem.description, at: offset, sequence: expectedSequence)
                    } catch let rejected as RecordRejected {
                        throw corruption(rejected.reason, at: offset, sequence: rejected.sequence)
                    }
                } else {
                    info.lastLink = batchHeader.lastLink
                }
                info.batches.append(IndexEntry(firstSequence: batchHeader.firstSequence, offset: offset))
                info.lastSequence = batchHeader.lastSequence
                info.lastTimeMicros = batchHeader.lastTimeMicros
                info.recordCount += UInt64(batchHeader.recordCount)
                info.rawBytes += UInt64(batchHeader.rawLength)
                info.storedBytes += UInt64(batchHeader.frameByteCount)
                offset += UInt64(batchHeader.frameByteCount)
                info.endOffset = offset
            }
        }
        return (info, nil)
    }

    /// Reads the frame at `offset`: its header, and (for `.records`) all its bytes with the CRC checked.
    static func readFrame(
        file: SegmentFile, at offset: UInt64, fileSize: UInt64, salt: [UInt8], depth: Depth
    ) throws
        -> Result<(BatchHeader, [UInt8]?), FrameProblem>
    {
        let available = fileSize - offset
        let headBytes = try file.read(
            count: min(BatchHeader.byteCount, Int(min(available, UInt64(Int.max)))), at: offset)
        let parsed = headBytes.withUnsafeBytes { BatchHeader.parse($0) }
        guard case .success(let header) = parsed else {
            if case .failure(let p) = parsed { return .failure(p) }
            return .failure(.badMagic)
        }
        guard UInt64(header.frameByteCount) <= available else {
            return .failure(.cutShort(available: Int(available), needed: header.frameByteCount))
        }
        guard depth == .records else { return .success((header, nil)) }
        let frame = try file.read(count: header.frameByteCount, at: offset)
        if let problem = frame.withUnsafeBytes({ BatchDecoder.checkChecksum(header, frame: $0, salt: salt) }) {
            return .failure(problem)
        }
        return .success((header, frame))
    }

    /// Whether any complete, checksum-valid frame starts after `offset`. Tells a torn tail (nothing
    /// valid follows) from damage in the middle of acknowledged data (something valid follows).
    static func hasValidFrame(file: SegmentFile, after offset: UInt64, fileSize: UInt64, salt: [UInt8]) throws -> Bool {
        let chunk = 1 << 20
        var position = offset + 1
        while position + UInt64(BatchHeader.byteCount) <= fileSize {
            let bytes = try file.read(count: chunk + 3, at: position)
            if bytes.count < 4 { return false }
            for i in 0..<(bytes.count - 3)
            where bytes[i] == 0x53 && bytes[i + 1] == 0x52 && bytes[i + 2] == 0x42 && bytes[i + 3] == 0x31 {
                let at = position + UInt64(i)
                if case .success = try readFrame(file: file, at: at, fileSize: fileSize, salt: salt, depth: .records) {
                    return true
                }
            }
            position += UInt64(chunk)
        }
        return false
    }
}

/// Thrown by a record visitor to say a record is not acceptable; the scanner adds the place.
struct RecordRejected: Error {
    let sequence: UInt64
    let reason: String
}
