import Crypto
import Foundation
import JOSE
import Testing
import _CryptoExtras

@testable import OAuth

@Suite("DPoP proofs (DPOP-01..DPOP-10, DPOP-14, SP-18, SP-37)")
struct DPoPProofValidatorTests {
    static let now: Int64 = 1_750_000_000
    static let tokenURI = "https://op.example.com/token"
    static let userinfoURI = "https://op.example.com/userinfo"
    static let accessToken = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"
    static let authorizationServer = DPoPProofValidator(context: .authorizationServer)
    static let resourceServer = DPoPProofValidator(context: .resourceServer)

    static func claims(_ overrides: [String: JSONValue?] = [:]) -> [String: JSONValue] {
        var claims: [String: JSONValue] = [
            "jti": "e1j3V_bKic8-LAEB", "htm": "POST", "htu": .string(tokenURI), "iat": .integer(now),
        ]
        for (name, value) in overrides { claims[name] = value }
        return claims
    }

    static func proof(
        _ overrides: [String: JSONValue?] = [:], key: TestKey = TestKeys.p256,
        header headerOverrides: [String: JSONValue?] = [:]
    ) throws -> String {
        var header: [String: JSONValue] = [
            "typ": "dpop+jwt", "alg": .string(key.alg.rawValue), "jwk": .object(key.jwk()),
        ]
        for (name, value) in headerOverrides { header[name] = value }
        return try CompactJWS.serialize(header: header, payload: JSONValue.object(claims(overrides)).jsonBytes()) {
            try key.sign($0)
        }
    }

    @discardableResult
    static func validateAtToken(
        _ proof: String, method: String = "POST", uri: String = tokenURI, nonce: String? = nil,
        validator: DPoPProofValidator = authorizationServer
    ) throws -> ValidatedDPoPProof {
        try validator.validate(
            headerValues: [proof], method: method, targetURI: uri, expectedNonce: nonce, nowSeconds: now)
    }

    static func ath(_ token: String) -> String { Base64URL.encode(SHA256.hash(data: Array(token.utf8))) }

    @Test("DPOP-02, DPOP-04: PS256, ES256 and EdDSA proofs validate; jkt is the RFC 7638 thumbprint")
    func validProofs() throws {
        for key in [TestKeys.rsa, TestKeys.p256, TestKeys.ed25519] {
            let token = try Self.proof(key: key)
            let proof = try Self.validateAtToken(token)
            #expect(proof.jkt == key.thumbprint)
            #expect(proof.jti == "e1j3V_bKic8-LAEB")
            #expect(proof.iatSeconds == Self.now)
            #expect(proof.proof == token)
            #expect(proof.algorithm == key.alg)
            #expect(proof.htm == "POST")
            #expect(proof.htu == Self.tokenURI)
        }
    }

    @Test("DPOP-01: exactly one DPoP header; none or several is invalid_dpop_proof / 400 at the AS")
    func exactlyOneHeader() throws {
        let token = try Self.proof()
        for values in [[token, token], ["\(token), \(token)"], []] {
            let error = expectOAuthError(.invalidDPoPProof, containing: "DPoP") {
                _ = try Self.authorizationServer.validate(
                    headerValues: values, method: "POST", targetURI: Self.tokenURI, nowSeconds: Self.now)
            }
            #expect(error?.status == 400)
            #expect(error?.headers.isEmpty == true)
        }
        let error = expectOAuthError(.invalidDPoPProof, containing: "more than one DPoP header") {
            _ = try Self.resourceServer.validate(
                headerValues: [token, token], method: "POST", targetURI: Self.tokenURI, nowSeconds: Self.now)
        }
        #expect(error?.status == 401)
    }

    @Test("DPOP-02: typ must be exactly dpop+jwt")
    func proofType() throws {
        for typ: JSONValue? in [nil, "JWT", "DPoP+JWT", "at+jwt", 1] {
            expectOAuthError(.invalidDPoPProof, containing: typ == nil ? "typ is missing" : "typ") {
                try Self.validateAtToken(Self.proof(header: ["typ": typ]))
            }
        }
    }

    @Test(
        "DPOP-02, SP-37: alg none, HS256, RS256 and other algorithms are refused",
        arguments: [
            "none", "HS256", "RS256", "ES512", "PS384",
        ])
    func disallowedAlgorithms(alg: String) throws {
        expectOAuthError(.invalidDPoPProof, containing: "alg '\(alg)' is not allowed") {
            try Self.validateAtToken(Self.proof(header: ["alg": .string(alg)]))
        }
    }

