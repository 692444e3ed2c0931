/// Grant Management for OAuth 2.0 (draft -02) `grant_management_action` values of an authorization
/// request (GM-02). `query` and `revoke` are actions of the grant management endpoint, not of requests.
public enum GrantManagementAction: String, Sendable, Equatable, CaseIterable {
    /// A new grant, whatever grants the client already holds.
    case create
    /// The grant `grant_id` gets the union of its permissions and the requested ones (GM-03).
    case merge
    /// The grant `grant_id` gets exactly the requested permissions (GM-03).
    case replace

    /// The scopes of a grant after this action: order kept, existing scopes first for `merge`.
    ///
    /// ```swift
    /// GrantManagementAction.merge.scopes(existing: ["openid", "accounts"], requested: ["payments", "openid"])
    /// // ["openid", "accounts", "payments"]
    /// ```
    public func scopes(existing: [String], requested: [String]) -> [String] {
        switch self {
        case .create, .replace: return Self.unique(requested)
        case .merge: return Self.unique(existing + requested)
        }
    }

    static func unique(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.filter { seen.insert($0).inserted }
    }
}

/// The stateless grant management checks of a pushed request (GM-02, GM-03, GM-04). What needs state
/// — the grant exists, is active and belongs to this client (PAR) and to the user who logs in
/// (authorization) — is the Ledger's (`invalid_grant_id`).
public enum GrantManagementChecks {
    /// Longest `grant_id` accepted (ours are 31 characters).
    public static let grantIDBytesMax = 128
    /// GM-10: actions are optional (`grant_management_action_required: false`).
    public static let actionRequired = false
    /// The scopes that let an access token use the grant management endpoint (GM-06).
    public static let queryScope = "grant_management_query"
    public static let revokeScope = "grant_management_revoke"

    /// GM-02, GM-03, GM-04: the action and grant id of a request, checked in that order:
    /// an unknown action, `grant_id` without an action, `grant_id` with `create`, and `merge` /
    /// `replace` without `grant_id` are each `invalid_request`.
    public static func validate(_ form: [String: String]) throws -> (GrantManagementAction?, String?) {
        let action = try requireKnownAction(form)
        try requireActionForGrantID(action, grantID: form["grant_id"])
        try rejectGrantIDWithCreate(action, grantID: form["grant_id"])
        try requireGrantIDForUpdate(action, grantID: form["grant_id"])
        return (action, try requireWellFormedGrantID(form))
    }

    /// GM-04: the action is one of `create`, `merge`, `replace` (`update` of earlier drafts is not offered).
    static func requireKnownAction(_ form: [String: String]) throws -> GrantManagementAction? {
        guard let text = form["grant_management_action"] else {
            if actionRequired {
                throw OAuthError(.invalidRequest, "grant_management_action is required (create, merge or replace)")
            }
            return nil
        }
        guard let action = GrantManagementAction(rawValue: text) else {
            throw OAuthError(
                .invalidRequest, "grant_management_action \"\(text)\" is not supported; use create, merge or replace")
        }
        return action
    }

    /// GM-05: grant ids are URL-safe; anything else cannot name a grant of ours.
    static func requireWellFormedGrantID(_ form: [String: String]) throws -> String? {
        guard let grantID = form["grant_id"] else { return nil }
        let urlSafe = grantID.utf8.allSatisfy { c in
            (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) || (0x30...0x39).contains(c) || c == 0x2D
                || c == 0x5F
        }
        guard !grantID.isEmpty, grantID.utf8.count <= grantIDBytesMax, urlSafe else {
            throw OAuthError(.invalidGrantID, "grant_id is not a grant identifier issued by this OP")
        }
        return grantID
    }

    /// GM-04: `grant_id` without `grant_management_action` is `invalid_request`.
    static func requireActionForGrantID(_ action: GrantManagementAction?, grantID: String?) throws {
        if grantID != nil && action == nil {
            throw OAuthError(.invalidRequest, "grant_id needs grant_management_action merge or replace")
        }
    }

    /// GM-04: `grant_id` with `create` is `invalid_request`.
    static func rejectGrantIDWithCreate(_ action: GrantManagementAction?, grantID: String?) throws {
        if action == .create && grantID != nil {
            throw OAuthError(.invalidRequest, "grant_id must not be sent with grant_management_action=create")
        }
    }

    /// GM-03: `merge` and `replace` need the `grant_id` they change.
    static func requireGrantIDForUpdate(_ action: GrantManagementAction?, grantID: String?) throws {
        if (action == .merge || action == .replace) && grantID == nil {
            throw OAuthError(.invalidRequest, "grant_management_action=\(action!.rawValue) requires grant_id")
        }
    }
}
