import Events
import Foundation
import Hummingbird
import Ledger
import OAuth
import Projection

/// The grant management API (Grant Management for OAuth 2.0, draft -02 §6; GM-06…GM-09):
/// `GET` and `DELETE {issuer}/grants/{grant_id}`.
///
/// The caller is a client with a sender-constrained access token checked exactly like at userinfo
/// (`ProtectedResource`: DPoP proof with `ath`, or the bound TLS certificate); the token must carry
/// `grant_management_query` (GET) or `grant_management_revoke` (DELETE) (GM-06). The grant must be
/// one the token's client holds: unknown or revoked → 404, another client's → 403; a missing or bad
/// token → 401 `invalid_token` with `WWW-Authenticate` (GM-09).
///
/// ```
/// GET /grants/1bX3k9-Qa…  Authorization: DPoP <at>  DPoP: <proof with ath>
/// 200 {"scopes":[{"scope":"openid accounts"}],"created_at":…,"last_updated_at":…,"updated_by":"end_user"}
/// ```
struct GrantManagementEndpoint: Sendable {
    let env: ProtocolEnvironment
    let resource: ProtectedResource

    /// GM-06: the grant resource is `grant_management_endpoint` + "/" + grant_id.
    static let pathSuffix = "/grants"
    var path: String { env.issuerPath + Self.pathSuffix }

    func add(to router: Router<OPRequestContext>) {
        router.get(RouterPath(path + "/:grantID")) { request, context in
            env.offeringDPoPNonce(request, try await self.query(request, context))
        }
        router.delete(RouterPath(path + "/:grantID")) { request, context in
            env.offeringDPoPNonce(request, try await self.revoke(request, context))
        }
        for method in [HTTPRequest.Method.post, .put, .patch] {
            router.on(RouterPath(path + "/:grantID"), method: method) { _, _ -> Response in
                throw OPHTTPError(
                    .methodNotAllowed, error: "invalid_request",
                    description: "use GET to query a grant or DELETE to revoke it", headers: [.allow: "GET, DELETE"])
            }
        }
    }

    /// GM-06, GM-09: the token (401), its scope (403), then the grant (404, 403).
    func authorizedGrant(
        _ request: Request, _ context: OPRequestContext, method: String, scope: String
    ) async throws -> (ProtectedResource.Access, String) {
        let grantID = context.parameters.get("grantID") ?? ""
        let access = try await resource.authorize(
            request, context, method: method, targetURI: env.issuer + Self.pathSuffix + "/" + grantID)
        guard access.scopes.contains(scope) else {
            throw access.insufficientScope("the access token was not granted the \(scope) scope")
        }
        guard let grant = try env.projection.grant(grantID), grant.active else {
            throw OAuthError(.invalidGrantID, "there is no grant \(grantID)", status: 404)
        }
        guard grant.clientID == access.row.clientID else {
            throw OAuthError(.accessDenied, "the grant was not issued to this client", status: 403)
        }
        return (access, grantID)
    }

    /// GM-07: the grant's permissions and history, never cached.
    func query(_ request: Request, _ context: OPRequestContext) async throws -> Response {
        let (_, grantID) = try await authorizedGrant(
            request, context, method: "GET", scope: GrantManagementChecks.queryScope)
        guard let grant = try env.projection.grant(grantID), grant.active else {
            throw OAuthError(.invalidGrantID, "there is no grant \(grantID)", status: 404)
        }
        return try JSONResponse.make(
            GrantResource(grant),
            headers: [.cacheControl: "no-cache, no-store", .init("Pragma")!: "no-cache"])
    }

    /// GM-08: the grant, its refresh tokens and its access tokens are revoked (`grant.revoked`,
    /// `revokedBy: grant_management`); 204 once that is durable.
    func revoke(_ request: Request, _ context: OPRequestContext) async throws -> Response {
        let (access, grantID) = try await authorizedGrant(
            request, context, method: "DELETE", scope: GrantManagementChecks.revokeScope)
        try await env.ledger.execute(
            RevokeGrant(
                grantID: grantID, requiredClientID: access.row.clientID, requiredSubject: nil,
                revokedBy: "grant_management", reason: "DELETE at the grant management endpoint",
                actor: .client(access.row.clientID),
                correlation: Correlation(interactionID: context.interactionID, requestID: nil)))
        return Response(status: .noContent, headers: [.cacheControl: "no-store"])
    }

    /// GM-07's response body. No resource indicators and no `authorization_details` types are
    /// offered, so `scopes` has one entry without `resource` and `authorization_details` is empty;
    /// the `claims` request parameter is honoured per request and not kept with the grant, so
    /// `claims` is empty; grants do not expire, so there is no `expires_at`.
    struct GrantResource: Encodable {
        struct Scope: Encodable { var scope: String }
        var scopes: [Scope]
        var claims: [String]
        var authorizationDetails: [String]
        var createdAt: Int64
        var lastUpdatedAt: Int64
        var updatedBy: String?

        init(_ grant: GrantRow) {
            scopes = grant.scopes.isEmpty ? [] : [Scope(scope: grant.scopes.joined(separator: " "))]
            claims = []
            authorizationDetails = []
            createdAt = grant.createdMicros / 1_000_000
            lastUpdatedAt = grant.updatedMicros / 1_000_000
            updatedBy = grant.updatedBy
        }

        enum CodingKeys: String, CodingKey {
            case scopes, claims
            case authorizationDetails = "authorization_details"
            case createdAt = "created_at"
            case lastUpdatedAt = "last_updated_at"
            case updatedBy = "updated_by"
        }
    }
}
