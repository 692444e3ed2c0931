import Authn
import Foundation
import Synchronization

/// ``EndUserVerifier`` over the `Authn` module: scrypt password hashes (PHC strings) and RFC 6238
/// TOTP seeds sealed with AES-256-GCM under the data directory's sealing key (`keys/seal.key`),
/// bound to the subject as associated data.
public struct AuthnEndUserVerifier: EndUserVerifier {
    let sealer: SecretSealer
    let hasher = PasswordHasher()
    /// Made on first use (hashing takes as long as a check), then kept.
    private let decoyHash = DecoyHash()

    public init(sealer: SecretSealer) { self.sealer = sealer }

    public func verifyDecoyPassword(_ password: String) {
        let decoy = decoyHash.value.withLock { cached -> String? in
            if let cached { return cached }
            var random = SystemRandomNumberGenerator()
            let made = try? hasher.hash(password: (0..<4).map { _ in String(random.next(), radix: 36) }.joined())
            cached = made
            return made
        }
        if let decoy { _ = try? hasher.verify(password: password, against: decoy) }
    }

    /// The sealing key of a data directory's `keys/seal.key`, created (owner-only) on first use.
    public static func loadOrCreateSealer(path: String) throws -> SecretSealer {
        if let data = FileManager.default.contents(atPath: path) {
            return try SecretSealer(key: Array(data))
        }
        let key = SecretSealer.generateKey()
        guard FileManager.default.createFile(atPath: path, contents: Data(key), attributes: [.posixPermissions: 0o600])
        else { throw OAuthServerSetupError("cannot write \(path)") }
        return try SecretSealer(key: key)
    }

    public func verifyPassword(_ password: String, hash: String) -> Bool {
        (try? hasher.verify(password: password, against: hash).matches) ?? false
    }

    public func verifyTOTP(_ code: String, sealedSeed: String, subject: String, nowSeconds: Int64) -> Int64? {
        guard let seed = try? sealer.open(sealedSeed, associatedData: Array(subject.utf8)),
            let totp = try? TOTP(secret: seed)
        else { return nil }
        // Replay of a step already used is refused by the Ledger (it knows the last step journaled).
        return totp.verify(code.filter { !$0.isWhitespace }, at: nowSeconds, lastUsedStep: nil)
    }
}

private final class DecoyHash: Sendable {
    let value = Mutex<String?>(nil)
}
