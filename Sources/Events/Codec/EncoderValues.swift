// Encoding one value into the slot its parent has just opened (after `"key":`, a comma,
// or at the top level). Common leaf types are written directly, without a frame and
// without the Codable round trip through `encode(to:)`; everything else gets a frame.

extension _EventJSONEncoderState {
    /// Writes `value` as the current entry of the innermost frame (or as the root).
    ///
    /// `@inlinable` so that callers in other modules get it specialized for their
    /// top-level type (the type tests then fold away at compile time).
    @inlinable
    func encodeValue<T: Encodable>(_ value: T) throws {
        // Metatype comparisons are pointer compares; `unsafeBitCast` is only reached
        // when `T` is exactly the type cast to.
        if T.self == String.self { return writeQuoted(unsafeBitCast(value, to: String.self)) }
        if T.self == Int.self { return writeSigned(Int64(unsafeBitCast(value, to: Int.self))) }
        if T.self == Bool.self { return writeBool(unsafeBitCast(value, to: Bool.self)) }
        if T.self == Int64.self { return writeSigned(unsafeBitCast(value, to: Int64.self)) }
        if T.self == Double.self { return try writeDouble(unsafeBitCast(value, to: Double.self)) }
        if T.self == [String].self { return try writeStrings(unsafeBitCast(value, to: [String].self)) }
        if T.self == Int32.self { return writeSigned(Int64(unsafeBitCast(value, to: Int32.self))) }
        if T.self == UInt64.self { return writeUnsigned(unsafeBitCast(value, to: UInt64.self)) }
        if T.self == UInt8.self { return writeUnsigned(UInt64(unsafeBitCast(value, to: UInt8.self))) }
        if T.self == UInt32.self { return writeUnsigned(UInt64(unsafeBitCast(value, to: UInt32.self))) }
        if T.self == UInt.self { return writeUnsigned(UInt64(unsafeBitCast(value, to: UInt.self))) }
        if T.self == Float.self { return try writeFloat(unsafeBitCast(value, to: Float.self)) }
        if try encodeFoundationValue(value) { return }
        let (frame, serial) = pushFrame()
        try value.encode(to: _EventJSONEncoderView(state: self, frame: frame, serial: serial))
        try closeFrames(above: frame - 1)
    }

    @usableFromInline
    func writeDouble(_ value: Double) throws {
        guard value.isFinite else {
            throw invalidValue(value, "\(value) is not representable in JSON")
        }
        // `description` is the shortest text that parses back to the same Double
        // ("0.1", "1e-300", "-0.0", "1.0"), and always valid JSON number syntax.
        writeASCII(value.description)
    }

    @usableFromInline
    func writeFloat(_ value: Float) throws {
        guard value.isFinite else {
            throw invalidValue(value, "\(value) is not representable in JSON")
        }
        writeASCII(value.description)
    }

    /// `[String]`, the most common array in events, without per-element Codable calls.
    @usableFromInline
    func writeStrings(_ values: [String]) throws {
        guard depth < maxDepth else {
            throw EventJSONError(
                .limitExceeded, "nesting deeper than \(maxDepth)",
                codingPath: currentPath()._eventJSONDescription)
        }
        writeByte(UInt8(ascii: "["))
        for (position, value) in values.enumerated() {
            if position > 0 { writeByte(UInt8(ascii: ",")) }
            writeQuoted(value)
        }
        writeByte(UInt8(ascii: "]"))
    }
}
