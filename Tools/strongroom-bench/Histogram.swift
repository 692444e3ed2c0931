/// Latency histogram with fixed memory: 10 µs buckets up to 10 s. Enough for p50/p99 of commits.
struct LatencyHistogram: Sendable {
    static let bucketMicros: UInt64 = 10
    static let bucketCount = 1_000_000
    private(set) var counts: [UInt32]
    private(set) var total: UInt64 = 0

    init() { counts = [UInt32](repeating: 0, count: Self.bucketCount) }

    mutating func record(nanoseconds: UInt64) {
        let bucket = min(Int(nanoseconds / 1_000 / Self.bucketMicros), Self.bucketCount - 1)
        counts[bucket] &+= 1
        total += 1
    }

    mutating func merge(_ other: LatencyHistogram) {
        for i in 0..<Self.bucketCount where other.counts[i] > 0 { counts[i] &+= other.counts[i] }
        total += other.total
    }

    /// The `q` quantile (0…1) in milliseconds (upper edge of its bucket).
    func quantileMillis(_ q: Double) -> Double {
        guard total > 0 else { return 0 }
        let target = UInt64((Double(total) * q).rounded(.up))
        var seen: UInt64 = 0
        for (i, c) in counts.enumerated() {
            seen += UInt64(c)
            if seen >= target { return Double(UInt64(i + 1) * Self.bucketMicros) / 1_000 }
        }
        return Double(UInt64(Self.bucketCount) * Self.bucketMicros) / 1_000
    }
}

/// Fast non-cryptographic generator for benchmark data (wyrand).
struct FastRandom {
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
        var bytes = [UInt8](repeating: 0, count: count)
        var bits = next()
        var left = 10
        for i in 0..<count {
            if left == 0 {
                bits = next()
                left = 10
            }
            bytes[i] = Self.alphabet[Int(bits & 63)]
            bits >>= 6
            left -= 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
}
