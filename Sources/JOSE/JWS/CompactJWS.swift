/// A JWS in compact serialisation (RFC 7515 §7.1), parsed but NOT verified.
///
/// Parsing checks only structure: three base64url parts, a JSON-object header with a string `alg`,
/// string `kid`/`typ` when present, and no `crit` (RFC 7515 §4.1.11: we understand no extension,
/// so a critical one must make the JWS invalid). The payload is kept as bytes; ``claims()`` parses it
/// as a JWT claims set. Verify with ``ClientJWKSet/verify(_:allowedAlgorithms:)`` or
/// ``ClientJWK/verify(_:allowedAlgorithms:)`` before trusting anything in it.
///
/// ```swift
/// let jws = try CompactJWS.parse(form["client_assertion"] ?? "")
/// let key = try clientKeys.verify(jws, allowedAlgorithms: JWSAlgorithm.fapi2)
/// let claims = try jws.claims()
/// ```
public struct CompactJWS: Sendable, Hashable {
    /// Longest compact JWS accepted, in bytes (a request object with `authorization_details` stays
    /// well under this; a DPoP proof or client assertion is 0.5–2 KiB).
    public static let compactLengthBytesMax = 65_536

    /// The original compact string.
    public let compact: String
    /// The JOSE header members.
    public let header: [String: JSONValue]
    /// The header `alg`, exactly as sent (not yet checked against any allow-list).
    public let alg: String
    /// The header `kid`, if present.
    public let kid: String?
    /// The header `typ`, if present.
    public let typ: String?
    /// The decoded payload bytes.
    public let payload: [UInt8]
    /// `ASCII(BASE64URL(header) || '.' || BASE64URL(payload))`, the bytes the signature covers.
    public let signingInput: [UInt8]
    /// The decoded signature bytes (may be empty; verification rejects that).
    public let signature: [UInt8]

    /// Parses a compact JWS. Throws ``JOSEError`` (`malformed` or `criticalHeader`).
    public static func parse(_ token: String) throws(JOSEError) -> CompactJWS {
        try CompactJWS(token)
    }

    private init(_ token: String) throws(JOSEError) {
        try Self.requireBoundedLength(token)
        // One pass over the bytes: the two separators, each part decoded where it lies, and the
        // signing input copied once.
        var text = token
        let split = text.withUTF8 { bytes -> Split in
            var (first, second, dots) = (0, 0, 0)
            for i in bytes.indices where bytes[i] == UInt8(ascii: ".") {
                if dots == 0 { first = i } else if dots == 1 { second = i }
                dots += 1
            }
            guard dots == 2 else { return .partCount(dots + 1) }
            return .parts(
                header: Base64URL.decode(utf8: UnsafeBufferPointer(rebasing: bytes[..<first])),
                payload: Base64URL.decode(utf8: UnsafeBufferPointer(rebasing: bytes[(first + 1)..<second])),
                signature: Base64URL.decode(utf8: UnsafeBufferPointer(rebasing: bytes[(second + 1)...])),
                signingInput: Array(UnsafeBufferPointer(rebasing: bytes[..<second])))
        }
        let decodedHeader: [UInt8]?
        let decodedPayload: [UInt8]?
        let decodedSignature: [UInt8]?
        let signingInput: [UInt8]
        switch split {
        case .partCount(let count):
            throw JOSEError(
                .malformed, "a compact JWS has three base64url parts separated by '.', this has \(count)")
        case .parts(let header, let payload, let signature, let input):
            (decodedHeader, decodedPayload, decodedSignature, signingInput) = (header, payload, signature, input)
        }
        guard let headerBytes = decodedHeader, !headerBytes.isEmpty else {
            throw JOSEError(.malformed, "the JWS header is not unpadded base64url")
        }
        guard let payload = decodedPayload else {
            throw JOSEError(.malformed, "the JWS payload is not unpadded base64url")
        }
        guard let signature = decodedSignature else {
            throw JOSEError(.malformed, "the JWS signature is not unpadded base64url")
        }
        let header: [String: JSONValue]
        do {
            header = try JSONValue.parseObject(headerBytes)
        } catch {
            throw JOSEError(.malformed, "the JWS header is not a JSON object: \(error.reason)")
        }
        try Self.rejectCriticalHeader(header)
        self.compact = token
        self.header = header
        self.alg = try Self.requireStringMember("alg", in: header, required: true) ?? ""
        self.kid = try Self.requireStringMember("kid", in: header, required: false)
        self.typ = try Self.requireStringMember("typ", in: header, required: false)
        self.payload = payload
        self.signingInput = signingInput
        self.signature = signature
    }

    /// What one scan of a compact JWS found: the decoded parts (nil: not base64url), or how many
    /// parts there were when not three.
    private enum Split {
        case parts(header: [UInt8]?, payload: [UInt8]?, signature: [UInt8]?, signingInput: [UInt8])
        case partCount(Int)
    }

    /// The payload parsed as a JWT claims set (RFC 7519 §7.2 step 10: a JSON object).
    public func claims() throws(JOSEError) -> [String: JSONValue] {
        do {
            return try JSONValue.parseObject(payload)
        } catch {
            throw JOSEError(.malformed, "the JWT payload is not a JSON object: \(error.reason)")
        }
    }

    /// Bounds the input before any decoding work.
    private static func requireBoundedLength(_ token: String) throws(JOSEError) {
        guard token.utf8.count <= compactLengthBytesMax else {
            throw JOSEError(.malformed, "the JWS is longer than \(compactLengthBytesMax) bytes")
        }
    }

    /// RFC 7515 §4.1.11: a recipient that does not understand every extension listed in `crit`
    /// must reject the JWS. This implementation understands none, so any `crit` is rejected.
    private static func rejectCriticalHeader(_ header: [String: JSONValue]) throws(JOSEError) {
        guard header["crit"] == nil else {
            throw JOSEError(
                .criticalHeader,
                "the JWS header has crit; no JWS extensions are supported, sign without crit (RFC 7515 4.1.11)"
            )
        }
    }

    private static func requireStringMember(
        _ name: String, in header: [String: JSONValue], required: Bool
    ) throws(JOSEError) -> String? {
        guard let value = header[name] else {
            if required { throw JOSEError(.malformed, "the JWS header has no \(name)") }
            return nil
        }
        guard let string = value.stringValue else {
            throw JOSEError(.malformed, "the JWS header \(name) must be a JSON string")
        }
        return string
    }
}
