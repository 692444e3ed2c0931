import Crypto
import Foundation

/// Seals secrets the OP must be able to read back but must never store in clear — TOTP seeds —
/// with AES-256-GCM under an OP-held key (DESIGN.md: "Secrets never enter the journal or the
/// projection in clear").
///
/// The sealed form is the text `v1.<keyId>.<base64url(nonce ‖ ciphertext ‖ tag)>`. `keyId` is
/// derived from the key (the first 8 bytes of SHA-256 over a label and the key, base64url), so a
/// sealer can tell which of its keys sealed a value without storing anything beside it. The
/// associated data (for a TOTP seed: the user's subject) is authenticated but not stored: a sealed
/// seed copied onto another user does not open.
///
/// The key lives in a key file under the data directory, readable by the OP's user only; the
/// caller reads it and passes the bytes (make one with ``generateKey()``).
///
/// ```swift
/// let sealer = try SecretSealer(key: keyFileBytes)
/// let stored = try sealer.seal(seed, associatedData: Array(subject.utf8))   // "v1.Jq3…​.…"
/// let seed = try sealer.open(stored, associatedData: Array(subject.utf8))
/// ```
public struct SecretSealer: Sendable {
    /// Key length: 32 bytes (AES-256).
    public static let keyByteCount = 32
    /// The format version this sealer writes.
    public static let version = "v1"
    /// Longest plaintext accepted by ``seal(_:associatedData:)`` (secrets are small).
    public static let plaintextByteCountMax = 4096
    /// Longest sealed string accepted by ``open(_:associatedData:)``.
    public static let sealedByteCountMax = 8192
    private static let nonceByteCount = 12
    private static let tagByteCount = 16

    /// Why sealing or opening failed.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// The key is not ``SecretSealer/keyByteCount`` bytes.
        case keyLength(Int)
        /// The plaintext is empty or longer than ``SecretSealer/plaintextByteCountMax``.
        case plaintextLength(Int)
        /// The sealed text is not `v1.<keyId>.<base64url>`.
        case malformed(String)
        /// No key of this sealer has the sealed value's key id.
        case unknownKey(String)
        /// Authentication failed: wrong key, wrong associated data, or the value was altered.
        case authenticationFailed

        public var description: String {
            switch self {
            case .keyLength(let count):
                "the sealing key has \(count) bytes; it must have \(SecretSealer.keyByteCount) (AES-256)"
            case .plaintextLength(let count):
                "the secret to seal has \(count) bytes; it must have 1 to \(SecretSealer.plaintextByteCountMax)"
            case .malformed(let reason):
                "the sealed value is malformed: \(reason)"
            case .unknownKey(let keyId):
                "the sealed value names key \"\(keyId)\", which this OP does not hold; restore that key file"
            case .authenticationFailed:
                "the sealed value does not open: it was altered, moved to another owner, or sealed under another key"
            }
        }
    }

    private let currentKey: SymmetricKey
    /// Key id of the key new values are sealed with.
    public let currentKeyId: String
    private let openingKeys: [String: SymmetricKey]

    /// Creates a sealer that seals with `key` and opens values sealed with `key` or any of
    /// `previousKeys` (key rotation: reseal what ``isSealedWithCurrentKey(_:)`` says is old).
    public init(key: [UInt8], previousKeys: [[UInt8]] = []) throws(Failure) {
        var openingKeys: [String: SymmetricKey] = [:]
        for bytes in [key] + previousKeys {
            guard bytes.count == Self.keyByteCount else { throw .keyLength(bytes.count) }
            openingKeys[Self.keyId(of: bytes)] = SymmetricKey(data: bytes)
        }
        self.currentKey = SymmetricKey(data: key)
        self.currentKeyId = Self.keyId(of: key)
        self.openingKeys = openingKeys
    }

    /// 32 fresh random bytes for a new key file.
    public static func generateKey() -> [UInt8] {
        SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
    }

    /// The key id for `key`: base64url of the first 8 bytes of SHA-256("strongroom-sealer-key-id" ‖ key).
    /// Reveals nothing usable about a 256-bit random key.
    public static func keyId(of key: [UInt8]) -> String {
        let digest = SHA256.hash(data: Array("strongroom-sealer-key-id".utf8) + key)
        return UnpaddedBase64.encodeURL(digest.prefix(8))
    }

    /// Seals `plaintext`, binding it to `associatedData` (e.g. the owner's subject).
    ///
    /// ```swift
    /// let stored = try sealer.seal(TOTP.generateSecret(), associatedData: Array("user-42".utf8))
    /// ```
    public func seal(_ plaintext: [UInt8], associatedData: [UInt8]) throws(Failure) -> String {
        guard (1...Self.plaintextByteCountMax).contains(plaintext.count) else {
            throw .plaintextLength(plaintext.count)
        }
        let box: AES.GCM.SealedBox
        do {
            box = try AES.GCM.seal(
                plaintext, using: currentKey,
                authenticating: Self.authenticatedData(keyId: currentKeyId, associatedData: associatedData))
        } catch {
            throw .authenticationFailed  // unreachable with a valid 32-byte key and a random nonce
        }
        guard let combined = box.combined else { throw .authenticationFailed }  // 12-byte nonce: always present
        return "\(Self.version).\(currentKeyId).\(UnpaddedBase64.encodeURL(combined))"
    }

    /// Opens a value made by ``seal(_:associatedData:)`` with the same `associatedData`.
    ///
    /// ```swift
    /// let seed = try sealer.open(user.sealedTOTPSeed, associatedData: Array(user.subject.utf8))
    /// ```
    public func open(_ sealed: String, associatedData: [UInt8]) throws(Failure) -> [UInt8] {
        let (keyId, combined) = try Self.parse(sealed)
        guard let key = openingKeys[keyId] else { throw .unknownKey(keyId) }
        do {
            let box = try AES.GCM.SealedBox(combined: combined)
            let plaintext = try AES.GCM.open(
                box, using: key,
                authenticating: Self.authenticatedData(keyId: keyId, associatedData: associatedData))
            return Array(plaintext)
        } catch {
            throw .authenticationFailed
        }
    }

    /// `true` when `sealed` was sealed with this sealer's current key (no reseal needed).
    public func isSealedWithCurrentKey(_ sealed: String) -> Bool {
        (try? Self.parse(sealed))?.keyId == currentKeyId
    }

    /// The bytes GCM authenticates besides the ciphertext: version and key id (so the header cannot
    /// be swapped) and the caller's associated data.
    private static func authenticatedData(keyId: String, associatedData: [UInt8]) -> [UInt8] {
        Array("\(version).\(keyId).".utf8) + associatedData
    }

    private static func parse(_ sealed: String) throws(Failure) -> (keyId: String, combined: [UInt8]) {
        guard sealed.utf8.count <= sealedByteCountMax else {
            throw .malformed("longer than \(sealedByteCountMax) bytes")
        }
        let parts = sealed.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .malformed("expected v1.<keyId>.<base64url>") }
        guard parts[0] == version else { throw .malformed("unknown version \"\(parts[0])\" (expected \(version))") }
        guard !parts[1].isEmpty else { throw .malformed("the key id is empty") }
        guard let combined = UnpaddedBase64.decodeURL(parts[2]),
            combined.count > nonceByteCount + tagByteCount
        else { throw .malformed("the payload is not base64url of nonce, ciphertext and tag") }
        return (String(parts[1]), combined)
    }
}