    @Test("DPOP-02: a genuine RS256 proof with an RSA jwk is refused")
    func rs256Refused() throws {
        guard case .rsa(let rsa) = TestKeys.rsa.key else { return }
        let header: [String: JSONValue] = ["typ": "dpop+jwt", "alg": "RS256", "jwk": .object(TestKeys.rsa.jwk())]
        let token = try CompactJWS.serialize(header: header, payload: JSONValue.object(Self.claims()).jsonBytes()) {
            [UInt8](try rsa.signature(for: SHA256.hash(data: $0), padding: .insecurePKCS1v1_5).rawRepresentation)
        }
        expectOAuthError(.invalidDPoPProof, containing: "alg 'RS256' is not allowed") {
            try Self.validateAtToken(token)
        }
    }

    @Test("DPOP-02: jwk must be present, an object, public only and a usable key")
    func embeddedJWK() throws {
        expectOAuthError(.invalidDPoPProof, containing: "has no jwk") {
            try Self.validateAtToken(Self.proof(header: ["jwk": nil]))
        }
        expectOAuthError(.invalidDPoPProof, containing: "jwk must be a JSON object") {
            try Self.validateAtToken(Self.proof(header: ["jwk": "key"]))
        }
        for member in ["d", "p", "k"] {
            expectOAuthError(.invalidDPoPProof, containing: "private member \(member)") {
                try Self.validateAtToken(Self.proof(header: ["jwk": .object(TestKeys.p256.jwk(extra: [member: "AQ"]))]))
            }
        }
        let small = [UInt8]([0xC1]) + [UInt8](repeating: 0x5A, count: 127)
        expectOAuthError(.invalidDPoPProof, containing: "1024 bits") {
            try Self.validateAtToken(
                Self.proof(
                    key: TestKeys.rsa,
                    header: ["jwk": ["kty": "RSA", "n": .string(Base64URL.encode(small)), "e": "AQAB"]]))
        }
        expectOAuthError(.invalidDPoPProof, containing: "cannot verify alg ES256") {
            try Self.validateAtToken(Self.proof(header: ["jwk": .object(TestKeys.ed25519.jwk())]))
        }
    }

    @Test("DPOP-02: a malformed proof or one with crit is refused")
    func malformedProof() throws {
        expectOAuthError(.invalidDPoPProof, containing: "not a well-formed JWS") {
            try Self.validateAtToken("not-a-jws")
        }
        expectOAuthError(.invalidDPoPProof, containing: "crit") {
            try Self.validateAtToken(Self.proof(header: ["crit": ["x"], "x": 1]))
        }
        let huge = String(repeating: "a", count: DPoPProofValidator.proofLengthBytesMax + 1)
        expectOAuthError(.invalidDPoPProof, containing: "longer than") { try Self.validateAtToken(huge) }
    }

    @Test("DPOP-04: a proof signed by another key than its jwk, or altered, is refused")
    func signatureMustVerify() throws {
        expectOAuthError(.invalidDPoPProof, containing: "signature is invalid") {
            try Self.validateAtToken(Self.proof(header: ["jwk": .object(TestKeys.p256Other.jwk())]))
        }
        let parts = try Self.proof().split(separator: ".").map(String.init)
        let altered =
            parts[0] + "." + Base64URL.encode(try JSONValue.object(Self.claims(["htm": "GET"])).jsonBytes()) + "."
            + parts[2]
        expectOAuthError(.invalidDPoPProof, containing: "signature is invalid") {
            try Self.validateAtToken(altered, method: "GET")
        }
    }

    @Test("DPOP-03: jti, htm, htu and iat are required", arguments: ["jti", "htm", "htu", "iat"])
    func requiredClaims(claim: String) throws {
        expectOAuthError(.invalidDPoPProof, containing: "\(claim) is missing") {
            try Self.validateAtToken(Self.proof([claim: nil]))
        }
    }

    @Test("DPOP-03: required claims must have the right types")
    func requiredClaimTypes() throws {
        expectOAuthError(.invalidDPoPProof, containing: "jti is missing") {
            try Self.validateAtToken(Self.proof(["jti": 1]))
        }
        expectOAuthError(.invalidDPoPProof, containing: "iat must be a NumericDate") {
            try Self.validateAtToken(Self.proof(["iat": .string(String(Self.now))]))
        }
        expectOAuthError(.invalidDPoPProof, containing: "jti is longer") {
            try Self.validateAtToken(Self.proof(["jti": .string(String(repeating: "x", count: 257))]))
        }
    }

