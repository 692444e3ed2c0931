import Foundation
import JOSE
import OAuth
import Projection

/// Access tokens as presented: opaque (`selector.secret`) or RFC 9068 JWTs whose `jti` is that
/// same split token — so either form finds its projection row by the selector and is checked
/// against the stored hash of the secret, and revocation works for both alike.
enum AccessTokens {
    /// The split token inside a presented access token (opaque, or a JWT's `jti`).
    static func splitToken(in presented: String) -> SplitToken? {
        if let token = SplitToken.parse(presented) { return token }
        guard presented.utf8.count <= 16_384, let jws = try? CompactJWS.parse(presented), jws.typ == "at+jwt",
            let claims = try? JSONValue.parseObject(jws.payload), case .string(let jti)? = claims["jti"]
        else { return nil }
        return SplitToken.parse(jti)
    }

    /// The projection row of a presented token when its secret matches (any kind, any state).
    static func row(for presented: String, in projection: ProjectionStore) throws -> TokenRow? {
        guard let split = splitToken(in: presented), let row = try projection.token(split.selector),
            ConstantTime.equal(row.tokenHash, split.secretHash)
        else { return nil }
        return row
    }
}

extension TokenEndpoint {
    /// RFC 9068 §2.2: `typ: at+jwt`; `iss`, `exp`, `aud` (the OP's resources: its issuer), `sub`,
    /// `client_id`, `iat`, `jti` (the split token), `scope`, `cnf`, and `auth_time`/`acr`/`amr` when a
    /// user authenticated. Signed with the OP's ES256 key.
    func makeAccessTokenJWT(
        _ split: String, granted: GrantedTokensView, client: ClientRecord, binding: Binding, expiresAtMicros: Int64
    ) throws -> String {
        guard let key = env.signingKeys.current(.es256) else {
            throw OAuthError(.serverError, "no ES256 signing key is available")
        }
        let now = env.nowSeconds
        var claims: [String: JSONValue] = [
            "iss": .string(env.issuer), "aud": .string(env.issuer), "client_id": .string(client.clientID),
            "iat": .integer(now), "exp": .integer(expiresAtMicros / 1_000_000), "jti": .string(split),
            "scope": .string(granted.scope), "sub": .string(granted.subject ?? client.clientID),
        ]
        if let jkt = binding.confirmation.jkt { claims["cnf"] = .object(["jkt": .string(jkt)]) }
        if let x5t = binding.confirmation.x5tS256 { claims["cnf"] = .object(["x5t#S256": .string(x5t)]) }
        if let authTime = granted.authTimeMicros { claims["auth_time"] = .integer(authTime / 1_000_000) }
        if let acr = granted.acr, !acr.isEmpty { claims["acr"] = .string(acr) }
        if !granted.amr.isEmpty { claims["amr"] = .array(granted.amr.map { .string($0) }) }
        do {
            return try JWTSigner(key: key).sign(claims: claims, typ: "at+jwt")
        } catch {
            throw OAuthError(.serverError, "the access token could not be signed")
        }
    }
}

/// What a JWT access token says about the grant.
struct GrantedTokensView {
    var subject: String?
    var scope: String
    var authTimeMicros: Int64?
    var acr: String?
    var amr: [String]
}
