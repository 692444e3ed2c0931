import JOSE

/// `private_key_jwt` client authentication (RFC 7523 §2.2, §3; OIDC Core §9) under FAPI 2.0.
///
/// Two steps, because the caller must find the client before the signature can be checked:
/// ``readClaimedClient(assertionType:assertion:clientID:)`` parses the unverified assertion and
/// returns who it claims to be (CA-01, CA-02, CA-08); the caller looks that client up; then
/// ``validate(_:keys:nowSeconds:)`` verifies the signature with the client's registered keys and
/// checks `aud`, `exp`, `iat`, `nbf`, `jti` (CA-03 … CA-07, SP-13, SP-18, SP-37). Every failure is
/// `invalid_client` / 401 with a precise description. The `jti` replay check (CA-05) needs state:
/// the caller records ``ValidatedClientAssertion/jti`` until ``ValidatedClientAssertion/expSeconds``.
///
/// Time policy (all in whole seconds against `nowSeconds`):
/// - `exp` required; the assertion is expired when `exp <= now` (no leeway); `exp` more than
///   ``expiresInSecondsMax`` (default 3600) ahead is refused, which also bounds the replay cache.
/// - `iat` optional; `iat` and `nbf` may be up to ``futureSkewSecondsMax`` (default 60) ahead:
///   `now + 60` is accepted, `now + 61` refused (SP-18: 0–10 s must pass, > 60 s must fail).
/// - `iat` older than ``issuedAtAgeSecondsMax`` (default 3600) is refused (CA-06 "MAY").
///
/// ```swift
/// let validator = ClientAssertionValidator(issuer: "https://op.example.com")
/// let claimed = try ClientAssertionValidator.readClaimedClient(
///     assertionType: form["client_assertion_type"], assertion: form["client_assertion"],
///     clientID: form["client_id"])
/// guard let client = registry.client(claimed.clientID) else { throw OAuthError(.invalidClient, "unknown client") }
/// let validated = try validator.validate(claimed, keys: client.jwks, nowSeconds: now)
/// try replayCache.insert(jti: validated.jti, until: validated.expSeconds)   // CA-05
/// ```
public struct ClientAssertionValidator: Sendable {
    /// The only `client_assertion_type` accepted (CA-01).
    public static let jwtBearerAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    /// Longest `jti` accepted, in bytes; bounds the replay cache entries.
    public static let jtiLengthBytesMax = 256
    /// Longest `iss`/`sub` accepted, in bytes.
    public static let clientIDLengthBytesMax = 256

    /// Which `aud` values are accepted (REQUIREMENTS Section D open decision on SP-13).
    public enum AudiencePolicy: Sendable, Equatable {
        /// FAPI 2.0 (SP-13): `aud` must be the issuer identifier as a single JSON string.
        case fapi2IssuerOnly
        /// FAPI 1.0 / RFC 7523 / RFC 9126 §2: the issuer, or one of `endpoints` (token, PAR URLs),
        /// as a string or inside an array.
        case issuerOrEndpoints([String])
    }

    /// The OP's issuer identifier, exactly as published in discovery.
    public var issuer: String
    /// Algorithms accepted on assertions (CA-07, SP-37); a subset of PS256, ES256, EdDSA.
    public var allowedAlgorithms: Set<JWSAlgorithm>
    /// `aud` rule; FAPI 2.0 by default.
    public var audiencePolicy: AudiencePolicy
    /// How far `iat`/`nbf` may lie in the future (SP-18: must be ≥ 10, must be ≤ 60).
    public var futureSkewSecondsMax: Int64
    /// How far `exp` may lie in the future.
    public var expiresInSecondsMax: Int64
    /// How old `iat` may be.
    public var issuedAtAgeSecondsMax: Int64

    public init(
        issuer: String,
        allowedAlgorithms: Set<JWSAlgorithm> = JWSAlgorithm.fapi2,
        audiencePolicy: AudiencePolicy = .fapi2IssuerOnly,
        futureSkewSecondsMax: Int64 = 60,
        expiresInSecondsMax: Int64 = 3600,
        issuedAtAgeSecondsMax: Int64 = 3600
    ) {
        self.issuer = issuer
        self.allowedAlgorithms = allowedAlgorithms
        self.audiencePolicy = audiencePolicy
        self.futureSkewSecondsMax = futureSkewSecondsMax
        self.expiresInSecondsMax = expiresInSecondsMax
        self.issuedAtAgeSecondsMax = issuedAtAgeSecondsMax
    }

    // MARK: Step 1 — who does the assertion claim to be?

