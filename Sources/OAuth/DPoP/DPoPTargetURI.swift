/// Syntax-based normalisation of an HTTP(S) URI for comparing a DPoP proof's `htu` with the
/// request's target URI (RFC 9449 §4.3 step 9; RFC 3986 §6.2.2).
///
/// The result is `scheme://host[:port]path` with: scheme and host lower-cased; the default port
/// (443 for https, 80 for http) removed and any other port written without leading zeros; an
/// empty path written `/`; percent-encodings of unreserved characters decoded and other
/// percent-encodings upper-cased; `.` and `..` segments removed; query and fragment dropped.
/// Anything that is not an absolute `http`/`https` URI with a host (or that carries userinfo,
/// whitespace or a bad percent-encoding) normalises to `nil`.
///
/// ```swift
/// DPoPTargetURI.normalized("HTTPS://OP.Example.com:443/token?x=1#f")   // "https://op.example.com/token"
/// ```
public enum DPoPTargetURI {
    /// Longest URI considered, in bytes.
    public static let uriLengthBytesMax = 4096

    /// The normalised form, or `nil` when `uri` is not a usable absolute http(s) URI.
    public static func normalized(_ uri: String) -> String? {
        guard uri.utf8.count <= uriLengthBytesMax else { return nil }
        guard uri.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else { return nil }
        var rest = Substring(uri)
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        if let question = rest.firstIndex(of: "?") { rest = rest[..<question] }
        guard let separator = rest.range(of: "://") else { return nil }
        let scheme = rest[..<separator.lowerBound].lowercased()
        let defaultPort: Int
        switch scheme {
        case "https": defaultPort = 443
        case "http": defaultPort = 80
        default: return nil
        }
        let afterScheme = rest[separator.upperBound...]
        let pathStart = afterScheme.firstIndex(of: "/") ?? afterScheme.endIndex
        guard let authority = normalizedAuthority(afterScheme[..<pathStart], defaultPort: defaultPort),
            let path = normalizedPath(afterScheme[pathStart...])
        else { return nil }
        return scheme + "://" + authority + path
    }

    /// `host[:port]` with the host lower-cased and the default port removed; no userinfo.
    static func normalizedAuthority(_ authority: Substring, defaultPort: Int) -> String? {
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        let host: Substring
        let portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[...close]
            let after = authority[authority.index(after: close)...]
            if after.isEmpty {
                portText = nil
            } else {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
            portText = nil
        }
        guard !host.isEmpty, !host.contains("%") else { return nil }
        var result = host.lowercased()
        if let portText, !portText.isEmpty {
            guard portText.count <= 5, portText.allSatisfy(\.isASCII), portText.allSatisfy(\.isNumber),
                let port = Int(portText), port <= 65_535
            else { return nil }
            if port != defaultPort { result += ":\(port)" }
        }
        return result
    }

    /// The path with percent-encoding normalised and dot segments removed; empty becomes `/`.
    static func normalizedPath(_ path: Substring) -> String? {
        guard let decoded = normalizedPercentEncoding(path) else { return nil }
        guard !decoded.isEmpty else { return "/" }
        var output: [Substring] = []
        let segments = decoded.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        for (offset, segment) in segments.enumerated() {
            let isLast = offset == segments.count - 1
            switch segment {
            case ".":
                if isLast { output.append("") }
            case "..":
                if !output.isEmpty { output.removeLast() }
                if isLast { output.append("") }
            default:
                output.append(segment)
            }
        }
        return "/" + output.joined(separator: "/")
    }

    /// `%7E` → `~`, `%2f` → `%2F`; `nil` for a `%` not followed by two hex digits.
    static func normalizedPercentEncoding(_ text: Substring) -> String? {
        var out = ""
        var bytes = Array(text.utf8)[...]
        while let byte = bytes.popFirst() {
            guard byte == UInt8(ascii: "%") else {
                out.unicodeScalars.append(Unicode.Scalar(byte))
                continue
            }
            guard bytes.count >= 2, let high = hexValue(bytes[bytes.startIndex]),
                let low = hexValue(bytes[bytes.startIndex + 1])
            else { return nil }
            bytes = bytes.dropFirst(2)
            let value = high << 4 | low
            let scalar = Unicode.Scalar(value)
            if isUnreserved(value) {
                out.unicodeScalars.append(scalar)
            } else {
                out += "%" + String(value, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// RFC 3986 §2.3 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~".
    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            true
        default: false
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
