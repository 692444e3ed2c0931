// The OAuth/OpenID protocol events. Every secret (request_uri, code, token) is `selector.secret`:
// the selector (a `TimeOrderedID`, not secret) keys the projection's rows; the secret appears only as
// its SHA-256 (base64url), so a stolen journal gives no one a working credential.

/// `par.pushed` v1 — a client pushed an authorization request (RFC 9126) and got a `request_uri`.
public struct ParPushed: Codable, Sendable, Equatable {
    public var clientID: String
    /// The selector part of the `request_uri` (time-ordered, not secret).
    public var requestID: String
    /// SHA-256 (base64url) of the secret part of the `request_uri`.
    public var requestURIHash: String
    public var expiresAtMicros: Int64
    public var scope: String
    public var redirectURI: String
    public var codeChallenge: String
    public var codeChallengeMethod: String
    public var state: String?
    public var nonce: String?
    public var dpopJKT: String?
    /// The signed request object (JAR), verbatim, when there was one.
    public var requestObject: String?
    /// `response_type` as validated (`code`).
    public var responseType: String?
    /// `acr_values` as sent (space-separated, in order of preference).
    public var acrValues: String?
    /// An `acr` the client marked essential in the `claims` parameter (OIDC §5.5.1.1): satisfied or refused.
    public var essentialACR: String?
    /// The `claims` request parameter (JSON text), when sent.
    public var claims: String?
    /// `prompt`, when sent.
    public var prompt: String?
    /// `max_age` in seconds, when sent.
    public var maxAgeSeconds: Int64?
    /// RFC 9396 `authorization_details` (JSON text), when sent.
    public var authorizationDetails: String?
    /// How the client authenticated, with its signed evidence verbatim.
    public var evidence: ClientEvidence?
    /// GM-02: `grant_management_action` (`create`, `merge`, `replace`), when sent.
    public var grantManagementAction: String?
    /// GM-02: the grant to merge into or replace (`merge`, `replace` only).
    public var grantID: String?

    public init(
        clientID: String, requestID: String, requestURIHash: String, expiresAtMicros: Int64, scope: String,
        redirectURI: String,
        codeChallenge: String, codeChallengeMethod: String, state: String?, nonce: String?, dpopJKT: String?,
        requestObject: String?, acrValues: String? = nil, essentialACR: String? = nil, claims: String? = nil,
        prompt: String? = nil, maxAgeSeconds: Int64? = nil, authorizationDetails: String? = nil,
        evidence: ClientEvidence? = nil, responseType: String? = nil, grantManagementAction: String? = nil,
        grantID: String? = nil
    ) {
        self.grantManagementAction = grantManagementAction
        self.grantID = grantID
        self.responseType = responseType
        self.acrValues = acrValues
        self.essentialACR = essentialACR
        self.claims = claims
        self.prompt = prompt
        self.maxAgeSeconds = maxAgeSeconds
        self.authorizationDetails = authorizationDetails
        self.evidence = evidence
        self.clientID = clientID
        self.requestID = requestID
        self.requestURIHash = requestURIHash
        self.expiresAtMicros = expiresAtMicros
        self.scope = scope
        self.redirectURI = redirectURI
        self.codeChallenge = codeChallenge
        self.codeChallengeMethod = codeChallengeMethod
        self.state = state
        self.nonce = nonce
        self.dpopJKT = dpopJKT
        self.requestObject = requestObject
    }
}

/// `authorization.code_issued` v1 — the user authenticated and consented; a code went to the client.
public struct CodeIssued: Codable, Sendable, Equatable {
    public var clientID: String
    public var subject: String
    public var grantID: String
    /// Selector of the code (time-ordered, not secret).
    public var codeID: String
    /// SHA-256 (base64url) of the code's secret part.
    public var codeHash: String
    public var expiresAtMicros: Int64
    public var scope: String
    public var redirectURI: String
    public var dpopJKT: String?
    public var authTimeMicros: Int64
    public var acr: String
    public var amr: [String]
    /// The pushed request this code answers (selector of its `request_uri`).
    public var requestID: String?
    /// PKCE (RFC 7636): the S256 challenge the verifier must match at the token endpoint.
    public var codeChallenge: String?
    /// The `nonce` to echo in the ID token.
    public var nonce: String?
    /// The SSO session the user authenticated in.
    public var sessionID: String?
    /// GM-05: the `grant_management_action` of the request; the token response then carries `grant_id`.
    public var grantManagementAction: String?

