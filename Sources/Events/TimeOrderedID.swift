/// Identifiers the OP mints (interaction, grant, token and code selectors): the time first, then
/// randomness, in an alphabet whose ASCII order is its numeric order, so that identifiers minted later
/// sort later.
///
/// Why: the projection's B-trees are keyed by these identifiers. Random keys (e.g. a token hash) make
/// every insert dirty a random page, and every transaction rewrite thousands of pages into the WAL;
/// time-ordered keys make inserts append to the right edge. Secrets are never the key: a token is
/// `selector.secret` — the selector (this identifier) finds the row, the SHA-256 of the secret is
/// compared in constant time ("split token").
///
/// Format: 9 characters of milliseconds since the Unix epoch (54 bits) + `randomCharacters`
/// characters of randomness (6 bits each; 22 by default = 132 bits).
///
/// ```swift
/// var rng = SystemRandomNumberGenerator()
/// let grantID = TimeOrderedID.make(timeMicros: now, using: &rng)   // e.g. "1bX3k9-Qa" + 22 random
/// ```
public enum TimeOrderedID {
    /// 64 URL-safe characters in ASCII order: `-`, `0-9`, `A-Z`, `_`, `a-z`.
    public static let alphabet: [UInt8] = Array("-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz".utf8)
    public static let timeCharacters = 9
    public static let defaultRandomCharacters = 22

    public static func make<R: RandomNumberGenerator>(
        timeMicros: Int64, randomCharacters: Int = defaultRandomCharacters, using rng: inout R
    ) -> String {
        let millis = UInt64(max(0, timeMicros / 1_000))
        let count = timeCharacters + randomCharacters
        return String(unsafeUninitializedCapacity: count) { buffer in
            for i in 0..<timeCharacters {
                let shift = UInt64(6 * (timeCharacters - 1 - i))
                buffer[i] = alphabet[Int((millis >> shift) & 63)]
            }
            var bits: UInt64 = 0
            var left = 0
            for i in timeCharacters..<count {
                if left == 0 {
                    bits = rng.next()
                    left = 10
                }
                buffer[i] = alphabet[Int(bits & 63)]
                bits >>= 6
                left -= 1
            }
            return count
        }
    }
}
