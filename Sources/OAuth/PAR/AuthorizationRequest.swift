import Foundation

/// A pushed authorization request that passed every stateless check (RFC 9126 §2.1, FAPI 2.0 SP
/// §5.3.2.2): what the OP journals and later completes at the authorization endpoint.
public struct AuthorizationRequest: Sendable, Equatable {
    public var clientID: String
    public var responseType: String
    public var redirectURI: String
    /// Space-separated, as sent (order kept).
    public var scope: String
    public var state: String?
    public var nonce: String?
    public var codeChallenge: String
    public var codeChallengeMethod: String
    /// RFC 9449 §10: the DPoP key the code is bound to (from `dpop_jkt`, or the PAR's DPoP proof).
    public var dpopJKT: String?
    public var acrValues: String?
    /// An `acr` value the `claims` parameter marks essential for the ID token (OIDC §5.5.1.1).
    public var essentialACR: String?
    public var claims: String?
    public var prompt: String?
    public var maxAgeSeconds: Int64?
    /// GM-02: `create`, `merge` or `replace`, when sent.
    public var grantManagementAction: GrantManagementAction?
    /// GM-02: the grant a `merge` / `replace` changes.
    public var grantID: String?

    public var scopes: [String] { scope.split(separator: " ").map(String.init) }
}

/// The checks of a pushed authorization request, in order; each enforces one rule and says which.
///
/// ```swift
/// let request = try AuthorizationRequestValidator.validate(
///     form, clientID: "tpp-1", registeredRedirectURIs: ["https://tpp.example/cb"], registeredScope: "openid accounts",
///     dpopProofJKT: proof?.jkt)
/// ```
public enum AuthorizationRequestValidator {
    /// Longest `state` accepted, in bytes (SP-34: long, JWT-shaped states are returned unmodified).
    public static let stateBytesMax = 4_096
    /// Longest `nonce` accepted, in bytes (SP-32: at least 64; never truncated).
    public static let nonceBytesMax = 512
    /// Scopes every client may ask for besides the ones it registered.
    public static let standardScopes: Set<String> = ["openid", "offline_access"]

    public static func validate(
        _ form: [String: String], clientID: String, registeredRedirectURIs: [String], registeredScope: String?,
        dpopProofJKT: String?
    ) throws -> AuthorizationRequest {
        try rejectRequestURIParameter(form)
        try rejectRequestObject(form)
        try requireMatchingClientID(form, authenticated: clientID)
        let responseType = try requireCodeResponseType(form)
        try requireQueryResponseMode(form)
        let redirectURI = try requireRegisteredRedirectURI(form, registered: registeredRedirectURIs)
        let scope = try requireKnownScopes(form, registered: registeredScope)
        let (challenge, method) = try requireS256Challenge(form)
        let state = try boundedOptional(form, "state", max: stateBytesMax)
        let nonce = try boundedOptional(form, "nonce", max: nonceBytesMax)
        let dpopJKT = try requireConsistentDPoPJKT(form, proofJKT: dpopProofJKT)
        try rejectAuthorizationDetails(form)
        let prompt = try requireKnownPrompt(form)
        let maxAge = try requireValidMaxAge(form)
        let (claims, essentialACR) = try parseClaims(form)
        let (action, grantID) = try GrantManagementChecks.validate(form)
        return AuthorizationRequest(
            clientID: clientID, responseType: responseType, redirectURI: redirectURI, scope: scope, state: state,
            nonce: nonce, codeChallenge: challenge, codeChallengeMethod: method, dpopJKT: dpopJKT,
            acrValues: form["acr_values"], essentialACR: essentialACR, claims: claims, prompt: prompt,
            maxAgeSeconds: maxAge, grantManagementAction: action, grantID: grantID)
    }

    /// PAR-03: a pushed request must not carry `request_uri`.
    static func rejectRequestURIParameter(_ form: [String: String]) throws {
        if form["request_uri"] != nil {
            throw OAuthError(.invalidRequest, "request_uri must not be sent to the PAR endpoint (RFC 9126 §2.1)")
        }
    }

