import Crypto

/// JSON Web Key thumbprints (RFC 7638).
///
/// The thumbprint hashes only the members the key type requires, in lexicographic order, with no
/// whitespace (RFC 7638 §3.2, §3.3): `{"crv","kty","x","y"}` for EC, `{"e","kty","n"}` for RSA,
/// `{"crv","kty","x"}` for OKP (RFC 8037 §2). Every OP key's `kid` is its SHA-256 thumbprint; DPoP
/// `jkt` (RFC 9449 §6.1) uses the same function.
///
/// ```swift
/// let kid = JWKThumbprint.sha256(of: jwk)   // e.g. "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
/// ```
public enum JWKThumbprint {
    /// base64url(SHA-256(canonical required-member JSON)).
    public static func sha256(of jwk: PublicJWK) -> String {
        Base64URL.encode(SHA256.hash(data: canonicalInput(of: jwk)))
    }

    /// The exact bytes that are hashed (RFC 7638 §3.1), exposed for tests and diagnostics.
    public static func canonicalInput(of jwk: PublicJWK) -> [UInt8] {
        // PublicJWK guarantees the required members exist for its kty; `?? ""` is unreachable.
        let members: [(String, String)]
        switch jwk.kty {
        case "EC":
            members = [("crv", jwk.crv ?? ""), ("kty", jwk.kty), ("x", jwk.x ?? ""), ("y", jwk.y ?? "")]
        case "RSA":
            members = [("e", jwk.e ?? ""), ("kty", jwk.kty), ("n", jwk.n ?? "")]
        default:
            members = [("crv", jwk.crv ?? ""), ("kty", jwk.kty), ("x", jwk.x ?? "")]
        }
        var json = "{"
        for (index, (name, value)) in members.enumerated() {
            if index > 0 { json += "," }
            json += jsonString(name) + ":" + jsonString(value)
        }
        json += "}"
        return Array(json.utf8)
    }

    /// Minimal JSON string literal (RFC 8259 §7); values here are base64url or short names.
    private static func jsonString(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
