import Crypto

/// Signs checkpoints. The journal layer needs only this; the key itself lives in the OP's key store
/// (and could live in an HSM).
public protocol CheckpointSigner: Sendable {
    /// Lowercase hex SHA-256 of `publicKeyX963` (FORMAT.md §4.3).
    var keyID: String { get }
    /// The P-256 public key, ANSI X9.63 uncompressed (65 bytes).
    var publicKeyX963: [UInt8] { get }
    /// ES256 signature (raw r‖s, 64 bytes) of `message`.
    func sign(_ message: [UInt8]) throws -> [UInt8]
}

/// A `CheckpointSigner` over an in-process P-256 private key.
public struct P256CheckpointSigner: CheckpointSigner {
    private let key: P256.Signing.PrivateKey
    public let keyID: String
    public let publicKeyX963: [UInt8]

    public init(privateKey: P256.Signing.PrivateKey) {
        key = privateKey
        publicKeyX963 = Array(privateKey.publicKey.x963Representation)
        keyID = JournalKeyRecord.keyID(forPublicKey: publicKeyX963)
    }

    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        Array(try key.signature(for: message).rawRepresentation)
    }
}

/// Body of a kind-2 record (FORMAT.md §4.2): a signed commitment to (sequence, chain link, time).
public struct CheckpointRecord: Sendable, Equatable {
    public var coveredSequence: UInt64
    public var link: ChainLink
    public var timeMicros: Int64
    public var keyID: String
    public var signature: [UInt8]

    public static let domain = Array("strongroom.checkpoint.v1".utf8)

    /// The exact bytes that are signed.
    public static func signedMessage(
        journalID: JournalID, coveredSequence: UInt64, link: ChainLink, timeMicros: Int64
    )
        -> [UInt8]
    {
        var w = ByteWriter(capacity: 88)
        w.raw(domain)
        w.raw(journalID.bytes)
        w.u64(coveredSequence)
        w.raw(link.bytes)
        w.i64(timeMicros)
        return w.bytes
    }

    public static func make(
        journalID: JournalID, coveredSequence: UInt64, link: ChainLink, timeMicros: Int64, signer: any CheckpointSigner
    ) throws -> CheckpointRecord {
        let message = signedMessage(
            journalID: journalID, coveredSequence: coveredSequence, link: link, timeMicros: timeMicros)
        return CheckpointRecord(
            coveredSequence: coveredSequence, link: link, timeMicros: timeMicros, keyID: signer.keyID,
            signature: try signer.sign(message))
    }

    public func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 160)
        w.u64(coveredSequence)
        w.raw(link.bytes)
        w.i64(timeMicros)
        let kid = Array(keyID.utf8)
        w.u8(UInt8(kid.count))
        w.raw(kid)
        w.u16(UInt16(signature.count))
        w.raw(signature)
        return w.bytes
    }

    public static func decode(_ body: [UInt8]) -> CheckpointRecord? {
        body.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            guard let seq = r.u64(), let link = r.raw(32), let time = r.i64(), let kidLength = r.u8(),
                let kid = r.raw(Int(kidLength)), let sigLength = r.u16(), let sig = r.raw(Int(sigLength)),
                r.remaining == 0
            else { return nil }
            return CheckpointRecord(
                coveredSequence: seq, link: ChainLink(bytes: link), timeMicros: time,
                keyID: String(decoding: kid, as: UTF8.self), signature: sig)
        }
    }

    /// Checks the signature with `publicKeyX963`.
    public func verifySignature(journalID: JournalID, publicKeyX963: [UInt8]) -> Bool {
        guard let key = try? P256.Signing.PublicKey(x963Representation: publicKeyX963),
            let sig = try? P256.Signing.ECDSASignature(rawRepresentation: signature)
        else { return false }
        let message = Self.signedMessage(
            journalID: journalID, coveredSequence: coveredSequence, link: link, timeMicros: timeMicros)
        return key.isValidSignature(sig, for: message)
    }
}

/// Body of a kind-3 record (FORMAT.md §4.3): the public part of a journal signing key.
public struct JournalKeyRecord: Sendable, Equatable {
    public enum Status: UInt8, Sendable {
        case active = 1
        case retired = 2
    }

    public var status: Status
    public var keyID: String
    public var publicKeyX963: [UInt8]

    public init(status: Status, keyID: String, publicKeyX963: [UInt8]) {
        self.status = status
        self.keyID = keyID
        self.publicKeyX963 = publicKeyX963
    }

    public static func keyID(forPublicKey x963: [UInt8]) -> String {
        Array(SHA256.hash(data: x963)).hexString
    }

    public func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 140)
        w.u8(status.rawValue)
        w.u8(1)  // ES256
        let kid = Array(keyID.utf8)
        w.u8(UInt8(kid.count))
        w.raw(kid)
        w.u16(UInt16(publicKeyX963.count))
        w.raw(publicKeyX963)
        return w.bytes
    }

    public static func decode(_ body: [UInt8]) -> JournalKeyRecord? {
        body.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            guard let s = r.u8(), let status = Status(rawValue: s), r.u8() == 1, let kidLength = r.u8(),
                let kid = r.raw(Int(kidLength)), let keyLength = r.u16(), let key = r.raw(Int(keyLength)),
                r.remaining == 0
            else { return nil }
            let record = JournalKeyRecord(
                status: status, keyID: String(decoding: kid, as: UTF8.self), publicKeyX963: key)
            return record.keyID == keyID(forPublicKey: key) ? record : nil
        }
    }
}