    @Test("DPOP-05: htm must equal the request method")
    func methodMatches() throws {
        expectOAuthError(.invalidDPoPProof, containing: "htm 'PUT' does not match the request method POST") {
            try Self.validateAtToken(Self.proof(["htm": "PUT"]))
        }
        expectOAuthError(.invalidDPoPProof, containing: "does not match") {
            try Self.validateAtToken(Self.proof(["htm": "post"]))
        }
        try Self.validateAtToken(Self.proof(["htm": "GET"]), method: "GET")
    }

    @Test(
        "DPOP-06: htu matches after normalisation; query and fragment are ignored",
        arguments: [
            "https://op.example.com/token", "HTTPS://OP.EXAMPLE.COM/token", "https://op.example.com:443/token",
            "https://op.example.com/token?foo=bar", "https://op.example.com/token#frag",
            "https://op.example.com/%74oken",
            "https://op.example.com/a/../token", "https://op.example.com/./token",
        ])
    func targetURIAccepted(htu: String) throws {
        try Self.validateAtToken(Self.proof(["htu": .string(htu)]))
        try Self.validateAtToken(Self.proof(["htu": .string(htu)]), uri: "https://OP.example.com:443/token?x=1")
    }

    @Test(
        "DPOP-06: a different scheme, host, port or path is refused",
        arguments: [
            "http://op.example.com/token", "https://op.example.com:8443/token", "https://rp.example.com/token",
            "https://op.example.com/token/", "https://op.example.com/Token", "https://op.example.com/par",
            "https://user@op.example.com/token", "/token", "op.example.com/token", "https://op.example.com/%zz",
        ])
    func targetURIRefused(htu: String) throws {
        expectOAuthError(.invalidDPoPProof, containing: "htu") {
            try Self.validateAtToken(Self.proof(["htu": .string(htu)]))
        }
    }