    /// Parses the assertion without verifying it and returns the client it names. Enforces CA-01
    /// (assertion type and presence), CA-02 (`iss` = `sub`, both present) and CA-08 (`client_id`
    /// form parameter, when sent, equals them). The result is untrusted until ``validate(_:keys:nowSeconds:)``.
    public static func readClaimedClient(
        assertionType: String?, assertion: String?, clientID: String?
    ) throws(OAuthError) -> ClaimedClientAssertion {
        let token = try requireJWTBearerAssertion(assertionType: assertionType, assertion: assertion)
        let jws = try parseAssertion(token)
        let claims = try parseClaims(jws)
        let claimedID = try requireIssuerEqualsSubject(claims)
        try requireClientIDParameterMatches(clientID, claimedID: claimedID)
        return ClaimedClientAssertion(clientID: claimedID, jws: jws, claims: claims)
    }

    /// The client id an assertion claims (`iss` = `sub`), read without verification — for looking
    /// the client up. Same checks as ``readClaimedClient(assertionType:assertion:clientID:)``.
    public static func claimedClientID(inAssertion assertion: String) throws(OAuthError) -> String {
        try readClaimedClient(assertionType: jwtBearerAssertionType, assertion: assertion, clientID: nil).clientID
    }

    // MARK: Step 2 — verify it

    /// Verifies the claimed assertion with the keys registered for ``ClaimedClientAssertion/clientID``
    /// and checks its claims. Enforces CA-03/SP-13, CA-04, CA-05 (presence), CA-06/SP-18, CA-07/SP-37.
    public func validate(
        _ claimed: ClaimedClientAssertion, keys: ClientJWKSet, nowSeconds: Int64
    ) throws(OAuthError) -> ValidatedClientAssertion {
        let algorithm = try rejectDisallowedAlgorithm(claimed.jws)
        let key = try verifySignature(claimed.jws, keys: keys)
        try requireAudienceIsIssuer(claimed.claims)
        let exp = try requireUnexpired(claimed.claims, nowSeconds: nowSeconds)
        try rejectFarFutureExpiry(exp, nowSeconds: nowSeconds)
        try rejectFutureIssuedAt(claimed.claims, nowSeconds: nowSeconds)
        try rejectStaleIssuedAt(claimed.claims, nowSeconds: nowSeconds)
        try rejectFutureNotBefore(claimed.claims, nowSeconds: nowSeconds)
        let jti = try Self.requireJTI(claimed.claims)
        return ValidatedClientAssertion(
            clientID: claimed.clientID,
            jti: jti,
            expSeconds: exp,
            assertion: claimed.jws.compact,
            keyID: key.kid,
            keyThumbprint: key.thumbprint,
            algorithm: algorithm
        )
    }

    /// One call for both steps, when the caller already knows the client's keys.
    public func validate(
        assertionType: String?, assertion: String?, clientID: String?, keys: ClientJWKSet, nowSeconds: Int64
    ) throws(OAuthError) -> ValidatedClientAssertion {
        let claimed = try Self.readClaimedClient(assertionType: assertionType, assertion: assertion, clientID: clientID)
        return try validate(claimed, keys: keys, nowSeconds: nowSeconds)
    }

    // MARK: Checks

    /// CA-01: `client_assertion_type` is the JWT-bearer URN and `client_assertion` is present.
    static func requireJWTBearerAssertion(assertionType: String?, assertion: String?) throws(OAuthError) -> String {
        guard let assertionType else {
            throw invalidClient("client_assertion_type is missing; send \(jwtBearerAssertionType)")
        }
        guard assertionType == jwtBearerAssertionType else {
            throw invalidClient(
                "client_assertion_type \(Diagnostic.quote(assertionType)) is not supported; send \(jwtBearerAssertionType)"
            )
        }
        guard let assertion, !assertion.isEmpty else {
            throw invalidClient("client_assertion is missing; send a JWT signed with a key from the client's jwks")
        }
        return assertion
    }

    /// CA-07 (structure): the assertion is a compact JWS (no `crit`).
    static func parseAssertion(_ token: String) throws(OAuthError) -> CompactJWS {
        do {
            return try CompactJWS.parse(token)
        } catch {
            throw invalidClient("client_assertion is not a valid signed JWT: \(error.reason)")
        }
    }

    /// The assertion's payload is a JSON object (RFC 7519 §7.2).
    static func parseClaims(_ jws: CompactJWS) throws(OAuthError) -> [String: JSONValue] {
        do {
            return try jws.claims()
        } catch {
            throw invalidClient("client_assertion claims are not valid: \(error.reason)")
        }
    }

