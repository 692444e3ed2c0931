import Crypto

/// One link of the journal's SHA-256 hash chain (FORMAT.md §5): 32 bytes, stored inline.
public struct ChainLink: Hashable, Sendable, CustomStringConvertible {
    public static let byteCount = 32
    private var words: (UInt64, UInt64, UInt64, UInt64)

    public init(bytes: some Collection<UInt8>) {
        precondition(bytes.count == Self.byteCount, "a chain link is 32 bytes")
        var w: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &w) { dst in
            for (i, b) in bytes.enumerated() { dst[i] = b }
        }
        words = w
    }

    init(_ raw: UnsafeRawBufferPointer) {
        var w: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &w) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[0..<32])) }
        words = w
    }

    public var bytes: [UInt8] { withUnsafeBytes(of: words) { Array($0) } }
    public var hex: String { bytes.hexString }
    public var description: String { hex }

    public static func == (a: ChainLink, b: ChainLink) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
    }
    public func hash(into h: inout Hasher) {
        h.combine(words.0)
        h.combine(words.1)
        h.combine(words.2)
        h.combine(words.3)
    }

    /// Parses 64 hexadecimal characters.
    public init?(hex: String) {
        let chars = Array(hex.utf8)
        guard chars.count == 64 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(32)
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            case 65...70: return c - 55
            default: return nil
            }
        }
        for i in stride(from: 0, to: 64, by: 2) {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
        }
        self.init(bytes: out)
    }

    /// `link(0)`: commits to the journal id so that two journals never share a chain.
    public static func genesis(journalID: JournalID) -> ChainLink {
        var h = SHA256()
        h.update(data: Array("strongroom.journal.v1".utf8))
        h.update(data: journalID.bytes)
        return ChainLink(digest: h.finalize())
    }

    init(digest: SHA256.Digest) {
        var w: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        digest.withUnsafeBytes { src in withUnsafeMutableBytes(of: &w) { $0.copyMemory(from: src) } }
        words = w
    }

    /// `link(i) = SHA-256(link(i−1) ‖ i ‖ record bytes after the length field)`.
    /// `record` is kind ‖ time ‖ body.
    @inline(__always)
    public func next(sequence: UInt64, record: UnsafeRawBufferPointer) -> ChainLink {
        var h = SHA256()
        var prefix: (UInt64, UInt64, UInt64, UInt64, UInt64) = (
            words.0, words.1, words.2, words.3, sequence.littleEndian
        )
        withUnsafeBytes(of: &prefix) { h.update(bufferPointer: $0) }
        h.update(bufferPointer: record)
        return ChainLink(digest: h.finalize())
    }
}

/// The random 16-byte identity of one journal, repeated in every segment header.
public struct JournalID: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]
    public init(bytes: [UInt8]) {
        precondition(bytes.count == 16)
        self.bytes = bytes
    }
    public static func random() -> JournalID {
        var g = SystemRandomNumberGenerator()
        return JournalID(bytes: (0..<16).map { _ in UInt8.random(in: 0...255, using: &g) })
    }
    public var description: String { bytes.hexString }
}
