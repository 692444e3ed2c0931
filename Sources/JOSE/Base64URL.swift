/// Base64url encoding without padding (RFC 7515 §2, RFC 4648 §5), as used in every JOSE structure.
///
/// Works on bytes directly (no Foundation round trips): JOSE values are encoded and decoded several
/// times per request (assertions, DPoP proofs, thumbprints, tokens).
///
/// ```swift
/// let text = Base64URL.encode([0xfb, 0xff])      // "-_8"
/// let bytes = Base64URL.decode("-_8")            // [0xfb, 0xff]
/// ```
public enum Base64URL {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// 6-bit value of each base64url character; 0xFF for anything else.
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = UInt8(index) }
        return table
    }()

    /// Encodes bytes as base64url without `=` padding.
    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let input = Array(bytes)
        let outputCount = (input.count * 4 + 2) / 3
        return String(unsafeUninitializedCapacity: outputCount) { out in
            alphabet.withUnsafeBufferPointer { table in
                var o = 0
                var i = 0
                while i + 3 <= input.count {
                    let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                    out[o] = table[Int(n >> 18 & 63)]
                    out[o + 1] = table[Int(n >> 12 & 63)]
                    out[o + 2] = table[Int(n >> 6 & 63)]
                    out[o + 3] = table[Int(n & 63)]
                    o += 4
                    i += 3
                }
                let rest = input.count - i
                if rest == 1 {
                    let n = UInt32(input[i]) << 16
                    out[o] = table[Int(n >> 18 & 63)]
                    out[o + 1] = table[Int(n >> 12 & 63)]
                    o += 2
                } else if rest == 2 {
                    let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8
                    out[o] = table[Int(n >> 18 & 63)]
                    out[o + 1] = table[Int(n >> 12 & 63)]
                    out[o + 2] = table[Int(n >> 6 & 63)]
                    o += 3
                }
                return o
            }
        }
    }

    /// Decodes unpadded base64url text. Returns `nil` for anything that is not strict base64url:
    /// padding characters, the standard-alphabet `+`/`/`, whitespace, an impossible length, or a
    /// non-canonical final character (unused bits set).
    public static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { decode(utf8: $0) }
    }

    /// ``decode(_:)`` of text given as its UTF-8 bytes (a part of a larger buffer: no copy).
    public static func decode(utf8 input: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let remainder = input.count % 4
        guard remainder != 1 else { return nil }
        var output = [UInt8]()
        output.reserveCapacity(input.count * 3 / 4)
        var i = 0
        while i + 4 <= input.count {
            let a = values[Int(input[i])]
            let b = values[Int(input[i + 1])]
            let c = values[Int(input[i + 2])]
            let d = values[Int(input[i + 3])]
            guard (a | b | c | d) & 0xC0 == 0 else { return nil }
            let n = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
            output.append(UInt8(n >> 16 & 0xFF))
            output.append(UInt8(n >> 8 & 0xFF))
            output.append(UInt8(n & 0xFF))
            i += 4
        }
        if remainder == 2 {
            let a = values[Int(input[i])]
            let b = values[Int(input[i + 1])]
            // Canonical: the 4 unused low bits of the last character are zero.
            guard (a | b) & 0xC0 == 0, b & 0x0F == 0 else { return nil }
            output.append(a << 2 | b >> 4)
        } else if remainder == 3 {
            let a = values[Int(input[i])]
            let b = values[Int(input[i + 1])]
            let c = values[Int(input[i + 2])]
            // Canonical: the 2 unused low bits of the last character are zero.
            guard (a | b | c) & 0xC0 == 0, c & 0x03 == 0 else { return nil }
            let n = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6
            output.append(UInt8(n >> 16 & 0xFF))
            output.append(UInt8(n >> 8 & 0xFF))
        }
        return output
    }
}
