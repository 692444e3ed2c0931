/// A pushed authorization request as the projection holds it.
public struct PushedRequestRow: Sendable, Equatable {
    public var requestID: String
    public var requestURIHash: String
    public var clientID: String
    public var expiresMicros: Int64
    public var scope: String
    public var redirectURI: String
    public var dpopJKT: String?
    public var responseType: String?
    public var codeChallenge: String?
    public var codeChallengeMethod: String?
    public var state: String?
    public var nonce: String?
    public var acrValues: String?
    public var essentialACR: String?
    public var prompt: String?
    public var maxAgeSeconds: Int64?
    public var authorizationDetails: String?
    /// Set once an authorization completed (consent given or denied, or a code issued) for it.
    public var usedSequence: Int64?
    /// GM-02: `create`, `merge` or `replace`, and the grant a merge / replace changes.
    public var grantManagementAction: String?
    public var grantID: String?
}

/// An authorization code's facts (the code itself only as the hash of its secret part).
public struct CodeRow: Sendable, Equatable {
    public var codeID: String
    public var codeHash: String
    public var clientID: String
    public var subject: String
    public var grantID: String
    public var expiresMicros: Int64
    public var redeemedSequence: Int64?
    public var scope: String
    public var redirectURI: String
    public var dpopJKT: String?
    public var codeChallenge: String?
    public var nonce: String?
    public var authTimeMicros: Int64
    public var acr: String
    public var amr: [String]
    /// GM-05: the authorization's `grant_management_action`, when one was sent.
    public var grantManagementAction: String?
}

/// An SSO session.
public struct SessionRow: Sendable, Equatable {
    public var sessionID: String
    public var sessionHash: String
    public var subject: String
    public var acr: String
    public var amr: [String]
    public var authTimeMicros: Int64
    public var expiresMicros: Int64

    public init(
        sessionID: String, sessionHash: String, subject: String, acr: String, amr: [String], authTimeMicros: Int64,
        expiresMicros: Int64
    ) {
        self.sessionID = sessionID
        self.sessionHash = sessionHash
        self.subject = subject
        self.acr = acr
        self.amr = amr
        self.authTimeMicros = authTimeMicros
        self.expiresMicros = expiresMicros
    }
}

/// An access or refresh token's facts (the token only as the hash of its secret part).
public struct TokenRow: Sendable, Equatable {
    public var tokenID: String
    public var tokenHash: String
    /// `access` or `refresh`.
    public var kind: String
    public var grantID: String
    public var clientID: String
    public var subject: String?
    public var scope: String
    public var tokenType: String
    public var cnfJKT: String?
    public var cnfX5tS256: String?
    public var expiresMicros: Int64?
    public var active: Bool
    public var issuedMicros: Int64?
}

/// A grant.
public struct GrantRow: Sendable, Equatable {
    public var grantID: String
    public var clientID: String
    public var subject: String
    public var scopes: [String]
    public var active: Bool
    public var createdMicros: Int64
    /// When the grant was created or last merged / replaced, and by whom (`end_user`, `client`, …).
    public var updatedMicros: Int64
    public var updatedBy: String?
    /// The last time a token of the grant was issued (or refreshed).
    public var lastUsedMicros: Int64
    public var revokedMicros: Int64?
    public var revokedBy: String?
    public var revokeReason: String?
}

/// A grant's permissions and status (``ProjectionStore/grantPermissions(_:)``).
public struct GrantPermissions: Sendable, Equatable {
    public var grantID: String
    public var clientID: String
    public var subject: String
    public var scopes: [String]
    public var active: Bool
}

/// A registered end user.
public struct UserRow: Sendable, Equatable {
    public var subject: String
    public var username: String
    public var passwordHash: String
    public var sealedTOTPSeed: String?
    public var claims: String
}

