import Events
import Foundation
import Hummingbird
import JOSE
import Ledger
import OAuth

/// The token endpoint (RFC 6749 §3.2): `authorization_code` (PKCE, single use) and `refresh_token`
/// (no rotation, SP-14), for authenticated confidential clients only (SP-09, SP-11), issuing
/// sender-constrained access tokens only (SP-10): DPoP-bound (RFC 9449, `token_type: DPoP`) when a
/// proof is sent, certificate-bound (RFC 8705, `token_type: Bearer` + `cnf.x5t#S256`) otherwise.
/// Responses carry `Cache-Control: no-store` (SP-42).
struct TokenEndpoint: Sendable {
    let env: ProtocolEnvironment
    let clients: ClientAuthenticator
    let dpop = DPoPProofValidator(context: .authorizationServer)

    var path: String { env.issuerPath + "/token" }

    func add(to router: Router<OPRequestContext>) {
        router.post(RouterPath(path)) { request, context in
            env.offeringDPoPNonce(request, try await self.token(request, context))
        }
        for method in [HTTPRequest.Method.get, .put, .delete, .patch] {
            router.on(RouterPath(path), method: method) { _, _ -> Response in
                throw OPHTTPError(
                    .methodNotAllowed, error: "invalid_request", description: "use POST at the token endpoint",
                    headers: [.allow: "POST"])
            }
        }
    }

    /// The sender constraint of the tokens about to be issued.
    struct Binding {
        var tokenType: String
        var confirmation: Confirmation
        var proofJKT: String?
    }

    func token(_ request: Request, _ context: OPRequestContext) async throws -> Response {
        let form = try await FormParameters.read(request, context: context, limit: context.maxUploadSize)
        let client = try await clients.authenticate(form, request: request, context: context)
        var evidence = client.evidence
        let binding = try senderConstraint(request, client: client, evidence: &evidence)
        let correlation = Correlation(interactionID: context.interactionID, requestID: nil)
        switch form["grant_type"] {
        case "authorization_code":
            return try await authorizationCode(form, client: client, binding: binding, evidence: evidence, correlation)
        case "refresh_token":
            return try await refresh(form, client: client, binding: binding, evidence: evidence, correlation)
        case "client_credentials":
            return try await clientCredentials(form, client: client, binding: binding, evidence: evidence, correlation)
        case nil:
            throw OAuthError(.invalidRequest, "grant_type is required")
        case let other?:
            // SP-08: never the password grant.
            throw OAuthError(.unsupportedGrantType, "grant_type \(other) is not supported")
        }
    }

    /// SP-10, DPOP-11, DPOP-15, MTLS-04: a DPoP proof binds to its key; without one a TLS client
    /// certificate binds; without either nothing is issued.
    func senderConstraint(
        _ request: Request, client: AuthenticatedClient, evidence: inout ClientEvidence
    ) throws
        -> Binding
    {
        let proofs = request.headers[values: .init("DPoP")!]
        if !proofs.isEmpty {
            let proof = try dpop.validate(
                headerValues: proofs, method: "POST", targetURI: env.issuer + "/token", nonces: env.dpopNonces,
                nowSeconds: env.nowSeconds)
            evidence.dpopProof = proof.proof
            evidence.dpopJTI = proof.jti
            evidence.dpopJKT = proof.jkt
            return Binding(tokenType: "DPoP", confirmation: Confirmation(jkt: proof.jkt), proofJKT: proof.jkt)
        }
        if client.record.dpopBoundAccessTokens {
            throw OAuthError(
                .invalidDPoPProof, "client \(client.record.clientID) requires DPoP-bound tokens: send a DPoP proof")
        }
        if let thumbprint = client.certificateThumbprint {
            return Binding(tokenType: "Bearer", confirmation: Confirmation(x5tS256: thumbprint), proofJKT: nil)
        }
        throw OAuthError(
            .invalidRequest,
            "access tokens are sender-constrained: send a DPoP proof or use a TLS client certificate (FAPI 2.0)")
    }

