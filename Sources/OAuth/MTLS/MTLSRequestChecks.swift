/// Per-request mTLS rules (RFC 8705 §2, §3): identifying the client that authenticates with a
/// certificate, and checking a certificate-bound access token against the presented certificate.
public enum MTLSRequestChecks {
    /// MTLS-03: with `tls_client_auth` / `self_signed_tls_client_auth` the certificate does not say
    /// which client is calling, so the request must carry `client_id` (RFC 8705 §2). Without it
    /// the client is unauthenticated (SP-09): `invalid_client`.
    ///
    /// ```swift
    /// let clientID = try MTLSRequestChecks.requireClientID(form["client_id"])
    /// ```
    public static func requireClientID(_ clientID: String?) throws(OAuthError) -> String {
        guard let clientID, !clientID.isEmpty else {
            throw OAuthError(
                .invalidClient,
                "client_id is required when the client authenticates with a TLS client certificate (RFC 8705 §2); "
                    + "send it in the request body")
        }
        return clientID
    }

    /// MTLS-05: a certificate-bound access token (`cnf.x5t#S256`, MTLS-04) is only accepted over a
    /// TLS connection presenting that certificate; otherwise `invalid_token` (401, RFC 8705 §3).
    ///
    /// ```swift
    /// try MTLSRequestChecks.requireBoundCertificate(
    ///     confirmation: token.cnf.x5tS256, presentedCertificateDER: try await context.peerCertificateDER())
    /// ```
    public static func requireBoundCertificate(
        confirmation x5tS256: String, presentedCertificateDER: [UInt8]?
    )
        throws(OAuthError)
    {
        guard let presentedCertificateDER else {
            throw OAuthError(
                .invalidToken,
                "the access token is bound to a client certificate (cnf x5t#S256) but no certificate was presented; "
                    + "call over mutual TLS with the certificate the token was issued to")
        }
        let presented = CertificateThumbprint.x5tS256(der: presentedCertificateDER)
        guard ConstantTime.equal(presented, x5tS256) else {
            throw OAuthError(
                .invalidToken,
                "the access token is bound to another client certificate than the one presented (cnf x5t#S256 "
                    + "mismatch); use the certificate the token was issued to")
        }
    }
}
