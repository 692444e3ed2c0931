// Events of an interaction between the PAR push and the code: authentication, consent, rejections,
// and of a token's later life. Secrets appear only as SHA-256 hashes of split tokens' secret parts.

/// How a client authenticated one request, with the signed artifacts verbatim, so that the audit tool
/// can re-verify them against the keys the client had registered at that time (non-repudiation).
public struct ClientEvidence: Codable, Sendable, Equatable {
    /// `private_key_jwt`, `tls_client_auth`, `self_signed_tls_client_auth`.
    public var authMethod: String
    /// The client assertion (RFC 7523), verbatim.
    public var clientAssertion: String?
    /// Its `jti` and `exp` (µs): the Ledger refuses a replayed `jti` until then (CA-05).
    public var assertionJTI: String?
    public var assertionExpiresAtMicros: Int64?
    /// `x5t#S256` of the TLS client certificate presented.
    public var certificateThumbprint: String?
    /// The DPoP proof (RFC 9449), verbatim, its `jti` and the thumbprint of its key.
    public var dpopProof: String?
    public var dpopJTI: String?
    public var dpopJKT: String?

    public init(
        authMethod: String, clientAssertion: String? = nil, assertionJTI: String? = nil,
        assertionExpiresAtMicros: Int64? = nil, certificateThumbprint: String? = nil, dpopProof: String? = nil,
        dpopJTI: String? = nil, dpopJKT: String? = nil
    ) {
        self.authMethod = authMethod
        self.clientAssertion = clientAssertion
        self.assertionJTI = assertionJTI
        self.assertionExpiresAtMicros = assertionExpiresAtMicros
        self.certificateThumbprint = certificateThumbprint
        self.dpopProof = dpopProof
        self.dpopJTI = dpopJTI
        self.dpopJKT = dpopJKT
    }
}

/// `authorization.rejected` v1 — an authorization request (at PAR or at the authorization endpoint)
/// was refused. Changes no state; recorded so that a dispute can see what was asked and why it failed.
public struct AuthorizationRejected: Codable, Sendable, Equatable {
    /// `par` or `authorize`.
    public var endpoint: String
    public var clientID: String?
    /// The pushed request concerned, when known.
    public var requestID: String?
    public var error: String
    public var errorDescription: String
    /// The request's parameters as received (JSON object text), without secrets (`request_uri`,
    /// `code_verifier` and `client_assertion` are never in here; the assertion is in `evidence`).
    public var parameters: String?
    public var evidence: ClientEvidence?

    public init(
        endpoint: String, clientID: String?, requestID: String?, error: String, errorDescription: String,
        parameters: String?, evidence: ClientEvidence?
    ) {
        self.endpoint = endpoint
        self.clientID = clientID
        self.requestID = requestID
        self.error = error
        self.errorDescription = errorDescription
        self.parameters = parameters
        self.evidence = evidence
    }
}

/// `user.authenticated` v1 — an end user proved who they are; an SSO session began.
public struct UserAuthenticated: Codable, Sendable, Equatable {
    public var subject: String
    /// Selector and SHA-256 of the session cookie's secret part (`selector.secret`).
    public var sessionID: String
    public var sessionHash: String
    public var sessionExpiresAtMicros: Int64
    /// Authentication context class reached (password only, or SCA).
    public var acr: String
    /// Methods used (RFC 8176): `pwd`, `otp`.
    public var amr: [String]
    public var authTimeMicros: Int64
    /// The pushed request being served when the user logged in.
    public var requestID: String?
    /// The RFC 6238 time step of the one-time password used; a step is never accepted twice.
    public var totpStep: Int64?

    public init(
        subject: String, sessionID: String, sessionHash: String, sessionExpiresAtMicros: Int64, acr: String,
        amr: [String], authTimeMicros: Int64, requestID: String?, totpStep: Int64?
    ) {
        self.subject = subject
        self.sessionID = sessionID
        self.sessionHash = sessionHash
        self.sessionExpiresAtMicros = sessionExpiresAtMicros
        self.acr = acr
        self.amr = amr
        self.authTimeMicros = authTimeMicros
        self.requestID = requestID
        self.totpStep = totpStep
    }
}

/// `user.authentication_failed` v1 — a login or one-time-password attempt failed.
public struct AuthenticationFailed: Codable, Sendable, Equatable {
    /// The username typed (the subject when known).
    public var username: String
    public var subject: String?
    /// `unknown_user`, `bad_password`, `bad_otp`, `otp_replayed`.
    public var reason: String
    public var requestID: String?

    public init(username: String, subject: String?, reason: String, requestID: String?) {
        self.username = username
        self.subject = subject
        self.reason = reason
        self.requestID = requestID
    }
}

/// `consent.given` v1 — exactly what the consent page showed and what the user approved.
public struct ConsentGiven: Codable, Sendable, Equatable {
    public var requestID: String
    public var subject: String
    public var clientID: String
    /// The client name as shown on the page.
    public var clientName: String
    public var scopesShown: [String]
    public var scopesApproved: [String]
    public var authorizationDetails: String?
    /// The grant the approval created (or, with `merge` / `replace`, changed).
    public var grantID: String
    /// GM-02: the grant management action shown on the page (`create`, `merge`, `replace`), when sent.
    public var grantManagementAction: String?

    public init(
        requestID: String, subject: String, clientID: String, clientName: String, scopesShown: [String],
        scopesApproved: [String], authorizationDetails: String?, grantID: String, grantManagementAction: String? = nil
    ) {
        self.grantManagementAction = grantManagementAction
        self.requestID = requestID
        self.subject = subject
        self.clientID = clientID
        self.clientName = clientName
        self.scopesShown = scopesShown
        self.scopesApproved = scopesApproved
        self.authorizationDetails = authorizationDetails
        self.grantID = grantID
    }
}

/// `consent.denied` v1 — the user refused (or cancelled) on the consent or login page.
public struct ConsentDenied: Codable, Sendable, Equatable {
    public var requestID: String
    public var subject: String?
    public var clientID: String
    public var clientName: String
    public var scopesShown: [String]

    public init(requestID: String, subject: String?, clientID: String, clientName: String, scopesShown: [String]) {
        self.requestID = requestID
        self.subject = subject
        self.clientID = clientID
        self.clientName = clientName
        self.scopesShown = scopesShown
    }
}

/// `authorization.code_reused` v1 — a redeemed code was presented again (SP-28): the grant is revoked.
public struct CodeReused: Codable, Sendable, Equatable {
    public var codeID: String
    public var clientID: String
    public var grantID: String

    public init(codeID: String, clientID: String, grantID: String) {
        self.codeID = codeID
        self.clientID = clientID
        self.grantID = grantID
    }
}

/// `token.revoked` v1 — one token was revoked (RFC 7009).
public struct TokenRevoked: Codable, Sendable, Equatable {
    public var tokenID: String
    /// `access` or `refresh`.
    public var kind: String
    public var clientID: String
    public var grantID: String
    /// `client`, `end_user`, `operator`.
    public var revokedBy: String

    public init(tokenID: String, kind: String, clientID: String, grantID: String, revokedBy: String) {
        self.tokenID = tokenID
        self.kind = kind
        self.clientID = clientID
        self.grantID = grantID
        self.revokedBy = revokedBy
    }
}