/// Point reads of the protocol state. Every read sees only projected (therefore durable) events;
/// the Ledger's decisions add the overlay of what they decided since (see `ProtocolState`). They go
/// through ``PointReader`` (raw read-only connections, statements prepared once).
extension ProjectionStore {
    public func pushedRequest(_ requestID: String) throws -> PushedRequestRow? {
        if let recent = recentRows?.pushedRequests.value(requestID) { return recent }
        return try readPushedRequest(requestID)
    }

    private func readPushedRequest(_ requestID: String) throws -> PushedRequestRow? {
        try points.row(
            """
            SELECT request_id, request_uri_hash, client_id, expires_micros, scope, redirect_uri, dpop_jkt,
                   response_type, code_challenge, code_challenge_method, state, nonce, acr_values,
                   essential_acr, prompt, max_age, authorization_details, used_sequence,
                   grant_management_action, grant_id
            FROM par_requests WHERE request_id = ?
            """, [.text(requestID)]
        ).map { r in
            PushedRequestRow(
                requestID: r[0].string ?? "", requestURIHash: r[1].string ?? "", clientID: r[2].string ?? "",
                expiresMicros: r[3].int64 ?? 0, scope: r[4].string ?? "", redirectURI: r[5].string ?? "",
                dpopJKT: r[6].string, responseType: r[7].string, codeChallenge: r[8].string,
                codeChallengeMethod: r[9].string, state: r[10].string, nonce: r[11].string, acrValues: r[12].string,
                essentialACR: r[13].string, prompt: r[14].string, maxAgeSeconds: r[15].int64,
                authorizationDetails: r[16].string, usedSequence: r[17].int64, grantManagementAction: r[18].string,
                grantID: r[19].string)
        }
    }

    public func code(_ codeID: String) throws -> CodeRow? {
        if let recent = recentRows?.codes.value(codeID) { return recent }
        return try readCode(codeID)
    }

    private func readCode(_ codeID: String) throws -> CodeRow? {
        try points.row(
            """
            SELECT code_id, code_hash, client_id, subject, grant_id, expires_micros, redeemed_sequence, scope,
                   redirect_uri, dpop_jkt, code_challenge, nonce, auth_time_micros, acr, amr, grant_management_action
            FROM authorization_codes WHERE code_id = ?
            """, [.text(codeID)]
        ).map { r in
            CodeRow(
                codeID: r[0].string ?? "", codeHash: r[1].string ?? "", clientID: r[2].string ?? "",
                subject: r[3].string ?? "", grantID: r[4].string ?? "", expiresMicros: r[5].int64 ?? 0,
                redeemedSequence: r[6].int64, scope: r[7].string ?? "", redirectURI: r[8].string ?? "",
                dpopJKT: r[9].string, codeChallenge: r[10].string, nonce: r[11].string,
                authTimeMicros: r[12].int64 ?? 0, acr: r[13].string ?? "", amr: Self.words(r[14].string),
                grantManagementAction: r[15].string)
        }
    }

    /// Every remembered pushed request, code and list of active grants that differs from SQLite,
    /// described (empty when they agree), and how many were compared. For tests: call it when no `apply` runs.
    public func recentRowsDisagreeing() throws -> (compared: Int, differing: [String]) {
        var differing: [String] = []
        let requests = recentRows?.pushedRequests.snapshot ?? [:]
        for (id, remembered) in requests {
            let stored = try readPushedRequest(id)
            if stored != remembered {
                differing.append("par \(id): remembered \(remembered), stored \(String(describing: stored))")
            }
        }
        let codes = recentRows?.codes.snapshot ?? [:]
        for (id, remembered) in codes {
            let stored = try readCode(id)
            if stored != remembered {
                differing.append("code \(id): remembered \(remembered), stored \(String(describing: stored))")
            }
        }
        let grants = recentRows?.activeGrants.snapshot ?? [:]
        for (key, remembered) in grants {
            guard let (subject, clientID) = RecentRows.splitActiveGrantKey(key) else {
                differing.append("active grants: unreadable key \(key)")
                continue
            }
            let stored = try readActiveGrantPermissions(subject: subject, clientID: clientID)
            if stored != remembered {
                differing.append(
                    "active grants of \(subject) to \(clientID): remembered \(remembered), stored \(stored)")
            }
        }
        return (requests.count + codes.count + grants.count, differing)
    }