    public init(
        clientID: String, subject: String, grantID: String, codeID: String, codeHash: String, expiresAtMicros: Int64,
        scope: String, redirectURI: String, dpopJKT: String?, authTimeMicros: Int64, acr: String, amr: [String],
        requestID: String? = nil, codeChallenge: String? = nil, nonce: String? = nil, sessionID: String? = nil,
        grantManagementAction: String? = nil
    ) {
        self.grantManagementAction = grantManagementAction
        self.requestID = requestID
        self.codeChallenge = codeChallenge
        self.nonce = nonce
        self.sessionID = sessionID
        self.clientID = clientID
        self.subject = subject
        self.grantID = grantID
        self.codeID = codeID
        self.codeHash = codeHash
        self.expiresAtMicros = expiresAtMicros
        self.scope = scope
        self.redirectURI = redirectURI
        self.dpopJKT = dpopJKT
        self.authTimeMicros = authTimeMicros
        self.acr = acr
        self.amr = amr
    }
}

/// `grant.created` v1 — what the user granted to the client (the unit a customer later revokes).
public struct GrantCreated: Codable, Sendable, Equatable {
    public var grantID: String
    public var clientID: String
    public var subject: String
    public var scopes: [String]
    /// RFC 9396 authorization_details as JSON text, when present.
    public var authorizationDetails: String?

    public init(
        grantID: String, clientID: String, subject: String, scopes: [String], authorizationDetails: String?
    ) {
        self.grantID = grantID
        self.clientID = clientID
        self.subject = subject
        self.scopes = scopes
        self.authorizationDetails = authorizationDetails
    }
}

/// The sender constraint of a token (RFC 9449 `jkt` or RFC 8705 `x5t#S256`).
public struct Confirmation: Codable, Sendable, Equatable {
    public var jkt: String?
    public var x5tS256: String?

    public init(jkt: String? = nil, x5tS256: String? = nil) {
        self.jkt = jkt
        self.x5tS256 = x5tS256
    }
}

/// `token.issued` v1 — the token endpoint issued an access token (and maybe a refresh token).
public struct TokensIssued: Codable, Sendable, Equatable {
    public var grantID: String
    public var clientID: String
    public var subject: String?
    /// `authorization_code`, `refresh_token`, `client_credentials`, `urn:openid:params:grant-type:ciba`.
    public var grantType: String
    /// Selector and secret hash of the access token (`selector.secret`).
    public var accessTokenID: String
    public var accessTokenHash: String
    public var accessTokenExpiresAtMicros: Int64
    public var refreshTokenID: String?
    public var refreshTokenHash: String?
    public var scope: String
    /// `DPoP` or `Bearer` (mTLS-bound).
    public var tokenType: String
    public var confirmation: Confirmation
    /// The code redeemed (its selector), for `authorization_code`.
    public var codeID: String?
    /// The refresh token presented (its selector), for `refresh_token`.
    public var presentedRefreshTokenID: String?
    /// Whether an ID token was issued with these tokens.
    public var idTokenIssued: Bool?
    /// How the client authenticated, with its signed evidence (client assertion, DPoP proof) verbatim.
    public var evidence: ClientEvidence?

    public init(
        grantID: String, clientID: String, subject: String?, grantType: String, accessTokenID: String,
        accessTokenHash: String, accessTokenExpiresAtMicros: Int64, refreshTokenID: String?, refreshTokenHash: String?,
        scope: String, tokenType: String, confirmation: Confirmation, codeID: String?,
        presentedRefreshTokenID: String? = nil, idTokenIssued: Bool? = nil, evidence: ClientEvidence? = nil
    ) {
        self.presentedRefreshTokenID = presentedRefreshTokenID
        self.idTokenIssued = idTokenIssued
        self.evidence = evidence
        self.grantID = grantID
        self.clientID = clientID
        self.subject = subject
        self.grantType = grantType
        self.accessTokenID = accessTokenID
        self.accessTokenHash = accessTokenHash
        self.accessTokenExpiresAtMicros = accessTokenExpiresAtMicros
        self.refreshTokenID = refreshTokenID
        self.refreshTokenHash = refreshTokenHash
        self.scope = scope
        self.tokenType = tokenType
        self.confirmation = confirmation
        self.codeID = codeID
    }
}

/// `grant.revoked` v1 — a grant and every token issued under it stop working.
public struct GrantRevoked: Codable, Sendable, Equatable {
    public var grantID: String
    /// `client`, `end_user`, `operator`, `grant_management`, `code_reuse`.
    public var revokedBy: String
    public var reason: String

    public init(grantID: String, revokedBy: String, reason: String) {
        self.grantID = grantID
        self.revokedBy = revokedBy
        self.reason = reason
    }
}