    func mint(_ client: AuthenticatedClient, binding: Binding, withRefresh: Bool) -> (MintedTokens, String, String?) {
        let now = env.nowMicros
        let access = SplitToken.mint(nowMicros: now)
        let refresh = withRefresh ? SplitToken.mint(nowMicros: now) : nil
        return (
            MintedTokens(
                accessTokenID: access.selector, accessTokenHash: access.secretHash,
                accessTokenExpiresAtMicros: now + env.lifetimes.accessTokenSeconds * 1_000_000,
                refreshTokenID: refresh?.selector, refreshTokenHash: refresh?.secretHash,
                tokenType: binding.tokenType, confirmation: binding.confirmation),
            access.value, refresh?.value
        )
    }

    func authorizationCode(
        _ form: [String: String], client: AuthenticatedClient, binding: Binding, evidence: ClientEvidence,
        _ correlation: Correlation
    ) async throws -> Response {
        guard let codeText = form["code"] else { throw OAuthError(.invalidRequest, "code is required") }
        guard let code = SplitToken.parse(codeText) else {
            throw OAuthError(.invalidGrant, "the authorization code is unknown")
        }
        let withRefresh = client.record.grantTypes.contains("refresh_token")
        let (tokens, accessToken, refreshToken) = mint(client, binding: binding, withRefresh: withRefresh)
        let outcome = try await env.ledger.execute(
            RedeemAuthorizationCode(
                codeID: code.selector, codeHash: code.secretHash, clientID: client.record.clientID,
                redirectURI: form["redirect_uri"], codeVerifier: form["code_verifier"], proofJKT: binding.proofJKT,
                tokens: tokens, idTokenIssued: true, evidence: evidence, correlation: correlation))
        let granted = try outcome.get()
        let scopes = granted.scope.split(separator: " ").map(String.init)
        let idToken = scopes.contains("openid") ? try makeIDToken(granted, client: client.record) : nil
        return try respond(
            TokenResponse(
                accessToken: try presentable(
                    accessToken, client: client.record, binding: binding, tokens: tokens,
                    view: GrantedTokensView(
                        subject: granted.subject, scope: granted.scope, authTimeMicros: granted.authTimeMicros,
                        acr: granted.acr, amr: granted.amr)),
                tokenType: tokens.tokenType, expiresIn: env.lifetimes.accessTokenSeconds,
                scope: granted.scope, refreshToken: refreshToken, idToken: idToken,
                grantID: granted.grantManagementAction == nil ? nil : granted.grantID))
    }

    func refresh(
        _ form: [String: String], client: AuthenticatedClient, binding: Binding, evidence: ClientEvidence,
        _ correlation: Correlation
    ) async throws -> Response {
        guard let text = form["refresh_token"] else { throw OAuthError(.invalidRequest, "refresh_token is required") }
        guard let presented = SplitToken.parse(text) else {
            throw OAuthError(.invalidGrant, "the refresh token is unknown")
        }
        let (tokens, accessToken, _) = mint(client, binding: binding, withRefresh: false)
        let granted = try await env.ledger.execute(
            RefreshAccessToken(
                refreshTokenID: presented.selector, refreshTokenHash: presented.secretHash,
                clientID: client.record.clientID, proofJKT: binding.proofJKT,
                certificateThumbprint: binding.tokenType == "Bearer" ? client.certificateThumbprint : nil,
                tokens: tokens, evidence: evidence, correlation: correlation))
        return try respond(
            TokenResponse(
                accessToken: try presentable(
                    accessToken, client: client.record, binding: binding, tokens: tokens,
                    view: GrantedTokensView(
                        subject: granted.subject, scope: granted.scope, authTimeMicros: nil, acr: nil, amr: [])),
                tokenType: tokens.tokenType, expiresIn: env.lifetimes.accessTokenSeconds,
                scope: granted.scope, refreshToken: nil, idToken: nil))
    }

