import OAuth
import Projection

/// The facts of a registered client the endpoints act on, read from the metadata (RFC 7591 JSON,
/// normalized by `ClientMetadata` at registration) that the projection holds.
struct ClientRecord: Sendable {
    var clientID: String
    var name: String
    var redirectURIs: [String]
    var scope: String?
    var tokenEndpointAuthMethod: String
    var dpopBoundAccessTokens: Bool
    var certificateBoundAccessTokens: Bool
    var grantTypes: [String]
    /// `id_token_signed_response_alg` (ES256 when absent).
    var idTokenSigningAlgorithm: String?
    /// RFC 9068 JWT access tokens instead of opaque ones (`access_token_format: jwt`).
    var jwtAccessTokens: Bool
    /// May introspect any access token (`protected_resource: true`).
    var protectedResource: Bool
    /// The registered JWKS (JSON text), for private_key_jwt and self_signed_tls_client_auth.
    var jwks: String?
    /// The registered `jwks_uri`, when the keys are published there instead.
    var jwksURI: String?
    /// The registered `tls_client_auth_*` attribute, for tls_client_auth.
    var tlsClientAuthAttribute: TLSClientAuthAttribute?

    init(clientID: String, metadata: String) throws {
        let parsed: ClientMetadata
        do {
            parsed = try ClientMetadata.parse(Array(metadata.utf8))
        } catch {
            throw OAuthError(.serverError, "client \(clientID) has unusable registered metadata: \(error.description)")
        }
        self.clientID = clientID
        name = parsed.clientName ?? clientID
        redirectURIs = parsed.redirectURIs
        scope = parsed.scope
        tokenEndpointAuthMethod = parsed.tokenEndpointAuthMethod.rawValue
        dpopBoundAccessTokens = parsed.dpopBoundAccessTokens
        certificateBoundAccessTokens = parsed.tlsClientCertificateBoundAccessTokens
        grantTypes = parsed.grantTypes.map(\.rawValue)
        idTokenSigningAlgorithm = parsed.idTokenSignedResponseAlg
        jwtAccessTokens = parsed.accessTokenFormat == "jwt"
        protectedResource = parsed.protectedResource
        jwks = parsed.jwks
        jwksURI = parsed.jwksURI
        tlsClientAuthAttribute = parsed.tlsClientAuthAttribute
    }

    /// The active client `clientID`, or `invalid_client` (401).
    static func load(_ clientID: String, from projection: ProjectionStore) throws -> ClientRecord {
        guard let metadata = try projection.activeClientMetadata(clientID) else {
            throw OAuthError(.invalidClient, "client \(clientID) is not registered or was removed")
        }
        return try ClientRecord(clientID: clientID, metadata: metadata)
    }
}