    /// Request objects (JAR) belong to FAPI 2.0 Message Signing, which this OP does not offer yet.
    static func rejectRequestObject(_ form: [String: String]) throws {
        if form["request"] != nil {
            throw OAuthError(
                .invalidRequest,
                "signed request objects (request) are not supported; send the parameters as form fields")
        }
    }

    /// RFC 9126 §2.1 / RFC 6749 §3.1: a `client_id` sent must be the authenticated client's.
    static func requireMatchingClientID(_ form: [String: String], authenticated: String) throws {
        if let sent = form["client_id"], sent != authenticated {
            throw OAuthError(.invalidRequest, "client_id \"\(sent)\" is not the authenticated client")
        }
    }

    /// SP-20: only `response_type=code`.
    static func requireCodeResponseType(_ form: [String: String]) throws -> String {
        guard let type = form["response_type"], !type.isEmpty else {
            throw OAuthError(.invalidRequest, "response_type is required and must be code")
        }
        guard type == "code" else {
            throw OAuthError(.unsupportedResponseType, "response_type \"\(type)\" is not supported; use code")
        }
        return type
    }

    /// SP-46: the code goes in the query; no other response mode is offered.
    static func requireQueryResponseMode(_ form: [String: String]) throws {
        if let mode = form["response_mode"], mode != "query" {
            throw OAuthError(.invalidRequest, "response_mode \"\(mode)\" is not supported; omit it or use query")
        }
    }

    /// SP-25, SP-12, SP-27, F1-05: `redirect_uri` is required and must be one the client registered,
    /// character for character (registration already refused http other than loopback).
    static func requireRegisteredRedirectURI(_ form: [String: String], registered: [String]) throws -> String {
        guard let uri = form["redirect_uri"], !uri.isEmpty else {
            throw OAuthError(.invalidRequest, "redirect_uri is required")
        }
        guard registered.contains(uri) else {
            throw OAuthError(.invalidRequest, "redirect_uri is not one of the client's registered redirect_uris")
        }
        return uri
    }

    /// RFC 6749 §3.3: scope tokens are NQCHAR runs; each must be a standard scope or one the client
    /// registered (`invalid_scope` otherwise).
    static func requireKnownScopes(_ form: [String: String], registered: String?) throws -> String {
        guard let scope = form["scope"], !scope.isEmpty else {
            throw OAuthError(.invalidScope, "scope is required")
        }
        let allowed = standardScopes.union(registered?.split(separator: " ").map(String.init) ?? [])
        for token in scope.split(separator: " ", omittingEmptySubsequences: false) {
            let valid =
                !token.isEmpty
                && token.utf8.allSatisfy { $0 == 0x21 || (0x23...0x5B).contains($0) || (0x5D...0x7E).contains($0) }
            guard valid else { throw OAuthError(.invalidScope, "scope is malformed (single spaces between tokens)") }
            guard allowed.contains(String(token)) else {
                throw OAuthError(.invalidScope, "scope \"\(token)\" is not registered for this client")
            }
        }
        return scope
    }

    /// SP-24, PKCE-01: `code_challenge` (43–128 unreserved characters) with method `S256`; `plain`
    /// or a missing method is refused.
    static func requireS256Challenge(_ form: [String: String]) throws -> (String, String) {
        guard let challenge = form["code_challenge"], !challenge.isEmpty else {
            throw OAuthError(.invalidRequest, "code_challenge is required (PKCE with S256)")
        }
        guard let method = form["code_challenge_method"] else {
            throw OAuthError(.invalidRequest, "code_challenge_method is required and must be S256")
        }
        guard method == "S256" else {
            throw OAuthError(.invalidRequest, "code_challenge_method \"\(method)\" is not allowed; use S256")
        }
        let unreserved = challenge.utf8.allSatisfy { c in
            (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) || (0x30...0x39).contains(c) || c == 0x2D
                || c == 0x2E || c == 0x5F || c == 0x7E
        }
        guard (43...128).contains(challenge.utf8.count), unreserved else {
            throw OAuthError(.invalidRequest, "code_challenge must be 43 to 128 characters of [A-Za-z0-9-._~]")
        }
        return (challenge, method)
    }

