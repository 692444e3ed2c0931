/// `key.signing_added` v1 — the OP generated (or imported) a signing key. Only the public part is
/// journaled; the private key stays in the key store.
public struct SigningKeyAdded: Codable, Sendable, Equatable {
    public var kid: String
    /// JWS algorithm: `ES256` or `PS256`.
    public var algorithm: String
    /// The public JWK exactly as published in the JWKS (JSON text).
    public var publicJWK: String
    /// Whether this key signs from now on (otherwise published only, e.g. pre-announced).
    public var active: Bool

    public init(kid: String, algorithm: String, publicJWK: String, active: Bool) {
        self.kid = kid
        self.algorithm = algorithm
        self.publicJWK = publicJWK
        self.active = active
    }
}

/// `key.signing_retired` v1 — the key no longer signs; it stays published until `publishUntilMicros`
/// so that what it signed can still be verified.
public struct SigningKeyRetired: Codable, Sendable, Equatable {
    public var kid: String
    public var reason: String
    public var publishUntilMicros: Int64

    public init(kid: String, reason: String, publishUntilMicros: Int64) {
        self.kid = kid
        self.reason = reason
        self.publishUntilMicros = publishUntilMicros
    }
}
