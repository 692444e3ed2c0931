import Foundation

/// What a ``KeyStore`` reports about one stored key, without the private half.
public struct StoredKeyInfo: Sendable, Hashable {
    /// The key's `kid` (its RFC 7638 thumbprint).
    public let kid: String
    /// The algorithm the key signs with.
    public let algorithm: SigningAlgorithm
    /// The public JWK to publish.
    public let publicJWK: PublicJWK
    /// When the key was stored (file modification time for ``FileKeyStore``).
    public let createdAt: Date

    public init(kid: String, algorithm: SigningAlgorithm, publicJWK: PublicJWK, createdAt: Date) {
        self.kid = kid
        self.algorithm = algorithm
        self.publicJWK = publicJWK
        self.createdAt = createdAt
    }
}

/// Custody of the OP's private signing keys.
///
/// A protocol so that an HSM / KMS-backed store can replace ``FileKeyStore`` without touching
/// callers. Private keys never leave an implementation except inside an ``OPSigningKey`` used to
/// sign; implementations must never log key material.
///
/// ```swift
/// let store: any KeyStore = try FileKeyStore(directory: "/var/lib/strongroom/keys")
/// if try store.allKeys().isEmpty { _ = try store.createKey(.ps256) }
/// let published = try store.allKeys().map(\.publicJWK)       // for GET /jwks
/// let key = try store.signingKey(kid: published[0].kid ?? "")
/// ```
public protocol KeyStore: Sendable {
    /// Every stored key, ordered by `kid`.
    func allKeys() throws -> [StoredKeyInfo]
    /// The signing key with this `kid`; throws ``KeyStoreError/keyNotFound(kid:)`` if absent.
    func signingKey(kid: String) throws -> OPSigningKey
    /// Generates, durably stores and returns a new key for `alg`.
    func createKey(_ alg: SigningAlgorithm) throws -> OPSigningKey
    /// Removes the key with this `kid`; throws ``KeyStoreError/keyNotFound(kid:)`` if absent.
    func deleteKey(kid: String) throws
}
