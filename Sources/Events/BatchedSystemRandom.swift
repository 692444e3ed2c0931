import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The kernel's CSPRNG, like `SystemRandomNumberGenerator`, but read 256 bytes per system call
/// instead of 8. The bytes sit in one process-wide pool, each 64-bit word handed out once and then
/// overwritten, so a request that needs a few words (a `TimeOrderedID` selector takes three, an
/// interaction id two) rarely makes a system call: a flow used to make seven `getrandom` calls.
///
/// ```swift
/// var rng = BatchedSystemRandom()
/// let grantID = TimeOrderedID.make(timeMicros: now, using: &rng)
/// ```
public struct BatchedSystemRandom: RandomNumberGenerator {
    public init() {}

    public mutating func next() -> UInt64 { Self.pool.withLock { $0.next() } }

    private static let pool = Mutex(Pool())

    /// 32 words read by one `getentropy` (its maximum, 256 bytes, is never a partial read).
    private struct Pool: ~Copyable {
        static let wordCount = 32
        private let words = UnsafeMutablePointer<UInt64>.allocate(capacity: Self.wordCount)
        private var position = Self.wordCount

        init() {}

        deinit { words.deallocate() }

        mutating func next() -> UInt64 {
            if position == Self.wordCount { refill() }
            let word = words[position]
            words[position] = 0  // handed out once: nothing of it stays in the pool
            position += 1
            return word
        }

        private mutating func refill() {
            #if canImport(Glibc)
                if getentropy(words, Self.wordCount * 8) != 0 {
                    // Cannot fail on Linux ≥ 3.17 for this size; never hand out unrandom words if it does.
                    fatalError("getentropy failed: errno \(errno)")
                }
            #else
                var system = SystemRandomNumberGenerator()
                for i in 0..<Self.wordCount { words[i] = system.next() }
            #endif
            position = 0
        }
    }
}
