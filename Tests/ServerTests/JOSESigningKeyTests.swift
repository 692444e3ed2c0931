import Crypto
import Foundation
import JOSE
import Testing
import _CryptoExtras

@Suite("JOSE: OP signing keys (ES256, PS256)")
struct JOSESigningKeyTests {
    static let signingInput = Array("eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJodHRwczovL29wLmV4YW1wbGUifQ".utf8)

    /// Verifies a JWS signature with swift-crypto public keys rebuilt from the published JWK.
    static func verify(_ signature: [UInt8], over data: [UInt8], with jwk: PublicJWK) throws -> Bool {
        switch jwk.kty {
        case "EC":
            let x = try #require(jwk.x.flatMap(Base64URL.decode))
            let y = try #require(jwk.y.flatMap(Base64URL.decode))
            let publicKey = try P256.Signing.PublicKey(rawRepresentation: x + y)
            let ecdsa = try P256.Signing.ECDSASignature(rawRepresentation: signature)
            return publicKey.isValidSignature(ecdsa, for: data)
        case "RSA":
            let n = try #require(jwk.n.flatMap(Base64URL.decode))
            let e = try #require(jwk.e.flatMap(Base64URL.decode))
            let publicKey = try _RSA.Signing.PublicKey(n: n, e: e)
            let rsa = _RSA.Signing.RSASignature(rawRepresentation: signature)
            return publicKey.isValidSignature(rsa, for: SHA256.hash(data: data), padding: .PSS)
        default:
            Issue.record("unexpected kty \(jwk.kty)")
            return false
        }
    }

    @Test("ES256: 64-byte r||s signature verifies with the published JWK")
    func es256RoundTrip() throws {
        let key = try OPSigningKey.generate(.es256)
        #expect(key.algorithm == .es256)
        #expect(key.publicJWK.kty == "EC")
        #expect(key.publicJWK.crv == "P-256")
        let signature = try key.sign(Self.signingInput)
        #expect(signature.count == 64)
        #expect(try Self.verify(signature, over: Self.signingInput, with: key.publicJWK))
        var tampered = Self.signingInput
        tampered[0] ^= 1
        #expect(try !Self.verify(signature, over: tampered, with: key.publicJWK))
    }

    @Test("PS256: RSASSA-PSS signature (2048-bit key) verifies with the published JWK")
    func ps256RoundTrip() throws {
        let key = try OPSigningKey.generate(.ps256)
        #expect(key.algorithm == .ps256)
        #expect(key.publicJWK.kty == "RSA")
        #expect(key.publicJWK.e == "AQAB")
        let modulus = try #require(key.publicJWK.n.flatMap(Base64URL.decode))
        #expect(modulus.count * 8 == OPSigningKey.generatedRSAKeyBits)
        #expect(modulus.first != 0)
        let signature = try key.sign(Self.signingInput)
        #expect(signature.count == 256)
        #expect(try Self.verify(signature, over: Self.signingInput, with: key.publicJWK))
        // PSS is randomised: two signatures differ, both verify.
        let second = try key.sign(Self.signingInput)
        #expect(second != signature)
        #expect(try Self.verify(second, over: Self.signingInput, with: key.publicJWK))
        var tampered = Self.signingInput
        tampered[tampered.count - 1] ^= 1
        #expect(try !Self.verify(signature, over: tampered, with: key.publicJWK))
    }

    @Test("PEM round trip keeps kid and signing ability", arguments: SigningAlgorithm.allCases)
    func pemRoundTrip(alg: SigningAlgorithm) throws {
        let key = try OPSigningKey.generate(alg)
        let pem = key.pkcs8PEMRepresentation()
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let imported = try OPSigningKey(pemRepresentation: pem)
        #expect(imported.kid == key.kid)
        #expect(imported.algorithm == alg)
        #expect(imported.publicJWK == key.publicJWK)
        let signature = try imported.sign(Self.signingInput)
        #expect(try Self.verify(signature, over: Self.signingInput, with: key.publicJWK))
    }

    @Test("import refuses non-keys, other curves and RSA keys under 2048 bits")
    func importRefusals() throws {
        #expect(throws: OPSigningKey.KeyError.self) {
            try OPSigningKey(pemRepresentation: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
        }
        #expect(throws: OPSigningKey.KeyError.self) {
            try OPSigningKey(pemRepresentation: P384.Signing.PrivateKey().pemRepresentation)
        }
        let small = try _RSA.Signing.PrivateKey(unsafeKeySize: .init(bitCount: 1024))
        #expect(throws: OPSigningKey.KeyError.self) {
            try OPSigningKey(pemRepresentation: small.pkcs8PEMRepresentation)
        }
    }
}
