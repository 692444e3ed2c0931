/// The 128-byte header at the start of every segment file (FORMAT.md §2).
public struct SegmentHeader: Sendable, Equatable {
    public static let byteCount = 128
    public static let magic = Array("SRJOURNL".utf8)
    public static let formatVersion: UInt16 = 1

    public var formatVersion: UInt16
    public var segmentNumber: UInt32
    public var journalID: JournalID
    public var salt: [UInt8]
    public var firstSequence: UInt64
    public var createdMicros: Int64
    public var previousLink: ChainLink

    public init(
        segmentNumber: UInt32, journalID: JournalID, salt: [UInt8], firstSequence: UInt64, createdMicros: Int64,
        previousLink: ChainLink
    ) {
        self.formatVersion = Self.formatVersion
        self.segmentNumber = segmentNumber
        self.journalID = journalID
        self.salt = salt
        self.firstSequence = firstSequence
        self.createdMicros = createdMicros
        self.previousLink = previousLink
    }

    public func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: Self.byteCount)
        w.raw(Self.magic)
        w.u16(formatVersion)
        w.u16(UInt16(Self.byteCount))
        w.u32(segmentNumber)
        w.raw(journalID.bytes)
        w.raw(salt)
        w.u64(firstSequence)
        w.i64(createdMicros)
        w.raw(previousLink.bytes)
        w.zeros(28)
        w.u32(CRC32C.checksum(w.bytes))
        assert(w.bytes.count == Self.byteCount)
        return w.bytes
    }

    /// Why a header could not be decoded.
    public enum Problem: Error, CustomStringConvertible {
        case tooShort(Int)
        case badMagic
        case unsupportedVersion(UInt16)
        case badLength(UInt16)
        case badChecksum(expected: UInt32, found: UInt32)

        public var description: String {
            switch self {
            case .tooShort(let n): return "segment header cut short (\(n) of \(SegmentHeader.byteCount) bytes)"
            case .badMagic: return "not a Strongroom journal segment (bad magic)"
            case .unsupportedVersion(let v):
                return "segment format version \(v) is newer than this build reads (\(SegmentHeader.formatVersion))"
            case .badLength(let n): return "segment header length \(n) is not \(SegmentHeader.byteCount)"
            case .badChecksum(let e, let f):
                return "segment header CRC32C mismatch (stored \(hex32(e)), computed \(hex32(f)))"
            }
        }
    }

    public static func decode(_ raw: UnsafeRawBufferPointer) throws(Problem) -> SegmentHeader {
        guard raw.count >= byteCount else { throw .tooShort(raw.count) }
        guard Array(raw[0..<8]) == magic else { throw .badMagic }
        let stored = raw.u32LE(at: 124)
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<124]))
        guard stored == computed else { throw .badChecksum(expected: stored, found: computed) }
        var r = ByteReader(raw, offset: 8)
        let version = r.u16() ?? 0
        guard version >= 1, version <= formatVersion else { throw .unsupportedVersion(version) }
        let length = r.u16() ?? 0
        guard Int(length) == byteCount else { throw .badLength(length) }
        let number = r.u32() ?? 0
        let id = JournalID(bytes: r.raw(16) ?? [])
        let salt = r.raw(16) ?? []
        let first = r.u64() ?? 0
        let created = r.i64() ?? 0
        let link = ChainLink(bytes: r.raw(32) ?? [])
        var h = SegmentHeader(
            segmentNumber: number, journalID: id, salt: salt, firstSequence: first, createdMicros: created,
            previousLink: link)
        h.formatVersion = version
        return h
    }

    /// File name of the segment whose first record has `firstSequence`.
    public static func fileName(firstSequence: UInt64) -> String {
        let digits = String(firstSequence)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".seg"
    }
}

func hex32(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - s.count) + s
}
