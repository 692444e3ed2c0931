/// `user.added` v1 — an end user who can log in. The password is stored only as a slow-KDF hash
/// (PHC string format, e.g. `$scrypt$…` or `$pbkdf2-sha256$…`), never in clear.
public struct UserAdded: Codable, Sendable, Equatable {
    public var subject: String
    public var username: String
    public var passwordHash: String
    /// A TOTP second factor's seed, sealed (encrypted) by the OP's key store — never in clear; nil
    /// when the user has no second factor.
    public var sealedTOTPSeed: String?
    /// Claims released to clients (JSON object text).
    public var claims: String

    public init(subject: String, username: String, passwordHash: String, sealedTOTPSeed: String?, claims: String) {
        self.subject = subject
        self.username = username
        self.passwordHash = passwordHash
        self.sealedTOTPSeed = sealedTOTPSeed
        self.claims = claims
    }
}
