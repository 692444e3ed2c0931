import Crypto
import Events
import JOSE
import OAuth
import Projection

extension DecisionContext {
    /// The projection, which protocol commands cannot decide without.
    func requireProjection() throws -> ProjectionStore {
        guard let projection else {
            throw OAuthError(.serverError, "protocol commands need the projection (it is disabled)")
        }
        return projection
    }
}

extension LiveState {
    /// Refuses a request whose client assertion or DPoP proof `jti` was seen before (CA-05, DPOP-08),
    /// or when the `jti` memory is full (then nothing can be checked: 503, retry later).
    func requireFreshJTIs(_ evidence: ClientEvidence?, clientID: String, nowMicros: Int64) throws {
        guard let evidence, evidence.assertionJTI != nil || evidence.dpopJTI != nil else { return }
        if let replay = protocolState.replayedJTI(in: evidence, clientID: clientID, nowMicros: nowMicros) {
            if replay.contains("DPoP") { throw OAuthError(.invalidDPoPProof, replay) }
            throw OAuthError(.invalidClient, replay)
        }
        if protocolState.jtiMemoryFull {
            throw OAuthError(
                .temporarilyUnavailable, "the OP is remembering too many recent jti values; retry in a minute")
        }
    }

    /// Grant `grantID` as decisions see it — counting creations, updates and revocations not yet
    /// projected — or nil when it is unknown or no longer active. Remembered in `context.grants`.
    func activeGrant(_ grantID: String, _ context: DecisionContext) throws -> CurrentGrant? {
        if let known = context.grants?.entry(grantID) {
            if case .active(let grant) = known { return grant }
            return nil
        }
        let grant: CurrentGrant?
        if protocolState.revokedGrants[grantID] != nil {
            grant = nil
        } else if let update = protocolState.updatedGrants[grantID]?.update {
            grant = CurrentGrant(
                grantID: grantID, clientID: update.clientID, subject: update.subject, scopes: update.scopesAfter)
        } else if let created = protocolState.createdGrants[grantID]?.grant {
            grant = CurrentGrant(
                grantID: grantID, clientID: created.clientID, subject: created.subject, scopes: created.scopes)
        } else {
            guard let row = try context.requireProjection().grantPermissions(grantID) else { return nil }
            grant =
                row.active
                ? CurrentGrant(grantID: grantID, clientID: row.clientID, subject: row.subject, scopes: row.scopes)
                : nil
        }
        context.grants?.remember(grantID, grant.map { .active($0) } ?? .inactive)
        return grant
    }

    /// Whether grant `grantID` is active, counting revocations not yet projected.
    func grantIsActive(_ grantID: String, _ context: DecisionContext) throws -> Bool {
        try activeGrant(grantID, context) != nil
    }
}

/// An active grant's current permissions, as a decision sees them (projection + overlay).
public struct CurrentGrant: Sendable, Equatable {
    public var grantID: String
    public var clientID: String
    public var subject: String
    public var scopes: [String]
}

/// PKCE (RFC 7636) at the token endpoint.
enum PKCE {
    /// PKCE-02, SP-24: the verifier is required, 43–128 unreserved characters, and
    /// `BASE64URL(SHA256(verifier))` must equal the stored S256 challenge. Every failure is `invalid_grant`.
    static func requireMatchingVerifier(_ verifier: String?, challenge: String?) throws {
        guard let challenge else { throw OAuthError(.invalidGrant, "the code has no PKCE challenge") }
        guard let verifier, !verifier.isEmpty else {
            throw OAuthError(.invalidGrant, "code_verifier is required: this code was issued with a PKCE challenge")
        }
        let unreserved = verifier.utf8.allSatisfy { c in
            (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2D
                || c == 0x2E || c == 0x5F || c == 0x7E
        }
        guard (43...128).contains(verifier.utf8.count), unreserved else {
            throw OAuthError(
                .invalidGrant, "code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1)")
        }
        let computed = Base64URL.encode(SHA256.hash(data: Array(verifier.utf8)))
        guard ConstantTime.equal(computed, challenge) else {
            throw OAuthError(.invalidGrant, "code_verifier does not match the code_challenge sent with the request")
        }
    }
}
