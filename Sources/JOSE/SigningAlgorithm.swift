/// A JWS signature algorithm the OP signs with (RFC 7518 §3 names).
///
/// Only the FAPI 2.0 algorithms the OP itself uses for its own keys are listed (SP-37, F1-17):
/// `ES256` (ECDSA P-256 / SHA-256) and `PS256` (RSASSA-PSS / SHA-256, MGF1-SHA-256, 32-byte salt).
/// RS256 and `none` are deliberately absent.
///
/// ```swift
/// let alg = SigningAlgorithm(rawValue: "PS256")   // .ps256
/// print(SigningAlgorithm.es256.rawValue)          // "ES256"
/// ```
public enum SigningAlgorithm: String, Sendable, Hashable, Codable, CaseIterable {
    /// ECDSA using P-256 and SHA-256; the JWS signature is the 64-byte `r || s`.
    case es256 = "ES256"
    /// RSASSA-PSS using SHA-256 and MGF1 with SHA-256, salt length 32 bytes.
    case ps256 = "PS256"
}
