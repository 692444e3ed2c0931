import Events
import OAuth
import Projection

/// Revokes a grant with every token issued under it: by the client through the grant management
/// API (GM-08), by the end user on the account page, or by an operator (`strongroom grants revoke`).
///
/// The Ledger re-checks what the caller looked up, because a decision of the same batch may have
/// changed it: the grant must still be active (`invalid_grant_id`, 404 — a revoked grant no longer
/// exists for its client, GM-09) and, when the caller names one, belong to that client (403, GM-09)
/// or to that user.
///
/// ```swift
/// try await ledger.execute(
///     RevokeGrant(grantID: id, requiredClientID: "tpp-1", requiredSubject: nil, revokedBy: "grant_management",
///                 reason: "DELETE by the client", actor: .client("tpp-1"), correlation: .none))
/// ```
public struct RevokeGrant: LedgerCommand {
    public let grantID: String
    /// The client the grant must belong to (grant management API), nil otherwise.
    public let requiredClientID: String?
    /// The user the grant must belong to (account page), nil otherwise.
    public let requiredSubject: String?
    /// `grant_management`, `end_user` or `operator` (journaled in `grant.revoked`).
    public let revokedBy: String
    public let reason: String
    public let actor: Actor
    public let correlation: Correlation

    public init(
        grantID: String, requiredClientID: String?, requiredSubject: String?, revokedBy: String, reason: String,
        actor: Actor, correlation: Correlation
    ) {
        self.grantID = grantID
        self.requiredClientID = requiredClientID
        self.requiredSubject = requiredSubject
        self.revokedBy = revokedBy
        self.reason = reason
        self.actor = actor
        self.correlation = correlation
    }

    /// Named limit: a revocation reason longer than this is refused (it is journaled verbatim).
    public static let reasonBytesMax = 1_024

    public func decide(_ state: LiveState, _ context: DecisionContext) throws -> Decision<Void> {
        guard !reason.isEmpty, reason.utf8.count <= Self.reasonBytesMax else {
            throw OAuthError(.invalidRequest, "a revocation needs a reason of 1 to \(Self.reasonBytesMax) bytes")
        }
        guard let grant = try state.activeGrant(grantID, context) else {
            throw OAuthError(.invalidGrantID, "no active grant \(grantID)", status: 404)
        }
        if let requiredClientID, grant.clientID != requiredClientID {
            throw OAuthError(.accessDenied, "the grant was not issued to this client", status: 403)
        }
        if let requiredSubject, grant.subject != requiredSubject {
            throw OAuthError(.invalidGrantID, "no active grant \(grantID)", status: 404)
        }
        return Decision(
            events: [
                NewEvent(
                    stream: .grant(grantID), actor: actor, correlation: correlation,
                    body: .grantRevoked(GrantRevoked(grantID: grantID, revokedBy: revokedBy, reason: reason)))
            ], output: ())
    }
}