    /// CA-02: `iss` and `sub` are both present, strings, and equal (the client id).
    static func requireIssuerEqualsSubject(_ claims: [String: JSONValue]) throws(OAuthError) -> String {
        guard let iss = claims["iss"]?.stringValue, !iss.isEmpty else {
            throw invalidClient("client_assertion iss is missing; set iss to the client_id")
        }
        guard let sub = claims["sub"]?.stringValue, !sub.isEmpty else {
            throw invalidClient("client_assertion sub is missing; set sub to the client_id")
        }
        guard iss == sub else {
            throw invalidClient(
                "client_assertion iss \(Diagnostic.quote(iss)) differs from sub \(Diagnostic.quote(sub)); both must be the client_id"
            )
        }
        guard iss.utf8.count <= clientIDLengthBytesMax else {
            throw invalidClient("client_assertion iss is longer than \(clientIDLengthBytesMax) bytes")
        }
        return iss
    }

    /// CA-08: a `client_id` form parameter sent alongside the assertion must name the same client.
    static func requireClientIDParameterMatches(_ clientID: String?, claimedID: String) throws(OAuthError) {
        guard let clientID else { return }
        guard clientID == claimedID else {
            throw invalidClient(
                "client_id \(Diagnostic.quote(clientID)) does not match the client_assertion iss/sub \(Diagnostic.quote(claimedID))"
            )
        }
    }

    /// CA-07, SP-37: the header `alg` is in the allow-list (PS256/ES256/EdDSA; never RS256, HS256
    /// or `none`), checked before any key is looked at.
    func rejectDisallowedAlgorithm(_ jws: CompactJWS) throws(OAuthError) -> JWSAlgorithm {
        do {
            return try JWSVerification.requireAllowedAlgorithm(jws, allowedAlgorithms)
        } catch {
            throw Self.invalidClient("client_assertion \(error.reason)")
        }
    }

    /// CA-07, SP-41: the signature verifies with a registered key chosen strictly by `kid` (no
    /// default key) and by key type, curve and declared `alg`.
    func verifySignature(_ jws: CompactJWS, keys: ClientJWKSet) throws(OAuthError) -> ClientJWK {
        do {
            return try keys.verify(jws, allowedAlgorithms: allowedAlgorithms)
        } catch {
            throw Self.invalidClient("client_assertion signature rejected: \(error.reason)")
        }
    }

    /// CA-03, SP-13: `aud` is exactly the issuer identifier, as a JSON string. An array is refused
    /// even when it contains the issuer; token-endpoint and PAR-endpoint URLs are refused (FAPI 2.0
    /// SP 5.3.2.1-8). Under ``AudiencePolicy/issuerOrEndpoints(_:)`` the FAPI 1.0 rule applies.
    func requireAudienceIsIssuer(_ claims: [String: JSONValue]) throws(OAuthError) {
        guard let aud = claims["aud"] else {
            throw Self.invalidClient("client_assertion aud is missing; set aud to the issuer \(issuer)")
        }
        switch audiencePolicy {
        case .fapi2IssuerOnly:
            guard case .string(let value) = aud else {
                throw Self.invalidClient(
                    "client_assertion aud must be the issuer \(issuer) as a single JSON string, not an array or other type (FAPI 2.0)"
                )
            }
            guard value == issuer else {
                throw Self.invalidClient(
                    "client_assertion aud \(Diagnostic.quote(value)) is not the issuer; set aud to exactly \(issuer) (endpoint URLs are not accepted)"
                )
            }
        case .issuerOrEndpoints(let endpoints):
            let accepted = Set([issuer] + endpoints)
            let values: [String]
            switch aud {
            case .string(let value): values = [value]
            case .array(let elements): values = elements.compactMap(\.stringValue)
            default: values = []
            }
            guard values.contains(where: accepted.contains) else {
                throw Self.invalidClient(
                    "client_assertion aud does not contain the issuer \(issuer) or an endpoint URL")
            }
        }
    }

    /// CA-04: `exp` is present, a NumericDate, and in the future (`exp > now`; RFC 7519 §4.1.4).
    func requireUnexpired(_ claims: [String: JSONValue], nowSeconds: Int64) throws(OAuthError) -> Int64 {
        guard let expValue = claims["exp"] else {
            throw Self.invalidClient("client_assertion exp is missing; it is required (RFC 7523 section 3)")
        }
        guard let exp = expValue.numericDate else {
            throw Self.invalidClient("client_assertion exp must be a NumericDate (seconds since the epoch)")
        }
        guard exp > nowSeconds else {
            throw Self.invalidClient(
                "client_assertion expired \(nowSeconds - exp) s ago (exp \(exp), now \(nowSeconds)); create a fresh assertion"
            )
        }
        return exp
    }

