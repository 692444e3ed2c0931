import Foundation
import Hummingbird
import JOSE
import OAuth
import Projection

/// The access-token check of the OP-hosted resources (userinfo, the grant management API): the
/// token only in the `Authorization` header (SP-36), active, unexpired and of an active grant;
/// `DPoP <token>` with a fresh proof whose `ath` and key match (DPOP-14, DPOP-08), or
/// `Bearer <token>` over the TLS connection whose certificate the token is bound to (MTLS-05).
/// Failures are RFC 6750 §3.1 challenges (401 `invalid_token` with `WWW-Authenticate`).
///
/// ```swift
/// let access = try await resource.authorize(request, context, method: "GET", targetURI: env.issuer + "/userinfo")
/// guard access.scopes.contains("openid") else { throw access.insufficientScope("openid") }
/// ```
struct ProtectedResource: Sendable {
    let env: ProtocolEnvironment
    let dpop = DPoPProofValidator(context: .resourceServer)
    /// One cache for every resource: a proof is used once, wherever.
    let replays = ResourceReplayCache()

    /// An access token that passed every check.
    struct Access {
        var row: TokenRow
        /// `DPoP` or `Bearer`: the scheme later challenges use.
        var scheme: String
        var scopes: Set<String>

        /// SP-36: 403 `insufficient_scope` with the challenge.
        func insufficientScope(_ description: String) -> OAuthError {
            ProtectedResource.challenge(scheme, OAuthError(.insufficientScope, description))
        }
    }

    static func challenge(_ scheme: String, _ error: OAuthError) -> OAuthError {
        var error = error
        if !error.headers.contains(where: { $0.name.lowercased() == "www-authenticate" }) {
            error.headers.append(
                (
                    "WWW-Authenticate",
                    "\(scheme) error=\"\(error.code.rawValue)\", error_description=\"\(error.description)\""
                        + (scheme == "DPoP" ? ", algs=\"PS256 ES256 EdDSA\"" : "")
                ))
        }
        return error
    }

    func authorize(
        _ request: Request, _ context: OPRequestContext, method: String, targetURI: String
    ) async throws -> Access {
        guard let authorization = request.headers[.authorization] else {
            throw Self.challenge(
                "DPoP", OAuthError(.invalidToken, "an access token is required in the Authorization header"))
        }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else {
            throw Self.challenge("DPoP", OAuthError(.invalidToken, "malformed Authorization header"))
        }
        let scheme = parts[0].lowercased()
        let token = String(parts[1]).trimmingCharacters(in: .whitespaces)
        guard scheme == "dpop" || scheme == "bearer" else {
            throw Self.challenge("DPoP", OAuthError(.invalidToken, "use the DPoP or Bearer scheme"))
        }
        let challengeScheme = scheme == "dpop" ? "DPoP" : "Bearer"
        guard let row = try AccessTokens.row(for: token, in: env.projection), row.kind == "access" else {
            throw Self.challenge(challengeScheme, OAuthError(.invalidToken, "the access token is unknown"))
        }
        guard row.active, (row.expiresMicros ?? 0) > env.nowMicros,
            try env.projection.grant(row.grantID)?.active ?? false
        else {
            throw Self.challenge(challengeScheme, OAuthError(.invalidToken, "the access token expired or was revoked"))
        }
        if let jkt = row.cnfJKT {
            // DPOP-14: a DPoP-bound token comes with the DPoP scheme and a proof of its key.
            guard scheme == "dpop" else {
                throw Self.challenge(
                    "DPoP",
                    OAuthError(.invalidToken, "this access token is DPoP-bound: use the DPoP scheme with a proof"))
            }
            let proof = try dpop.validate(
                headerValues: request.headers[values: .init("DPoP")!], method: method, targetURI: targetURI,
                accessToken: token, nonces: env.dpopNonces, nowSeconds: env.nowSeconds)
            guard proof.jkt == jkt else {
                throw Self.challenge(
                    "DPoP", OAuthError(.invalidToken, "the DPoP proof is not signed with the key the token is bound to")
                )
            }
            // DPOP-08: a proof is used once.
            guard
                replays.firstUse(
                    jkt: proof.jkt, jti: proof.jti, nowSeconds: env.nowSeconds,
                    untilSeconds: proof.iatSeconds + dpop.issuedAtAgeSecondsMax + 60)
            else {
                throw Self.challenge(
                    "DPoP",
                    OAuthError(.invalidDPoPProof, "this DPoP proof was already used; send a fresh one", status: 401))
            }
        } else if let x5t = row.cnfX5tS256 {
            // MTLS-05: the certificate of this connection is the one the token is bound to.
            let presented = await ClientCertificate.presented(request, context: context, proxies: env.trustedProxies)
                .map { CertificateThumbprint.x5tS256(der: $0) }
            guard presented == x5t else {
                throw Self.challenge(
                    "Bearer",
                    OAuthError(.invalidToken, "the TLS client certificate is not the one this token is bound to"))
            }
        } else {
            throw Self.challenge(
                challengeScheme, OAuthError(.invalidToken, "the access token is not sender-constrained"))
        }
        return Access(
            row: row, scheme: challengeScheme, scopes: Set(row.scope.split(separator: " ").map(String.init)))
    }
}