    @Test("DPOP-06: the normaliser")
    func normaliser() {
        #expect(DPoPTargetURI.normalized("HTTPS://OP.Example.com:443/token?x=1#f") == "https://op.example.com/token")
        #expect(DPoPTargetURI.normalized("http://op.example.com:80") == "http://op.example.com/")
        #expect(
            DPoPTargetURI.normalized("https://op.example.com:08443/a%2fb%7e") == "https://op.example.com:8443/a%2Fb~")
        #expect(DPoPTargetURI.normalized("https://[::1]:443/x") == "https://[::1]/x")
        #expect(DPoPTargetURI.normalized("https://op.example.com/a/b/..") == "https://op.example.com/a/")
        #expect(DPoPTargetURI.normalized("ftp://op.example.com/") == nil)
        #expect(DPoPTargetURI.normalized("https://op.example.com:99999/") == nil)
        #expect(DPoPTargetURI.normalized("https://op.example.com/a b") == nil)
        #expect(DPoPTargetURI.normalized("https:///token") == nil)
    }

    @Test("DPOP-06: a bad configured target URI is a server error, not the client's fault")
    func badConfiguration() throws {
        expectOAuthError(.serverError, containing: "configured request URI") {
            try Self.validateAtToken(Self.proof(), uri: "/token")
        }
    }

    @Test(
        "DPOP-07, SP-18: iat from 5 min ago to 60 s ahead is accepted (-300, -10, 0, +8, +10, +60)",
        arguments: [
            -300, -10, 0, 8, 10, 60,
        ] as [Int64])
    func issuedAtAccepted(offset: Int64) throws {
        try Self.validateAtToken(Self.proof(["iat": .integer(Self.now + offset)]))
    }

    @Test(
        "DPOP-07, SP-18: iat more than 60 s ahead or 5 min old is refused (+61, +3600, -301, -3600)",
        arguments: [
            61, 3600, -301, -3600,
        ] as [Int64])
    func issuedAtRefused(offset: Int64) throws {
        expectOAuthError(.invalidDPoPProof, containing: offset > 0 ? "s in the future" : "s old") {
            try Self.validateAtToken(Self.proof(["iat": .integer(Self.now + offset)]))
        }
    }

    @Test("DPOP-07: extreme iat values are refused, never overflow")
    func extremeIssuedAt() throws {
        for value in [Int64.min, Int64.max, -JSONValue.numericDateMagnitudeMax - 1] {
            expectOAuthError(.invalidDPoPProof, containing: "iat must be a NumericDate") {
                try Self.validateAtToken(Self.proof(["iat": .integer(value)]))
            }
        }
        expectOAuthError(.invalidDPoPProof, containing: "s old") {
            try Self.validateAtToken(Self.proof(["iat": .integer(-JSONValue.numericDateMagnitudeMax)]))
        }
    }

    @Test("DPOP-07: the window is configurable")
    func configurableWindow() throws {
        let narrow = DPoPProofValidator(
            context: .authorizationServer, issuedAtAgeSecondsMax: 10, issuedAtFutureSecondsMax: 10)
        try Self.validateAtToken(Self.proof(["iat": .integer(Self.now - 10)]), validator: narrow)
        expectOAuthError(.invalidDPoPProof, containing: "11 s old") {
            try Self.validateAtToken(Self.proof(["iat": .integer(Self.now - 11)]), validator: narrow)
        }
        expectOAuthError(.invalidDPoPProof, containing: "11 s in the future") {
            try Self.validateAtToken(Self.proof(["iat": .integer(Self.now + 11)]), validator: narrow)
        }
    }

    @Test("DPOP-09: unknown header parameters and claims, and nbf/exp, do not break validation")
    func extensibility() throws {
        try Self.validateAtToken(
            Self.proof(
                [
                    "nbf": .integer(Self.now - 5), "exp": .integer(Self.now + 60), "custom": ["a": 1],
                    "nonce": "unsolicited",
                ],
                header: ["kid": "whatever", "x-extra": true, "cty": "foo"]
            ))
        // nbf/exp are not enforced: freshness is the iat window's and the nonce's job.
        try Self.validateAtToken(Self.proof(["nbf": .integer(Self.now + 3600), "exp": .integer(Self.now - 3600)]))
    }

    @Test("DPOP-10: a demanded nonce must be present and current; otherwise use_dpop_nonce with DPoP-Nonce")
    func serverNonce() throws {
        try Self.validateAtToken(Self.proof(["nonce": "n-1"]), nonce: "n-1")
        for overrides: [String: JSONValue?] in [[:], ["nonce": "old"], ["nonce": 1]] {
            let error = expectOAuthError(.useDPoPNonce, containing: "nonce") {
                try Self.validateAtToken(Self.proof(overrides), nonce: "n-1")
            }
            #expect(error?.status == 400)
            #expect(error?.headers.map(\.name) == ["DPoP-Nonce"])
            #expect(error?.headers.map(\.value) == ["n-1"])
        }
        let rs = expectOAuthError(.useDPoPNonce, containing: "nonce") {
            _ = try Self.resourceServer.validate(
                headerValues: [
                    Self.proof([
                        "htm": "GET", "htu": .string(Self.userinfoURI), "ath": .string(Self.ath(Self.accessToken)),
                    ])
                ],
                method: "GET", targetURI: Self.userinfoURI, accessToken: Self.accessToken, expectedNonce: "n-2",
                nowSeconds: Self.now)
        }
        #expect(rs?.status == 401)
        #expect(
            rs?.headers.first { $0.name == "WWW-Authenticate" }?.value.hasPrefix(#"DPoP error="use_dpop_nonce""#)
                == true)
        #expect(rs?.headers.first { $0.name == "DPoP-Nonce" }?.value == "n-2")
        #expect(
            DPoPNonce.isValid("abc!~#") && !DPoPNonce.isValid("") && !DPoPNonce.isValid("a b")
                && !DPoPNonce.isValid("a\"b"))
        expectOAuthError(.serverError, containing: "NQCHAR") {
            try Self.validateAtToken(Self.proof(["nonce": "a b"]), nonce: "a b")
        }
    }

    @Test("DPOP-14: with an access token, ath is required and must be base64url(SHA-256(token))")
    func accessTokenHash() throws {
        func validate(_ overrides: [String: JSONValue?]) throws -> ValidatedDPoPProof {
            var claims: [String: JSONValue?] = ["htm": "GET", "htu": .string(Self.userinfoURI)]
            for (name, value) in overrides { claims[name] = value }
            return try Self.resourceServer.validate(
                headerValues: [Self.proof(claims)], method: "GET", targetURI: Self.userinfoURI,
                accessToken: Self.accessToken, nowSeconds: Self.now)
        }
        _ = try validate(["ath": .string(Self.ath(Self.accessToken))])
        expectOAuthError(.invalidDPoPProof, containing: "ath is missing") { _ = try validate([:]) }
        expectOAuthError(.invalidDPoPProof, containing: "ath does not match") {
            _ = try validate(["ath": .string(Self.ath("other"))])
        }
        expectOAuthError(.invalidDPoPProof, containing: "ath does not match") {
            _ = try validate([
                "ath": .string(Data(SHA256.hash(data: Array(Self.accessToken.utf8))).base64EncodedString())
            ])
        }
    }

    @Test("DPOP-14: at a resource server errors are 401 with a DPoP challenge naming the algs")
    func resourceServerChallenge() throws {
        let error = expectOAuthError(.invalidDPoPProof, containing: "typ") {
            _ = try Self.resourceServer.validate(
                headerValues: [Self.proof(header: ["typ": "JWT"])], method: "POST", targetURI: Self.tokenURI,
                nowSeconds: Self.now)
        }
        #expect(error?.status == 401)
        let challenge = error?.headers.first { $0.name == "WWW-Authenticate" }?.value ?? ""
        #expect(challenge.hasPrefix(#"DPoP error="invalid_dpop_proof", error_description=""#))
        #expect(challenge.hasSuffix(#"", algs="PS256 ES256 EdDSA""#))
        #expect(challenge.filter { $0 == "\"" }.count == 6)
        let missing = expectOAuthError(.invalidToken, containing: "DPoP-bound") {
            _ = try Self.resourceServer.validate(
                headerValues: [], method: "GET", targetURI: Self.userinfoURI, accessToken: Self.accessToken,
                nowSeconds: Self.now)
        }
        #expect(missing?.status == 401)
        #expect(missing?.headers.first?.value.hasPrefix(#"DPoP error="invalid_token""#) == true)
    }

    @Test("DPOP-15: a narrower algorithm set is enforced and advertised")
    func narrowerAlgorithms() throws {
        let esOnly = DPoPProofValidator(context: .resourceServer, allowedAlgorithms: [.es256])
        let error = expectOAuthError(.invalidDPoPProof, containing: "alg 'EdDSA' is not allowed") {
            _ = try esOnly.validate(
                headerValues: [Self.proof(key: TestKeys.ed25519)], method: "POST", targetURI: Self.tokenURI,
                nowSeconds: Self.now)
        }
        #expect(error?.headers.first?.value.hasSuffix(#"algs="ES256""#) == true)
    }

    @Test(
        "DPOP-10: rotating server nonces — the current and the previous window's nonce pass, older ones, other keys' and altered ones get use_dpop_nonce with the current nonce"
    )
    func rotatingServerNonces() throws {
        let key = SymmetricKey(size: .bits256)
        let nonces = DPoPNonceSource(key: key, windowSeconds: 60)
        let current = nonces.current(nowSeconds: Self.now)
        let previous = nonces.current(nowSeconds: Self.now - 60)
        let older = nonces.current(nowSeconds: Self.now - 120)
        #expect(current.utf8.count == 32 && DPoPNonce.isValid(current))
        #expect(current != previous && previous != older)
        #expect(nonces.current(nowSeconds: Self.now + 1) == current || (Self.now + 1) % 60 == 0)
        #expect(nonces.accepts(current, nowSeconds: Self.now) && nonces.accepts(previous, nowSeconds: Self.now))
        #expect(!nonces.accepts(older, nowSeconds: Self.now))
        #expect(!nonces.accepts(nonces.current(nowSeconds: Self.now + 60), nowSeconds: Self.now), "no future window")
        #expect(!DPoPNonceSource(key: SymmetricKey(size: .bits256)).accepts(current, nowSeconds: Self.now))
        var altered = Array(current.utf8)
        altered[20] = altered[20] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(!nonces.accepts(String(decoding: altered, as: UTF8.self), nowSeconds: Self.now))

        func validate(_ overrides: [String: JSONValue?]) throws -> ValidatedDPoPProof {
            try Self.authorizationServer.validate(
                headerValues: [Self.proof(overrides)], method: "POST", targetURI: Self.tokenURI, nonces: nonces,
                nowSeconds: Self.now)
        }
        _ = try validate(["nonce": .string(current)])
        _ = try validate(["nonce": .string(previous)])
        for overrides: [String: JSONValue?] in [[:], ["nonce": .string(older)], ["nonce": 7], ["nonce": "x"]] {
            let error = expectOAuthError(.useDPoPNonce, containing: "nonce") { _ = try validate(overrides) }
            #expect(error?.status == 400)
            #expect(error?.headers.first { $0.name == "DPoP-Nonce" }?.value == current)
        }
    }
}
