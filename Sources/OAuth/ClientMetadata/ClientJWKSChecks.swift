import Foundation
import JOSE
import X509

/// Checks on a client's inline `jwks` (RFC 7591 §2, RFC 7517 §5): public keys only, of FAPI
/// strength. Failures are `invalid_client_metadata`.
public enum ClientJWKSChecks {
    /// Most keys in a client JWKS.
    public static let keyCountMax = 16
    /// Smallest RSA modulus (SP-38).
    public static let rsaModulusBitsMin = 2048
    /// EC curves a client key may use, all ≥ 224 bits (SP-38); ES256 needs P-256.
    public static let allowedECCurves = ["P-256", "P-384", "P-521"]
    /// Private-key members (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037 §2).
    public static let privateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"]

    /// Validates an inline `jwks` and returns its canonical JSON text (sorted keys, no whitespace):
    /// an object with a non-empty `keys` array of objects, each with a `kty`, no private members
    /// (``rejectPrivateMembers(_:index:)``), and RSA/EC keys of sufficient size
    /// (``requireKeyStrength(_:index:)``), `x5c` well-formed (``validateX5C(_:index:)``).
    static func validateClientJWKS(_ value: MetadataJSON) throws(OAuthError) -> String {
        guard case .object(let set) = value else {
            throw OAuthError(
                .invalidClientMetadata, "jwks must be a JSON object {\"keys\": [...]}, not \(value.typeName)")
        }
        guard case .array(let keys)? = set["keys"], !keys.isEmpty else {
            throw OAuthError(.invalidClientMetadata, "jwks must have a non-empty \"keys\" array (RFC 7517 §5)")
        }
        guard keys.count <= keyCountMax else {
            throw OAuthError(
                .invalidClientMetadata, "jwks has \(keys.count) keys; at most \(keyCountMax) are accepted")
        }
        for (index, key) in keys.enumerated() {
            guard case .object(let members) = key else {
                throw OAuthError(
                    .invalidClientMetadata, "jwks.keys[\(index)] must be a JSON object, not \(key.typeName)")
            }
            guard case .string(let kty)? = members["kty"], !kty.isEmpty else {
                throw OAuthError(.invalidClientMetadata, "jwks.keys[\(index)] has no \"kty\" string (RFC 7517 §4.1)")
            }
            try rejectPrivateMembers(members, index: index)
            try requireKeyStrength(members, index: index)
            try validateX5C(members, index: index)
        }
        return value.canonicalText()
    }

    /// A client registers public keys only: a private member (`d`, `p`, `q`, `dp`, `dq`, `qi`,
    /// `oth`, `k`) means the client leaked its private key to the OP — refuse and tell it to
    /// rotate the key.
    static func rejectPrivateMembers(_ members: [String: MetadataJSON], index: Int) throws(OAuthError) {
        for name in privateMembers where members[name] != nil {
            throw OAuthError(
                .invalidClientMetadata,
                "jwks.keys[\(index)] contains the private member \"\(name)\"; register public keys only "
                    + "(and treat this key as compromised: generate a new one)")
        }
    }

    /// SP-38: RSA moduli ≥ 2048 bits, EC keys on P-256, P-384 or P-521 (≥ 224 bits).
    static func requireKeyStrength(_ members: [String: MetadataJSON], index: Int) throws(OAuthError) {
        guard case .string(let kty)? = members["kty"] else { return }
        switch kty {
        case "RSA":
            guard case .string(let n)? = members["n"], let modulus = Base64URL.decode(n) else {
                throw OAuthError(.invalidClientMetadata, "jwks.keys[\(index)] (RSA) has no base64url \"n\"")
            }
            let bits = bitLength(modulus)
            guard bits >= rsaModulusBitsMin else {
                throw OAuthError(
                    .invalidClientMetadata,
                    "jwks.keys[\(index)] is a \(bits)-bit RSA key; FAPI 2.0 requires at least \(rsaModulusBitsMin) bits"
                )
            }
        case "EC":
            guard case .string(let crv)? = members["crv"], allowedECCurves.contains(crv) else {
                throw OAuthError(
                    .invalidClientMetadata,
                    "jwks.keys[\(index)] (EC) must have \"crv\" P-256, P-384 or P-521 (FAPI 2.0 needs >= 224 bits)")
            }
        default:
            return
        }
    }

    /// `x5c`, when present, is a non-empty array of standard-base64 DER certificates (RFC 7517
    /// §4.7), the first one parseable: it is what `self_signed_tls_client_auth` compares with.
    static func validateX5C(_ members: [String: MetadataJSON], index: Int) throws(OAuthError) {
        guard let value = members["x5c"] else { return }
        guard case .array(let entries) = value, !entries.isEmpty else {
            throw OAuthError(.invalidClientMetadata, "jwks.keys[\(index)].x5c must be a non-empty array of strings")
        }
        for (position, entry) in entries.enumerated() {
            guard case .string(let text) = entry, let der = Data(base64Encoded: text), !der.isEmpty else {
                throw OAuthError(
                    .invalidClientMetadata,
                    "jwks.keys[\(index)].x5c[\(position)] is not standard base64 (RFC 7517 §4.7: not base64url)")
            }
            if position == 0, (try? Certificate(derEncoded: Array(der))) == nil {
                throw OAuthError(
                    .invalidClientMetadata, "jwks.keys[\(index)].x5c[0] is not a DER X.509 certificate")
            }
        }
    }

    /// MTLS-02: a `self_signed_tls_client_auth` client with an inline `jwks` registers its
    /// certificate as the `x5c` of at least one key (RFC 8705 §2.2), or no certificate could match.
    static func requireX5CForSelfSignedTLS(_ jwks: MetadataJSON) throws(OAuthError) {
        guard case .object(let set) = jwks, case .array(let keys)? = set["keys"] else { return }
        let hasCertificate = keys.contains { key in
            if case .object(let members) = key, members["x5c"] != nil { return true }
            return false
        }
        guard hasCertificate else {
            throw OAuthError(
                .invalidClientMetadata,
                "self_signed_tls_client_auth needs the client certificate in jwks: add it as \"x5c\" "
                    + "(standard base64 DER) to the key it certifies (RFC 8705 §2.2)")
        }
    }

    /// Number of significant bits in a big-endian unsigned integer.
    static func bitLength(_ bytes: [UInt8]) -> Int {
        guard let first = bytes.firstIndex(where: { $0 != 0 }) else { return 0 }
        return (bytes.count - first - 1) * 8 + (8 - bytes[first].leadingZeroBitCount)
    }
}
