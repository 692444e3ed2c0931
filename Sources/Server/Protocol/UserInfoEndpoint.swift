import Foundation
import Hummingbird
import JOSE
import OAuth
import Projection

/// UserInfo (OIDC-07) — the OP-hosted resource. The access token only in the `Authorization`
/// header (SP-36): `DPoP <token>` with a proof whose `ath` and key match (DPOP-14), or
/// `Bearer <token>` over the TLS connection whose certificate the token is bound to (MTLS-05).
/// Errors are RFC 6750 §3.1 challenges (401 `invalid_token`, 403 `insufficient_scope`).
struct UserInfoEndpoint: Sendable {
    let env: ProtocolEnvironment
    let dpop = DPoPProofValidator(context: .resourceServer)
    let replays = ResourceReplayCache()

    var path: String { env.issuerPath + "/userinfo" }

    func add(to router: Router<OPRequestContext>) {
        router.get(RouterPath(path)) { request, context in
            env.offeringDPoPNonce(request, try await self.userinfo(request, context, method: "GET"))
        }
        router.post(RouterPath(path)) { request, context in
            env.offeringDPoPNonce(request, try await self.userinfo(request, context, method: "POST"))
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

    func userinfo(_ request: Request, _ context: OPRequestContext, method: String) async throws -> Response {
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
                headerValues: request.headers[values: .init("DPoP")!], method: method,
                targetURI: env.issuer + "/userinfo",
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
        let scopes = Set(row.scope.split(separator: " ").map(String.init))
        guard scopes.contains("openid"), let subject = row.subject else {
            throw Self.challenge(
                challengeScheme, OAuthError(.insufficientScope, "the access token was not granted the openid scope"))
        }
        var claims: [String: Any] = [:]
        if let user = try env.projection.user(subject: subject),
            let stored = try? JSONSerialization.jsonObject(with: Data(user.claims.utf8)) as? [String: Any]
        {
            claims = Self.released(stored, scopes: scopes)
        }
        claims["sub"] = subject
        let data = try JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys, .withoutEscapingSlashes])
        return JSONResponse.bytes(ByteBuffer(data: data), headers: [.cacheControl: "no-store"])
    }

    /// Standard claims by scope (OIDC §5.4).
    static let claimsByScope: [String: [String]] = [
        "profile": [
            "name", "family_name", "given_name", "middle_name", "nickname", "preferred_username", "profile", "picture",
            "website", "gender", "birthdate", "zoneinfo", "locale", "updated_at",
        ],
        "email": ["email", "email_verified"],
        "address": ["address"],
        "phone": ["phone_number", "phone_number_verified"],
    ]

    static func released(_ stored: [String: Any], scopes: Set<String>) -> [String: Any] {
        var out: [String: Any] = [:]
        for scope in scopes {
            for name in claimsByScope[scope] ?? [] { if let value = stored[name] { out[name] = value } }
        }
        return out
    }
}
