import Events
import Foundation
import JOSE
import Ledger
import Synchronization

/// The OP's current signing key per algorithm, replaceable while the server runs (`keys rotate`).
///
/// Rotation creates a key in the key store, journals it as active, retires the previous one with a
/// publication deadline — it stays in the JWKS until what it signed (ID tokens) has expired, plus a
/// margin for caches — and from then on signs with the new key.
///
/// ```swift
/// let ring = try SigningKeyRing(store: FileKeyStore(directory: dir))
/// let rotated = try await ring.rotate(.es256, ledger: ledger, publishOldForSeconds: 3600, actor: .operator("ops"))
/// ```
public final class SigningKeyRing: Sendable {
    private let store: FileKeyStore
    private let keys: Mutex<[SigningAlgorithm: OPSigningKey]>

    /// Loads the newest key of each algorithm from the store.
    public init(store: FileKeyStore) throws {
        self.store = store
        var current: [SigningAlgorithm: OPSigningKey] = [:]
        for info in try store.allKeys().sorted(by: { $0.createdAt < $1.createdAt }) {
            current[info.algorithm] = try store.signingKey(kid: info.kid)
        }
        keys = Mutex(current)
    }

    /// The key that signs with `algorithm` now.
    public func current(_ algorithm: SigningAlgorithm) -> OPSigningKey? {
        keys.withLock { $0[algorithm] }
    }

    public struct Rotation: Codable, Sendable {
        public var algorithm: String
        public var newKid: String
        public var retiredKid: String?
        public var retiredKeyPublishedUntil: Date?
    }

    /// Adds a key for `algorithm`, makes it the signer, and retires the previous one (still published
    /// for `publishOldForSeconds`).
    public func rotate(
        _ algorithm: SigningAlgorithm, ledger: Ledger, publishOldForSeconds: Int64, actor: Actor
    )
        async throws -> Rotation
    {
        let old = current(algorithm)
        let key = try store.createKey(algorithm)
        let jwk = String(decoding: key.publicJWK.jsonBytes(), as: UTF8.self)
        try await ledger.execute(
            AddSigningKey(
                SigningKeyAdded(kid: key.kid, algorithm: algorithm.rawValue, publicJWK: jwk, active: true), actor: actor
            ))
        keys.withLock { $0[algorithm] = key }
        var until: Date?
        if let old {
            let deadline = SystemClock().nowMicros() + publishOldForSeconds * 1_000_000
            try await ledger.execute(
                RetireSigningKey(
                    kid: old.kid, reason: "rotated to \(key.kid)", publishUntilMicros: deadline, actor: actor))
            until = Date(timeIntervalSince1970: Double(deadline) / 1_000_000)
        }
        return Rotation(
            algorithm: algorithm.rawValue, newKid: key.kid, retiredKid: old?.kid, retiredKeyPublishedUntil: until)
    }
}
