import Events
import OAuth
import Projection

/// New tokens minted by the token endpoint before the decision (only hashes reach the Ledger).
public struct MintedTokens: Sendable {
    public var accessTokenID: String
    public var accessTokenHash: String
    public var accessTokenExpiresAtMicros: Int64
    /// Absent when no refresh token is issued (no `offline_access`, or a refresh grant: no rotation, SP-14).
    public var refreshTokenID: String?
    public var refreshTokenHash: String?
    /// `DPoP` or `Bearer` (mTLS-bound).
    public var tokenType: String
    public var confirmation: Confirmation

    public init(
        accessTokenID: String, accessTokenHash: String, accessTokenExpiresAtMicros: Int64, refreshTokenID: String?,
        refreshTokenHash: String?, tokenType: String, confirmation: Confirmation
    ) {
        self.accessTokenID = accessTokenID
        self.accessTokenHash = accessTokenHash
        self.accessTokenExpiresAtMicros = accessTokenExpiresAtMicros
        self.refreshTokenID = refreshTokenID
        self.refreshTokenHash = refreshTokenHash
        self.tokenType = tokenType
        self.confirmation = confirmation
    }
}

/// What the token endpoint needs to answer (and to build the ID token).
public struct GrantedTokens: Sendable, Equatable {
    public var grantID: String
    public var subject: String?
    public var scope: String
    public var nonce: String?
    public var authTimeMicros: Int64?
    public var acr: String?
    public var amr: [String]
    /// GM-05: the `grant_management_action` of the authorization (then `grant_id` is returned).
    public var grantManagementAction: String? = nil
}

/// `grant_type=authorization_code`: redeems a code once (RFC 6749 §4.1.3, FAPI 2.0 SP).
///
/// A code presented a second time is reuse (SP-28): the answer is `invalid_grant`, and the grant —
/// with every token issued from it — is revoked (events `authorization.code_reused`, `grant.revoked`).
public struct RedeemAuthorizationCode: LedgerCommand {
    public let codeID: String
    public let codeHash: String
    public let clientID: String
    public let redirectURI: String?
    public let codeVerifier: String?
    /// Thumbprint of the DPoP proof's key, when a proof was sent.
    public let proofJKT: String?
    public let tokens: MintedTokens
    public let idTokenIssued: Bool
    public let evidence: ClientEvidence
    public let correlation: Correlation

    public init(
        codeID: String, codeHash: String, clientID: String, redirectURI: String?, codeVerifier: String?,
        proofJKT: String?, tokens: MintedTokens, idTokenIssued: Bool, evidence: ClientEvidence,
        correlation: Correlation
    ) {
        self.codeID = codeID
        self.codeHash = codeHash
        self.clientID = clientID
        self.redirectURI = redirectURI
        self.codeVerifier = codeVerifier
        self.proofJKT = proofJKT
        self.tokens = tokens
        self.idTokenIssued = idTokenIssued
        self.evidence = evidence
        self.correlation = correlation
    }

