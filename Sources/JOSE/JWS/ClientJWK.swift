import Crypto
import Foundation
import _CryptoExtras

/// A public signing key supplied by a client — one entry of its registered JWK Set, or the `jwk`
/// header of a DPoP proof — decoded into swift-crypto key material, with its RFC 7638 thumbprint.
///
/// Only keys usable for a FAPI 2.0 algorithm exist as values (SP-37, SP-38): RSA ≥ 2048 bits
/// (PS256), EC P-256 (ES256), OKP Ed25519 (EdDSA). ``parse(_:)`` says why any other key is not one.
///
/// ```swift
/// let key = try ClientJWK(jwk: header["jwk"]?.objectValue ?? [:])   // strict: DPoP
/// try key.verify(jws, allowedAlgorithms: JWSAlgorithm.fapi2)
/// print(key.thumbprint)                                              // DPoP jkt
/// ```
public struct ClientJWK: Sendable {
    /// `kid`, if the JWK has one.
    public let kid: String?
    /// The JWK's declared `alg`, if any; it is one of the FAPI 2.0 algorithms.
    public let alg: JWSAlgorithm?
    /// `RSA`, `EC` or `OKP`.
    public let kty: String
    /// `P-256` or `Ed25519`; `nil` for RSA.
    public let crv: String?
    /// `use`, if present (always `sig` when present).
    public let use: String?
    /// The public members as a ``PublicJWK`` (for publishing, comparison and the thumbprint).
    public let publicJWK: PublicJWK
    /// The RFC 7638 SHA-256 thumbprint (base64url): DPoP `jkt`, `cnf.jkt`.
    public let thumbprint: String
    /// `x5c` certificates as DER, leaf first (RFC 7517 §4.7); empty when absent. Not validated
    /// against the key here: the mTLS check that uses them compares the presented certificate.
    public let x5c: [[UInt8]]
    /// The key material.
    public let material: Material

    /// swift-crypto public key material for one of the FAPI 2.0 algorithms.
    public enum Material: Sendable {
        case rsa(_RSA.Signing.PublicKey)
        case p256(P256.Signing.PublicKey)
        case ed25519(Curve25519.Signing.PublicKey)
    }

    /// Smallest RSA modulus accepted (SP-38).
    public static let rsaModulusBitsMin = 2048
    /// Largest RSA modulus accepted: bounds verification cost per key.
    public static let rsaModulusBitsMax = 8192
    /// Most `x5c` certificates accepted on one key.
    public static let x5cCountMax = 10

    /// Members that only a private JWK has (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
    public static let privateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"]

    /// What ``parse(_:)`` found.
    public enum ParseOutcome: Sendable {
        /// A FAPI 2.0 signing key.
        case usable(ClientJWK)
        /// Not a signing key we use, and not a problem: unknown `kty`/`crv`, `use: enc`, `key_ops`
        /// without `verify`, an `alg` outside PS256/ES256/EdDSA (e.g. `RSA-OAEP-256`, `RS256`).
        case skipped(String)
        /// A signing key we must not use: RSA < 2048 bits, EC not P-256, malformed key material (SP-38).
        case unusable(String)
    }

