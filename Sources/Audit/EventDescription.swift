import Events

/// What an event says, for people: one sentence and its facts in reading order. Secrets are never
/// here because they are never in the journal: codes, tokens and `request_uri`s appear as their
/// selector and the SHA-256 of their secret part.
enum EventDescription {
    typealias Fact = AuditReport.Fact

    static func describe(_ event: RecordedEvent) -> (summary: String, facts: [Fact]) {
        func time(_ micros: Int64) -> String { isoTime(micros) }
        func optional(_ name: String, _ value: String?) -> [Fact] { value.map { [Fact(name, $0)] } ?? [] }
        switch event.body {
        case .signingKeyAdded(let p):
            return ("OP signing key \(p.kid) added", [Fact("kid", p.kid), Fact("algorithm", p.algorithm)])
        case .signingKeyRetired(let p):
            return ("OP signing key \(p.kid) retired", [Fact("kid", p.kid), Fact("reason", p.reason)])
        case .clientRegistered(let p):
            return (
                "client \(p.clientID) registered (via \(p.via))",
                [Fact("client_id", p.clientID), Fact("via", p.via), Fact("metadata", p.metadata)]
            )
        case .clientUpdated(let p):
            return (
                "client \(p.clientID) metadata replaced", [Fact("client_id", p.clientID), Fact("metadata", p.metadata)]
            )
        case .clientRemoved(let p):
            return ("client \(p.clientID) removed", [Fact("client_id", p.clientID), Fact("reason", p.reason)])
        case .userAdded(let p):
            return (
                "user \(p.username) added as subject \(p.subject)",
                [Fact("subject", p.subject), Fact("username", p.username)]
            )
        case .parPushed(let p):
            return (
                "client \(p.clientID) pushed an authorization request (PAR) for scope \"\(p.scope)\"",
                [
                    Fact("client_id", p.clientID), Fact("interaction (request id)", p.requestID),
                    Fact("request_uri secret SHA-256", p.requestURIHash), Fact("scope", p.scope),
                    Fact("redirect_uri", p.redirectURI), Fact("response_type", p.responseType ?? "code"),
                    Fact("code_challenge", "\(p.codeChallenge) (\(p.codeChallengeMethod))"),
                    Fact("expires", time(p.expiresAtMicros)),
                ] + optional("state", p.state) + optional("nonce", p.nonce) + optional("dpop_jkt", p.dpopJKT)
                    + optional("acr_values", p.acrValues) + optional("essential acr", p.essentialACR)
                    + optional("claims", p.claims) + optional("prompt", p.prompt)
                    + optional("max_age", p.maxAgeSeconds.map(String.init))
                    + optional("authorization_details", p.authorizationDetails)
                    + optional("client authentication", p.evidence?.authMethod)
                    + optional("client certificate x5t#S256", p.evidence?.certificateThumbprint)
            )
        case .authorizationRejected(let p):
            return (
                "authorization request refused at \(p.endpoint): \(p.error)",
                optional("client_id", p.clientID) + optional("interaction (request id)", p.requestID) + [
                    Fact("error", p.error), Fact("error_description", p.errorDescription),
                ] + optional("parameters", p.parameters) + optional("client authentication", p.evidence?.authMethod)
            )
        case .userAuthenticated(let p):
            return (
                "subject \(p.subject) authenticated with acr \(p.acr), amr \(p.amr.joined(separator: "+"))",
                [
                    Fact("subject", p.subject), Fact("acr", p.acr), Fact("amr", p.amr.joined(separator: " ")),
                    Fact("auth_time", time(p.authTimeMicros)), Fact("session", p.sessionID),
                    Fact("session secret SHA-256", p.sessionHash),
                    Fact("session expires", time(p.sessionExpiresAtMicros)),
                ] + optional("interaction (request id)", p.requestID)
                    + optional("TOTP time step", p.totpStep.map(String.init))
            )
        case .authenticationFailed(let p):
            return (
                "login failed for \(p.username): \(p.reason)",
                [Fact("username", p.username), Fact("reason", p.reason)] + optional("subject", p.subject)
                    + optional("interaction (request id)", p.requestID)
            )
        case .consentGiven(let p):
            return (
                "subject \(p.subject) approved \(p.scopesApproved.joined(separator: " ")) for \(p.clientName)",
                [
                    Fact("consent page showed client", p.clientName), Fact("client_id", p.clientID),
                    Fact("consent page showed scopes", p.scopesShown.joined(separator: " ")),
                    Fact("scopes approved", p.scopesApproved.joined(separator: " ")),
                ] + optional("authorization_details shown and approved", p.authorizationDetails) + [
                    Fact("subject", p.subject), Fact("grant created", p.grantID),
                    Fact("interaction (request id)", p.requestID),
                ]
            )
        case .consentDenied(let p):
            return (
                "consent denied for \(p.clientName)",
                [
                    Fact("consent page showed client", p.clientName), Fact("client_id", p.clientID),
                    Fact("consent page showed scopes", p.scopesShown.joined(separator: " ")),
                    Fact("interaction (request id)", p.requestID),
                ] + optional("subject", p.subject)
            )
        case .grantCreated(let p):
            return (
                "grant \(p.grantID) created: \(p.scopes.joined(separator: " ")) for client \(p.clientID)",
                [
                    Fact("grant", p.grantID), Fact("client_id", p.clientID), Fact("subject", p.subject),
                    Fact("scopes", p.scopes.joined(separator: " ")),
                ] + optional("authorization_details", p.authorizationDetails)
            )
        case .codeIssued(let p):
            return (
                "authorization code \(p.codeID) issued to \(p.clientID)",
                [
                    Fact("code", p.codeID), Fact("code secret SHA-256", p.codeHash), Fact("client_id", p.clientID),
                    Fact("subject", p.subject), Fact("grant", p.grantID), Fact("scope", p.scope),
                    Fact("redirect_uri", p.redirectURI), Fact("acr", p.acr), Fact("amr", p.amr.joined(separator: " ")),
                    Fact("auth_time", time(p.authTimeMicros)), Fact("expires", time(p.expiresAtMicros)),
                ] + optional("dpop_jkt", p.dpopJKT) + optional("interaction (request id)", p.requestID)
                    + optional("session", p.sessionID)
            )
        case .tokensIssued(let p):
            let what = p.refreshTokenID == nil ? "access token" : "access and refresh tokens"
            return (
                "\(what) issued to \(p.clientID) (\(p.grantType))",
                [
                    Fact("grant_type", p.grantType), Fact("grant", p.grantID), Fact("client_id", p.clientID),
                ] + optional("subject", p.subject) + [
                    Fact("access token", p.accessTokenID), Fact("access token secret SHA-256", p.accessTokenHash),
                    Fact("access token expires", time(p.accessTokenExpiresAtMicros)),
                ] + optional("refresh token", p.refreshTokenID)
                    + optional("refresh token secret SHA-256", p.refreshTokenHash) + [
                        Fact("scope", p.scope), Fact("token_type", p.tokenType),
                    ] + optional("bound to DPoP key (jkt)", p.confirmation.jkt)
                    + optional("bound to certificate (x5t#S256)", p.confirmation.x5tS256)
                    + optional("code redeemed", p.codeID)
                    + optional("refresh token presented", p.presentedRefreshTokenID)
                    + optional("ID token issued", p.idTokenIssued.map { $0 ? "yes" : "no" })
                    + optional("client authentication", p.evidence?.authMethod)
                    + optional("client certificate x5t#S256", p.evidence?.certificateThumbprint)
            )
        case .codeReused(let p):
            return (
                "authorization code \(p.codeID) presented again by \(p.clientID): grant revoked",
                [Fact("code", p.codeID), Fact("client_id", p.clientID), Fact("grant", p.grantID)]
            )
        case .tokenRevoked(let p):
            return (
                "\(p.kind) token \(p.tokenID) revoked by \(p.revokedBy)",
                [
                    Fact("token", p.tokenID), Fact("kind", p.kind), Fact("client_id", p.clientID),
                    Fact("grant", p.grantID), Fact("revoked by", p.revokedBy),
                ]
            )
        case .grantRevoked(let p):
            return (
                "grant \(p.grantID) revoked by \(p.revokedBy)",
                [Fact("grant", p.grantID), Fact("revoked by", p.revokedBy), Fact("reason", p.reason)]
            )
        case .grantUpdated(let p):
            return (
                "user \(p.subject) approved a \(p.action) of grant \(p.grantID) for client \(p.clientID)",
                [
                    Fact("grant", p.grantID), Fact("client_id", p.clientID), Fact("subject", p.subject),
                    Fact("action", p.action), Fact("scopes before", p.scopesBefore.joined(separator: " ")),
                    Fact("scopes after", p.scopesAfter.joined(separator: " ")),
                    Fact("interaction (request id)", p.requestID),
                ]
            )
        case .clientJWKSFetched(let p):
            return (
                "the OP fetched client \(p.clientID)'s key set from its jwks_uri",
                [
                    Fact("client_id", p.clientID), Fact("jwks_uri", p.jwksURI), Fact("SHA-256", p.digest),
                    Fact("jwks", p.jwks),
                ]
            )
        }
    }
}
