import Crypto
import Foundation
import JOSE
import Testing
import _CryptoExtras

@Suite("JOSE: strict JSON values")
struct JOSEJSONValueTests {
    @Test("parses objects, arrays, literals, exact integers and other numbers")
    func parsesEverything() throws {
        let text =
            #"{"s":"a\"b\\c\u00e9\ud83d\ude00","i":1700000000,"n":-1.5e2,"t":true,"f":false,"z":null,"a":[1,[]],"o":{}}"#
        let object = try JSONValue.parseObject(Array(text.utf8))
        #expect(object["s"] == .string("a\"b\\c\u{e9}\u{1F600}"))
        #expect(object["i"] == .integer(1_700_000_000))
        #expect(object["i"]?.numericDate == 1_700_000_000)
        #expect(object["n"] == .number(-150))
        #expect(object["n"]?.numericDate == -150)
        #expect(object["t"] == .bool(true))
        #expect(object["f"] == .bool(false))
        #expect(object["z"] == .null)
        #expect(object["a"] == .array([.integer(1), .array([])]))
        #expect(object["o"] == .object([:]))
        #expect(JSONValue.string("1700000000").numericDate == nil)
    }

    @Test("duplicate member names are rejected (RFC 7515 section 5.2)")
    func duplicateMembers() {
        expectJOSEError(.malformed, containing: "duplicate member name 'alg'") {
            _ = try JSONValue.parseObject(Array(#"{"alg":"ES256","alg":"none"}"#.utf8))
        }
        expectJOSEError(.malformed, containing: "duplicate") {
            _ = try JSONValue.parse(Array(#"[{"a":{"b":1,"b":2}}]"#.utf8))
        }
    }

    @Test("non-object top level is rejected where an object is required")
    func topLevelMustBeObject() {
        for text in [#"["a"]"#, #""x""#, "1", "null", "true"] {
            expectJOSEError(.malformed, containing: "must be an object") {
                _ = try JSONValue.parseObject(Array(text.utf8))
            }
        }
    }

    @Test(
        "malformed JSON is rejected",
        arguments: [
            "", "{", #"{"a":1,}"#, #"{"a" 1}"#, "[1,]", "01", "1.", "-", "1e", #"{"a":1} x"#, #""\x""#,
            #""\ud800""#, #""\udc00""#, "\"a\u{01}\"", "tru", #"{'a':1}"#, "NaN", "1e400",
        ])
    func malformed(text: String) {
        expectJOSEError(.malformed) { _ = try JSONValue.parse(Array(text.utf8)) }
    }

    @Test("invalid UTF-8 in a string is rejected")
    func invalidUTF8() {
        expectJOSEError(.malformed, containing: "UTF-8") { _ = try JSONValue.parse([0x22, 0xC3, 0x28, 0x22]) }
    }

    @Test("nesting deeper than the bound is rejected")
    func nestingBound() throws {
        let ok =
            String(repeating: "[", count: JSONValue.nestingDepthMax)
            + String(repeating: "]", count: JSONValue.nestingDepthMax)
        _ = try JSONValue.parse(Array(ok.utf8))
        let deep = "[" + ok + "]"
        expectJOSEError(.malformed, containing: "nesting") { _ = try JSONValue.parse(Array(deep.utf8)) }
    }

    @Test("serialisation: sorted members, no whitespace, escapes, round trip")
    func serialisation() throws {
        let value: JSONValue = ["b": [1, "x"], "a": .string("q\"\\\n\u{1}/é"), "c": .number(1.5), "d": .number(2)]
        let text = String(decoding: try value.jsonBytes(), as: UTF8.self)
        #expect(text == #"{"a":"q\"\\\n\u0001/é","b":[1,"x"],"c":1.5,"d":2}"#)
        #expect(
            try JSONValue.parse(value.jsonBytes()) == [
                "b": [1, "x"], "a": .string("q\"\\\n\u{1}/é"), "c": .number(1.5), "d": 2,
            ])
        expectJOSEError(.signingFailed) { _ = try JSONValue.number(.nan).jsonBytes() }
    }
}

@Suite("JOSE: compact JWS parsing")
struct JOSECompactJWSTests {
    static func token(header: String, payload: String = #"{"a":1}"#, signature: [UInt8] = [1, 2, 3]) -> String {
        Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(payload.utf8)) + "."
            + Base64URL.encode(signature)
    }

    @Test("exposes header members, alg, kid, typ, payload, signing input and signature")
    func parsesParts() throws {
        let token = Self.token(header: #"{"alg":"ES256","kid":"k1","typ":"dpop+jwt","x":[1]}"#)
        let jws = try CompactJWS.parse(token)
        #expect(jws.compact == token)
        #expect(jws.alg == "ES256")
        #expect(jws.kid == "k1")
        #expect(jws.typ == "dpop+jwt")
        #expect(jws.header["x"] == [1])
        #expect(jws.payload == Array(#"{"a":1}"#.utf8))
        #expect(try jws.claims() == ["a": 1])
        #expect(jws.signature == [1, 2, 3])
        let parts = token.split(separator: ".")
        #expect(jws.signingInput == Array("\(parts[0]).\(parts[1])".utf8))
    }

    @Test("crit is rejected: no extensions are understood (RFC 7515 section 4.1.11)")
    func critRejected() {
        expectJOSEError(.criticalHeader, containing: "crit") {
            _ = try CompactJWS.parse(Self.token(header: #"{"alg":"ES256","crit":["b64"],"b64":false}"#))
        }
    }

    @Test("structural problems are malformed")
    func malformedStructures() {
        let good = Self.token(header: #"{"alg":"ES256"}"#)
        let cases: [(String, String)] = [
            ("a.b", "three base64url parts"),
            (good + ".x", "three base64url parts"),
            ("e30=.e30.AQ", "header is not unpadded base64url"),
            ("eyJhbGciOiJFUzI1NiJ9.e+0.AQ", "payload is not unpadded base64url"),
            ("eyJhbGciOiJFUzI1NiJ9.e30.A/Q", "signature is not unpadded base64url"),
            (".e30.AQ", "header is not unpadded base64url"),
            (Self.token(header: #"["alg"]"#), "header is not a JSON object"),
            (Self.token(header: #"{"alg":"ES256","alg":"none"}"#), "duplicate"),
            (Self.token(header: #"{"kid":"k"}"#), "has no alg"),
            (Self.token(header: #"{"alg":1}"#), "alg must be a JSON string"),
            (Self.token(header: #"{"alg":"ES256","kid":7}"#), "kid must be a JSON string"),
            (Self.token(header: #"{"alg":"ES256","typ":null}"#), "typ must be a JSON string"),
            (String(repeating: "a", count: CompactJWS.compactLengthBytesMax + 1), "longer than"),
        ]
        for (token, fragment) in cases {
            expectJOSEError(.malformed, containing: fragment) { _ = try CompactJWS.parse(token) }
        }
    }

    @Test("a payload that is not a JSON object fails claims()")
    func payloadMustBeObject() throws {
        let jws = try CompactJWS.parse(Self.token(header: #"{"alg":"ES256"}"#, payload: "[1]"))
        expectJOSEError(.malformed, containing: "payload is not a JSON object") { _ = try jws.claims() }
    }
}

@Suite("JOSE: client JWK Sets (SP-38, SP-41)")
struct JOSEClientJWKSetTests {
    @Test("SP-38: usable keys are kept with kid, alg, kty, crv, thumbprint; odd keys are skipped, not fatal")
    func tolerantParsing() throws {
        let json = JSONValue.object([
            "keys": .array([
                .object(TestKeys.rsa.jwk(kid: "rsa", alg: "PS256", extra: ["use": "sig"])),
                .object(TestKeys.p256.jwk(kid: "ec")),
                .object(TestKeys.ed25519.jwk(kid: "ed", alg: "EdDSA")),
                .object(TestKeys.rsaOther.jwk(kid: "enc", alg: "RSA-OAEP-256", extra: ["use": "enc"])),
                .object(TestKeys.rsaOther.jwk(kid: "enc2", extra: ["use": "enc"])),
                .object(TestKeys.rsaOther.jwk(kid: "rs256", alg: "RS256")),
                .object(TestKeys.rsaOther.jwk(kid: "wrap", extra: ["key_ops": ["wrapKey"]])),
                .object([
                    "kty": "OKP", "crv": "X25519", "x": .string(Base64URL.encode([UInt8](repeating: 9, count: 32))),
                ]),
                .object(["kty": "made-up", "kid": "m"]),
                .object(["kid": "no-kty"]),
                .string("not an object"),
            ])
        ])
        let set = try ClientJWKSet.parse(json.jsonBytes())
        #expect(set.keys.map(\.kid) == ["rsa", "ec", "ed"])
        #expect(set.keys.map(\.kty) == ["RSA", "EC", "OKP"])
        #expect(set.keys.map(\.crv) == [nil, "P-256", "Ed25519"])
        #expect(set.keys.map(\.alg) == [.ps256, nil, .edDSA])
        #expect(
            set.keys.map(\.thumbprint) == [
                TestKeys.rsa.thumbprint, TestKeys.p256.thumbprint, TestKeys.ed25519.thumbprint,
            ])
        #expect(set.skipped.count == 8)
        #expect(set.unusable.isEmpty)
        #expect(set.skipped.contains { $0.contains("'enc'") && $0.contains("use is 'enc'") })
        #expect(set.skipped.contains { $0.contains("'RS256' is not PS256, ES256 or EdDSA") })
        #expect(set.skipped.contains { $0.contains("key_ops does not contain 'verify'") })
        #expect(set.skipped.contains { $0.contains("'X25519' is not Ed25519") })
        #expect(set.skipped.contains { $0.contains("kty 'made-up'") })
    }

    @Test("SP-38: RSA keys under 2048 bits and EC keys not on P-256 are unusable and reported")
    func unusableKeysReported() throws {
        let smallModulus = [UInt8]([0xC1]) + [UInt8](repeating: 0x5A, count: 127)  // 1024 bits
        let set = try keySet([
            ["kty": "RSA", "kid": "small", "n": .string(Base64URL.encode(smallModulus)), "e": "AQAB"],
            [
                "kty": "EC", "kid": "p384", "crv": "P-384",
                "x": .string(Base64URL.encode([UInt8](repeating: 1, count: 48))),
                "y": .string(Base64URL.encode([UInt8](repeating: 2, count: 48))),
            ],
            TestKeys.p256.jwk(
                kid: "bad-point", extra: ["y": .string(Base64URL.encode([UInt8](repeating: 3, count: 32)))]),
            TestKeys.p256.jwk(kid: "mismatch", alg: "PS256"),
            TestKeys.p256.jwk(kid: "ok"),
        ])
        #expect(set.keys.map(\.kid) == ["ok"])
        #expect(set.unusable.count == 4)
        #expect(set.unusable[0].contains("1024 bits; at least 2048 are required (SP-38)"))
        #expect(set.unusable[1].contains("'P-384' is not allowed"))
        #expect(set.unusable[2].contains("point on the curve"))
        #expect(set.unusable[3].contains("alg PS256 does not fit kty 'EC'"))
    }

    @Test("a key with private members rejects the whole set", arguments: ["d", "p", "q", "dp", "dq", "qi", "oth", "k"])
    func privateMembersRejected(member: String) {
        expectJOSEError(.privateKeyMaterial, containing: "private member \(member)") {
            _ = try keySet([TestKeys.p256.jwk(kid: "ok"), TestKeys.rsa.jwk(kid: "leak", extra: [member: "AQAB"])])
        }
    }

    @Test("a document without a keys array is malformed")
    func documentShape() {
        for text in [#"{"key":[]}"#, #"{"keys":{}}"#, #"[]"#, "{"] {
            expectJOSEError(.malformed) { _ = try ClientJWKSet.parse(Array(text.utf8)) }
        }
        let tooMany = JSONValue.object([
            "keys": .array(Array(repeating: .object([:]), count: ClientJWKSet.keyCountMax + 1))
        ])
        expectJOSEError(.malformed, containing: "at most") { _ = try ClientJWKSet.parse(tooMany.jsonBytes()) }
    }

    @Test("x5c certificates are decoded from standard base64 DER")
    func x5cDecoded() throws {
        let der: [UInt8] = [0x30, 0x03, 0x02, 0x01, 0xFB]  // standard base64 MAMCAfs= (padded)
        let set = try keySet([
            TestKeys.p256.jwk(kid: "cert", extra: ["x5c": [.string(Data(der).base64EncodedString()), "MAA="]]),
            TestKeys.p256.jwk(kid: "bad", extra: ["x5c": ["***"]]),
        ])
        #expect(set.keys.count == 1)
        #expect(set.keys[0].x5c == [der, [0x30, 0x00]])
        #expect(set.unusable.first?.contains("x5c[0] is not standard base64 DER") == true)
    }
}

@Suite("JOSE: JWS verification with client keys (SP-37, SP-41)")
struct JOSEVerificationTests {
    static let claims: [String: JSONValue] = ["iss": "client-1", "n": 1]

    static func fullSet() throws -> ClientJWKSet {
        try keySet([
            TestKeys.rsa.jwk(kid: "rsa"),
            TestKeys.p256.jwk(kid: "ec"),
            TestKeys.ed25519.jwk(kid: "ed"),
        ])
    }

    @Test(
        "PS256, ES256 and EdDSA signatures verify and return the key that verified",
        arguments: [
            TestKeys.rsa, TestKeys.p256, TestKeys.ed25519,
        ])
    func roundTrip(key: TestKey) throws {
        let set = try Self.fullSet()
        let token = try key.jws(claims: Self.claims)
        let verified = try set.verify(CompactJWS.parse(token), allowedAlgorithms: JWSAlgorithm.fapi2)
        #expect(verified.thumbprint == key.thumbprint)
        let withKid = try key.jws(
            header: ["kid": .string(set.keys.first { $0.thumbprint == key.thumbprint }!.kid!)], claims: Self.claims)
        #expect(
            try set.verify(CompactJWS.parse(withKid), allowedAlgorithms: JWSAlgorithm.fapi2).thumbprint
                == key.thumbprint)
    }

    @Test(
        "SP-37: alg none, HS256, RS256, ES384 are rejected before any cryptography",
        arguments: [
            "none", "HS256", "RS256", "ES384", "PS512", "Ed25519", "es256",
        ])
    func disallowedAlgorithms(alg: String) throws {
        let set = try Self.fullSet()
        let unsigned =
            Base64URL.encode(Array(#"{"alg":"\#(alg)"}"#.utf8)) + "." + Base64URL.encode(Array("{}".utf8)) + "."
        expectJOSEError(.algorithmNotAllowed, containing: "alg '\(alg)' is not allowed") {
            _ = try set.verify(CompactJWS.parse(unsigned), allowedAlgorithms: JWSAlgorithm.fapi2)
        }
    }

    @Test("SP-37: a genuine RS256 (PKCS#1 v1.5) signature by a registered RSA key without alg is rejected")
    func rs256WithValidSignatureRejected() throws {
        guard case .rsa(let rsa) = TestKeys.rsa.key else { return }
        let set = try keySet([TestKeys.rsa.jwk(kid: "rsa")])
        let token = try CompactJWS.serialize(header: ["alg": "RS256", "kid": "rsa"], payload: Array("{}".utf8)) {
            [UInt8](try rsa.signature(for: SHA256.hash(data: $0), padding: .insecurePKCS1v1_5).rawRepresentation)
        }
        expectJOSEError(.algorithmNotAllowed, containing: "RS256") {
            _ = try set.verify(CompactJWS.parse(token), allowedAlgorithms: JWSAlgorithm.fapi2)
        }
    }

    @Test("an alg outside the caller's narrower allow-list is rejected")
    func narrowerAllowList() throws {
        let token = try TestKeys.ed25519.jws(claims: Self.claims)
        expectJOSEError(.algorithmNotAllowed, containing: "one of: PS256 ES256") {
            _ = try Self.fullSet().verify(CompactJWS.parse(token), allowedAlgorithms: [.ps256, .es256])
        }
    }

    @Test("an unknown kid never falls back to another key, even one that would verify")
    func unknownKidNoFallback() throws {
        let set = try keySet([TestKeys.p256.jwk(kid: "registered")])
        let token = try TestKeys.p256.jws(header: ["kid": "other"], claims: Self.claims)
        expectJOSEError(.noMatchingKey, containing: "no usable key with kid 'other'") {
            _ = try set.verify(CompactJWS.parse(token), allowedAlgorithms: JWSAlgorithm.fapi2)
        }
    }

    @Test("without kid every compatible key is tried; the one that verifies is returned")
    func noKidTriesCandidates() throws {
        let set = try keySet([
            TestKeys.p256Other.jwk(kid: "a"), TestKeys.p256.jwk(kid: "b"), TestKeys.rsa.jwk(kid: "c"),
        ])
        let token = try TestKeys.p256.jws(claims: Self.claims)
        #expect(try set.verify(CompactJWS.parse(token), allowedAlgorithms: JWSAlgorithm.fapi2).kid == "b")
    }

    @Test("SP-41: duplicate kids are disambiguated by kty/crv/alg")
    func duplicateKidDisambiguated() throws {
        let set = try keySet([
            TestKeys.rsa.jwk(kid: "same"), TestKeys.p256.jwk(kid: "same"), TestKeys.ed25519.jwk(kid: "same"),
        ])
        for key in [TestKeys.rsa, TestKeys.p256, TestKeys.ed25519] {
            let token = try key.jws(header: ["kid": "same"], claims: Self.claims)
            let verified = try set.verify(CompactJWS.parse(token), allowedAlgorithms: JWSAlgorithm.fapi2)
            #expect(verified.kty == key.alg.keyType)
            #expect(try set.candidateKeys(for: CompactJWS.parse(token), algorithm: key.alg).count == 1)
        }
    }

    @Test("SP-41: a kid naming only keys of another type fails without trying them")
    func kidOfWrongType() throws {
        let set = try keySet([TestKeys.rsa.jwk(kid: "k"), TestKeys.p256.jwk(kid: "other")])
        let token = try TestKeys.p256.jws(header: ["kid": "k"], claims: Self.claims)
        expectJOSEError(.noMatchingKey, containing: "not usable for ES256") {
            _ = try set.verify(CompactJWS.parse(token), allowedAlgorithms: JWSAlgorithm.fapi2)
        }
        let noKid = try TestKeys.ed25519.jws(claims: Self.claims)
        expectJOSEError(.noMatchingKey, containing: "OKP key usable for EdDSA") {
            _ = try set.verify(CompactJWS.parse(noKid), allowedAlgorithms: JWSAlgorithm.fapi2)
        }
    }

    @Test("a tampered payload, a foreign key and a DER ES256 signature do not verify")
    func invalidSignatures() throws {
        let set = try keySet([TestKeys.p256.jwk(kid: "ec"), TestKeys.rsa.jwk(kid: "rsa")])
        let token = try TestKeys.p256.jws(claims: Self.claims)
        let parts = token.split(separator: ".").map(String.init)
        let tampered = parts[0] + "." + Base64URL.encode(Array(#"{"iss":"client-2","n":1}"#.utf8)) + "." + parts[2]
        expectJOSEError(.invalidSignature, containing: "does not verify") {
            _ = try set.verify(CompactJWS.parse(tampered), allowedAlgorithms: JWSAlgorithm.fapi2)
        }
        let foreign = try TestKeys.p256Other.jws(claims: Self.claims)
        expectJOSEError(.invalidSignature) {
            _ = try set.verify(CompactJWS.parse(foreign), allowedAlgorithms: JWSAlgorithm.fapi2)
        }
        guard case .p256(let ec) = TestKeys.p256.key else { return }
        let der = try CompactJWS.serialize(header: ["alg": "ES256"], payload: Array("{}".utf8)) {
            [UInt8](try ec.signature(for: $0).derRepresentation)
        }
        expectJOSEError(.invalidSignature) {
            _ = try set.verify(CompactJWS.parse(der), allowedAlgorithms: JWSAlgorithm.fapi2)
        }
        let foreignPS = try TestKeys.rsaOther.jws(claims: Self.claims)
        expectJOSEError(.invalidSignature) {
            _ = try set.verify(CompactJWS.parse(foreignPS), allowedAlgorithms: JWSAlgorithm.fapi2)
        }
        let empty = parts[0] + "." + parts[1] + "."
        expectJOSEError(.invalidSignature) {
            _ = try set.verify(CompactJWS.parse(empty), allowedAlgorithms: JWSAlgorithm.fapi2)
        }
    }

    @Test("embedded-key verification (DPoP): the key must fit the alg")
    func embeddedKey() throws {
        let key = try ClientJWK(jwk: TestKeys.ed25519.jwk())
        let token = try CompactJWS.parse(TestKeys.ed25519.jws(claims: Self.claims))
        #expect(try key.verify(token, allowedAlgorithms: JWSAlgorithm.fapi2) == .edDSA)
        let ecToken = try CompactJWS.parse(TestKeys.p256.jws(claims: Self.claims))
        expectJOSEError(.noMatchingKey, containing: "OKP key cannot verify alg ES256") {
            try key.verify(ecToken, allowedAlgorithms: JWSAlgorithm.fapi2)
        }
        expectJOSEError(.unusableKey, containing: "use is 'enc'") {
            _ = try ClientJWK(jwk: TestKeys.p256.jwk(extra: ["use": "enc"]))
        }
        expectJOSEError(.privateKeyMaterial) { _ = try ClientJWK(jwk: TestKeys.p256.jwk(extra: ["d": "AQ"])) }
    }
}

@Suite("JOSE: signing with OP keys, and published vectors")
struct JOSESigningVectorTests {
    @Test(
        "JWTSigner: ES256 (raw r||s) and PS256 tokens verify with the published JWK",
        arguments: SigningAlgorithm.allCases)
    func signerRoundTrip(alg: SigningAlgorithm) throws {
        let opKey = try OPSigningKey.generate(alg)
        let token = try JWTSigner(key: opKey).sign(
            claims: ["iss": "https://op.example.com", "x": 1], typ: "at+jwt", extraHeader: ["cty": "x"])
        let jws = try CompactJWS.parse(token)
        #expect(jws.alg == alg.rawValue)
        #expect(jws.kid == opKey.kid)
        #expect(jws.typ == "at+jwt")
        #expect(jws.header["cty"] == "x")
        #expect(try jws.claims() == ["iss": "https://op.example.com", "x": 1])
        if alg == .es256 { #expect(jws.signature.count == 64) }
        let key = try ClientJWK(publicJWK: opKey.publicJWK)
        #expect(try key.verify(jws, allowedAlgorithms: JWSAlgorithm.fapi2) == JWSAlgorithm(alg))
    }

    @Test("JWTSigner refuses extra header members it owns")
    func signerReservedMembers() throws {
        let signer = JWTSigner(key: try OPSigningKey.generate(.es256))
        for name in ["alg", "kid", "typ", "crit"] {
            expectJOSEError(.signingFailed, containing: "extra header member \(name)") {
                _ = try signer.sign(payload: Array("{}".utf8), extraHeader: [name: "x"])
            }
        }
    }

    /// RFC 7638 §3.1 example key.
    static let rfc7638Modulus =
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"

    @Test("RFC 7638 section 3.1 vector through the client key path")
    func rfc7638Vector() throws {
        let set = try keySet([
            ["kty": "RSA", "kid": "2011-04-29", "alg": "PS256", "e": "AQAB", "n": .string(Self.rfc7638Modulus)]
        ])
        #expect(set.keys.first?.thumbprint == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
    }

    /// RFC 8037 Appendix A.1 (key), A.3 (thumbprint), A.4 (JWS).
    static let rfc8037D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
    static let rfc8037X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    static let rfc8037JWS =
        "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"

    @Test("RFC 8037 Appendix A: Ed25519 public key, thumbprint and JWS")
    func rfc8037Vector() throws {
        let privateKey = try Curve25519.Signing.PrivateKey(rawRepresentation: #require(Base64URL.decode(Self.rfc8037D)))
        #expect(Base64URL.encode(privateKey.publicKey.rawRepresentation) == Self.rfc8037X)
        let key = try ClientJWK(jwk: ["kty": "OKP", "crv": "Ed25519", "x": .string(Self.rfc8037X)])
        #expect(key.thumbprint == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k")
        let jws = try CompactJWS.parse(Self.rfc8037JWS)
        #expect(jws.payload == Array("Example of Ed25519 signing".utf8))
        #expect(try key.verify(jws, allowedAlgorithms: JWSAlgorithm.fapi2) == .edDSA)
    }
}
