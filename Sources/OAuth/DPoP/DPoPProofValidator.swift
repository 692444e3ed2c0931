import Crypto
import JOSE

/// RFC 9449 DPoP proof validation, at the authorization server (token, PAR) or at an OP-hosted
/// resource (userinfo, grant management).
///
/// ``validate(headerValues:method:targetURI:accessToken:expectedNonce:nowSeconds:)`` runs the named
/// checks below in order; each cites its requirement ID. Unknown header parameters and claims are
/// ignored, and `nbf`/`exp` in a proof are ignored too — freshness is governed by `iat` and the
/// server nonce (DPOP-09). The `jti` replay check (DPOP-08) needs state and is the caller's: it
/// keeps ``ValidatedDPoPProof/jti`` (per ``ValidatedDPoPProof/jkt``) for the `iat` window.
///
/// Errors by ``Context``:
/// - authorization server: `invalid_dpop_proof` / 400; `use_dpop_nonce` / 400 + `DPoP-Nonce`.
/// - resource server: 401 + `WWW-Authenticate: DPoP error="invalid_dpop_proof", error_description="…",
///   algs="PS256 ES256 EdDSA"`; `use_dpop_nonce` / 401 + the same challenge + `DPoP-Nonce`; no
///   proof at all is `invalid_token` / 401 (DPOP-14).
///
/// `iat` window (DPOP-07, SP-18): by default `now - 300 … now + 60` inclusive, i.e. proofs up to
/// 5 min old and up to 60 s ahead are accepted, ±1 h is refused. The window applies even when a
/// server nonce is used.
///
/// ```swift
/// let validator = DPoPProofValidator(context: .authorizationServer)
/// let proof = try validator.validate(
///     headerValues: request.headers[values: "DPoP"], method: "POST",
///     targetURI: configuration.issuer + "/token", nowSeconds: now)
/// try jtiCache.insert(proof.jti, key: proof.jkt)           // DPOP-08
/// let accessToken = issue(boundTo: proof.jkt)              // DPOP-11
/// ```
public struct DPoPProofValidator: Sendable {
    /// Where the proof is presented; decides the error status and headers.
    public enum Context: Sendable, Equatable {
        /// Token and PAR endpoints: errors are 400 JSON bodies.
        case authorizationServer
        /// OP-hosted resources: errors are 401 with a `WWW-Authenticate: DPoP` challenge.
        case resourceServer
    }

    /// The only `typ` a DPoP proof may carry (DPOP-02).
    public static let proofType = "dpop+jwt"
    /// Longest DPoP header value accepted, in bytes (an RSA-4096 proof is about 2 KiB).
    public static let proofLengthBytesMax = 8192
    /// Longest `jti` accepted, in bytes; bounds replay-cache entries.
    public static let jtiLengthBytesMax = 256

    public var context: Context
    /// Algorithms accepted on proofs (DPOP-02, DPOP-15); advertise the same set as
    /// `dpop_signing_alg_values_supported`.
    public var allowedAlgorithms: Set<JWSAlgorithm>
    /// How old `iat` may be, in seconds.
    public var issuedAtAgeSecondsMax: Int64
    /// How far `iat` may lie in the future, in seconds (SP-18: at most 60).
    public var issuedAtFutureSecondsMax: Int64

    public init(
        context: Context,
        allowedAlgorithms: Set<JWSAlgorithm> = JWSAlgorithm.fapi2,
        issuedAtAgeSecondsMax: Int64 = 300,
        issuedAtFutureSecondsMax: Int64 = 60
    ) {
        self.context = context
        self.allowedAlgorithms = allowedAlgorithms
        self.issuedAtAgeSecondsMax = issuedAtAgeSecondsMax
        self.issuedAtFutureSecondsMax = issuedAtFutureSecondsMax
    }

