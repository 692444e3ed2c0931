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
        let parts = token.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw JOSEError(
                .malformed,
                "a compact JWS has three base64url parts separated by '.', this has \(parts.count)"
            )
        }
        let headerPart = String(decoding: parts[0], as: UTF8.self)
        let payloadPart = String(decoding: parts[1], as: UTF8.self)
        let signaturePart = String(decoding: parts[2], as: UTF8.self)
        guard let headerBytes = Base64URL.decode(headerPart), !headerBytes.isEmpty else {
            throw JOSEError(.malformed, "the JWS header is not unpadded base64url")
        }
        guard let payload = Base64URL.decode(payloadPart) else {
            throw JOSEError(.malformed, "the JWS payload is not unpadded base64url")
        }
        guard let signature = Base64URL.decode(signaturePart) else {
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
        self.signingInput = Array(parts[0]) + [UInt8(ascii: ".")] + Array(parts[1])
        self.signature = signature
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