    /// Classifies one JWK object. Throws ``JOSEError/Kind/privateKeyMaterial`` when it carries a
    /// private member; every other problem is an outcome, so one odd key never spoils a key set.
    public static func parse(_ jwk: [String: JSONValue]) throws(JOSEError) -> ParseOutcome {
        let label = describe(jwk)
        try rejectPrivateMembers(jwk, label: label)
        guard let kty = jwk["kty"]?.stringValue else { return .skipped("\(label): kty is missing or not a string") }
        let use = jwk["use"]?.stringValue
        if let outcome = skipNonSignatureUse(jwk, use: use, label: label) { return .skipped(outcome) }
        let declaredAlg: JWSAlgorithm?
        switch jwk["alg"] {
        case nil: declaredAlg = nil
        case .string(let name)?:
            guard let alg = JWSAlgorithm(rawValue: name) else {
                return .skipped("\(label): alg \(Diagnostic.quote(name)) is not PS256, ES256 or EdDSA")
            }
            declaredAlg = alg
        case _?: return .skipped("\(label): alg is not a string")
        }
        if let declaredAlg, declaredAlg.keyType != kty {
            return .unusable("\(label): alg \(declaredAlg.rawValue) does not fit kty \(Diagnostic.quote(kty))")
        }
        let material: Material
        let publicJWK: PublicJWK
        switch decodeMaterial(kty: kty, jwk: jwk, label: label) {
        case .success(let decoded): (material, publicJWK) = decoded
        case .failure(let outcome): return outcome.value
        }
        let x5c: [[UInt8]]
        switch decodeX5C(jwk["x5c"], label: label) {
        case .success(let certificates): x5c = certificates
        case .failure(let outcome): return outcome.value
        }
        return .usable(
            ClientJWK(
                kid: jwk["kid"]?.stringValue,
                alg: declaredAlg,
                kty: kty,
                crv: kty == "RSA" ? nil : jwk["crv"]?.stringValue,
                use: use,
                publicJWK: publicJWK,
                thumbprint: JWKThumbprint.sha256(of: publicJWK),
                x5c: x5c,
                material: material
            )
        )
    }

    /// Strict form of ``parse(_:)`` for a single key that must be usable (the DPoP `jwk` header):
    /// a skipped or unusable key is an ``JOSEError/Kind/unusableKey`` error.
    public init(jwk: [String: JSONValue]) throws(JOSEError) {
        switch try Self.parse(jwk) {
        case .usable(let key): self = key
        case .skipped(let reason), .unusable(let reason): throw JOSEError(.unusableKey, reason)
        }
    }

    /// A key from a ``PublicJWK`` (e.g. one the OP stored earlier).
    public init(publicJWK: PublicJWK) throws(JOSEError) {
        let object: [String: JSONValue]
        do {
            object = try JSONValue.parseObject(publicJWK.jsonBytes())
        } catch {
            throw JOSEError(.unusableKey, "the JWK could not be re-read: \(error.reason)")
        }
        try self.init(jwk: object)
    }

    private init(
        kid: String?, alg: JWSAlgorithm?, kty: String, crv: String?, use: String?, publicJWK: PublicJWK,
        thumbprint: String, x5c: [[UInt8]], material: Material
    ) {
        self.kid = kid
        self.alg = alg
        self.kty = kty
        self.crv = crv
        self.use = use
        self.publicJWK = publicJWK
        self.thumbprint = thumbprint
        self.x5c = x5c
        self.material = material
    }

    /// Whether this key may verify `algorithm`: the key type and curve fit (SP-41), and a declared
    /// `alg` equals it (RFC 7517 §4.4; never infer the algorithm from the token alone).
    public func isCompatible(with algorithm: JWSAlgorithm) -> Bool {
        guard kty == algorithm.keyType, crv == algorithm.curve else { return false }
        if let alg, alg != algorithm { return false }
        return true
    }

    // MARK: Classification steps

    /// A client must never publish (or send) private key material.
    private static func rejectPrivateMembers(_ jwk: [String: JSONValue], label: String) throws(JOSEError) {
        for name in privateMembers where jwk[name] != nil {
            throw JOSEError(
                .privateKeyMaterial,
                "\(label) carries the private member \(name); publish public keys only and replace this key"
            )
        }
    }

    /// `use` other than `sig`, or `key_ops` without `verify`, marks a key not meant for signatures.
    private static func skipNonSignatureUse(_ jwk: [String: JSONValue], use: String?, label: String) -> String? {
        if jwk["use"] != nil, use != "sig" {
            return "\(label): use is \(use.map(Diagnostic.quote) ?? "not a string"), not 'sig'"
        }
        if let ops = jwk["key_ops"] {
            guard let list = ops.arrayValue, list.contains(.string("verify")) else {
                return "\(label): key_ops does not contain 'verify'"
            }
        }
        return nil
    }

    private struct Rejection: Error {
        let value: ParseOutcome
    }

