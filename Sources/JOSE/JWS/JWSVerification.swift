import Crypto
import _CryptoExtras

extension ClientJWK {
    /// Verifies `jws` with this one key — the DPoP case, where the key is the proof's own `jwk`
    /// header (RFC 9449 §4.3 step 6). The header `alg` must be in `allowedAlgorithms` before any
    /// cryptography runs, and must fit this key (type, curve, declared `alg`).
    ///
    /// ```swift
    /// let key = try ClientJWK(jwk: jws.header["jwk"]?.objectValue ?? [:])
    /// let alg = try key.verify(jws, allowedAlgorithms: JWSAlgorithm.fapi2)
    /// ```
    @discardableResult
    public func verify(_ jws: CompactJWS, allowedAlgorithms: Set<JWSAlgorithm>) throws(JOSEError) -> JWSAlgorithm {
        let algorithm = try JWSVerification.requireAllowedAlgorithm(jws, allowedAlgorithms)
        guard isCompatible(with: algorithm) else {
            throw JOSEError(
                .noMatchingKey,
                "the \(kty) key cannot verify alg \(algorithm.rawValue)"
                    + (alg.map { " (the key declares alg \($0.rawValue))" } ?? "")
            )
        }
        guard JWSVerification.isValidSignature(jws.signature, over: jws.signingInput, with: material) else {
            throw JOSEError(.invalidSignature, "the \(algorithm.rawValue) signature does not verify with the key")
        }
        return algorithm
    }
}

/// The algorithm gate and the three primitive verifiers (ES256, PS256, EdDSA) over swift-crypto.
public enum JWSVerification {
    /// SP-37: the header `alg` must be one of `allowed` (a subset of PS256/ES256/EdDSA) — checked
    /// BEFORE any key is chosen or any signature computed, so `none`, HS256 or RS256 never reach
    /// cryptography (RFC 8725 §3.1).
    public static func requireAllowedAlgorithm(
        _ jws: CompactJWS, _ allowed: Set<JWSAlgorithm>
    ) throws(JOSEError) -> JWSAlgorithm {
        guard let algorithm = JWSAlgorithm(rawValue: jws.alg), allowed.contains(algorithm) else {
            throw JOSEError(
                .algorithmNotAllowed,
                "alg \(Diagnostic.quote(jws.alg)) is not allowed; sign with one of: "
                    + JWSAlgorithm.spaceSeparated(allowed)
            )
        }
        return algorithm
    }

    /// Verifies a raw JWS signature over `signingInput` with `material`; the algorithm follows from
    /// the key type (callers have already matched alg and key). Wrong-length signatures are invalid.
    public static func isValidSignature(
        _ signature: [UInt8], over signingInput: [UInt8], with material: ClientJWK.Material
    ) -> Bool {
        switch material {
        case .p256(let key): isValidES256(signature, over: signingInput, with: key)
        case .rsa(let key): isValidPS256(signature, over: signingInput, with: key)
        case .ed25519(let key): isValidEdDSA(signature, over: signingInput, with: key)
        }
    }

    /// ES256 (RFC 7518 §3.4): the signature is exactly 64 bytes `r || s`, not DER.
    public static func isValidES256(
        _ signature: [UInt8], over signingInput: [UInt8], with key: P256.Signing.PublicKey
    ) -> Bool {
        guard signature.count == 64, let ecdsa = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else {
            return false
        }
        return key.isValidSignature(ecdsa, for: signingInput)
    }

    /// PS256 (RFC 7518 §3.5): RSASSA-PSS, SHA-256, MGF1-SHA-256, salt = 32 bytes; the signature is
    /// as long as the modulus.
    public static func isValidPS256(
        _ signature: [UInt8], over signingInput: [UInt8], with key: _RSA.Signing.PublicKey
    ) -> Bool {
        guard key.keySizeInBits >= ClientJWK.rsaModulusBitsMin, signature.count == (key.keySizeInBits + 7) / 8 else {
            return false
        }
        let rsa = _RSA.Signing.RSASignature(rawRepresentation: signature)
        return key.isValidSignature(rsa, for: SHA256.hash(data: signingInput), padding: .PSS)
    }

    /// EdDSA with Ed25519 (RFC 8037 §3.1): a 64-byte signature over the signing input itself.
    public static func isValidEdDSA(
        _ signature: [UInt8], over signingInput: [UInt8], with key: Curve25519.Signing.PublicKey
    ) -> Bool {
        guard signature.count == 64 else { return false }
        return key.isValidSignature(signature, for: signingInput)
    }
}
