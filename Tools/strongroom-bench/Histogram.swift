/// Latency histogram with fixed, small memory (log-linear buckets: 64 sub-buckets per power of two
/// of microseconds, ~1.6 % resolution up to ~18 hours). Enough for p50/p99 of commits.
struct LatencyHistogram: Sendable {
    static let subBuckets = 64
    static let powers = 36
    private(set) var counts: [UInt64]
    private(set) var total: UInt64 = 0

    init() { counts = [UInt64](repeating: 0, count: Self.subBuckets * Self.powers) }

    private static func bucket(micros: UInt64) -> Int {
        if micros < UInt64(subBuckets) { return Int(micros) }
        let power = 63 - micros.leadingZeroBitCount  // ≥ 6
        let shift = power - 6
        let sub = Int((micros >> UInt64(shift)) & UInt64(subBuckets - 1))
        return min((power - 5) * subBuckets + sub, subBuckets * powers - 1)
    }

    private static func upperMicros(bucket: Int) -> Double {
        if bucket < subBuckets { return Double(bucket + 1) }
        let power = bucket / subBuckets + 5
        let sub = bucket % subBuckets
        return Double((UInt64(subBuckets + sub + 1)) << UInt64(power - 6))
    }

    mutating func record(nanoseconds: UInt64) {
        counts[Self.bucket(micros: nanoseconds / 1_000)] += 1
        total += 1
    }

    mutating func merge(_ other: LatencyHistogram) {
        for i in counts.indices { counts[i] += other.counts[i] }
        total += other.total
    }

    /// The `q` quantile (0…1) in milliseconds (upper edge of its bucket).
    func quantileMillis(_ q: Double) -> Double {
        guard total > 0 else { return 0 }
        let target = UInt64((Double(total) * q).rounded(.up))
        var seen: UInt64 = 0
        for (i, c) in counts.enumerated() {
            seen += c
            if seen >= target { return Self.upperMicros(bucket: i) / 1_000 }
        }
        return Self.upperMicros(bucket: counts.count - 1) / 1_000
    }
}

/// Fast non-cryptographic generator for benchmark data (wyrand).
struct FastRandom: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0xA076_1D64_78BD_642F
        let m = state.multipliedFullWidth(by: state ^ 0xE703_7ED1_A0B4_28DB)
        return m.high ^ m.low
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// A base64url-looking identifier of `count` characters.
    mutating func identifier(_ count: Int) -> String {
        var bits = next()
        var left = 10
        return String(unsafeUninitializedCapacity: count) { buffer in
            for i in 0..<count {
                if left == 0 {
                    bits = next()
                    left = 10
                }
                buffer[i] = Self.alphabet[Int(bits & 63)]
                bits >>= 6
                left -= 1
            }
            return count
        }
    }

    /// A random RFC 4122-looking UUID string (as x-fapi-interaction-id values are).
    mutating func uuidString() -> String {
        let hex = Array("0123456789abcdef".utf8)
        var a = next()
        var b = next()
        return String(unsafeUninitializedCapacity: 36) { buffer in
            var i = 0
            for position in 0..<36 {
                if position == 8 || position == 13 || position == 18 || position == 23 {
                    buffer[position] = UInt8(ascii: "-")
                    continue
                }
                let nibble: UInt64
                if i < 16 {
                    nibble = a & 15
                    a >>= 4
                } else {
                    nibble = b & 15
                    b >>= 4
                }
                buffer[position] = hex[Int(nibble)]
                i += 1
            }
            return 36
        }
    }

    mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
}
