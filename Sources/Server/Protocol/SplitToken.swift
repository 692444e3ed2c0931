import Crypto
import Events
import JOSE

/// Secrets the OP hands out (codes, tokens, `request_uri`s, session cookies) are `selector.secret`:
/// the selector is a `TimeOrderedID` (it keys the projection's row, not secret), the secret is 256
/// random bits (SP-39: ≥ 128 bits of entropy); only SHA-256 of the secret is ever stored.
struct SplitToken: Sendable {
    let selector: String
    let secret: String

    var value: String { selector + "." + secret }
    var secretHash: String { Self.hash(secret) }

    static func mint(nowMicros: Int64) -> SplitToken {
        // The selector's three words and the secret's four, from the pooled system CSPRNG (one
        // `getentropy` per 256 bytes instead of one `getrandom` per 8: 16 system calls a flow fewer).
        var rng = BatchedSystemRandom()
        let selector = TimeOrderedID.make(timeMicros: nowMicros, using: &rng)
        var bytes = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeMutableBytes { raw in
            for word in 0..<4 { raw.storeBytes(of: rng.next(), toByteOffset: word * 8, as: UInt64.self) }
        }
        return SplitToken(selector: selector, secret: Base64URL.encode(bytes))
    }

    /// Splits a presented value; nil when it does not have the shape of one of ours.
    static func parse(_ value: String) -> SplitToken? {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, (20...64).contains(parts[0].utf8.count), parts[1].utf8.count == 43 else { return nil }
        return SplitToken(selector: String(parts[0]), secret: String(parts[1]))
    }

    static func hash(_ secret: String) -> String {
        Base64URL.encode(Array(SHA256.hash(data: Array(secret.utf8))))
    }
}
