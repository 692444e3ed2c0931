/// An OAuth 2.0 / OpenID Connect protocol error: the `error` code, the `error_description` the
/// client sees, and the HTTP status the specification names for the endpoint that raises it.
///
/// Every protocol check in this module throws one of these; the server renders it as
/// `{"error": …, "error_description": …}` (RFC 6749 §5.2) or, at the authorization endpoint, as a
/// redirect with `error`, `error_description`, `iss` and `state` (RFC 6749 §4.1.2.1, RFC 9207).
///
/// ```swift
/// guard form["code_verifier"] != nil else {
///     throw OAuthError(.invalidGrant, "code_verifier is required (PKCE, RFC 7636 §4.5)")
/// }
/// ```
public struct OAuthError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The registered error codes the OP uses (RFC 6749, 6750, 7009, 7591, 9101, 9126, 9396, 9449, CIBA).
    public enum Code: String, Sendable, CaseIterable {
        case invalidRequest = "invalid_request"
        case invalidClient = "invalid_client"
        case invalidGrant = "invalid_grant"
        case unauthorizedClient = "unauthorized_client"
        case unsupportedGrantType = "unsupported_grant_type"
        case unsupportedResponseType = "unsupported_response_type"
        case invalidScope = "invalid_scope"
        case accessDenied = "access_denied"
        case serverError = "server_error"
        case temporarilyUnavailable = "temporarily_unavailable"
        case invalidRequestURI = "invalid_request_uri"
        case invalidRequestObject = "invalid_request_object"
        case requestURINotSupported = "request_uri_not_supported"
        case invalidDPoPProof = "invalid_dpop_proof"
        case useDPoPNonce = "use_dpop_nonce"
        case invalidToken = "invalid_token"
        case insufficientScope = "insufficient_scope"
        case unsupportedTokenType = "unsupported_token_type"
        case invalidClientMetadata = "invalid_client_metadata"
        case invalidRedirectURI = "invalid_redirect_uri"
        case invalidAuthorizationDetails = "invalid_authorization_details"
        case loginRequired = "login_required"
        case consentRequired = "consent_required"
        /// Grant Management §5.4 (GM-04): unknown grant, another client's, or another user's.
        case invalidGrantID = "invalid_grant_id"
    }

    public var code: Code
    /// Human-readable, actionable: what was wrong, which parameter, what to do. ASCII only.
    public var description: String
    /// The HTTP status; defaults to the one RFC 6749 §5.2 and the extension RFCs give the code.
    public var status: Int
    /// Extra response headers (`WWW-Authenticate`, `DPoP-Nonce`).
    public var headers: [(name: String, value: String)]

    public init(_ code: Code, _ description: String, status: Int? = nil, headers: [(name: String, value: String)] = [])
    {
        self.code = code
        self.description = description
        self.status = status ?? Self.defaultStatus(code)
        self.headers = headers
    }

    /// 401 for failed client authentication and bad bearer/DPoP tokens, 403 for insufficient scope,
    /// 503 when temporarily unavailable, 500 for server errors, 400 for everything else.
    public static func defaultStatus(_ code: Code) -> Int {
        switch code {
        case .invalidClient, .invalidToken: 401
        case .insufficientScope: 403
        case .serverError: 500
        case .temporarilyUnavailable: 503
        default: 400
        }
    }

    public static func == (a: OAuthError, b: OAuthError) -> Bool {
        a.code == b.code && a.description == b.description && a.status == b.status
            && a.headers.map(\.name) == b.headers.map(\.name) && a.headers.map(\.value) == b.headers.map(\.value)
    }
}
