import Crypto
import Synchronization

/// DPoP proof `jti`s seen at the OP-hosted resources (userinfo), refused when seen again within
/// their acceptance window (DPOP-08).
///
/// Unlike the token and PAR endpoints — where the Ledger remembers `jti`s durably because a replay
/// there would mint credentials — a resource request changes no state, so this cache is in memory
/// only: after a restart a proof could be replayed within its window (≤ 6 minutes) to read the same
/// userinfo again. Bounded by ``entriesMax``; when full, the oldest half is dropped.
final class ResourceReplayCache: Sendable {
    static let entriesMax = 1_000_000
    private let seen = Mutex<[SHA256Digest: Int64]>([:])

    /// Records `jkt`+`jti` until `untilSeconds`; false when it was already there (a replay).
    func firstUse(jkt: String, jti: String, nowSeconds: Int64, untilSeconds: Int64) -> Bool {
        let key = SHA256.hash(data: Array("\(jkt):\(jti)".utf8))
        return seen.withLock { entries in
            if let until = entries[key], until >= nowSeconds { return false }
            if entries.count >= Self.entriesMax {
                entries = entries.filter { $0.value >= nowSeconds }
                if entries.count >= Self.entriesMax {
                    let cutoff = entries.values.sorted()[entries.count / 2]
                    entries = entries.filter { $0.value > cutoff }
                }
            }
            entries[key] = untilSeconds
            return true
        }
    }
}
