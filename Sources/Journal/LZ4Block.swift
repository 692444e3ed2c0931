import CLZ4

/// How hard the writer compresses. Both produce the same LZ4 block format (codec 1): readers do not
/// need to know which was used.
public enum CompressionLevel: Sendable, Equatable {
    /// `LZ4_compress_default`: ~1 GB/s here.
    case fast
    /// `LZ4_compress_HC` at this level (2…12): ~10 % smaller batches for ~6× the CPU at level 2.
    case high(Int)
}

/// One LZ4 block (liblz4's block format, no frame): the codec of a batch payload.
///
/// The block format does not store the uncompressed length, so the batch header carries it.
enum LZ4Block {
    /// Compresses `source` into `destination` (replacing its contents). Returns false when the
    /// compressed form would not be smaller, in which case the caller stores the bytes as they are.
    static func compress(
        _ source: UnsafeRawBufferPointer, into destination: inout [UInt8], level: CompressionLevel = .fast
    )
        -> Bool
    {
        let bound = Int(LZ4_compressBound(Int32(source.count)))
        if destination.count < bound { destination = [UInt8](repeating: 0, count: bound) }
        let written = destination.withUnsafeMutableBytes { dst -> Int32 in
            guard let src = source.baseAddress, let out = dst.baseAddress else { return 0 }
            let input = src.assumingMemoryBound(to: CChar.self)
            let output = out.assumingMemoryBound(to: CChar.self)
            switch level {
            case .fast: return LZ4_compress_default(input, output, Int32(source.count), Int32(dst.count))
            case .high(let l): return LZ4_compress_HC(input, output, Int32(source.count), Int32(dst.count), Int32(l))
            }
        }
        guard written > 0, Int(written) < source.count else { return false }
        destination.removeSubrange(Int(written)...)
        return true
    }

    /// Decompresses exactly `uncompressedCount` bytes, or returns nil when the block is malformed.
    static func decompress(_ source: UnsafeRawBufferPointer, uncompressedCount: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: uncompressedCount)
        let n = out.withUnsafeMutableBytes { dst -> Int32 in
            guard let src = source.baseAddress, let d = dst.baseAddress else { return uncompressedCount == 0 ? 0 : -1 }
            return LZ4_decompress_safe(
                src.assumingMemoryBound(to: CChar.self), d.assumingMemoryBound(to: CChar.self),
                Int32(source.count), Int32(uncompressedCount))
        }
        return Int(n) == uncompressedCount ? out : nil
    }
}
