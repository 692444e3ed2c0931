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
    let resource: ProtectedResource

    var path: String { env.issuerPath + "/userinfo" }

    func add(to router: Router<OPRequestContext>) {
        router.get(RouterPath(path)) { request, context in
            env.offeringDPoPNonce(request, try await self.userinfo(request, context, method: "GET"))
        }
        router.post(RouterPath(path)) { request, context in
            env.offeringDPoPNonce(request, try await self.userinfo(request, context, method: "POST"))
        }
    }

    func userinfo(_ request: Request, _ context: OPRequestContext, method: String) async throws -> Response {
        let access = try await resource.authorize(
            request, context, method: method, targetURI: env.issuer + "/userinfo")
        let row = access.row
        let challengeScheme = access.scheme
        let scopes = Set(row.scope.split(separator: " ").map(String.init))
        guard scopes.contains("openid"), let subject = row.subject else {
            throw ProtectedResource.challenge(
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
