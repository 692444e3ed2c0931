import Events
import Foundation
import Hummingbird
import Ledger
import OAuth
import Projection

/// RFC 7009 revocation (REV-01…04) and RFC 7662 introspection (INT-01, INT-02). Both require client
/// authentication like the token endpoint; a client reaches only tokens issued to it.
struct RevocationEndpoint: Sendable {
    let env: ProtocolEnvironment
    let clients: ClientAuthenticator

    func add(to router: Router<OPRequestContext>) {
        router.post(RouterPath(env.issuerPath + "/revoke")) { request, context in
            try await self.revoke(request, context)
        }
        router.post(RouterPath(env.issuerPath + "/introspect")) { request, context in
            try await self.introspect(request, context)
        }
    }

    /// REV-01: authenticated; REV-02: unknown tokens and other clients' tokens → 200, nothing revoked;
    /// REV-04: a refresh token takes its grant (and every access token of it) along.
    func revoke(_ request: Request, _ context: OPRequestContext) async throws -> Response {
        let form = try await FormParameters.read(request, context: context, limit: context.maxUploadSize)
        let client = try await clients.authenticate(form, request: request, context: context)
        guard let value = form["token"] else { throw OAuthError(.invalidRequest, "token is required") }
        if let hint = form["token_type_hint"], hint != "access_token", hint != "refresh_token" {
            // REV-03
            throw OAuthError(.unsupportedTokenType, "token_type_hint \(hint) is not supported")
        }
        if let token = AccessTokens.splitToken(in: value) {
            _ = try await env.ledger.execute(
                RevokeToken(
                    tokenID: token.selector, tokenHash: token.secretHash, clientID: client.record.clientID,
                    correlation: Correlation(interactionID: context.interactionID, requestID: nil)))
        }
        return Response(status: .ok, headers: [.cacheControl: "no-store"])
    }

    /// INT-01: authenticated; INT-02: `{"active": false}` for anything not active and issued to the
    /// caller, else the token's facts including its sender constraint (`cnf`).
    func introspect(_ request: Request, _ context: OPRequestContext) async throws -> Response {
        let form = try await FormParameters.read(request, context: context, limit: context.maxUploadSize)
        let client = try await clients.authenticate(form, request: request, context: context)
        guard let value = form["token"] else { throw OAuthError(.invalidRequest, "token is required") }
        var body: [String: Any] = ["active": false]
        // INT-01: a client introspects its own tokens; a client registered as a protected resource
        // (`protected_resource: true`) any access token — every access token's audience is the bank's APIs.
        if let row = try AccessTokens.row(for: value, in: env.projection),
            row.clientID == client.record.clientID || (client.record.protectedResource && row.kind == "access"),
            row.active,
            (row.expiresMicros ?? Int64.max) > env.nowMicros, try env.projection.grant(row.grantID)?.active ?? false
        {
            body = [
                "active": true, "client_id": row.clientID, "scope": row.scope, "iss": env.issuer,
                "token_type": row.kind == "refresh" ? "refresh_token" : row.tokenType,
            ]
            if let subject = row.subject { body["sub"] = subject }
            if let expires = row.expiresMicros { body["exp"] = expires / 1_000_000 }
            if let issued = row.issuedMicros { body["iat"] = issued / 1_000_000 }
            if let jkt = row.cnfJKT { body["cnf"] = ["jkt": jkt] }
            if let x5t = row.cnfX5tS256 { body["cnf"] = ["x5t#S256": x5t] }
        }
        let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])
        return JSONResponse.bytes(ByteBuffer(data: data), headers: [.cacheControl: "no-store"])
    }
}
