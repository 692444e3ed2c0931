import Hummingbird
import OAuth

/// Strict `application/x-www-form-urlencoded` parsing (RFC 6749 §3.1, §3.2): a parameter sent twice is
/// `invalid_request`; parameters sent without a value are treated as omitted; `+` is a space.
enum FormParameters {
    /// Most parameters one request may carry.
    static let parametersMax = 64

    static func parse(_ body: String) throws -> [String: String] {
        var result: [String: String] = [:]
        guard !body.isEmpty else { return result }
        let pairs = body.split(separator: "&", omittingEmptySubsequences: true)
        guard pairs.count <= parametersMax else {
            throw OAuthError(.invalidRequest, "too many parameters (at most \(parametersMax))")
        }
        for pair in pairs {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0]) else {
                throw OAuthError(.invalidRequest, "a parameter name is not valid percent-encoding")
            }
            guard let value = parts.count > 1 ? decode(parts[1]) : "" else {
                throw OAuthError(.invalidRequest, "parameter \(name) is not valid percent-encoding")
            }
            if result[name] != nil {
                throw OAuthError(.invalidRequest, "parameter \(name) is included more than once")
            }
            result[name] = value
        }
        return result.filter { !$0.value.isEmpty }
    }

    /// Reads and parses a request's form body (checks the content type).
    static func read(_ request: Request, context: some RequestContext, limit: Int) async throws -> [String: String] {
        let type = request.headers[.contentType]?.lowercased() ?? ""
        guard type.hasPrefix("application/x-www-form-urlencoded") else {
            throw OAuthError(.invalidRequest, "the body must be application/x-www-form-urlencoded")
        }
        let buffer = try await request.body.collect(upTo: limit)
        return try parse(String(buffer: buffer))
    }

    /// Parses a URI query (the authorization endpoint's GET parameters).
    static func parseQuery(_ query: String?) throws -> [String: String] {
        try parse(query ?? "")
    }

    static func decode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let c = iterator.next() {
            switch c {
            case UInt8(ascii: "+"): bytes.append(0x20)
            case UInt8(ascii: "%"):
                guard let h = iterator.next(), let l = iterator.next(), let hv = hex(h), let lv = hex(l) else {
                    return nil
                }
                bytes.append(hv << 4 | lv)
            default: bytes.append(c)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x41...0x46: c - 0x37
        case 0x61...0x66: c - 0x57
        default: nil
        }
    }

    /// Percent-encodes a query value (RFC 3986 unreserved characters stay).
    static func encode(_ text: String) -> String {
        var out = ""
        for b in text.utf8 {
            switch b {
            case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, 0x2D, 0x2E, 0x5F, 0x7E: out.append(Character(UnicodeScalar(b)))
            default: out += "%" + String(b, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
