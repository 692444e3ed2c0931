/// RFC 4648 §6 Base32, the encoding authenticator apps use for TOTP secrets.
///
/// Decoding is forgiving in the ways people type secrets: case-insensitive, `=` padding optional,
/// spaces ignored. Anything else outside the alphabet, padding in the middle, or a length no
/// encoder can produce is refused.
///
/// ```swift
/// Base32.encode(Array("foobar".utf8))         // "MZXW6YTBOI"
/// Base32.decode("mzxw 6ytb oi======")          // Array("foobar".utf8)
/// ```
public enum Base32 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    /// Encodes bytes; `padding` adds `=` to a multiple of 8 characters (authenticator-app URIs
    /// leave it out).
    public static func encode(_ bytes: some Sequence<UInt8>, padding: Bool = false) -> String {
        var output: [UInt8] = []
        var buffer: UInt32 = 0
        var bitCount = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bitCount += 8
            while bitCount >= 5 {
                bitCount -= 5
                output.append(alphabet[Int((buffer >> UInt32(bitCount)) & 0x1f)])
            }
        }
        if bitCount > 0 {
            output.append(alphabet[Int((buffer << UInt32(5 - bitCount)) & 0x1f)])
        }
        if padding {
            while output.count % 8 != 0 { output.append(UInt8(ascii: "=")) }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes Base32 text; `nil` if it is not Base32.
    public static func decode(_ text: String) -> [UInt8]? {
        var symbols: [UInt8] = []
        var paddingCount = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: " "):
                continue
            case UInt8(ascii: "="):
                paddingCount += 1
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "2")...UInt8(ascii: "7"):
                guard paddingCount == 0 else { return nil }  // padding only at the end
                symbols.append(value(of: byte))
            default:
                return nil
            }
        }
        // A final quantum of 1, 3 or 6 symbols cannot come from whole bytes (RFC 4648 §6).
        guard ![1, 3, 6].contains(symbols.count % 8) else { return nil }
        if paddingCount > 0, (symbols.count + paddingCount) % 8 != 0 { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(symbols.count * 5 / 8)
        var buffer: UInt32 = 0
        var bitCount = 0
        for symbol in symbols {
            buffer = (buffer << 5) | UInt32(symbol)
            bitCount += 5
            if bitCount >= 8 {
                bitCount -= 8
                output.append(UInt8((buffer >> UInt32(bitCount)) & 0xff))
            }
        }
        return output
    }

    private static func value(of byte: UInt8) -> UInt8 {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a")
        default: byte - UInt8(ascii: "2") + 26
        }
    }
}
