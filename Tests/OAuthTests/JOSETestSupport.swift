import Crypto
import Foundation
import JOSE
import Testing
import _CryptoExtras

@testable import OAuth

/// Client-side keys for tests: real keys, generated once per test process (RSA keygen is slow) and
/// shared by every suite.
enum TestKeys {
    static let rsa = TestKey(.rsa(makeRSA()))
    static let rsaOther = TestKey(.rsa(makeRSA()))
    static let p256 = TestKey(.p256(P256.Signing.PrivateKey()))
    static let p256Other = TestKey(.p256(P256.Signing.PrivateKey()))
    static let ed25519 = TestKey(.ed25519(Curve25519.Signing.PrivateKey()))

    private static func makeRSA() -> _RSA.Signing.PrivateKey {
        do {
            return try _RSA.Signing.PrivateKey(keySize: .bits2048)
        } catch {
            fatalError("RSA-2048 key generation failed: \(error)")
        }
    }
}

/// A private key with what a client does with it: publish its JWK, sign JWSs.
struct TestKey: Sendable {
    enum Private: Sendable {
        case rsa(_RSA.Signing.PrivateKey)
        case p256(P256.Signing.PrivateKey)
        case ed25519(Curve25519.Signing.PrivateKey)
    }

    let key: Private

    init(_ key: Private) { self.key = key }

    /// The algorithm this key signs with under FAPI 2.0.
    var alg: JWSAlgorithm {
        switch key {
        case .rsa: .ps256
        case .p256: .es256
        case .ed25519: .edDSA
        }
    }

    /// The public JWK members (no kid/alg/use).
    var publicMembers: [String: JSONValue] {
        switch key {
        case .rsa(let rsa):
            let primitives = try! rsa.publicKey.getKeyPrimitives()
            return [
                "kty": "RSA",
                "n": .string(Base64URL.encode(stripped(primitives.modulus))),
                "e": .string(Base64URL.encode(stripped(primitives.publicExponent))),
            ]
        case .p256(let ec):
            let raw = [UInt8](ec.publicKey.rawRepresentation)
            return [
                "kty": "EC", "crv": "P-256",
                "x": .string(Base64URL.encode(raw[0..<32])), "y": .string(Base64URL.encode(raw[32..<64])),
            ]
        case .ed25519(let ed):
            return ["kty": "OKP", "crv": "Ed25519", "x": .string(Base64URL.encode(ed.publicKey.rawRepresentation))]
        }
    }

    /// The public JWK with optional `kid`, `alg` (default: this key's alg) and extra members.
    func jwk(kid: String? = nil, alg: String? = nil, extra: [String: JSONValue] = [:]) -> [String: JSONValue] {
        var object = publicMembers
        if let kid { object["kid"] = .string(kid) }
        if let alg { object["alg"] = .string(alg) }
        for (name, value) in extra { object[name] = value }
        return object
    }

    /// RFC 7638 thumbprint of the public key.
    var thumbprint: String {
        let object = publicMembers
        let jwk = try! PublicJWK(
            kty: object["kty"]!.stringValue!, use: nil, crv: object["crv"]?.stringValue,
            x: object["x"]?.stringValue, y: object["y"]?.stringValue,
            n: object["n"]?.stringValue, e: object["e"]?.stringValue)
        return JWKThumbprint.sha256(of: jwk)
    }

    /// The JWS signature of `input` with this key's FAPI algorithm (raw r||s for ES256).
    func sign(_ input: [UInt8]) throws -> [UInt8] {
        switch key {
        case .rsa(let rsa): [UInt8](try rsa.signature(for: SHA256.hash(data: input), padding: .PSS).rawRepresentation)
        case .p256(let ec): [UInt8](try ec.signature(for: input).rawRepresentation)
        case .ed25519(let ed): [UInt8](try ed.signature(for: input))
        }
    }

    /// A compact JWS over `claims` with `header` (alg defaults to this key's alg).
    func jws(header: [String: JSONValue] = [:], claims: [String: JSONValue]) throws -> String {
        var fullHeader = header
        if fullHeader["alg"] == nil { fullHeader["alg"] = .string(alg.rawValue) }
        return try CompactJWS.serialize(header: fullHeader, payload: JSONValue.object(claims).jsonBytes()) {
            try sign($0)
        }
    }

    private func stripped(_ data: Data) -> [UInt8] {
        let bytes = [UInt8](data)
        return Array(bytes.drop(while: { $0 == 0 }))
    }
}

/// Key sets from test keys.
func keySet(_ entries: [[String: JSONValue]]) throws -> ClientJWKSet {
    try ClientJWKSet.parse(JSONValue.object(["keys": .array(entries.map(JSONValue.object))]).jsonBytes())
}

/// RFC 6749 §5.2: error_description is %x20-21 / %x23-5B / %x5D-7E.
func isValidErrorDescription(_ text: String) -> Bool {
    !text.isEmpty
        && text.unicodeScalars.allSatisfy { scalar in
            (0x20...0x21).contains(scalar.value) || (0x23...0x5B).contains(scalar.value)
                || (0x5D...0x7E).contains(scalar.value)
        }
}

/// Runs `body`, expects an `OAuthError` with `code` whose description contains `fragment` and is
/// a valid error_description; returns it for further checks.
@discardableResult
func expectOAuthError(
    _ code: OAuthError.Code, containing fragment: String, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) -> OAuthError? {
    do {
        try body()
        Issue.record(
            "expected \(code.rawValue) containing '\(fragment)', but it succeeded", sourceLocation: sourceLocation)
        return nil
    } catch let error as OAuthError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        #expect(error.description.contains(fragment), "\(error.description)", sourceLocation: sourceLocation)
        #expect(isValidErrorDescription(error.description), "\(error.description)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected OAuthError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Runs `body`, expects a `JOSEError` of `kind` whose reason contains `fragment`.
@discardableResult
func expectJOSEError(
    _ kind: JOSEError.Kind, containing fragment: String = "", sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) -> JOSEError? {
    do {
        try body()
        Issue.record("expected JOSEError.\(kind), but it succeeded", sourceLocation: sourceLocation)
        return nil
    } catch let error as JOSEError {
        #expect(error.kind == kind, "\(error.reason)", sourceLocation: sourceLocation)
        // An empty fragment means "any reason" (String.contains("") is false).
        #expect(fragment.isEmpty || error.reason.contains(fragment), "\(error.reason)", sourceLocation: sourceLocation)
        #expect(isValidErrorDescription(error.reason), "\(error.reason)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected JOSEError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
