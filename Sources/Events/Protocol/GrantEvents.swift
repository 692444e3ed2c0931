// Events of a grant's life after its creation (grant management, GM-03).

/// `grant.updated` v1 — the user approved a `merge` or `replace` of an existing grant (GM-03).
///
/// Applying it sets the grant's scopes to `scopesAfter` and revokes every refresh
/// token of the grant issued before this event: a merged or replaced grant keeps no refresh token
/// that was minted for its earlier permissions. `scopesBefore` is what the grant held when the
/// Ledger decided, so the audit trail shows the change without reading the grant's history.
public struct GrantUpdated: Codable, Sendable, Equatable {
    public var grantID: String
    public var clientID: String
    public var subject: String
    /// `merge` (union of old and new permissions) or `replace` (exactly the new ones).
    public var action: String
    public var scopesBefore: [String]
    public var scopesAfter: [String]
    /// The pushed request whose consent changed the grant.
    public var requestID: String

    public init(
        grantID: String, clientID: String, subject: String, action: String, scopesBefore: [String],
        scopesAfter: [String], requestID: String
    ) {
        self.grantID = grantID
        self.clientID = clientID
        self.subject = subject
        self.action = action
        self.scopesBefore = scopesBefore
        self.scopesAfter = scopesAfter
        self.requestID = requestID
    }
}
