// The byte-level writers of the streaming encoder: a manually managed growable
// buffer (plain pointer stores on the hot path, instead of `[UInt8].append` with its
// uniqueness and capacity checks per byte) and compact JSON scalars.

extension _EventJSONEncoderState {
    @inline(__always)
    func reserve(_ extra: Int) {
        if capacity - count < extra { grow(extra) }
    }

    @inline(never)
    func grow(_ extra: Int) {
        var newCapacity = Swift.max(capacity, 64)
        while newCapacity - count < extra { newCapacity *= 2 }
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    @inline(__always)
    func writeByte(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    @inline(__always)
    func writeBytes(_ source: UnsafePointer<UInt8>, _ length: Int) {
        reserve(length)
        (base + count).update(from: source, count: length)
        count += length
    }

    func writeNull() {
        reserve(4)
        base[count] = UInt8(ascii: "n")
        base[count + 1] = UInt8(ascii: "u")
        base[count + 2] = UInt8(ascii: "l")
        base[count + 3] = UInt8(ascii: "l")
        count += 4
    }

    @usableFromInline
    func writeBool(_ value: Bool) {
        if value {
            reserve(4)
            base[count] = UInt8(ascii: "t")
            base[count + 1] = UInt8(ascii: "r")
            base[count + 2] = UInt8(ascii: "u")
            base[count + 3] = UInt8(ascii: "e")
            count += 4
        } else {
            reserve(5)
            base[count] = UInt8(ascii: "f")
            base[count + 1] = UInt8(ascii: "a")
            base[count + 2] = UInt8(ascii: "l")
            base[count + 3] = UInt8(ascii: "s")
            base[count + 4] = UInt8(ascii: "e")
            count += 5
        }
    }

    /// Writes `value` in decimal; digits are produced backwards into reserved space.
    @usableFromInline
    func writeUnsigned(_ value: UInt64, negative: Bool = false) {
        reserve(21)
        var digits = 1
        var probe = value
        while probe >= 10 {
            probe /= 10
            digits += 1
        }
        if negative {
            base[count] = UInt8(ascii: "-")
            count += 1
        }
        var rest = value
        var position = count + digits - 1
        while position >= count {
            let (quotient, remainder) = rest.quotientAndRemainder(dividingBy: 10)
            base[position] = UInt8(truncatingIfNeeded: remainder) &+ UInt8(ascii: "0")
            rest = quotient
            position -= 1
        }
        count += digits
    }

    @usableFromInline
    func writeSigned(_ value: Int64) {
        // `magnitude` is safe for Int64.min (no negation trap).
        writeUnsigned(value.magnitude, negative: value < 0)
    }

    /// Writes the ASCII text of a number (`description` of a finite float, Int128...).
    func writeASCII(_ text: String) {
        let written: Void? = text.utf8.withContiguousStorageIfAvailable { utf8 in
            if let start = utf8.baseAddress { writeBytes(start, utf8.count) }
        }
        if written == nil {
            var copy = text
            copy.withUTF8 { utf8 in
                if let start = utf8.baseAddress { writeBytes(start, utf8.count) }
            }
        }
    }

    /// Writes `"text"` with JSON escaping; non-ASCII UTF-8 passes through unchanged.
    @usableFromInline
    func writeQuoted(_ text: String) {
        // Native strings are contiguous UTF-8: read them in place, without a copy.
        let written: Void? = text.utf8.withContiguousStorageIfAvailable { writeQuoted(utf8: $0) }
        if written == nil {
            var copy = text
            copy.withUTF8 { writeQuoted(utf8: $0) }
        }
    }

    /// `,"key":` (comma optional) with one capacity check when the key needs no escaping,
    /// which is what coding keys nearly always are.
    @inline(__always)
    func writeKey(_ key: String, comma: Bool) {
        let written: Bool? = key.utf8.withContiguousStorageIfAvailable { utf8 in
            let length = utf8.count
            guard let source = utf8.baseAddress else { return false }
            for index in 0..<length {
                let byte = source[index]
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { return false }
            }
            reserve(length + 4)
            var output = base + count
            if comma {
                output[0] = UInt8(ascii: ",")
                output += 1
            }
            output[0] = UInt8(ascii: "\"")
            (output + 1).update(from: source, count: length)
            output[length + 1] = UInt8(ascii: "\"")
            output[length + 2] = UInt8(ascii: ":")
            count += length + (comma ? 4 : 3)
            return true
        }
        if written != true {
            if comma { writeByte(UInt8(ascii: ",")) }
            writeQuoted(key)
            writeByte(UInt8(ascii: ":"))
        }
    }

    func writeQuoted(utf8: UnsafeBufferPointer<UInt8>) {
        let length = utf8.count
        guard let source = utf8.baseAddress else {
            writeByte(UInt8(ascii: "\""))
            writeByte(UInt8(ascii: "\""))
            return
        }
        // Find the first byte that needs escaping, 8 bytes at a time.
        var index = 0
        while index &+ 8 <= length {
            let stops = _jsonEscapeMask(
                UInt64(littleEndian: UnsafeRawPointer(source + index).loadUnaligned(as: UInt64.self)))
            if stops != 0 {
                index &+= stops.trailingZeroBitCount >> 3
                break
            }
            index &+= 8
        }
        while index < length {
            let byte = source[index]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { break }
            index &+= 1
        }
        guard index == length else {
            writeQuotedEscaping(source, length, from: index)
            return
        }
        // Nothing to escape (the common case): one copy.
        reserve(length + 2)
        let output = base + count
        output[0] = UInt8(ascii: "\"")
        (output + 1).update(from: source, count: length)
        output[length + 1] = UInt8(ascii: "\"")
        count += length + 2
    }

    /// The general case: `source[firstEscape]` needs escaping.
    @inline(never)
    private func writeQuotedEscaping(_ source: UnsafePointer<UInt8>, _ length: Int, from firstEscape: Int) {
        writeByte(UInt8(ascii: "\""))
        writeBytes(source, firstEscape)
        var index = firstEscape
        var runStart = firstEscape
        while index < length {
            if index &+ 8 <= length,
                _jsonEscapeMask(UnsafeRawPointer(source + index).loadUnaligned(as: UInt64.self)) == 0
            {
                index &+= 8
                continue
            }
            let byte = source[index]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 {
                writeBytes(source + runStart, index - runStart)
                writeEscape(byte)
                runStart = index + 1
            }
            index += 1
        }
        writeBytes(source + runStart, length - runStart)
        writeByte(UInt8(ascii: "\""))
    }

    private func writeEscape(_ byte: UInt8) {
        reserve(6)
        base[count] = UInt8(ascii: "\\")
        let short: UInt8
        switch byte {
        case UInt8(ascii: "\""): short = UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): short = UInt8(ascii: "\\")
        case 0x08: short = UInt8(ascii: "b")
        case 0x0C: short = UInt8(ascii: "f")
        case 0x0A: short = UInt8(ascii: "n")
        case 0x0D: short = UInt8(ascii: "r")
        case 0x09: short = UInt8(ascii: "t")
        default: short = 0
        }
        if short != 0 {
            base[count + 1] = short
            count += 2
            return
        }
        let hex: (UInt8) -> UInt8 = { $0 < 10 ? $0 + UInt8(ascii: "0") : $0 - 10 + UInt8(ascii: "a") }
        base[count + 1] = UInt8(ascii: "u")
        base[count + 2] = UInt8(ascii: "0")
        base[count + 3] = UInt8(ascii: "0")
        base[count + 4] = hex(byte >> 4)
        base[count + 5] = hex(byte & 0x0F)
        count += 6
    }
}

/// Non-zero iff one of the 8 bytes of `word` (loaded little-endian) is `"`, `\` or below
/// 0x20 (SWAR). Bits above a matching byte may be spurious (borrows), but the lowest set
/// bit is exact: `trailingZeroBitCount / 8` is the index of the first matching byte.
@inline(__always)
func _jsonEscapeMask(_ word: UInt64) -> UInt64 {
    let ones: UInt64 = 0x0101_0101_0101_0101
    let highs: UInt64 = 0x8080_8080_8080_8080
    let quote = word ^ (ones &* 0x22)
    let backslash = word ^ (ones &* 0x5C)
    let hasQuote = (quote &- ones) & ~quote
    let hasBackslash = (backslash &- ones) & ~backslash
    let hasControl = (word &- ones &* 0x20) & ~word
    return (hasQuote | hasBackslash | hasControl) & highs
}
