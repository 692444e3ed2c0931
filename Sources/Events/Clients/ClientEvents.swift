/// `client.registered` v1 — a client was registered (by an operator, or by dynamic registration).
public struct ClientRegistered: Codable, Sendable, Equatable {
    public var clientID: String
    /// The registered client metadata (RFC 7591), as JSON text, verbatim: it includes the client's
    /// keys (`jwks`), which the audit tool needs to re-verify the client's signatures years later.
    public var metadata: String
    /// How it was registered: `cli`, `admin`, `dcr`.
    public var via: String

    public init(clientID: String, metadata: String, via: String) {
        self.clientID = clientID
        self.metadata = metadata
        self.via = via
    }
}

/// `client.updated` v1 — the client's metadata was replaced.
public struct ClientUpdated: Codable, Sendable, Equatable {
    public var clientID: String
    public var metadata: String

    public init(clientID: String, metadata: String) {
        self.clientID = clientID
        self.metadata = metadata
    }
}

/// `client.removed` v1 — the client can no longer authenticate.
public struct ClientRemoved: Codable, Sendable, Equatable {
    public var clientID: String
    public var reason: String

    public init(clientID: String, reason: String) {
        self.clientID = clientID
        self.reason = reason
    }
}

/// `client.jwks_fetched` v1 — the OP fetched the client's key set from its `jwks_uri` and it differed
/// from the last one it recorded. Kept verbatim so that the audit tool can re-verify the client's
/// signatures against the keys it really had at that time; the projection keeps nothing of it.
public struct ClientJWKSFetched: Codable, Sendable, Equatable {
    public var clientID: String
    public var jwksURI: String
    /// The JWK Set document as served (JSON text; public keys only, or it is refused).
    public var jwks: String
    /// Lower-case hex SHA-256 of `jwks`.
    public var digest: String

    public init(clientID: String, jwksURI: String, jwks: String, digest: String) {
        self.clientID = clientID
        self.jwksURI = jwksURI
        self.jwks = jwks
        self.digest = digest
    }
}
