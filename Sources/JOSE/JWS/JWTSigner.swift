/// Produces compact JWSs signed by one of the OP's keys (ID tokens, JWT access tokens, JARM,
/// introspection responses).
///
/// The header is `alg` (from the key), `kid` (the key's thumbprint), optional `typ`, plus any extra
/// members; `alg`, `kid`, `typ` and `crit` cannot be set through the extra members. ES256 signatures
/// are the raw 64-byte `r || s` JWA requires (``OPSigningKey/sign(_:)`` already returns that form).
///
/// ```swift
/// let signer = JWTSigner(key: try OPSigningKey.generate(.es256))
/// let token = try signer.sign(claims: ["iss": .string(issuer), "sub": .string("alice")], typ: "at+jwt")
/// ```
public struct JWTSigner: Sendable {
    /// Header members the signer owns.
    public static let reservedHeaderMembers: Set<String> = ["alg", "kid", "typ", "crit"]

    /// The OP key that signs.
    public let key: OPSigningKey

    public init(key: OPSigningKey) {
        self.key = key
    }

    /// Signs `payload` (the exact JSON bytes of the claims set) and returns the compact JWS.
    public func sign(
        payload: [UInt8], typ: String? = nil, extraHeader: [String: JSONValue] = [:]
    ) throws(JOSEError) -> String {
        let header = try header(typ: typ, extra: extraHeader)
        return try CompactJWS.serialize(header: header, payload: payload) { input in
            do {
                return try key.sign(input)
            } catch {
                throw JOSEError(.signingFailed, "the OP key \(key.kid) failed to sign: \(error)")
            }
        }
    }

    /// Signs a claims object, serialised with sorted member names and no whitespace.
    public func sign(
        claims: [String: JSONValue], typ: String? = nil, extraHeader: [String: JSONValue] = [:]
    ) throws(JOSEError) -> String {
        try sign(payload: JSONValue.object(claims).jsonBytes(), typ: typ, extraHeader: extraHeader)
    }

    private func header(typ: String?, extra: [String: JSONValue]) throws(JOSEError) -> [String: JSONValue] {
        if let clash = extra.keys.sorted().first(where: Self.reservedHeaderMembers.contains) {
            throw JOSEError(.signingFailed, "extra header member \(clash) is set by the signer; remove it")
        }
        var header = extra
        header["alg"] = .string(key.algorithm.rawValue)
        header["kid"] = .string(key.kid)
        if let typ { header["typ"] = .string(typ) }
        return header
    }
}

extension CompactJWS {
    /// `BASE64URL(header) . BASE64URL(payload) . BASE64URL(sign(signingInput))` (RFC 7515 §7.1).
    /// `sign` receives the signing input and returns the raw JWS signature bytes; its errors, and a
    /// header that cannot be serialised, become ``JOSEError/Kind/signingFailed``. Used by
    /// ``JWTSigner`` and by tests that sign with client keys.
    ///
    /// ```swift
    /// let token = try CompactJWS.serialize(header: ["alg": "EdDSA"], payload: bytes) { input in
    ///     Array(try edKey.signature(for: input))
    /// }
    /// ```
    public static func serialize(
        header: [String: JSONValue], payload: [UInt8], sign: ([UInt8]) throws -> [UInt8]
    ) throws(JOSEError) -> String {
        let headerBytes = try JSONValue.object(header).jsonBytes()
        let signingInput = Base64URL.encode(headerBytes) + "." + Base64URL.encode(payload)
        let signature: [UInt8]
        do {
            signature = try sign(Array(signingInput.utf8))
        } catch let error as JOSEError {
            throw error
        } catch {
            throw JOSEError(.signingFailed, "signing failed: \(error)")
        }
        return signingInput + "." + Base64URL.encode(signature)
    }
}
