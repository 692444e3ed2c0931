import Foundation
import JOSE
import Testing

@Suite("JOSE: JWK thumbprints and the PublicJWK model")
struct JOSEThumbprintTests {
    /// RFC 7638 §3.1 example key.
    static let rfc7638Modulus =
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"

    @Test("RFC 7638 §3.1 vector: canonical input and thumbprint")
    func rfc7638Vector() throws {
        let jwk = try PublicJWK.rsa(n: Self.rfc7638Modulus, e: "AQAB", kid: "2011-04-29", alg: nil)
        let canonical = String(decoding: JWKThumbprint.canonicalInput(of: jwk), as: UTF8.self)
        #expect(canonical == #"{"e":"AQAB","kty":"RSA","n":"\#(Self.rfc7638Modulus)"}"#)
        #expect(JWKThumbprint.sha256(of: jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
    }

    @Test("thumbprint ignores optional members (kid, use, alg)")
    func thumbprintIgnoresOptionalMembers() throws {
        let a = try PublicJWK(kty: "RSA", kid: "a", use: "sig", alg: "PS256", n: Self.rfc7638Modulus, e: "AQAB")
        let b = try PublicJWK(kty: "RSA", kid: nil, use: nil, alg: nil, n: Self.rfc7638Modulus, e: "AQAB")
        #expect(JWKThumbprint.sha256(of: a) == JWKThumbprint.sha256(of: b))
    }

    @Test("decoded JSON member order does not change the thumbprint")
    func decodedOrderIndependent() throws {
        let json = #"{"n":"\#(Self.rfc7638Modulus)","alg":"RS256","kid":"2011-04-29","kty":"RSA","e":"AQAB"}"#
        let jwk = try JSONDecoder().decode(PublicJWK.self, from: Data(json.utf8))
        #expect(JWKThumbprint.sha256(of: jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
    }

    @Test("every generated OP key's kid is its thumbprint", arguments: SigningAlgorithm.allCases)
    func kidIsThumbprint(alg: SigningAlgorithm) throws {
        let key = try OPSigningKey.generate(alg)
        #expect(key.kid == JWKThumbprint.sha256(of: key.publicJWK))
        #expect(key.publicJWK.kid == key.kid)
        #expect(key.publicJWK.use == "sig")
        #expect(key.publicJWK.alg == alg.rawValue)
    }

    @Test("JSON is deterministic: sorted keys, no whitespace, absent members omitted")
    func deterministicJSON() throws {
        let jwk = try PublicJWK.ec(crv: "P-256", x: "AQ", y: "Ag", kid: "k1", alg: .es256)
        let json = String(decoding: jwk.jsonBytes(), as: UTF8.self)
        #expect(json == #"{"alg":"ES256","crv":"P-256","kid":"k1","kty":"EC","use":"sig","x":"AQ","y":"Ag"}"#)
        #expect(jwk.jsonBytes() == jwk.jsonBytes())
        let decoded = try JSONDecoder().decode(PublicJWK.self, from: Data(jwk.jsonBytes()))
        #expect(decoded == jwk)
    }

    @Test("decoding refuses private members, missing members and unknown key types")
    func decodingRefusesBadKeys() {
        let cases = [
            #"{"kty":"EC","crv":"P-256","x":"AQ","y":"Ag","d":"Aw"}"#,
            #"{"kty":"RSA","n":"AQ","e":"AQAB","p":"AQ"}"#,
            #"{"kty":"EC","crv":"P-256","x":"AQ"}"#,
            #"{"kty":"RSA","e":"AQAB"}"#,
            #"{"kty":"oct","k":"AQ"}"#,
            #"{"kty":"EC","crv":"P-256","x":"A+Q=","y":"Ag"}"#,
        ]
        for json in cases {
            #expect(throws: (any Error).self, "\(json)") {
                try JSONDecoder().decode(PublicJWK.self, from: Data(json.utf8))
            }
        }
    }

    @Test("Base64URL: unpadded round trip, strict decoding")
    func base64URL() {
        #expect(Base64URL.encode([0xfb, 0xff]) == "-_8")
        #expect(Base64URL.decode("-_8") == [0xfb, 0xff])
        #expect(Base64URL.encode([]) == "")
        #expect(Base64URL.decode("") == [])
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
        }
        #expect(Base64URL.decode("-_8=") == nil)  // padding
        #expect(Base64URL.decode("+/8") == nil)  // standard alphabet
        #expect(Base64URL.decode("-_ 8") == nil)  // whitespace
        #expect(Base64URL.decode("A") == nil)  // impossible length
        #expect(Base64URL.decode("-_9") == nil)  // non-canonical trailing bits
    }
}
