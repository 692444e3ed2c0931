import Foundation

/// A public JSON Web Key (RFC 7517) as the OP publishes it in its JWKS, valid by construction.
///
/// Every instance carries the members its key type requires (RFC 7518 §6): `crv`/`x`/`y` for `EC`,
/// `n`/`e` for `RSA`, `crv`/`x` for `OKP`. Decoding rejects a JWK that lacks them, carries private
/// members (`d`, `p`, `q`, `dp`, `dq`, `qi`, `k`), or has members that are not base64url.
/// ``jsonBytes()`` is deterministic (sorted keys, no whitespace, absent members omitted).
///
/// ```swift
/// let jwk = try PublicJWK.ec(crv: "P-256", x: x, y: y, kid: nil, alg: .es256)
/// let json = String(decoding: jwk.jsonBytes(), as: UTF8.self)
/// // {"alg":"ES256","crv":"P-256","kty":"EC","use":"sig","x":"…","y":"…"}
/// ```
public struct PublicJWK: Sendable, Hashable, Codable {
    /// Key type: `EC`, `RSA` or `OKP`.
    public let kty: String
    /// Key identifier. For OP keys this is the RFC 7638 thumbprint of the key.
    public let kid: String?
    /// Intended use; the OP publishes `sig` only.
    public let use: String?
    /// Algorithm the key is meant for, e.g. `ES256`, `PS256`.
    public let alg: String?
    /// Curve for `EC` (`P-256`, `P-384`, `P-521`) and `OKP` (`Ed25519`) keys.
    public let crv: String?
    /// EC / OKP x coordinate (base64url).
    public let x: String?
    /// EC y coordinate (base64url).
    public let y: String?
    /// RSA modulus (base64url, big-endian, no leading zero).
    public let n: String?
    /// RSA public exponent (base64url).
    public let e: String?

    /// Why a JWK was refused.
    public enum ValidationError: Error, Equatable, CustomStringConvertible {
        /// `kty` is not one of `EC`, `RSA`, `OKP`.
        case unsupportedKeyType(String)
        /// A member that the key type requires is missing or not base64url.
        case missingOrInvalidMember(String)
        /// A private-key member is present; a public JWK must not carry one.
        case privateMemberPresent(String)

        public var description: String {
            switch self {
            case .unsupportedKeyType(let kty): "unsupported JWK key type \"\(kty)\" (expected EC, RSA or OKP)"
            case .missingOrInvalidMember(let name): "JWK member \"\(name)\" is missing or not base64url"
            case .privateMemberPresent(let name): "JWK carries the private member \"\(name)\"; publish public keys only"
            }
        }
    }

    /// Creates a JWK after checking the members its `kty` requires.
    public init(
        kty: String, kid: String? = nil, use: String? = "sig", alg: String? = nil,
        crv: String? = nil, x: String? = nil, y: String? = nil, n: String? = nil, e: String? = nil
    ) throws(ValidationError) {
        self.kty = kty
        self.kid = kid
        self.use = use
        self.alg = alg
        self.crv = crv
        self.x = x
        self.y = y
        self.n = n
        self.e = e
        try validate()
    }

    /// An elliptic-curve public key (`kty` `EC`).
    public static func ec(
        crv: String, x: String, y: String, kid: String? = nil, alg: SigningAlgorithm? = nil
    ) throws(ValidationError) -> PublicJWK {
        try PublicJWK(kty: "EC", kid: kid, alg: alg?.rawValue, crv: crv, x: x, y: y)
    }

    /// An RSA public key (`kty` `RSA`).
    public static func rsa(
        n: String, e: String, kid: String? = nil, alg: SigningAlgorithm? = nil
    ) throws(ValidationError) -> PublicJWK {
        try PublicJWK(kty: "RSA", kid: kid, alg: alg?.rawValue, n: n, e: e)
    }

    /// The same key with another `kid`.
    public func withKid(_ kid: String?) -> PublicJWK {
        PublicJWK(unchecked: kty, kid: kid, use: use, alg: alg, crv: crv, x: x, y: y, n: n, e: e)
    }

    /// Deterministic JSON: keys sorted, no whitespace, slashes not escaped, absent members omitted.
    public func jsonBytes() -> [UInt8] {
        // Encoding a struct of optional strings cannot fail.
        (try? Self.canonicalEncoder.encode(self)).map { [UInt8]($0) } ?? []
    }

    // MARK: Codable

    private enum CodingKeys: String, CodingKey {
        case kty, kid, use, alg, crv, x, y, n, e
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Private-key members (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
    static let privateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"]

    public init(from decoder: any Decoder) throws {
        let all = try decoder.container(keyedBy: AnyKey.self)
        for name in Self.privateMembers where all.contains(AnyKey(stringValue: name)) {
            throw ValidationError.privateMemberPresent(name)
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.kty = try c.decode(String.self, forKey: .kty)
        self.kid = try c.decodeIfPresent(String.self, forKey: .kid)
        self.use = try c.decodeIfPresent(String.self, forKey: .use)
        self.alg = try c.decodeIfPresent(String.self, forKey: .alg)
        self.crv = try c.decodeIfPresent(String.self, forKey: .crv)
        self.x = try c.decodeIfPresent(String.self, forKey: .x)
        self.y = try c.decodeIfPresent(String.self, forKey: .y)
        self.n = try c.decodeIfPresent(String.self, forKey: .n)
        self.e = try c.decodeIfPresent(String.self, forKey: .e)
        try validate()
    }

    // MARK: Private

    private init(
        unchecked kty: String, kid: String?, use: String?, alg: String?,
        crv: String?, x: String?, y: String?, n: String?, e: String?
    ) {
        self.kty = kty
        self.kid = kid
        self.use = use
        self.alg = alg
        self.crv = crv
        self.x = x
        self.y = y
        self.n = n
        self.e = e
    }

    private func validate() throws(ValidationError) {
        func require(_ value: String?, _ name: String) throws(ValidationError) {
            guard let value, !value.isEmpty, Base64URL.decode(value) != nil else {
                throw .missingOrInvalidMember(name)
            }
        }
        switch kty {
        case "EC":
            guard let crv, ["P-256", "P-384", "P-521"].contains(crv) else { throw .missingOrInvalidMember("crv") }
            try require(x, "x")
            try require(y, "y")
        case "RSA":
            try require(n, "n")
            try require(e, "e")
        case "OKP":
            guard let crv, !crv.isEmpty else { throw .missingOrInvalidMember("crv") }
            try require(x, "x")
        default:
            throw .unsupportedKeyType(kty)
        }
    }

    private static let canonicalEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