    /// An SSO session (rows never change once written, so a row read once is remembered).
    public func session(_ sessionID: String) throws -> SessionRow? {
        if let known = sessionMemo.value(sessionID) { return known }
        let row = try readSession(sessionID)
        if let row { sessionMemo.remember(sessionID, row) }
        return row
    }

    private func readSession(_ sessionID: String) throws -> SessionRow? {
        try points.row(
            """
            SELECT session_id, session_hash, subject, acr, amr, auth_time_micros, expires_micros
            FROM sessions WHERE session_id = ?
            """, [.text(sessionID)]
        ).map { r in
            SessionRow(
                sessionID: r[0].string ?? "", sessionHash: r[1].string ?? "", subject: r[2].string ?? "",
                acr: r[3].string ?? "", amr: Self.words(r[4].string), authTimeMicros: r[5].int64 ?? 0,
                expiresMicros: r[6].int64 ?? 0)
        }
    }

    public func token(_ tokenID: String) throws -> TokenRow? {
        try points.row(
            """
            SELECT token_id, token_hash, kind, grant_id, client_id, subject, scope, token_type, cnf_jkt,
                   cnf_x5t_s256, expires_micros, status, issued_micros
            FROM tokens WHERE token_id = ?
            """, [.text(tokenID)]
        ).map { r in
            TokenRow(
                tokenID: r[0].string ?? "", tokenHash: r[1].string ?? "", kind: r[2].string ?? "",
                grantID: r[3].string ?? "", clientID: r[4].string ?? "", subject: r[5].string,
                scope: r[6].string ?? "", tokenType: r[7].string ?? "", cnfJKT: r[8].string, cnfX5tS256: r[9].string,
                expiresMicros: r[10].int64, active: r[11].string == "active", issuedMicros: r[12].int64)
        }
    }

    /// The columns `grantRow` reads, in its order.
    /// "Last used" is when its newest token was issued (its creation time before any).
    static let grantColumns = """
        grant_id, client_id, subject, scopes, status, created_micros, updated_micros, updated_by,
        COALESCE((SELECT t.issued_micros FROM tokens t WHERE t.grant_id = grants.grant_id
                  ORDER BY t.issued_sequence DESC LIMIT 1), last_used_micros),
        revoked_micros, revoked_by, revoke_reason
        """

    public func grant(_ grantID: String) throws -> GrantRow? {
        try points.row("SELECT \(Self.grantColumns) FROM grants WHERE grant_id = ?", [.text(grantID)]).map(
            Self.grantRow)
    }

    /// What decisions need of a grant — its client, subject, scopes and whether it is active —
    /// without the "last used" lookup of ``grant(_:)``.
    public func grantPermissions(_ grantID: String) throws -> GrantPermissions? {
        try points.row("SELECT client_id, subject, scopes, status FROM grants WHERE grant_id = ?", [.text(grantID)])
            .map { r in
                GrantPermissions(
                    grantID: grantID, clientID: r[0].string ?? "", subject: r[1].string ?? "",
                    scopes: Self.words(r[2].string), active: r[3].string == "active")
            }
    }