    /// Validates the request's DPoP proof.
    ///
    /// - Parameters:
    ///   - headerValues: every value of the `DPoP` request header, as received.
    ///   - method: the request's HTTP method, e.g. `POST`.
    ///   - targetURI: the request's URI built from configuration (scheme, host, port, path); never
    ///     from the `Host` header.
    ///   - accessToken: the access token presented with the proof (resource requests); then `ath`
    ///     is required (DPOP-14).
    ///   - expectedNonce: the one server nonce the proof must carry, when the server demands one (DPOP-10).
    ///   - nonces: the server's rotating nonces, when it demands them (DPOP-10): the proof must carry
    ///     one it accepts; the refusal hands out the current one.
    ///   - nowSeconds: the current time, seconds since the epoch.
    public func validate(
        headerValues: [String], method: String, targetURI: String, accessToken: String? = nil,
        expectedNonce: String? = nil, nonces: DPoPNonceSource? = nil, nowSeconds: Int64
    ) throws(OAuthError) -> ValidatedDPoPProof {
        let token = try requireSingleProof(headerValues)
        let jws = try parseProof(token)
        try requireProofType(jws)
        let algorithm = try rejectDisallowedAlgorithm(jws)
        let key = try requirePublicJWK(jws)
        try verifySignature(jws, key: key)
        let claims = try parseClaims(jws)
        let required = try requireClaims(claims)
        try requireMethodMatches(required.htm, method: method)
        let htu = try requireTargetURIMatches(required.htu, targetURI: targetURI)
        try requireAccessTokenHash(claims, accessToken: accessToken)
        try requireServerNonce(claims, expectedNonce: expectedNonce)
        if let nonces { try requireServerNonce(claims, nonces: nonces, nowSeconds: nowSeconds) }
        try requireFreshIssuedAt(required.iat, nowSeconds: nowSeconds)
        return ValidatedDPoPProof(
            jkt: key.thumbprint,
            jti: required.jti,
            iatSeconds: required.iat,
            proof: token,
            algorithm: algorithm,
            publicJWK: key.publicJWK,
            htm: required.htm,
            htu: htu
        )
    }

    // MARK: Checks

    /// DPOP-01: exactly one `DPoP` header, holding one value (a comma means header lines were
    /// combined). No header at all: at a resource server the DPoP-bound token is unusable
    /// (`invalid_token`, DPOP-14); at the authorization server the proof is missing.
    func requireSingleProof(_ headerValues: [String]) throws(OAuthError) -> String {
        guard let first = headerValues.first else {
            switch context {
            case .authorizationServer:
                throw invalidProof("the DPoP header is missing; send exactly one DPoP proof")
            case .resourceServer:
                throw invalidTokenWithoutProof()
            }
        }
        guard headerValues.count == 1, !first.utf8.contains(UInt8(ascii: ",")) else {
            throw invalidProof("more than one DPoP header was sent; send exactly one DPoP proof")
        }
        guard first.utf8.count <= Self.proofLengthBytesMax else {
            throw invalidProof("the DPoP proof is longer than \(Self.proofLengthBytesMax) bytes")
        }
        return first
    }

    /// DPOP-02: the proof is a well-formed compact JWS with a JSON-object header and no `crit`.
    func parseProof(_ token: String) throws(OAuthError) -> CompactJWS {
        do {
            return try CompactJWS.parse(token)
        } catch {
            throw invalidProof("the DPoP proof is not a well-formed JWS: \(error.reason)")
        }
    }

    /// DPOP-02: header `typ` is exactly `dpop+jwt` (explicit typing, RFC 8725 §3.11).
    func requireProofType(_ jws: CompactJWS) throws(OAuthError) {
        guard jws.typ == Self.proofType else {
            let found = jws.typ.map { "is \(Diagnostic.quote($0))" } ?? "is missing"
            throw invalidProof("the DPoP proof typ \(found); it must be \(Self.proofType)")
        }
    }