    /// RFC 6749 §4.4: only for clients registered with the grant type; scopes among the client's
    /// registered ones (never `openid`: there is no user).
    func clientCredentials(
        _ form: [String: String], client: AuthenticatedClient, binding: Binding, evidence: ClientEvidence,
        _ correlation: Correlation
    ) async throws -> Response {
        guard client.record.grantTypes.contains("client_credentials") else {
            throw OAuthError(
                .unauthorizedClient, "client \(client.record.clientID) is not registered for client_credentials")
        }
        let registered = Set(client.record.scope?.split(separator: " ").map(String.init) ?? [])
        let requested = form["scope"].map { $0.split(separator: " ").map(String.init) } ?? Array(registered).sorted()
        if let bad = requested.first(where: { !registered.contains($0) }) {
            throw OAuthError(.invalidScope, "scope \(bad) is not registered for this client")
        }
        let (tokens, accessToken, _) = mint(client, binding: binding, withRefresh: false)
        var rng = SystemRandomNumberGenerator()
        let grantID = TimeOrderedID.make(timeMicros: env.nowMicros, using: &rng)
        try await env.ledger.execute(
            IssueClientCredentialsToken(
                clientID: client.record.clientID, grantID: grantID, scopes: requested, tokens: tokens,
                evidence: evidence, correlation: correlation))
        let scope = requested.joined(separator: " ")
        return try respond(
            TokenResponse(
                accessToken: try presentable(
                    accessToken, client: client.record, binding: binding, tokens: tokens,
                    view: GrantedTokensView(
                        subject: client.record.clientID, scope: scope, authTimeMicros: nil, acr: nil, amr: [])),
                tokenType: tokens.tokenType, expiresIn: env.lifetimes.accessTokenSeconds,
                scope: scope, refreshToken: nil, idToken: nil))
    }

    /// OIDC-01, OIDC-02, OIDC-05: `iss`, `sub`, `aud`, `exp`, `iat`, `auth_time`, `nonce` (when
    /// sent), `acr`, `amr`; signed with the client's `id_token_signed_response_alg` (ES256 default)
    /// and `kid` in the header.
    func makeIDToken(_ granted: GrantedTokens, client: ClientRecord) throws -> String {
        let algorithm: SigningAlgorithm = client.idTokenSigningAlgorithm == "PS256" ? .ps256 : .es256
        guard let key = env.signingKeys.current(algorithm) ?? env.signingKeys.current(.es256) else {
            throw OAuthError(.serverError, "no OP signing key is available")
        }
        let now = env.nowSeconds
        var claims: [String: JSONValue] = [
            "iss": .string(env.issuer), "aud": .string(client.clientID), "iat": .integer(now),
            "exp": .integer(now + env.lifetimes.idTokenSeconds),
        ]
        if let subject = granted.subject { claims["sub"] = .string(subject) }
        if let authTime = granted.authTimeMicros { claims["auth_time"] = .integer(authTime / 1_000_000) }
        if let nonce = granted.nonce { claims["nonce"] = .string(nonce) }
        if let acr = granted.acr, !acr.isEmpty { claims["acr"] = .string(acr) }
        if !granted.amr.isEmpty { claims["amr"] = .array(granted.amr.map { .string($0) }) }
        do {
            return try JWTSigner(key: key).sign(claims: claims, typ: "JWT")
        } catch {
            throw OAuthError(.serverError, "the ID token could not be signed")
        }
    }

    /// The access token as the client receives it: the split token itself, or an RFC 9068 JWT
    /// carrying it as `jti` when the client registered `access_token_format: jwt`.
    func presentable(
        _ split: String, client: ClientRecord, binding: Binding, tokens: MintedTokens, view: GrantedTokensView
    ) throws -> String {
        guard client.jwtAccessTokens else { return split }
        return try makeAccessTokenJWT(
            split, granted: view, client: client, binding: binding, expiresAtMicros: tokens.accessTokenExpiresAtMicros)
    }

    func respond(_ body: TokenResponse) throws -> Response {
        try JSONResponse.make(body.json, headers: [.cacheControl: "no-store", .init("Pragma")!: "no-cache"])
    }

    struct TokenResponse {
        var accessToken: String
        var tokenType: String
        var expiresIn: Int64
        var scope: String
        var refreshToken: String?
        var idToken: String?
        /// GM-05: only when the authorization request carried a `grant_management_action`.
        var grantID: String? = nil
        /// The response members (RFC 6749 §5.1; nil members left out).
        var json: JSONValue {
            var members: [String: JSONValue] = [
                "access_token": .string(accessToken), "token_type": .string(tokenType),
                "expires_in": .integer(expiresIn), "scope": .string(scope),
            ]
            if let refreshToken { members["refresh_token"] = .string(refreshToken) }
            if let idToken { members["id_token"] = .string(idToken) }
            if let grantID { members["grant_id"] = .string(grantID) }
            return .object(members)
        }

    }
}
