/// A client's registered JWK Set (`jwks` metadata or the document at `jwks_uri`), read tolerantly,
/// and the key-selection policy for verifying what the client signs.
///
/// Tolerant where tolerance is safe: an encryption key, an unknown `kty`/`crv`, or a key for an
/// algorithm FAPI 2.0 does not allow is skipped (listed in ``skipped``), never fatal — one odd key
/// must not lock a client out. Strict where it matters: a key with private members rejects the whole
/// set (the client has leaked its key); an RSA key under 2048 bits or an EC key not on P-256 is not
/// used and is listed in ``unusable`` (SP-38), so registration can refuse such metadata.
///
/// ```swift
/// let keys = try ClientJWKSet.parse(Array(jwksJSON.utf8))
/// let jws = try CompactJWS.parse(assertion)
/// let key = try keys.verify(jws, allowedAlgorithms: JWSAlgorithm.fapi2)
/// ```
public struct ClientJWKSet: Sendable {
    /// Most keys read from one set; a larger set is refused as a whole.
    public static let keyCountMax = 100

    /// The usable keys, in document order.
    public let keys: [ClientJWK]
    /// Keys that are not signing keys for a FAPI 2.0 algorithm, with the reason (informational).
    public let skipped: [String]
    /// Signing keys that violate SP-38 or are malformed, with the reason (report to the client).
    public let unusable: [String]

    /// A set made of already-decoded keys.
    public init(keys: [ClientJWK], skipped: [String] = [], unusable: [String] = []) {
        self.keys = keys
        self.skipped = skipped
        self.unusable = unusable
    }

    /// Parses a JWK Set document (`{"keys": [...]}`, RFC 7517 §5).
    public static func parse(_ json: [UInt8]) throws(JOSEError) -> ClientJWKSet {
        let document: [String: JSONValue]
        do {
            document = try JSONValue.parseObject(json)
        } catch {
            throw JOSEError(.malformed, "the JWK Set is not a JSON object: \(error.reason)")
        }
        return try parse(document)
    }

    /// Reads a JWK Set already parsed as JSON (e.g. the `jwks` member of client metadata).
    public static func parse(_ document: [String: JSONValue]) throws(JOSEError) -> ClientJWKSet {
        guard let entries = document["keys"]?.arrayValue else {
            throw JOSEError(.malformed, "the JWK Set has no keys array (RFC 7517 section 5)")
        }
        guard entries.count <= keyCountMax else {
            throw JOSEError(.malformed, "the JWK Set has \(entries.count) keys; at most \(keyCountMax) are accepted")
        }
        var keys: [ClientJWK] = []
        var skipped: [String] = []
        var unusable: [String] = []
        for (index, entry) in entries.enumerated() {
            guard let object = entry.objectValue else {
                skipped.append("keys[\(index)] is not a JSON object")
                continue
            }
            switch try ClientJWK.parse(object) {
            case .usable(let key): keys.append(key)
            case .skipped(let reason): skipped.append(reason)
            case .unusable(let reason): unusable.append(reason)
            }
        }
        return ClientJWKSet(keys: keys, skipped: skipped, unusable: unusable)
    }

    /// Verifies `jws` with the client's keys and returns the key that verified it.
    ///
    /// 1. SP-37: header `alg` in `allowedAlgorithms`, before anything else.
    /// 2. A header `kid` selects only keys with exactly that `kid` — never a default key.
    /// 3. SP-41: candidates are narrowed by `kty`/`crv`/declared `alg` compatibility with the header
    ///    `alg` (duplicate `kid`s are disambiguated this way; `use: enc` keys were never admitted).
    /// 4. The first candidate whose signature verifies wins.
    ///
    /// ```swift
    /// let key = try keys.verify(jws, allowedAlgorithms: [.ps256, .es256])
    /// print(key.kid ?? key.thumbprint)
    /// ```
    public func verify(_ jws: CompactJWS, allowedAlgorithms: Set<JWSAlgorithm>) throws(JOSEError) -> ClientJWK {
        let algorithm = try JWSVerification.requireAllowedAlgorithm(jws, allowedAlgorithms)
        let candidates = try candidateKeys(for: jws, algorithm: algorithm)
        for key in candidates
        where JWSVerification.isValidSignature(jws.signature, over: jws.signingInput, with: key.material) {
            return key
        }
        let which =
            jws.kid.map { "the key with kid \(Diagnostic.quote($0))" }
            ?? "any of the client's \(algorithm.rawValue) keys"
        throw JOSEError(
            .invalidSignature,
            "the \(algorithm.rawValue) signature does not verify with \(which); sign with a key registered in the client's jwks"
        )
    }

    /// Steps 2 and 3 of ``verify(_:allowedAlgorithms:)``: strict `kid` match, then SP-41 filtering.
    public func candidateKeys(for jws: CompactJWS, algorithm: JWSAlgorithm) throws(JOSEError) -> [ClientJWK] {
        var candidates = keys
        if let kid = jws.kid {
            candidates = candidates.filter { $0.kid == kid }
            guard !candidates.isEmpty else {
                throw JOSEError(
                    .noMatchingKey,
                    "no usable key with kid \(Diagnostic.quote(kid)) in the client's jwks; register the key or fix the kid"
                )
            }
        }
        candidates = candidates.filter { $0.isCompatible(with: algorithm) }
        guard !candidates.isEmpty else {
            let scope =
                jws.kid.map { "the key(s) with kid \(Diagnostic.quote($0)) are" } ?? "no key in the client's jwks is"
            throw JOSEError(
                .noMatchingKey,
                jws.kid == nil
                    ? "\(scope) a \(algorithm.keyType) key usable for \(algorithm.rawValue)"
                    : "\(scope) not usable for \(algorithm.rawValue) (key type, curve or declared alg differ)"
            )
        }
        return candidates
    }
}