    /// DPOP-02, SP-37: `alg` is an allowed asymmetric algorithm (never `none`, HS*, RS256),
    /// checked before the key is read or any signature computed.
    func rejectDisallowedAlgorithm(_ jws: CompactJWS) throws(OAuthError) -> JWSAlgorithm {
        do {
            return try JWSVerification.requireAllowedAlgorithm(jws, allowedAlgorithms)
        } catch {
            throw invalidProof("the DPoP proof \(error.reason)")
        }
    }

    /// DPOP-02: header `jwk` is present, a JSON object, a public key only (private members such as
    /// `d` refused) and usable for the FAPI 2.0 algorithms (RSA ≥ 2048 bits, P-256, Ed25519).
    func requirePublicJWK(_ jws: CompactJWS) throws(OAuthError) -> ClientJWK {
        guard let value = jws.header["jwk"] else {
            throw invalidProof("the DPoP proof header has no jwk; include the public key that signed the proof")
        }
        guard let object = value.objectValue else {
            throw invalidProof("the DPoP proof header jwk must be a JSON object")
        }
        do {
            return try ClientJWK(jwk: object)
        } catch {
            throw invalidProof("the DPoP proof header jwk is not acceptable: \(error.reason)")
        }
    }

    /// DPOP-04: the signature verifies with the header `jwk`, whose type fits `alg`.
    func verifySignature(_ jws: CompactJWS, key: ClientJWK) throws(OAuthError) {
        do {
            try key.verify(jws, allowedAlgorithms: allowedAlgorithms)
        } catch {
            throw invalidProof("the DPoP proof signature is invalid: \(error.reason)")
        }
    }

    /// The proof payload is a JSON object.
    func parseClaims(_ jws: CompactJWS) throws(OAuthError) -> [String: JSONValue] {
        do {
            return try jws.claims()
        } catch {
            throw invalidProof("the DPoP proof claims are not valid: \(error.reason)")
        }
    }

    /// The claims every proof must carry.
    struct RequiredClaims {
        let jti: String
        let htm: String
        let htu: String
        let iat: Int64
    }

    /// DPOP-03: `jti` (non-empty string, bounded), `htm`, `htu` (strings) and `iat` (NumericDate).
    func requireClaims(_ claims: [String: JSONValue]) throws(OAuthError) -> RequiredClaims {
        guard let jti = claims["jti"]?.stringValue, !jti.isEmpty else {
            throw invalidProof("the DPoP proof jti is missing; use a fresh random value per proof")
        }
        guard jti.utf8.count <= Self.jtiLengthBytesMax else {
            throw invalidProof("the DPoP proof jti is longer than \(Self.jtiLengthBytesMax) bytes")
        }
        guard let htm = claims["htm"]?.stringValue, !htm.isEmpty else {
            throw invalidProof("the DPoP proof htm is missing; set it to the request's HTTP method")
        }
        guard let htu = claims["htu"]?.stringValue, !htu.isEmpty else {
            throw invalidProof("the DPoP proof htu is missing; set it to the request's URI without query")
        }
        guard let iatValue = claims["iat"] else {
            throw invalidProof("the DPoP proof iat is missing; set it to the current time")
        }
        guard let iat = iatValue.numericDate else {
            throw invalidProof("the DPoP proof iat must be a NumericDate (seconds since the epoch)")
        }
        return RequiredClaims(jti: jti, htm: htm, htu: htu, iat: iat)
    }

    /// DPOP-05: `htm` equals the request method (case-sensitive, RFC 9110 §9.1).
    func requireMethodMatches(_ htm: String, method: String) throws(OAuthError) {
        guard htm == method else {
            throw invalidProof(
                "the DPoP proof htm \(Diagnostic.quote(htm)) does not match the request method \(method)")
        }
    }