    public func decide(
        _ state: LiveState, _ context: DecisionContext
    ) throws -> Decision<
        Swift.Result<GrantedTokens, OAuthError>
    > {
        guard state.clients[clientID] == .active else {
            throw OAuthError(.invalidClient, "client \(clientID) is not registered or was removed")
        }
        let projection = try context.requireProjection()
        guard let code = try projection.code(codeID), ConstantTime.equal(code.codeHash, codeHash) else {
            throw OAuthError(.invalidGrant, "the authorization code is unknown")
        }
        // SP-43: a code is bound to the client it was issued to.
        guard code.clientID == clientID else {
            throw OAuthError(.invalidGrant, "the authorization code was issued to another client")
        }
        // SP-28: a second use revokes the grant and everything issued from it.
        if code.redeemedSequence != nil || state.protocolState.redeemedCodes[codeID] != nil {
            var events = [
                NewEvent(
                    stream: .grant(code.grantID), actor: .client(clientID), correlation: correlation,
                    body: .codeReused(CodeReused(codeID: codeID, clientID: clientID, grantID: code.grantID)))
            ]
            if try state.grantIsActive(code.grantID, context) {
                events.append(
                    NewEvent(
                        stream: .grant(code.grantID), actor: .system, correlation: correlation,
                        body: .grantRevoked(
                            GrantRevoked(
                                grantID: code.grantID, revokedBy: "code_reuse",
                                reason: "authorization code presented a second time"))))
            }
            return Decision(
                events: events,
                output: .failure(
                    OAuthError(
                        .invalidGrant,
                        "the authorization code was already used; every token issued from it is now revoked")))
        }
        // SP-16: codes live at most 60 s.
        guard code.expiresMicros > context.nowMicros else {
            throw OAuthError(.invalidGrant, "the authorization code has expired; start a new authorization")
        }
        // RFC 6749 §4.1.3: the redirect_uri of the request, identical.
        guard let redirectURI else {
            throw OAuthError(.invalidGrant, "redirect_uri is required: it was part of the authorization request")
        }
        guard redirectURI == code.redirectURI else {
            throw OAuthError(.invalidGrant, "redirect_uri does not match the one of the authorization request")
        }
        try PKCE.requireMatchingVerifier(codeVerifier, challenge: code.codeChallenge)
        // DPOP-13: a code bound to a DPoP key (dpop_jkt, or the proof at PAR) is redeemed with that key.
        if let bound = code.dpopJKT, bound != proofJKT {
            throw OAuthError(.invalidGrant, "the DPoP proof's key is not the key this code is bound to (dpop_jkt)")
        }
        guard try state.grantIsActive(code.grantID, context) else {
            throw OAuthError(.invalidGrant, "the grant behind this code was revoked")
        }
        try state.requireFreshJTIs(evidence, clientID: clientID, nowMicros: context.nowMicros)
        let issued = TokensIssued(
            grantID: code.grantID, clientID: clientID, subject: code.subject, grantType: "authorization_code",
            accessTokenID: tokens.accessTokenID, accessTokenHash: tokens.accessTokenHash,
            accessTokenExpiresAtMicros: tokens.accessTokenExpiresAtMicros, refreshTokenID: tokens.refreshTokenID,
            refreshTokenHash: tokens.refreshTokenHash, scope: code.scope, tokenType: tokens.tokenType,
            confirmation: tokens.confirmation, codeID: codeID, idTokenIssued: idTokenIssued, evidence: evidence)
        return Decision(
            events: [
                NewEvent(
                    stream: .grant(code.grantID), actor: .client(clientID), correlation: correlation,
                    body: .tokensIssued(issued))
            ],
            output: .success(
                GrantedTokens(
                    grantID: code.grantID, subject: code.subject, scope: code.scope, nonce: code.nonce,
                    authTimeMicros: code.authTimeMicros, acr: code.acr, amr: code.amr,
                    grantManagementAction: code.grantManagementAction)))
    }
}

/// `grant_type=refresh_token`: a new access token under the same grant, same sender constraint.
/// Refresh tokens are not rotated (SP-14: the client keeps using the same one).
public struct RefreshAccessToken: LedgerCommand {
    public let refreshTokenID: String
    public let refreshTokenHash: String
    public let clientID: String
    public let proofJKT: String?
    public let certificateThumbprint: String?
    public let tokens: MintedTokens
    public let evidence: ClientEvidence
    public let correlation: Correlation

    public init(
        refreshTokenID: String, refreshTokenHash: String, clientID: String, proofJKT: String?,
        certificateThumbprint: String?, tokens: MintedTokens, evidence: ClientEvidence, correlation: Correlation
    ) {
        self.refreshTokenID = refreshTokenID
        self.refreshTokenHash = refreshTokenHash
        self.clientID = clientID
        self.proofJKT = proofJKT
        self.certificateThumbprint = certificateThumbprint
        self.tokens = tokens
        self.evidence = evidence
        self.correlation = correlation
    }

    public func decide(_ state: LiveState, _ context: DecisionContext) throws -> Decision<GrantedTokens> {
        guard state.clients[clientID] == .active else {
            throw OAuthError(.invalidClient, "client \(clientID) is not registered or was removed")
        }
        let projection = try context.requireProjection()
        guard let token = try projection.token(refreshTokenID), token.kind == "refresh",
            ConstantTime.equal(token.tokenHash, refreshTokenHash)
        else {
            throw OAuthError(.invalidGrant, "the refresh token is unknown")
        }
        // SP-43: bound to its client.
        guard token.clientID == clientID else {
            throw OAuthError(.invalidGrant, "the refresh token was issued to another client")
        }
        guard token.active, state.protocolState.revokedRefreshTokens[refreshTokenID] == nil,
            try state.grantIsActive(token.grantID, context)
        else {
            throw OAuthError(.invalidGrant, "the refresh token was revoked")
        }
        // GM-03: a merge or replace of the grant, decided but not yet projected, already voids every
        // refresh token a client can present for it (see `ProtocolState.updatedGrants`).
        guard state.protocolState.updatedGrants[token.grantID] == nil else {
            throw OAuthError(
                .invalidGrant, "the grant was merged or replaced; use the refresh token issued with that change")
        }
        // DPOP-12 / RFC 8705 §3: the sender constraint carries over.
        if let jkt = token.cnfJKT, jkt != proofJKT {
            throw OAuthError(.invalidGrant, "the DPoP proof's key is not the key this refresh token is bound to")
        }
        if let x5t = token.cnfX5tS256, x5t != certificateThumbprint {
            throw OAuthError(.invalidGrant, "the TLS client certificate is not the one this refresh token is bound to")
        }
        try state.requireFreshJTIs(evidence, clientID: clientID, nowMicros: context.nowMicros)
        let issued = TokensIssued(
            grantID: token.grantID, clientID: clientID, subject: token.subject, grantType: "refresh_token",
            accessTokenID: tokens.accessTokenID, accessTokenHash: tokens.accessTokenHash,
            accessTokenExpiresAtMicros: tokens.accessTokenExpiresAtMicros, refreshTokenID: nil,
            refreshTokenHash: nil, scope: token.scope, tokenType: tokens.tokenType, confirmation: tokens.confirmation,
            codeID: nil, presentedRefreshTokenID: refreshTokenID, idTokenIssued: false, evidence: evidence)
        return Decision(
            events: [
                NewEvent(
                    stream: .grant(token.grantID), actor: .client(clientID), correlation: correlation,
                    body: .tokensIssued(issued))
            ],
            output: GrantedTokens(
                grantID: token.grantID, subject: token.subject, scope: token.scope, nonce: nil, authTimeMicros: nil,
                acr: nil, amr: []))
    }
}

