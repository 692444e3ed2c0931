import Foundation

/// Base64url encoding without padding (RFC 7515 §2, RFC 4648 §5), as used in every JOSE structure.
///
/// ```swift
/// let text = Base64URL.encode([0xfb, 0xff])      // "-_8"
/// let bytes = Base64URL.decode("-_8")            // [0xfb, 0xff]
/// ```
public enum Base64URL {
    /// Encodes bytes as base64url without `=` padding.
    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Decodes unpadded base64url text. Returns `nil` for anything that is not strict base64url:
    /// padding characters, the standard-alphabet `+`/`/`, whitespace, an impossible length, or a
    /// non-canonical final character (unused bits set).
    public static func decode(_ text: String) -> [UInt8]? {
        var standard = ""
        standard.reserveCapacity(text.utf8.count + 3)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "A"..."Z", "a"..."z", "0"..."9":
                standard.unicodeScalars.append(scalar)
            case "-":
                standard.append("+")
            case "_":
                standard.append("/")
            default:
                return nil
            }
        }
        switch standard.utf8.count % 4 {
        case 0: break
        case 2: standard.append("==")
        case 3: standard.append("=")
        default: return nil
        }
        guard let data = Data(base64Encoded: standard) else { return nil }
        let bytes = [UInt8](data)
        // Reject non-canonical encodings (non-zero unused trailing bits): one value, one spelling.
        guard encode(bytes) == text else { return nil }
        return bytes
    }
}
