import Crypto
import JOSE

/// Certificate thumbprints for certificate-bound access tokens (RFC 8705 §3.1).
///
/// ```swift
/// let thumbprint = CertificateThumbprint.x5tS256(der: try peerCertificate.toDERBytes())
/// // put into the access token as "cnf": {"x5t#S256": thumbprint}
/// ```
public enum CertificateThumbprint {
    /// MTLS-04, MTLS-05: `x5t#S256` = base64url(SHA-256(DER)), over the certificate exactly as
    /// presented in the TLS handshake.
    public static func x5tS256(der: some Sequence<UInt8>) -> String {
        Base64URL.encode(SHA256.hash(data: Array(der)))
    }
}
