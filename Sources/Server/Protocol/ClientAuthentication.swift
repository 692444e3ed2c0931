import Events
import Foundation
import Hummingbird
import JOSE
import OAuth
import X509

/// A client that proved who it is at the PAR, token, revocation or introspection endpoint.
struct AuthenticatedClient: Sendable {
    var record: ClientRecord
    /// The method used and its signed evidence (journaled verbatim).
    var evidence: ClientEvidence
    /// `x5t#S256` of the TLS client certificate presented on the connection, if any.
    var certificateThumbprint: String?
}

/// Client authentication exactly as FAPI 2.0 allows it (SP-09, SP-11): `private_key_jwt`
/// (RFC 7523 / OIDC §9), `tls_client_auth` and `self_signed_tls_client_auth` (RFC 8705 §2). Anything
/// else — no credentials, `client_secret_*`, HTTP Basic — is `invalid_client` (401).
struct ClientAuthenticator: Sendable {
    let env: ProtocolEnvironment
    let assertionValidator: ClientAssertionValidator
    /// CAs trusted for `tls_client_auth` (`--client-ca`); nil when none were configured.
    let tlsClientAuth: TLSClientAuthMatcher?

    /// Assertions may live at most this long: their `jti` is remembered that long (CA-05).
    static let assertionLifetimeSecondsMax: Int64 = 600

    init(env: ProtocolEnvironment, clientCAPath: String?) throws {
        self.env = env
        self.assertionValidator = ClientAssertionValidator(
            issuer: env.issuer, expiresInSecondsMax: Self.assertionLifetimeSecondsMax)
        if let clientCAPath {
            guard let pem = try? String(contentsOfFile: clientCAPath, encoding: .utf8) else {
                throw OAuthServerSetupError("cannot read the client CA file \(clientCAPath)")
            }
            do {
                tlsClientAuth = try TLSClientAuthMatcher(trustedCAsPEM: pem)
            } catch {
                throw OAuthServerSetupError("the client CA file \(clientCAPath) is not usable: \(error)")
            }
        } else {
            tlsClientAuth = nil
        }
    }

    func authenticate(
        _ form: [String: String], request: Request, context: OPRequestContext
    ) async throws
        -> AuthenticatedClient
    {
        let certificate = await ClientCertificate.presented(request, context: context, proxies: env.trustedProxies)
        let thumbprint = certificate.map { CertificateThumbprint.x5tS256(der: $0) }
        if request.headers[.authorization] != nil {
            throw OAuthError(
                .invalidClient,
                "HTTP Basic / client secrets are not accepted; authenticate with private_key_jwt or a TLS client certificate"
            )
        }
        if form["client_secret"] != nil {
            throw OAuthError(
                .invalidClient, "client_secret is not accepted; use private_key_jwt or a TLS client certificate (SP-11)"
            )
        }
        if form["client_assertion"] != nil || form["client_assertion_type"] != nil {
            return try await privateKeyJWT(form, thumbprint: thumbprint)
        }
        guard let clientID = form["client_id"] else {
            throw OAuthError(
                .invalidClient,
                "client authentication is required: send a client assertion, or client_id with a TLS client certificate"
            )
        }
        let client = try env.clients.client(clientID)
        guard let certificate, let thumbprint else {
            throw OAuthError(
                .invalidClient,
                "client \(clientID) authenticates with \(client.tokenEndpointAuthMethod) but presented no credentials")
        }
        let now = Date(timeIntervalSince1970: Double(env.nowSeconds))
        switch client.tokenEndpointAuthMethod {
        case "tls_client_auth":
            guard let tlsClientAuth else {
                throw OAuthError(.invalidClient, "no client CA is configured for tls_client_auth (--client-ca)")
            }
            guard let attribute = client.tlsClientAuthAttribute else {
                throw OAuthError(.invalidClient, "client \(clientID) has no tls_client_auth_* attribute registered")
            }
            try await tlsClientAuth.authenticate(certificateDER: certificate, registered: attribute, at: now)
        case "self_signed_tls_client_auth":
            let jwks = try await env.clients.jwksText(clientID, nowMicros: env.nowMicros)
            try SelfSignedClientAuthMatcher.authenticate(certificateDER: certificate, jwks: jwks, at: now)
        default:
            throw OAuthError(
                .invalidClient, "client \(clientID) must authenticate with a client assertion (private_key_jwt)")
        }
        return AuthenticatedClient(
            record: client,
            evidence: ClientEvidence(authMethod: client.tokenEndpointAuthMethod, certificateThumbprint: thumbprint),
            certificateThumbprint: thumbprint)
    }

    /// CA-01…CA-08, SP-13, SP-18, SP-37 (checks in `ClientAssertionValidator`); the `jti` replay
    /// check (CA-05) is the Ledger's.
    func privateKeyJWT(_ form: [String: String], thumbprint: String?) async throws -> AuthenticatedClient {
        let claimed = try ClientAssertionValidator.readClaimedClient(
            assertionType: form["client_assertion_type"], assertion: form["client_assertion"],
            clientID: form["client_id"])
        let client = try env.clients.client(claimed.clientID)
        guard client.tokenEndpointAuthMethod == "private_key_jwt" else {
            throw OAuthError(
                .invalidClient,
                "client \(client.clientID) is registered for \(client.tokenEndpointAuthMethod), not private_key_jwt")
        }
        let keys = try await env.clients.keys(client.clientID, nowMicros: env.nowMicros)
        let validated: ValidatedClientAssertion
        do {
            validated = try assertionValidator.validate(claimed, keys: keys, nowSeconds: env.nowSeconds)
        } catch {
            // A client publishing at a jwks_uri may have rotated its keys: fetch once more and retry.
            guard let fresh = try await env.clients.refreshedKeys(client.clientID, nowMicros: env.nowMicros) else {
                throw error
            }
            validated = try assertionValidator.validate(claimed, keys: fresh, nowSeconds: env.nowSeconds)
        }
        return AuthenticatedClient(
            record: client,
            evidence: ClientEvidence(
                authMethod: "private_key_jwt", clientAssertion: validated.assertion, assertionJTI: validated.jti,
                assertionExpiresAtMicros: validated.expSeconds * 1_000_000, certificateThumbprint: thumbprint),
            certificateThumbprint: thumbprint)
    }
}