    private static func decodeMaterial(
        kty: String, jwk: [String: JSONValue], label: String
    ) -> Result<(Material, PublicJWK), Rejection> {
        func member(_ name: String) -> [UInt8]? { jwk[name]?.stringValue.flatMap(Base64URL.decode) }
        func unusable(_ text: String) -> Result<(Material, PublicJWK), Rejection> {
            .failure(Rejection(value: .unusable("\(label): \(text)")))
        }
        let crv = jwk["crv"]?.stringValue
        switch kty {
        case "RSA":
            guard let n = member("n"), let e = member("e"), !n.isEmpty, !e.isEmpty else {
                return unusable("RSA key needs base64url n and e")
            }
            let bits = bitLength(n)
            guard bits >= rsaModulusBitsMin else {
                return unusable("RSA key has \(bits) bits; at least \(rsaModulusBitsMin) are required (SP-38)")
            }
            guard bits <= rsaModulusBitsMax else {
                return unusable("RSA key has \(bits) bits; at most \(rsaModulusBitsMax) are accepted")
            }
            guard n.first != 0, e.first != 0, let key = try? _RSA.Signing.PublicKey(n: n, e: e),
                let jwkValue = try? PublicJWK.rsa(n: Base64URL.encode(n), e: Base64URL.encode(e))
            else { return unusable("RSA n or e is not a valid minimal big-endian integer") }
            return .success((.rsa(key), jwkValue))
        case "EC":
            guard let crv else { return unusable("EC key has no crv") }
            guard crv == "P-256" else {
                if ["P-384", "P-521", "secp256k1"].contains(crv) {
                    return unusable("EC curve \(Diagnostic.quote(crv)) is not allowed; use P-256 for ES256")
                }
                return .failure(Rejection(value: .skipped("\(label): unknown EC curve \(Diagnostic.quote(crv))")))
            }
            guard let x = member("x"), let y = member("y"), x.count == 32, y.count == 32,
                let key = try? P256.Signing.PublicKey(rawRepresentation: x + y),
                let jwkValue = try? PublicJWK.ec(crv: crv, x: Base64URL.encode(x), y: Base64URL.encode(y))
            else { return unusable("P-256 x and y must be 32-byte base64url coordinates of a point on the curve") }
            return .success((.p256(key), jwkValue))
        case "OKP":
            guard crv == "Ed25519" else {
                return .failure(
                    Rejection(
                        value: .skipped("\(label): OKP curve \(crv.map(Diagnostic.quote) ?? "missing") is not Ed25519"))
                )
            }
            guard let x = member("x"), x.count == 32, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: x),
                let jwkValue = try? PublicJWK(kty: "OKP", use: nil, crv: "Ed25519", x: Base64URL.encode(x))
            else { return unusable("Ed25519 x must be a 32-byte base64url public key") }
            return .success((.ed25519(key), jwkValue))
        default:
            return .failure(
                Rejection(value: .skipped("\(label): kty \(Diagnostic.quote(kty)) is not used for signatures")))
        }
    }

    /// `x5c`: an array of standard-base64 (not base64url) DER certificates (RFC 7517 §4.7).
    private static func decodeX5C(_ value: JSONValue?, label: String) -> Result<[[UInt8]], Rejection> {
        guard let value else { return .success([]) }
        guard let list = value.arrayValue, !list.isEmpty, list.count <= x5cCountMax else {
            return .failure(
                Rejection(value: .unusable("\(label): x5c must be an array of 1 to \(x5cCountMax) certificates"))
            )
        }
        var certificates: [[UInt8]] = []
        for (index, element) in list.enumerated() {
            guard let text = element.stringValue, let der = Data(base64Encoded: text), !der.isEmpty else {
                return .failure(
                    Rejection(value: .unusable("\(label): x5c[\(index)] is not standard base64 DER"))
                )
            }
            certificates.append([UInt8](der))
        }
        return .success(certificates)
    }

    /// Significant bits of a big-endian unsigned integer.
    private static func bitLength(_ bytes: [UInt8]) -> Int {
        guard let first = bytes.firstIndex(where: { $0 != 0 }) else { return 0 }
        return (bytes.count - first - 1) * 8 + (8 - bytes[first].leadingZeroBitCount)
    }

    /// `key 'kid'` or `key #?` for messages.
    private static func describe(_ jwk: [String: JSONValue]) -> String {
        if let kid = jwk["kid"]?.stringValue { return "key \(Diagnostic.quote(kid))" }
        return "key without kid"
    }
}
