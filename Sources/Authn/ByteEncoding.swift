import Foundation

/// Constant-time comparison for secrets (password hashes, TOTP codes, tags).
enum ConstantTime {
    /// `true` when both byte strings are equal. The running time depends only on the lengths, never
    /// on where the first difference is, so a timing attacker learns nothing about the secret side.
    /// Lengths are not secret here (hash and code lengths are fixed by the format).
    static func equals<A: Collection, B: Collection>(_ a: A, _ b: B) -> Bool
    where A.Element == UInt8, B.Element == UInt8 {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}

/// The two base64 spellings the Authn formats use: standard alphabet without padding (PHC strings)
/// and base64url without padding (sealed secrets). Decoding is strict: one value, one spelling.
enum UnpaddedBase64 {
    /// Standard base64 (RFC 4648 §4) without `=` padding, as the PHC string format uses.
    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "=", with: "")
    }

    /// Decodes unpadded standard base64; `nil` for padding, whitespace, other alphabets, impossible
    /// lengths or non-canonical trailing bits.
    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        for scalar in text.unicodeScalars {
            switch scalar {
            case "A"..."Z", "a"..."z", "0"..."9", "+", "/": continue
            default: return nil
            }
        }
        var padded = String(text)
        switch padded.utf8.count % 4 {
        case 0: break
        case 2: padded.append("==")
        case 3: padded.append("=")
        default: return nil
        }
        guard let data = Data(base64Encoded: padded) else { return nil }
        let bytes = [UInt8](data)
        guard encode(bytes) == text else { return nil }
        return bytes
    }

    /// base64url (RFC 4648 §5) without padding.
    static func encodeURL(_ bytes: some Sequence<UInt8>) -> String {
        encode(bytes).replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }

    /// Decodes unpadded base64url strictly (see ``decode(_:)``).
    static func decodeURL(_ text: some StringProtocol) -> [UInt8]? {
        guard !text.contains("+"), !text.contains("/") else { return nil }
        return decode(text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/"))
    }
}
