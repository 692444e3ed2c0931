import Synchronization

/// Brute-force protection for the login and one-time-password steps: after ``failuresMax`` failed
/// attempts for one account within ``windowSeconds``, the account refuses attempts for
/// ``lockSeconds`` without checking the password (so guessing gains nothing, and no scrypt work is
/// spent). Every failure is also journaled (`user.authentication_failed`).
///
/// In memory, per server process: a restart forgets the counters (the journaled failures stay).
/// Bounded by ``accountsMax`` (the oldest entries are dropped first).
final class LoginThrottle: Sendable {
    static let failuresMax = 5
    static let windowSeconds: Int64 = 900
    static let lockSeconds: Int64 = 900
    static let accountsMax = 100_000

    struct Entry {
        var failures: Int
        var windowStart: Int64
        var lockedUntil: Int64
    }

    private let entries = Mutex<[String: Entry]>([:])

    /// Seconds until the account may try again, or nil when it may try now.
    func lockedFor(_ account: String, nowSeconds: Int64) -> Int64? {
        entries.withLock { entries in
            guard let entry = entries[account.lowercased()], entry.lockedUntil > nowSeconds else { return nil }
            return entry.lockedUntil - nowSeconds
        }
    }

    /// Records a failed attempt; returns true when this failure locked the account.
    @discardableResult
    func recordFailure(_ account: String, nowSeconds: Int64) -> Bool {
        entries.withLock { entries in
            let key = account.lowercased()
            var entry = entries[key] ?? Entry(failures: 0, windowStart: nowSeconds, lockedUntil: 0)
            if nowSeconds - entry.windowStart > Self.windowSeconds {
                entry = Entry(failures: 0, windowStart: nowSeconds, lockedUntil: 0)
            }
            entry.failures += 1
            var locked = false
            if entry.failures >= Self.failuresMax {
                entry.lockedUntil = nowSeconds + Self.lockSeconds
                entry.failures = 0
                entry.windowStart = nowSeconds
                locked = true
            }
            if entries[key] == nil && entries.count >= Self.accountsMax {
                let stale = entries.filter { nowSeconds - $0.value.windowStart > Self.windowSeconds }.map(\.key)
                for k in stale { entries[k] = nil }
                if entries.count >= Self.accountsMax,
                    let oldest = entries.min(by: { $0.value.windowStart < $1.value.windowStart })
                {
                    entries[oldest.key] = nil
                }
            }
            entries[key] = entry
            return locked
        }
    }

    /// A successful login clears the account's failures.
    func recordSuccess(_ account: String) {
        _ = entries.withLock { $0.removeValue(forKey: account.lowercased()) }
    }
}
