/// Why a ``KeyStore`` operation failed. Descriptions name the path and what to do; they never
/// contain key material.
public enum KeyStoreError: Error, Equatable, CustomStringConvertible {
    /// No key with this `kid` is stored.
    case keyNotFound(kid: String)
    /// The `kid` is not a base64url thumbprint (1–``FileKeyStore/maxKidLength`` characters of
    /// `[A-Za-z0-9_-]`); refused before it can reach the file system.
    case invalidKeyIdentifier
    /// A key file does not hold a usable private key.
    case unreadableKey(path: String, reason: String)
    /// A key file's name does not match the thumbprint of the key inside it.
    case kidMismatch(path: String, computedKid: String)
    /// The file system refused, or a key file / the key directory failed a safety check
    /// (group/world-accessible, foreign owner, symbolic link, oversize).
    case file(FileSecurityError)

    public var description: String {
        switch self {
        case .keyNotFound(let kid):
            "no signing key with kid \"\(kid)\" in the key store"
        case .invalidKeyIdentifier:
            "kid is not a base64url key thumbprint"
        case .unreadableKey(let path, let reason):
            "cannot use key file \(path): \(reason)"
        case .kidMismatch(let path, let computedKid):
            "key file \(path) holds the key with thumbprint \(computedKid); file name and key disagree"
        case .file(let error):
            error.description
        }
    }
}