    /// CA-04 (bound): `exp` at most ``expiresInSecondsMax`` ahead — assertions are single-use and
    /// short-lived, and the `jti` replay cache must not hold entries for longer than that.
    func rejectFarFutureExpiry(_ exp: Int64, nowSeconds: Int64) throws(OAuthError) {
        guard exp - nowSeconds <= expiresInSecondsMax else {
            throw Self.invalidClient(
                "client_assertion exp is \(exp - nowSeconds) s in the future; at most \(expiresInSecondsMax) s is accepted"
            )
        }
    }

    /// CA-06, SP-18: `iat`, when present, is a NumericDate at most ``futureSkewSecondsMax`` ahead.
    func rejectFutureIssuedAt(_ claims: [String: JSONValue], nowSeconds: Int64) throws(OAuthError) {
        try rejectFutureTime("iat", in: claims, nowSeconds: nowSeconds)
    }

    /// CA-06 (MAY): `iat`, when present, is not older than ``issuedAtAgeSecondsMax``.
    func rejectStaleIssuedAt(_ claims: [String: JSONValue], nowSeconds: Int64) throws(OAuthError) {
        guard let iat = claims["iat"]?.numericDate else { return }
        guard nowSeconds - iat <= issuedAtAgeSecondsMax else {
            throw Self.invalidClient(
                "client_assertion iat is \(nowSeconds - iat) s in the past; at most \(issuedAtAgeSecondsMax) s is accepted, create a fresh assertion"
            )
        }
    }

    /// CA-06, SP-18: `nbf`, when present, is a NumericDate at most ``futureSkewSecondsMax`` ahead.
    func rejectFutureNotBefore(_ claims: [String: JSONValue], nowSeconds: Int64) throws(OAuthError) {
        try rejectFutureTime("nbf", in: claims, nowSeconds: nowSeconds)
    }

    /// The shared rule of ``rejectFutureIssuedAt(_:nowSeconds:)`` and ``rejectFutureNotBefore(_:nowSeconds:)``.
    private func rejectFutureTime(_ name: String, in claims: [String: JSONValue], nowSeconds: Int64) throws(OAuthError)
    {
        guard let value = claims[name] else { return }
        guard let time = value.numericDate else {
            throw Self.invalidClient("client_assertion \(name) must be a NumericDate (seconds since the epoch)")
        }
        guard time - nowSeconds <= futureSkewSecondsMax else {
            throw Self.invalidClient(
                "client_assertion \(name) is \(time - nowSeconds) s in the future; at most \(futureSkewSecondsMax) s of clock skew is accepted, check the client clock"
            )
        }
    }

    /// CA-05 (presence): `jti` is a non-empty string of bounded length. The replay check itself is
    /// the caller's: it keeps the `jti` until `exp`.
    static func requireJTI(_ claims: [String: JSONValue]) throws(OAuthError) -> String {
        guard let jti = claims["jti"]?.stringValue, !jti.isEmpty else {
            throw invalidClient(
                "client_assertion jti is missing; it is required (OIDC Core section 9), use a fresh random value")
        }
        guard jti.utf8.count <= jtiLengthBytesMax else {
            throw invalidClient("client_assertion jti is longer than \(jtiLengthBytesMax) bytes")
        }
        return jti
    }

    static func invalidClient(_ description: String) -> OAuthError {
        OAuthError(.invalidClient, Diagnostic.errorDescriptionSafe(description))
    }
}

/// An assertion that has been parsed and names a client, but is NOT yet verified.
public struct ClaimedClientAssertion: Sendable {
    /// The client id the assertion claims (`iss` = `sub`): look the client up by it.
    public let clientID: String
    /// The parsed JWS.
    public let jws: CompactJWS
    /// The unverified claims.
    public let claims: [String: JSONValue]
}

/// A client assertion that passed every check: the client is authenticated once the caller has
/// also recorded ``jti`` (replay check, CA-05).
public struct ValidatedClientAssertion: Sendable, Equatable {
    /// The authenticated client.
    public let clientID: String
    /// The assertion's `jti`; reject the assertion if this value was seen before ``expSeconds``.
    public let jti: String
    /// The assertion's `exp` (seconds since the epoch): how long to remember ``jti``.
    public let expSeconds: Int64
    /// The assertion exactly as received.
    public let assertion: String
    /// `kid` of the key that verified it, if the key has one.
    public let keyID: String?
    /// RFC 7638 thumbprint of the key that verified it.
    public let keyThumbprint: String
    /// The algorithm it was signed with.
    public let algorithm: JWSAlgorithm
}
