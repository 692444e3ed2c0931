/// The OP's discovery metadata (OpenID Connect Discovery 1.0 §3, RFC 8414 §2), served at
/// `/.well-known/openid-configuration` and `/.well-known/oauth-authorization-server`.
///
/// A typed value so later modules add fields (`userinfo_endpoint`, `dpop_signing_alg_values_supported`,
/// …) in one place; every key is one from REQUIREMENTS.md Section C's schema whitelist (META-06).
///
/// ```swift
/// let document = DiscoveryDocument(issuer: "https://op.example.com")
/// document.tokenEndpoint   // "https://op.example.com/token"
/// ```
public struct DiscoveryDocument: Codable, Sendable, Equatable {
    /// Paths of the endpoints, relative to the issuer.
    public enum EndpointPath {
        public static let jwks = "/jwks"
        public static let authorization = "/authorize"
        public static let token = "/token"
        public static let pushedAuthorizationRequest = "/par"
    }

    public var issuer: String
    public var jwksURI: String
    public var authorizationEndpoint: String
    public var tokenEndpoint: String
    public var pushedAuthorizationRequestEndpoint: String
    public var responseTypesSupported: [String]
    public var responseModesSupported: [String]
    public var grantTypesSupported: [String]
    public var codeChallengeMethodsSupported: [String]
    public var tokenEndpointAuthMethodsSupported: [String]
    public var tokenEndpointAuthSigningAlgValuesSupported: [String]
    public var idTokenSigningAlgValuesSupported: [String]
    public var subjectTypesSupported: [String]
    public var scopesSupported: [String]
    /// SP-22: authorization requests must come through PAR.
    public var requirePushedAuthorizationRequests: Bool
    /// SP-26: `iss` in every authorization response (RFC 9207).
    public var authorizationResponseIssParameterSupported: Bool
    /// F1-12 / SP-10: MTLS-bound access tokens (RFC 8705).
    public var tlsClientCertificateBoundAccessTokens: Bool
    /// OIDC-07.
    public var userinfoEndpoint: String?
    /// DPOP-15: ⊆ {PS256, ES256, EdDSA}.
    public var dpopSigningAlgValuesSupported: [String]?
    /// OIDC-04: the authentication context classes (password, SCA).
    public var acrValuesSupported: [String]?
    public var claimsParameterSupported: Bool?
    public var claimsSupported: [String]?
    public var promptValuesSupported: [String]?
    /// REV-01, INT-01.
    public var revocationEndpoint: String?
    public var introspectionEndpoint: String?
    public var revocationEndpointAuthMethodsSupported: [String]?
    public var introspectionEndpointAuthMethodsSupported: [String]?
    /// GM-10: the grant management API and the actions offered.
    public var grantManagementEndpoint: String?
    public var grantManagementActionsSupported: [String]?
    public var grantManagementActionRequired: Bool?

    /// The FAPI 2.0 skeleton for `issuer` (already normalised: https, no trailing slash).
    public init(issuer: String) {
        self.issuer = issuer
        self.jwksURI = issuer + EndpointPath.jwks
        self.authorizationEndpoint = issuer + EndpointPath.authorization
        self.tokenEndpoint = issuer + EndpointPath.token
        self.pushedAuthorizationRequestEndpoint = issuer + EndpointPath.pushedAuthorizationRequest
        self.responseTypesSupported = ["code"]
        self.responseModesSupported = ["query"]
        self.grantTypesSupported = ["authorization_code", "refresh_token", "client_credentials"]
        self.codeChallengeMethodsSupported = ["S256"]
        self.tokenEndpointAuthMethodsSupported = ["private_key_jwt", "tls_client_auth", "self_signed_tls_client_auth"]
        self.tokenEndpointAuthSigningAlgValuesSupported = ["PS256", "ES256"]
        self.idTokenSigningAlgValuesSupported = ["PS256", "ES256"]
        self.subjectTypesSupported = ["public"]
        self.scopesSupported = ["openid"]
        self.requirePushedAuthorizationRequests = true
        self.authorizationResponseIssParameterSupported = true
        self.tlsClientCertificateBoundAccessTokens = true
    }

    enum CodingKeys: String, CodingKey {
        case issuer
        case jwksURI = "jwks_uri"
        case authorizationEndpoint = "authorization_endpoint"
        case tokenEndpoint = "token_endpoint"
        case pushedAuthorizationRequestEndpoint = "pushed_authorization_request_endpoint"
        case responseTypesSupported = "response_types_supported"
        case responseModesSupported = "response_modes_supported"
        case grantTypesSupported = "grant_types_supported"
        case codeChallengeMethodsSupported = "code_challenge_methods_supported"
        case tokenEndpointAuthMethodsSupported = "token_endpoint_auth_methods_supported"
        case tokenEndpointAuthSigningAlgValuesSupported = "token_endpoint_auth_signing_alg_values_supported"
        case idTokenSigningAlgValuesSupported = "id_token_signing_alg_values_supported"
        case subjectTypesSupported = "subject_types_supported"
        case scopesSupported = "scopes_supported"
        case requirePushedAuthorizationRequests = "require_pushed_authorization_requests"
        case authorizationResponseIssParameterSupported = "authorization_response_iss_parameter_supported"
        case tlsClientCertificateBoundAccessTokens = "tls_client_certificate_bound_access_tokens"
        case userinfoEndpoint = "userinfo_endpoint"
        case dpopSigningAlgValuesSupported = "dpop_signing_alg_values_supported"
        case acrValuesSupported = "acr_values_supported"
        case claimsParameterSupported = "claims_parameter_supported"
        case claimsSupported = "claims_supported"
        case promptValuesSupported = "prompt_values_supported"
        case revocationEndpoint = "revocation_endpoint"
        case introspectionEndpoint = "introspection_endpoint"
        case revocationEndpointAuthMethodsSupported = "revocation_endpoint_auth_methods_supported"
        case introspectionEndpointAuthMethodsSupported = "introspection_endpoint_auth_methods_supported"
        case grantManagementEndpoint = "grant_management_endpoint"
        case grantManagementActionsSupported = "grant_management_actions_supported"
        case grantManagementActionRequired = "grant_management_action_required"
    }
}
