import Foundation
import OAuth
import Projection

/// The facts of a registered client the endpoints act on, read from the metadata (RFC 7591 JSON)
/// the projection holds. Registration validated the metadata; this only reads it.
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
    /// The registered `tls_client_auth_*` attribute (name, value), for tls_client_auth.
    var tlsClientAuthAttribute: (name: String, value: String)?
    /// The metadata as registered (JSON text).
    var metadata: String

    static let tlsAttributeNames = [
        "tls_client_auth_subject_dn", "tls_client_auth_san_dns", "tls_client_auth_san_uri", "tls_client_auth_san_ip",
        "tls_client_auth_san_email",
    ]

    init(clientID: String, metadata: String) throws {
        guard let object = try? JSONSerialization.jsonObject(with: Data(metadata.utf8)) as? [String: Any] else {
            throw OAuthError(.serverError, "client \(clientID) has unreadable metadata")
        }
        self.clientID = clientID
        self.metadata = metadata
        name = object["client_name"] as? String ?? clientID
        redirectURIs = object["redirect_uris"] as? [String] ?? []
        scope = object["scope"] as? String
        tokenEndpointAuthMethod = object["token_endpoint_auth_method"] as? String ?? "private_key_jwt"
        dpopBoundAccessTokens = object["dpop_bound_access_tokens"] as? Bool ?? false
        certificateBoundAccessTokens = object["tls_client_certificate_bound_access_tokens"] as? Bool ?? false
        grantTypes = object["grant_types"] as? [String] ?? ["authorization_code"]
        idTokenSigningAlgorithm = object["id_token_signed_response_alg"] as? String
        jwtAccessTokens = object["access_token_format"] as? String == "jwt"
        protectedResource = object["protected_resource"] as? Bool ?? false
        if let keys = object["jwks"], let data = try? JSONSerialization.data(withJSONObject: keys) {
            jwks = String(decoding: data, as: UTF8.self)
        }
        tlsClientAuthAttribute =
            Self.tlsAttributeNames.lazy.compactMap { name in
                (object[name] as? String).map { (name, $0) }
            }.first
    }

    /// The active client `clientID`, or `invalid_client` (401).
    static func load(_ clientID: String, from projection: ProjectionStore) throws -> ClientRecord {
        guard let metadata = try projection.activeClientMetadata(clientID) else {
            throw OAuthError(.invalidClient, "client \(clientID) is not registered or was removed")
        }
        return try ClientRecord(clientID: clientID, metadata: metadata)
    }
}