    /// The active grants of `subject` to `clientID`, newest first, as ``grantPermissions(_:)`` gives
    /// them (what remembered consent is looked up in, without the "last used" lookups).
    public func activeGrantPermissions(subject: String, clientID: String) throws -> [GrantPermissions] {
        guard let recentRows else { return try readActiveGrantPermissions(subject: subject, clientID: clientID) }
        let key = RecentRows.activeGrantKey(subject: subject, clientID: clientID)
        if let remembered = recentRows.activeGrants.value(key) { return remembered }
        let generation = recentRows.activeGrants.generation
        let grants = try readActiveGrantPermissions(subject: subject, clientID: clientID)
        recentRows.activeGrants.remember(key, grants, ifNothingForgottenSince: generation)
        return grants
    }

    private func readActiveGrantPermissions(subject: String, clientID: String) throws -> [GrantPermissions] {
        try points.rows(
            """
            SELECT grant_id, client_id, subject, scopes FROM grants
            WHERE subject = ? AND client_id = ? AND status = 'active' ORDER BY grant_id DESC
            """, [.text(subject), .text(clientID)]
        ).map { r in
            GrantPermissions(
                grantID: r[0].string ?? "", clientID: r[1].string ?? "", subject: r[2].string ?? "",
                scopes: Self.words(r[3].string), active: true)
        }
    }

    /// Grants of `subject` (optionally for one client), newest first.
    public func grants(subject: String, clientID: String? = nil) throws -> [GrantRow] {
        if let clientID {
            return try points.rows(
                "SELECT \(Self.grantColumns) FROM grants WHERE subject = ? AND client_id = ? ORDER BY grant_id DESC",
                [.text(subject), .text(clientID)]
            ).map(Self.grantRow)
        }
        return try points.rows(
            "SELECT \(Self.grantColumns) FROM grants WHERE subject = ? ORDER BY grant_id DESC", [.text(subject)]
        ).map(Self.grantRow)
    }

    private static func grantRow(_ r: [SQLiteValue]) -> GrantRow {
        GrantRow(
            grantID: r[0].string ?? "", clientID: r[1].string ?? "", subject: r[2].string ?? "",
            scopes: words(r[3].string), active: r[4].string == "active", createdMicros: r[5].int64 ?? 0,
            updatedMicros: r[6].int64 ?? r[5].int64 ?? 0, updatedBy: r[7].string, lastUsedMicros: r[8].int64 ?? 0,
            revokedMicros: r[9].int64, revokedBy: r[10].string, revokeReason: r[11].string)
    }

    /// The words of a space-separated column (`amr`, `scopes`), as every read gives them.
    static func words(_ text: String?) -> [String] {
        text.map { $0.split(separator: " ").map(String.init) } ?? []
    }

    public func user(username: String) throws -> UserRow? {
        try points.row(
            "SELECT subject, username, password_hash, sealed_totp_seed, claims FROM users WHERE username = ?",
            [.text(username)]
        ).map(Self.userRow)
    }

    public func user(subject: String) throws -> UserRow? {
        try points.row(
            "SELECT subject, username, password_hash, sealed_totp_seed, claims FROM users WHERE subject = ?",
            [.text(subject)]
        ).map(Self.userRow)
    }

    private static func userRow(_ r: [SQLiteValue]) -> UserRow {
        UserRow(
            subject: r[0].string ?? "", username: r[1].string ?? "", passwordHash: r[2].string ?? "",
            sealedTOTPSeed: r[3].string, claims: r[4].string ?? "{}")
    }

    /// An active client's registered metadata (JSON text), or nil when unknown or removed.
    public func activeClientMetadata(_ clientID: String) throws -> String? {
        try points.row("SELECT metadata FROM clients WHERE client_id = ? AND status = 'active'", [.text(clientID)])?[0]
            .string
    }

    /// The sequence of the newest checkpoint written at or before `timeMicros` (0 if none): where to
    /// start folding the journal to rebuild state that covers the time since.
    public func checkpointSequence(atOrBefore timeMicros: Int64) throws -> UInt64 {
        UInt64(
            try points.row("SELECT max(sequence) FROM checkpoints WHERE time_micros <= ?", [.integer(timeMicros)])?[0]
                .int64 ?? 0)
    }
}
