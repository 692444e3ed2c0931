// The Foundation types that Foundation's JSONEncoder/JSONDecoder (default strategies)
// write in a special form instead of their own `Codable` form, handled the same way here
// so both codecs read each other's output: Data as base64, URL as its absoluteString,
// Decimal as a JSON number. (Date needs nothing: the default strategy is Date's own
// `Codable`, a number of seconds since the reference date.)

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension _EventJSONEncoderState {
    /// Writes `value` if it is one of those types; returns false otherwise.
    @usableFromInline
    func encodeFoundationValue<T: Encodable>(_ value: T) throws -> Bool {
        if T.self == Data.self {
            writeBase64(unsafeBitCast(value, to: Data.self))
            return true
        }
        if T.self == URL.self {
            writeQuoted(unsafeBitCast(value, to: URL.self).absoluteString)
            return true
        }
        if T.self == Decimal.self {
            let decimal = unsafeBitCast(value, to: Decimal.self)
            guard !decimal.isNaN else {
                throw invalidValue(decimal, "NaN is not representable in JSON")
            }
            writeASCII(decimal.description)
            return true
        }
        return false
    }

    func writeBase64(_ data: Data) {
        data.withUnsafeBytes { raw in
            let input = raw.bindMemory(to: UInt8.self)
            reserve((input.count + 2) / 3 * 4 + 2)
            base[count] = UInt8(ascii: "\"")
            count += 1
            _base64Encode(input, into: base + count)
            count += (input.count + 2) / 3 * 4
            base[count] = UInt8(ascii: "\"")
            count += 1
        }
    }
}

extension _EventJSONDecoderState {
    /// Decodes `T` if it is one of those types; returns nil otherwise.
    func decodeFoundationValue<T: Decodable>(_ type: T.Type, node: Int) throws -> T? {
        if T.self == Data.self {
            let text = try string(node)
            guard let data = _base64Decode(text) else {
                throw dataCorrupted(node, "invalid base64 data")
            }
            return unsafeBitCast(data, to: T.self)
        }
        if T.self == URL.self {
            let text = try string(node)
            guard let url = URL(string: text) else {
                throw dataCorrupted(node, "invalid URL string")
            }
            return unsafeBitCast(url, to: T.self)
        }
        if T.self == Decimal.self {
            let text = try numberText(node, type: Decimal.self)
            guard let decimal = Decimal(string: text) else {
                throw dataCorrupted(node, "number \(text) does not fit in Decimal")
            }
            return unsafeBitCast(decimal, to: T.self)
        }
        return nil
    }
}

private let base64Alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

/// Standard base64 with padding (what `Data.base64EncodedString()` writes).
func _base64Encode(_ input: UnsafeBufferPointer<UInt8>, into output: UnsafeMutablePointer<UInt8>) {
    base64Alphabet.withUnsafeBufferPointer { alphabet in
        var read = 0
        var write = 0
        while read + 3 <= input.count {
            let bits = UInt32(input[read]) << 16 | UInt32(input[read + 1]) << 8 | UInt32(input[read + 2])
            output[write] = alphabet[Int(bits >> 18)]
            output[write + 1] = alphabet[Int(bits >> 12 & 0x3F)]
            output[write + 2] = alphabet[Int(bits >> 6 & 0x3F)]
            output[write + 3] = alphabet[Int(bits & 0x3F)]
            read += 3
            write += 4
        }
        let rest = input.count - read
        guard rest > 0 else { return }
        let first = UInt32(input[read]) << 16
        let bits = rest == 2 ? first | UInt32(input[read + 1]) << 8 : first
        output[write] = alphabet[Int(bits >> 18)]
        output[write + 1] = alphabet[Int(bits >> 12 & 0x3F)]
        output[write + 2] = rest == 2 ? alphabet[Int(bits >> 6 & 0x3F)] : UInt8(ascii: "=")
        output[write + 3] = UInt8(ascii: "=")
    }
}

/// Strict standard base64 with padding; nil on any other character or bad length.
func _base64Decode(_ text: String) -> Data? {
    let utf8 = Array(text.utf8)
    guard utf8.count % 4 == 0 else { return nil }
    func sextet(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return UInt32(byte - UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return UInt32(byte - UInt8(ascii: "a") + 26)
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0") + 52)
        case UInt8(ascii: "+"): return 62
        case UInt8(ascii: "/"): return 63
        default: return nil
        }
    }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(utf8.count / 4 * 3)
    var group = 0
    while group < utf8.count {
        let isLast = group + 4 == utf8.count
        let padding =
            isLast ? (utf8[group + 3] == UInt8(ascii: "=") ? (utf8[group + 2] == UInt8(ascii: "=") ? 2 : 1) : 0) : 0
        var bits: UInt32 = 0
        for offset in 0..<4 {
            if offset >= 4 - padding {
                bits <<= 6
                continue
            }
            guard let value = sextet(utf8[group + offset]) else { return nil }
            bits = bits << 6 | value
        }
        bytes.append(UInt8(truncatingIfNeeded: bits >> 16))
        if padding < 2 { bytes.append(UInt8(truncatingIfNeeded: bits >> 8)) }
        if padding < 1 { bytes.append(UInt8(truncatingIfNeeded: bits)) }
        group += 4
    }
    return Data(bytes)
}
