import Foundation

/// Checks on registered `redirect_uris` (RFC 7591 §2, §3.2.2; FAPI 2.0 SP 5.3.2.2-8; RFC 8252 §7.3).
/// Failures are `invalid_redirect_uri` (DCR-03).
public enum RedirectURIChecks {
    /// DCR-03: `redirect_uris` is required and non-empty when `authorization_code` is a grant
    /// type; each entry passes ``validateRedirectURI(_:)``; duplicates are dropped.
    public static func validateRedirectURIs(
        _ values: [String]?, grantTypes: [GrantType]
    ) throws(OAuthError)
        -> [String]
    {
        let values = values ?? []
        if grantTypes.contains(.authorizationCode), values.isEmpty {
            throw OAuthError(
                .invalidRedirectURI,
                "redirect_uris is missing or empty; the authorization_code grant needs at least one https "
                    + "redirect URI")
        }
        var unique: [String] = []
        for value in values {
            try validateRedirectURI(value)
            if !unique.contains(value) { unique.append(value) }
        }
        return unique
    }

    /// DCR-03, SP-27: one redirect URI is absolute, https (or http to a loopback IP literal),
    /// without fragment, wildcard or user information.
    public static func validateRedirectURI(_ value: String) throws(OAuthError) {
        try rejectWildcard(value)
        guard value.utf8.count <= ClientMetadataChecks.stringByteCountMax, let uri = AbsoluteURI(value) else {
            throw OAuthError(
                .invalidRedirectURI,
                "redirect URI \"\(value)\" is not an absolute URI (scheme://host/path, RFC 3986 characters only)")
        }
        try rejectFragment(uri, value)
        try rejectUserInfo(uri, value)
        try requireHTTPSOrLoopbackHTTP(uri, value)
    }

    /// DCR-03: a wildcard would let the OP redirect to URIs nobody registered (open redirector, SP-12).
    static func rejectWildcard(_ value: String) throws(OAuthError) {
        guard !value.contains("*") else {
            throw OAuthError(
                .invalidRedirectURI,
                "redirect URI \"\(value)\" contains a wildcard '*'; register every redirect URI exactly")
        }
    }

    /// DCR-03: RFC 6749 §3.1.2 — a redirect URI must not include a fragment.
    static func rejectFragment(_ uri: AbsoluteURI, _ value: String) throws(OAuthError) {
        guard !uri.hasFragment else {
            throw OAuthError(
                .invalidRedirectURI,
                "redirect URI \"\(value)\" contains a fragment ('#'); remove it (RFC 6749 §3.1.2)")
        }
    }

    /// DCR-03: user information (`user@host`) in a redirect URI only serves to disguise its host.
    static func rejectUserInfo(_ uri: AbsoluteURI, _ value: String) throws(OAuthError) {
        guard uri.userInfo == nil else {
            throw OAuthError(
                .invalidRedirectURI, "redirect URI \"\(value)\" contains user information ('…@'); remove it")
        }
    }

    /// SP-27, DCR-02: https only; http is allowed for the loopback IP literals `127.0.0.1` and
    /// `[::1]` (native apps, RFC 8252 §7.3), never for `localhost` (RFC 8252 §8.3) or any other host.
    static func requireHTTPSOrLoopbackHTTP(_ uri: AbsoluteURI, _ value: String) throws(OAuthError) {
        switch uri.scheme {
        case "https":
            return
        case "http":
            guard uri.host == "127.0.0.1" || uri.host == "[::1]" else {
                let hint =
                    uri.host.lowercased() == "localhost"
                    ? "use the loopback IP literal 127.0.0.1 or [::1] instead of localhost (RFC 8252 §8.3)"
                    : "use https (http is only allowed to the loopback addresses 127.0.0.1 and [::1], RFC 8252 §7.3)"
                throw OAuthError(.invalidRedirectURI, "redirect URI \"\(value)\" uses http; \(hint)")
            }
        default:
            throw OAuthError(
                .invalidRedirectURI,
                "redirect URI \"\(value)\" uses the scheme \"\(uri.scheme)\"; FAPI 2.0 clients must use https")
        }
    }
}

/// An absolute URI with an authority (`scheme://[userinfo@]host[:port][/path][?query][#fragment]`),
/// parsed strictly: only RFC 3986 characters, valid percent-escapes, a non-empty host, a numeric port.
struct AbsoluteURI: Sendable, Equatable {
    /// Lower-cased scheme.
    let scheme: String
    let userInfo: String?
    /// The host as written; IPv6 literals keep their brackets (`[::1]`).
    let host: String
    let port: Int?
    let hasFragment: Bool

    init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard bytes.allSatisfy(\.isURICharacter), Self.hasValidPercentEscapes(bytes) else { return nil }
        guard Self.hasValidScheme(text), let separator = text.range(of: "://"),
            text.firstIndex(of: ":") == separator.lowerBound
        else { return nil }
        self.scheme = text[..<separator.lowerBound].lowercased()
        let rest = text[separator.upperBound...]
        self.hasFragment = rest.contains("#")
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        var hostAndPort = authority
        if let at = authority.lastIndex(of: "@") {
            self.userInfo = String(authority[..<at])
            hostAndPort = authority[authority.index(after: at)...]
        } else {
            self.userInfo = nil
        }
        var portText: Substring? = nil
        if hostAndPort.hasPrefix("[") {
            guard let close = hostAndPort.firstIndex(of: "]") else { return nil }
            self.host = String(hostAndPort[...close])
            let after = hostAndPort[hostAndPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
        } else if let colon = hostAndPort.lastIndex(of: ":") {
            self.host = String(hostAndPort[..<colon])
            portText = hostAndPort[hostAndPort.index(after: colon)...]
        } else {
            self.host = String(hostAndPort)
        }
        guard !host.isEmpty else { return nil }
        if let portText {
            guard (1...5).contains(portText.count), portText.allSatisfy(\.isASCIIDigit),
                let port = Int(portText), port <= 65535
            else { return nil }
            self.port = port
        } else {
            self.port = nil
        }
    }

    /// RFC 3986 §3.1: `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )` before the first `:`.
    static func hasValidScheme(_ text: String) -> Bool {
        guard let colon = text.firstIndex(of: ":") else { return false }
        let scheme = text[..<colon].utf8
        guard let first = scheme.first, first.isASCIILetter else { return false }
        return scheme.allSatisfy {
            $0.isASCIILetter || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "+")
                || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
        }
    }

    private static func hasValidPercentEscapes(_ bytes: [UInt8]) -> Bool {
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%") {
                guard index + 2 < bytes.count, bytes[index + 1].isHexDigit, bytes[index + 2].isHexDigit else {
                    return false
                }
                index += 3
            } else {
                index += 1
            }
        }
        return true
    }
}

extension UInt8 {
    /// RFC 3986 unreserved, reserved and `%` characters.
    var isURICharacter: Bool {
        if isASCIILetter || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) { return true }
        return Self.uriPunctuation.contains(self)
    }

    private static let uriPunctuation = Set("-._~:/?#[]@!$&'()*+,;=%".utf8)

    var isASCIILetter: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
    }

    var isHexDigit: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(self)
    }
}

extension Character {
    /// `0`–`9` only (not other Unicode digits).
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