    /// SP-32, SP-34: accepted up to a named length, never truncated; longer is `invalid_request`.
    static func boundedOptional(_ form: [String: String], _ name: String, max: Int) throws -> String? {
        guard let value = form[name] else { return nil }
        guard value.utf8.count <= max else {
            throw OAuthError(.invalidRequest, "\(name) is longer than \(max) bytes")
        }
        return value
    }

    /// SP-17, DPOP-13: `dpop_jkt` and the PAR request's DPoP proof must name the same key; either
    /// one binds the code.
    static func requireConsistentDPoPJKT(_ form: [String: String], proofJKT: String?) throws -> String? {
        guard let sent = form["dpop_jkt"] else { return proofJKT }
        guard sent.utf8.count == 43, sent.utf8.allSatisfy({ Self.isBase64URL($0) }) else {
            throw OAuthError(.invalidRequest, "dpop_jkt must be a base64url SHA-256 JWK thumbprint (43 characters)")
        }
        if let proofJKT, proofJKT != sent {
            throw OAuthError(
                .invalidDPoPProof, "dpop_jkt does not match the key of the DPoP proof sent with this request")
        }
        return sent
    }

    /// RAR-01: no `authorization_details` types are offered, so any is refused.
    static func rejectAuthorizationDetails(_ form: [String: String]) throws {
        if form["authorization_details"] != nil {
            throw OAuthError(
                .invalidAuthorizationDetails, "authorization_details are not supported by this OP (no types offered)")
        }
    }

    /// OIDC §3.1.2.1: `prompt` is a space-separated subset of none, login, consent, select_account;
    /// `none` alone.
    static func requireKnownPrompt(_ form: [String: String]) throws -> String? {
        guard let prompt = form["prompt"] else { return nil }
        let values = prompt.split(separator: " ").map(String.init)
        let known: Set<String> = ["none", "login", "consent", "select_account"]
        guard !values.isEmpty, values.allSatisfy(known.contains) else {
            throw OAuthError(.invalidRequest, "prompt \"\(prompt)\" is not understood")
        }
        if values.contains("none") && values.count > 1 {
            throw OAuthError(.invalidRequest, "prompt=none cannot be combined with other values")
        }
        return prompt
    }

    /// OIDC §3.1.2.1: `max_age` is a non-negative integer number of seconds.
    static func requireValidMaxAge(_ form: [String: String]) throws -> Int64? {
        guard let text = form["max_age"] else { return nil }
        guard let value = Int64(text), value >= 0 else {
            throw OAuthError(.invalidRequest, "max_age must be a non-negative integer (seconds)")
        }
        return value
    }

    /// OIDC §5.5: the `claims` parameter must be a JSON object; an essential `acr` for the ID token
    /// is returned for OIDC-04 (satisfied, or the request fails with `access_denied`).
    static func parseClaims(_ form: [String: String]) throws -> (String?, String?) {
        guard let text = form["claims"] else { return (nil, nil) }
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw OAuthError(.invalidRequest, "claims must be a JSON object (OpenID Connect Core §5.5)")
        }
        var essential: String?
        if let idToken = object["id_token"] as? [String: Any], let acr = idToken["acr"] as? [String: Any],
            acr["essential"] as? Bool == true
        {
            essential = (acr["value"] as? String) ?? (acr["values"] as? [String])?.first
        }
        return (text, essential)
    }

    static func isBase64URL(_ c: UInt8) -> Bool {
        (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) || (0x30...0x39).contains(c) || c == 0x2D || c == 0x5F
    }
}
