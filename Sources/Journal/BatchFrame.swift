/// The header of one batch frame (FORMAT.md §3).
public struct BatchHeader: Sendable, Equatable {
    public static let byteCount = 84
    static let magic: UInt32 = UInt32(littleEndian: 0x3142_5253)  // "SRB1" read as little-endian u32

    public enum Codec: UInt8, Sendable {
        case none = 0
        case lz4 = 1
    }

    public var storedLength: UInt32
    public var rawLength: UInt32
    public var codec: Codec
    public var firstSequence: UInt64
    public var recordCount: UInt32
    public var firstTimeMicros: Int64
    public var lastTimeMicros: Int64
    public var lastLink: ChainLink
    public var checksum: UInt32

    public var frameByteCount: Int { Self.byteCount + Int(storedLength) }
    public var lastSequence: UInt64 { firstSequence + UInt64(recordCount) - 1 }

    /// Writes the header (checksum field included as currently set) at the start of `out`.
    func write(into out: UnsafeMutableRawBufferPointer) {
        var w = ByteWriter(capacity: Self.byteCount)
        w.raw(Array("SRB1".utf8))
        w.u32(storedLength)
        w.u32(rawLength)
        w.u8(codec.rawValue)
        w.zeros(3)
        w.u64(firstSequence)
        w.u32(recordCount)
        w.zeros(4)
        w.i64(firstTimeMicros)
        w.i64(lastTimeMicros)
        w.raw(lastLink.bytes)
        w.u32(checksum)
        w.bytes.withUnsafeBytes { out.copyMemory(from: $0) }
    }

    /// Parses the fixed fields; says nothing yet about the checksum.
    static func parse(_ raw: UnsafeRawBufferPointer) -> Result<BatchHeader, FrameProblem> {
        guard raw.count >= byteCount else { return .failure(.cutShort(available: raw.count, needed: byteCount)) }
        guard raw.loadUnaligned(as: UInt32.self) == magic else { return .failure(.badMagic) }
        guard let codec = Codec(rawValue: raw[12]) else { return .failure(.badHeader("unknown codec \(raw[12])")) }
        let header = BatchHeader(
            storedLength: raw.u32LE(at: 4), rawLength: raw.u32LE(at: 8), codec: codec,
            firstSequence: raw.u64LE(at: 16), recordCount: raw.u32LE(at: 24),
            firstTimeMicros: raw.i64LE(at: 32), lastTimeMicros: raw.i64LE(at: 40),
            lastLink: ChainLink(UnsafeRawBufferPointer(rebasing: raw[48..<80])), checksum: raw.u32LE(at: 80))
        guard header.recordCount >= 1, header.recordCount <= JournalLimits.batchRecordsMax else {
            return .failure(.badHeader("record count \(header.recordCount)"))
        }
        guard Int(header.rawLength) <= JournalLimits.batchPayloadBytesMax,
            Int(header.storedLength) <= JournalLimits.batchPayloadBytesMax,
            codec != .none || header.storedLength == header.rawLength
        else { return .failure(.badHeader("payload lengths \(header.storedLength)/\(header.rawLength)")) }
        return .success(header)
    }

    /// CRC32C(salt ‖ header[0..<80] ‖ stored payload).
    static func computeChecksum(
        salt: [UInt8], header: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer
    ) -> UInt32 {
        var crc = CRC32C()
        salt.withUnsafeBytes { crc.update($0) }
        crc.update(UnsafeRawBufferPointer(rebasing: header[0..<80]))
        crc.update(payload)
        return crc.finalize()
    }
}

/// Why a batch frame is not valid. Whether that is a torn tail or corruption depends on where it is.
public enum FrameProblem: Error, Equatable, CustomStringConvertible {
    case cutShort(available: Int, needed: Int)
    case badMagic
    case badHeader(String)
    case badChecksum(stored: UInt32, computed: UInt32)
    case badPayload(String)
    case sequenceGap(expected: UInt64, found: UInt64)
    case chainMismatch(sequence: UInt64)

    public var description: String {
        switch self {
        case .cutShort(let a, let n): return "batch frame cut short (\(a) of \(n) bytes present)"
        case .badMagic: return "no batch frame here (bad magic)"
        case .badHeader(let why): return "invalid batch header: \(why)"
        case .badChecksum(let s, let c): return "batch CRC32C mismatch (stored \(hex32(s)), computed \(hex32(c)))"
        case .badPayload(let why): return "invalid batch payload: \(why)"
        case .sequenceGap(let e, let f): return "sequence number \(f) where \(e) was expected"
        case .chainMismatch(let s): return "hash chain broken at sequence \(s)"
        }
    }
}

/// Builds batch frames with reusable buffers; owned by the single writer.
struct BatchBuilder {
    private var payload: [UInt8] = []
    private var compressed: [UInt8] = []
    private(set) var frame: [UInt8] = []

    init() {
        payload.reserveCapacity(64 * 1024)
        frame.reserveCapacity(64 * 1024)
    }