    /// DPOP-06: `htu` equals the request's target URI after normalising both (case-insensitive
    /// scheme and host, default port removed, percent-encoding and dot segments normalised,
    /// query and fragment ignored). Returns the normalised URI.
    func requireTargetURIMatches(_ htu: String, targetURI: String) throws(OAuthError) -> String {
        // The common case — the client sent exactly the URI — needs no normalisation.
        if htu == targetURI, htu.utf8.starts(with: "https://".utf8) { return targetURI }
        guard let expected = DPoPTargetURI.normalized(targetURI) else {
            throw OAuthError(
                .serverError, "the configured request URI for DPoP validation is not an absolute http(s) URI")
        }
        guard let presented = DPoPTargetURI.normalized(htu) else {
            throw invalidProof("the DPoP proof htu \(Diagnostic.quote(htu)) is not an absolute https URI")
        }
        guard presented == expected else {
            throw invalidProof(
                "the DPoP proof htu \(Diagnostic.quote(htu)) does not match the request URI \(expected)"
            )
        }
        return expected
    }

    /// DPOP-14: with an access token, `ath` is required and equals base64url(SHA-256(token)).
    func requireAccessTokenHash(_ claims: [String: JSONValue], accessToken: String?) throws(OAuthError) {
        guard let accessToken else { return }
        guard let ath = claims["ath"]?.stringValue else {
            throw invalidProof("the DPoP proof ath is missing; set it to base64url(SHA-256(access token))")
        }
        let expected = Base64URL.encode(SHA256.hash(data: Array(accessToken.utf8)))
        guard ath == expected else {
            throw invalidProof(
                "the DPoP proof ath does not match the access token; use base64url(SHA-256(access token))")
        }
    }

    /// DPOP-10: when the server demands a nonce, the proof's `nonce` must equal it; otherwise the
    /// answer is `use_dpop_nonce` with the nonce in `DPoP-Nonce`, and the client retries.
    func requireServerNonce(_ claims: [String: JSONValue], expectedNonce: String?) throws(OAuthError) {
        guard let expectedNonce else { return }
        guard DPoPNonce.isValid(expectedNonce) else {
            throw OAuthError(.serverError, "the server DPoP nonce is not a non-empty NQCHAR string")
        }
        guard let nonce = claims["nonce"] else {
            throw useNonce(
                "the DPoP proof has no nonce; retry with the nonce from the DPoP-Nonce header", expectedNonce)
        }
        guard nonce.stringValue == expectedNonce else {
            throw useNonce(
                "the DPoP proof nonce is not the current server nonce; retry with the nonce from the DPoP-Nonce header",
                expectedNonce
            )
        }
    }

    /// DPOP-10 with rotating nonces: the proof's `nonce` must be one the source accepts now (the current
    /// or the previous window's); otherwise `use_dpop_nonce` hands out the current one.
    func requireServerNonce(
        _ claims: [String: JSONValue], nonces: DPoPNonceSource, nowSeconds: Int64
    ) throws(OAuthError) {
        let current = nonces.current(nowSeconds: nowSeconds)
        guard let nonce = claims["nonce"] else {
            throw useNonce("the DPoP proof has no nonce; retry with the nonce from the DPoP-Nonce header", current)
        }
        guard let text = nonce.stringValue, nonces.accepts(text, nowSeconds: nowSeconds) else {
            throw useNonce(
                "the DPoP proof nonce is not a current server nonce; retry with the nonce from the DPoP-Nonce header",
                current)
        }
    }

    /// DPOP-07, SP-18: `iat` lies in `now - issuedAtAgeSecondsMax … now + issuedAtFutureSecondsMax`.
    func requireFreshIssuedAt(_ iat: Int64, nowSeconds: Int64) throws(OAuthError) {
        guard iat - nowSeconds <= issuedAtFutureSecondsMax else {
            throw invalidProof(
                "the DPoP proof iat is \(iat - nowSeconds) s in the future; at most \(issuedAtFutureSecondsMax) s is accepted, check the client clock"
            )
        }
        guard nowSeconds - iat <= issuedAtAgeSecondsMax else {
            throw invalidProof(
                "the DPoP proof iat is \(nowSeconds - iat) s old; at most \(issuedAtAgeSecondsMax) s is accepted, create a fresh proof"
            )
        }
    }

