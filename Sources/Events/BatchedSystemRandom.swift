#if canImport(Glibc)
    import Glibc
#endif

/// The kernel's CSPRNG, like `SystemRandomNumberGenerator`, but read 128 bytes per system call instead
/// of 8: minting an identifier (`TimeOrderedID`) takes three 64-bit words, so one `getrandom` replaces
/// three (an interaction id's two words take one). Use a fresh one where words are needed (a local `var`):
/// it is never shared, and what it has not handed out is discarded with it.
///
/// ```swift
/// var rng = BatchedSystemRandom()
/// let grantID = TimeOrderedID.make(timeMicros: now, using: &rng)
/// ```
public struct BatchedSystemRandom: RandomNumberGenerator {
    private var words:
        (
            UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
            UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64
        ) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    private var position = 16

    public init() {}

    public mutating func next() -> UInt64 {
        if position == 16 { refill() }
        let index = position
        position += 1
        return withUnsafeBytes(of: &words) { $0.load(fromByteOffset: index * 8, as: UInt64.self) }
    }

    private mutating func refill() {
        #if canImport(Glibc)
            // getentropy(3): the getrandom system call, at most 256 bytes, never a partial read.
            let rc = withUnsafeMutableBytes(of: &words) { getentropy($0.baseAddress!, $0.count) }
            if rc != 0 {
                // Cannot fail on Linux ≥ 3.17 for this size; never hand out unrandom words if it does.
                fatalError("getentropy failed: errno \(errno)")
            }
        #else
            var system = SystemRandomNumberGenerator()
            withUnsafeMutableBytes(of: &words) { buffer in
                for i in 0..<16 { buffer.storeBytes(of: system.next(), toByteOffset: i * 8, as: UInt64.self) }
            }
        #endif
        position = 0
    }
}