    /// Frames `records` as one batch. Returns the header; the frame bytes are in `frame`.
    mutating func build(
        records: [NewRecord], firstSequence: UInt64, previousLink: ChainLink, salt: [UInt8], compress: Bool = true,
        level: CompressionLevel = .fast
    ) -> BatchHeader {
        precondition(!records.isEmpty && records.count <= JournalLimits.batchRecordsMax)
        payload.removeAll(keepingCapacity: true)
        var offsets: [Int] = []
        offsets.reserveCapacity(records.count + 1)
        for r in records {
            precondition(r.body.count <= JournalLimits.recordBodyBytesMax, "record body over the limit")
            offsets.append(payload.count)
            let length = UInt32(9 + r.body.count).littleEndian
            withUnsafeBytes(of: length) { payload.append(contentsOf: $0) }
            payload.append(r.kind.rawValue)
            withUnsafeBytes(of: r.timeMicros.littleEndian) { payload.append(contentsOf: $0) }
            payload.append(contentsOf: r.body)
        }
        offsets.append(payload.count)
        precondition(payload.count <= JournalLimits.batchPayloadBytesMax, "batch over the payload limit")

        var link = previousLink
        payload.withUnsafeBytes { p in
            for i in 0..<records.count {
                link = link.next(
                    sequence: firstSequence + UInt64(i),
                    record: UnsafeRawBufferPointer(rebasing: p[(offsets[i] + 4)..<offsets[i + 1]]))
            }
        }

        let useLZ4 = compress && payload.withUnsafeBytes { LZ4Block.compress($0, into: &compressed, level: level) }
        let stored = useLZ4 ? compressed : payload
        var header = BatchHeader(
            storedLength: UInt32(stored.count), rawLength: UInt32(payload.count), codec: useLZ4 ? .lz4 : .none,
            firstSequence: firstSequence, recordCount: UInt32(records.count),
            firstTimeMicros: records[0].timeMicros, lastTimeMicros: records[records.count - 1].timeMicros,
            lastLink: link, checksum: 0)
        frame.removeAll(keepingCapacity: true)
        frame.append(contentsOf: repeatElement(0, count: BatchHeader.byteCount))
        frame.append(contentsOf: stored)
        frame.withUnsafeMutableBytes { f in
            header.write(into: f)
            header.checksum = BatchHeader.computeChecksum(
                salt: salt, header: UnsafeRawBufferPointer(f),
                payload: UnsafeRawBufferPointer(rebasing: f[BatchHeader.byteCount...]))
            f.storeBytes(of: header.checksum.littleEndian, toByteOffset: 80, as: UInt32.self)
        }
        return header
    }
}

/// Decoding and checking one frame read from disk.
enum BatchDecoder {
    /// Checks the frame's checksum. `frame` holds the header and the stored payload.
    static func checkChecksum(_ header: BatchHeader, frame: UnsafeRawBufferPointer, salt: [UInt8]) -> FrameProblem? {
        let computed = BatchHeader.computeChecksum(
            salt: salt, header: frame,
            payload: UnsafeRawBufferPointer(rebasing: frame[BatchHeader.byteCount..<header.frameByteCount]))
        return computed == header.checksum ? nil : .badChecksum(stored: header.checksum, computed: computed)
    }

    /// Decompresses the payload, walks the records, recomputes the chain from `previousLink`.
    /// Calls `visit` for each record with the chain link before it; returns the link after the last one.
    static func decodeRecords(
        _ header: BatchHeader, frame: UnsafeRawBufferPointer, previousLink: ChainLink,
        visit: (JournalRecord, _ linkBefore: ChainLink, _ linkAfter: ChainLink) throws -> Void
    ) throws -> ChainLink {
        let stored = UnsafeRawBufferPointer(rebasing: frame[BatchHeader.byteCount..<header.frameByteCount])
        let raw: [UInt8]
        switch header.codec {
        case .none: raw = Array(stored)
        case .lz4:
            guard let out = LZ4Block.decompress(stored, uncompressedCount: Int(header.rawLength)) else {
                throw FrameProblem.badPayload("LZ4 block does not decompress to \(header.rawLength) bytes")
            }
            raw = out
        }
        var link = previousLink
        var lastTime = Int64.min
        try raw.withUnsafeBytes { p in
            var offset = 0
            for i in 0..<Int(header.recordCount) {
                guard p.count - offset >= 4 else { throw FrameProblem.badPayload("record \(i) cut short") }
                let length = Int(p.u32LE(at: offset))
                guard length >= 9, p.count - offset - 4 >= length else {
                    throw FrameProblem.badPayload("record \(i) length \(length) overruns the batch")
                }
                let recordBytes = UnsafeRawBufferPointer(rebasing: p[(offset + 4)..<(offset + 4 + length)])
                guard let kind = RecordKind(rawValue: recordBytes[0]) else {
                    throw FrameProblem.badPayload("record \(i) has unknown kind \(recordBytes[0])")
                }
                let time = recordBytes.i64LE(at: 1)
                guard time >= lastTime else {
                    throw FrameProblem.badPayload("record times go backwards at record \(i)")
                }
                lastTime = time
                let sequence = header.firstSequence + UInt64(i)
                let before = link
                link = link.next(sequence: sequence, record: recordBytes)
                try visit(
                    JournalRecord(
                        sequence: sequence, kind: kind, timeMicros: time,
                        body: Array(UnsafeRawBufferPointer(rebasing: recordBytes[9...]))), before, link)
                offset += 4 + length
            }
            guard offset == p.count else {
                throw FrameProblem.badPayload("\(p.count - offset) stray bytes after the records")
            }
        }
        guard link == header.lastLink else { throw FrameProblem.chainMismatch(sequence: header.lastSequence) }
        return link
    }
}
