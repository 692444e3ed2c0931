import Hummingbird
import OAuth

/// Strict `application/x-www-form-urlencoded` parsing (RFC 6749 §3.1, §3.2): a parameter sent twice is
/// `invalid_request`; parameters sent without a value are treated as omitted; `+` is a space.
enum FormParameters {
    /// Most parameters one request may carry.
    static let parametersMax = 64

    static func parse(_ body: String) throws -> [String: String] {
        var body = body
        return try body.withUTF8 { try parse(bytes: $0) }
    }

    /// Splits on `&` and `=` byte by byte (form bodies are ASCII; values are percent-decoded).
    static func parse(bytes: UnsafeBufferPointer<UInt8>) throws -> [String: String] {
        var result: [String: String] = [:]
        var start = 0
        var pairs = 0
        while start <= bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "&") { end += 1 }
            if end > start {
                pairs += 1
                guard pairs <= parametersMax else {
                    throw OAuthError(.invalidRequest, "too many parameters (at most \(parametersMax))")
                }
                var equals = start
                while equals < end && bytes[equals] != UInt8(ascii: "=") { equals += 1 }
                guard let name = decode(UnsafeBufferPointer(rebasing: bytes[start..<equals])) else {
                    throw OAuthError(.invalidRequest, "a parameter name is not valid percent-encoding")
                }
                let valueBytes =
                    equals < end
                    ? UnsafeBufferPointer(rebasing: bytes[(equals + 1)..<end]) : .init(start: nil, count: 0)
                guard let value = decode(valueBytes) else {
                    throw OAuthError(.invalidRequest, "parameter \(name) is not valid percent-encoding")
                }
                if result[name] != nil {
                    throw OAuthError(.invalidRequest, "parameter \(name) is included more than once")
                }
                result[name] = value
            }
            start = end + 1
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
        return try buffer.withUnsafeReadableBytes { raw in
            try parse(bytes: raw.bindMemory(to: UInt8.self))
        }
    }

    /// Parses a URI query (the authorization endpoint's GET parameters).
    static func parseQuery(_ query: String?) throws -> [String: String] {
        try parse(query ?? "")
    }

    /// Percent-decoding with `+` as space; nil for a broken escape or invalid UTF-8.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        if !bytes.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") || $0 >= 0x80 }) {
            return String(decoding: bytes, as: UTF8.self)  // ASCII: nothing to decode or validate
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "+") {
                out.append(0x20)
            } else if c == UInt8(ascii: "%") {
                guard i + 2 < bytes.count, let h = hex(bytes[i + 1]), let l = hex(bytes[i + 2]) else { return nil }
                out.append(h << 4 | l)
                i += 2
            } else {
                out.append(c)
            }
            i += 1
        }
        return String(validating: out, as: UTF8.self)
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