    // MARK: Errors

    /// `invalid_dpop_proof`: 400 at the AS; 401 with a `WWW-Authenticate: DPoP` challenge at an RS.
    func invalidProof(_ text: String) -> OAuthError {
        let description = Diagnostic.errorDescriptionSafe(text)
        switch context {
        case .authorizationServer:
            return OAuthError(.invalidDPoPProof, description)
        case .resourceServer:
            return OAuthError(
                .invalidDPoPProof, description, status: 401,
                headers: [("WWW-Authenticate", challenge(.invalidDPoPProof, description))]
            )
        }
    }

    /// `use_dpop_nonce` with the nonce to use: 400 at the AS, 401 with a challenge at an RS.
    func useNonce(_ text: String, _ nonce: String) -> OAuthError {
        let description = Diagnostic.errorDescriptionSafe(text)
        switch context {
        case .authorizationServer:
            return OAuthError(.useDPoPNonce, description, status: 400, headers: [("DPoP-Nonce", nonce)])
        case .resourceServer:
            return OAuthError(
                .useDPoPNonce, description, status: 401,
                headers: [("WWW-Authenticate", challenge(.useDPoPNonce, description)), ("DPoP-Nonce", nonce)]
            )
        }
    }

    /// DPOP-14: a DPoP-bound access token presented without a proof.
    func invalidTokenWithoutProof() -> OAuthError {
        let description = "the access token is DPoP-bound; send it as Authorization: DPoP with a DPoP proof header"
        return OAuthError(
            .invalidToken, description, status: 401,
            headers: [("WWW-Authenticate", challenge(.invalidToken, description))]
        )
    }

    /// `DPoP error="…", error_description="…", algs="PS256 ES256 EdDSA"` (RFC 9449 §7.1).
    func challenge(_ code: OAuthError.Code, _ description: String) -> String {
        let safe = Diagnostic.errorDescriptionSafe(description)
        return "DPoP error=\"\(code.rawValue)\", error_description=\"\(safe)\", algs=\""
            + JWSAlgorithm.spaceSeparated(allowedAlgorithms) + "\""
    }
}

/// Server DPoP nonces (RFC 9449 §8).
public enum DPoPNonce {
    /// Longest nonce the server should issue, in bytes.
    public static let nonceLengthBytesMax = 256

    /// `nonce = 1*NQCHAR` with NQCHAR = %x21 / %x23-5B / %x5D-7E (RFC 9449 §8.1), bounded length.
    public static func isValid(_ nonce: String) -> Bool {
        guard !nonce.isEmpty, nonce.utf8.count <= nonceLengthBytesMax else { return false }
        return nonce.utf8.allSatisfy { byte in
            byte == 0x21 || (0x23...0x5B).contains(byte) || (0x5D...0x7E).contains(byte)
        }
    }
}

/// A DPoP proof that passed every stateless check.
public struct ValidatedDPoPProof: Sendable, Equatable {
    /// RFC 7638 SHA-256 thumbprint of the proof's `jwk`: bind tokens to it (`cnf.jkt`, DPOP-11).
    public let jkt: String
    /// The proof's `jti`: reject a second proof with the same `jti` inside the `iat` window (DPOP-08).
    public let jti: String
    /// The proof's `iat`, seconds since the epoch.
    public let iatSeconds: Int64
    /// The proof exactly as received.
    public let proof: String
    /// The algorithm it was signed with.
    public let algorithm: JWSAlgorithm
    /// The proof's public key.
    public let publicJWK: PublicJWK
    /// The proof's `htm`.
    public let htm: String
    /// The normalised target URI the proof was checked against.
    public let htu: String
}
