import Foundation
import X509

/// Client authentication with `self_signed_tls_client_auth` (RFC 8705 §2.2, MTLS-02): the TLS
/// peer certificate must be, byte for byte, the first `x5c` certificate of one of the keys the
/// client registered (`jwks`, or the document fetched from `jwks_uri`), and must be within its
/// validity period.
///
/// ```swift
/// try SelfSignedClientAuthMatcher.authenticate(
///     certificateDER: try peer.toDERBytes(), jwks: client.jwks ?? fetchedJWKS, at: .now)
/// ```
public enum SelfSignedClientAuthMatcher {
    /// MTLS-02: authenticates the client or throws `invalid_client`.
    public static func authenticate(certificateDER: [UInt8], jwks: String, at time: Date) throws(OAuthError) {
        let certificate = try parseCertificate(certificateDER)
        try requireRegisteredCertificate(certificateDER, jwks: jwks)
        try requireWithinValidity(certificate, at: time)
    }

    /// MTLS-02: the presented DER equals the first `x5c` entry of a key in the client's JWKS.
    static func requireRegisteredCertificate(_ der: [UInt8], jwks: String) throws(OAuthError) {
        guard registeredCertificates(jwks).contains(der) else {
            throw OAuthError(
                .invalidClient,
                "the client certificate is not registered for this client: it must equal the first x5c "
                    + "certificate of a key in the client's jwks (self_signed_tls_client_auth, RFC 8705 §2.2)")
        }
    }

    /// MTLS-02: a registered but expired (or not yet valid) certificate is refused.
    static func requireWithinValidity(_ certificate: Certificate, at time: Date) throws(OAuthError) {
        guard certificate.notValidBefore <= time, time <= certificate.notValidAfter else {
            let state = time < certificate.notValidBefore ? "is not valid yet" : "has expired"
            throw OAuthError(
                .invalidClient,
                "the client certificate \(state) (valid \(certificate.notValidBefore) to "
                    + "\(certificate.notValidAfter)); register a current certificate")
        }
    }

    static func parseCertificate(_ der: [UInt8]) throws(OAuthError) -> Certificate {
        do {
            return try Certificate(derEncoded: der)
        } catch {
            throw OAuthError(.invalidClient, "the client certificate is not a DER X.509 certificate")
        }
    }

    /// The DER of the first `x5c` entry of each key (standard base64, RFC 7517 §4.7).
    static func registeredCertificates(_ jwks: String) -> [[UInt8]] {
        guard case .object(let set)? = MetadataJSON.parse(Array(jwks.utf8)), case .array(let keys)? = set["keys"] else {
            return []
        }
        return keys.compactMap { key in
            guard case .object(let members) = key, case .array(let chain)? = members["x5c"],
                case .string(let first)? = chain.first, let der = Data(base64Encoded: first)
            else { return nil }
            return [UInt8](der)
        }
    }
}