/// RFC 7009 revocation by the client the token was issued to. Unknown tokens and tokens of other
/// clients change nothing (REV-02: the answer is 200 either way). Revoking a refresh token revokes
/// its grant and every access token of it (REV-04).
public struct RevokeToken: LedgerCommand {
    public let tokenID: String
    public let tokenHash: String
    public let clientID: String
    public let correlation: Correlation

    public init(tokenID: String, tokenHash: String, clientID: String, correlation: Correlation) {
        self.tokenID = tokenID
        self.tokenHash = tokenHash
        self.clientID = clientID
        self.correlation = correlation
    }

    /// True when something was revoked.
    public func decide(_ state: LiveState, _ context: DecisionContext) throws -> Decision<Bool> {
        let projection = try context.requireProjection()
        guard let token = try projection.token(tokenID), ConstantTime.equal(token.tokenHash, tokenHash),
            token.clientID == clientID, token.active
        else {
            return Decision(events: [], output: false)
        }
        if token.kind == "refresh" {
            guard try state.grantIsActive(token.grantID, context) else {
                return Decision(events: [], output: false)
            }
            return Decision(
                events: [
                    NewEvent(
                        stream: .grant(token.grantID), actor: .client(clientID), correlation: correlation,
                        body: .grantRevoked(
                            GrantRevoked(
                                grantID: token.grantID, revokedBy: "client",
                                reason: "refresh token revoked by the client (RFC 7009)")))
                ], output: true)
        }
        return Decision(
            events: [
                NewEvent(
                    stream: .grant(token.grantID), actor: .client(clientID), correlation: correlation,
                    body: .tokenRevoked(
                        TokenRevoked(
                            tokenID: tokenID, kind: token.kind, clientID: clientID, grantID: token.grantID,
                            revokedBy: "client")))
            ], output: true)
    }
}

/// `grant_type=client_credentials` (RFC 6749 §4.4): the client acts for itself. Each issuance is a
/// grant of the client to itself (`sub` = client_id, as RFC 9068 §2.2 puts it), so that revocation
/// and audit work the same as for user grants.
public struct IssueClientCredentialsToken: LedgerCommand {
    public let clientID: String
    public let grantID: String
    public let scopes: [String]
    public let tokens: MintedTokens
    public let evidence: ClientEvidence
    public let correlation: Correlation

    public init(
        clientID: String, grantID: String, scopes: [String], tokens: MintedTokens, evidence: ClientEvidence,
        correlation: Correlation
    ) {
        self.clientID = clientID
        self.grantID = grantID
        self.scopes = scopes
        self.tokens = tokens
        self.evidence = evidence
        self.correlation = correlation
    }

    public func decide(_ state: LiveState, _ context: DecisionContext) throws -> Decision<Void> {
        guard state.clients[clientID] == .active else {
            throw OAuthError(.invalidClient, "client \(clientID) is not registered or was removed")
        }
        try state.requireFreshJTIs(evidence, clientID: clientID, nowMicros: context.nowMicros)
        let scope = scopes.joined(separator: " ")
        return Decision(
            events: [
                NewEvent(
                    stream: .grant(grantID), actor: .client(clientID), correlation: correlation,
                    body: .grantCreated(
                        GrantCreated(
                            grantID: grantID, clientID: clientID, subject: clientID, scopes: scopes,
                            authorizationDetails: nil))),
                NewEvent(
                    stream: .grant(grantID), actor: .client(clientID), correlation: correlation,
                    body: .tokensIssued(
                        TokensIssued(
                            grantID: grantID, clientID: clientID, subject: clientID, grantType: "client_credentials",
                            accessTokenID: tokens.accessTokenID, accessTokenHash: tokens.accessTokenHash,
                            accessTokenExpiresAtMicros: tokens.accessTokenExpiresAtMicros, refreshTokenID: nil,
                            refreshTokenHash: nil, scope: scope, tokenType: tokens.tokenType,
                            confirmation: tokens.confirmation, codeID: nil, idTokenIssued: false,
                            evidence: evidence))),
            ], output: ())
    }
}
