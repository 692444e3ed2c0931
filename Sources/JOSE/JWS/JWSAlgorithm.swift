/// A JWS algorithm the OP accepts on JWTs that clients sign (client assertions, request objects,
/// DPoP proofs): exactly the FAPI 2.0 set (SP-37). `none`, HS*, RS*, ES384 … cannot be represented,
/// so an allow-list of this type can never admit them.
///
/// ```swift
/// let allowed: Set<JWSAlgorithm> = JWSAlgorithm.fapi2   // PS256, ES256, EdDSA
/// JWSAlgorithm(rawValue: "RS256")                       // nil
/// JWSAlgorithm(.es256)                                  // the OP's own SigningAlgorithm
/// ```
public enum JWSAlgorithm: String, Sendable, Hashable, Codable, CaseIterable {
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256, 32-byte salt; RSA key ≥ 2048 bits (RFC 7518 §3.5).
    case ps256 = "PS256"
    /// ECDSA P-256 with SHA-256; signature is the 64-byte `r || s` (RFC 7518 §3.4).
    case es256 = "ES256"
    /// Ed25519 (RFC 8037 §3.1); signature is 64 bytes.
    case edDSA = "EdDSA"

    /// Every algorithm FAPI 2.0 permits (SP-37): `PS256`, `ES256`, `EdDSA`.
    public static let fapi2: Set<JWSAlgorithm> = [.ps256, .es256, .edDSA]

    /// The OP's own signing algorithm as a JWS algorithm.
    public init(_ algorithm: SigningAlgorithm) {
        switch algorithm {
        case .es256: self = .es256
        case .ps256: self = .ps256
        }
    }

    /// The JWK `kty` a key must have to verify this algorithm.
    public var keyType: String {
        switch self {
        case .ps256: "RSA"
        case .es256: "EC"
        case .edDSA: "OKP"
        }
    }

    /// The JWK `crv` a key must have, or `nil` for RSA.
    public var curve: String? {
        switch self {
        case .ps256: nil
        case .es256: "P-256"
        case .edDSA: "Ed25519"
        }
    }

    /// `algs` as a space-separated list in a fixed order (PS256, ES256, EdDSA), for
    /// `WWW-Authenticate` (RFC 9449 §7.1) and error messages.
    public static func spaceSeparated(_ algorithms: Set<JWSAlgorithm>) -> String {
        allCases.filter(algorithms.contains).map(\.rawValue).joined(separator: " ")
    }
}
