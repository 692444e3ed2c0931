import GRDB

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
/// the Ledger's decisions add the overlay of what they decided since (see `ProtocolState`).
extension ProjectionStore {
    public func pushedRequest(_ requestID: String) throws -> PushedRequestRow? {
        try pool.read { db in
            try Row.fetchOne(
                db.cachedStatement(sql: """
                    SELECT request_id, request_uri_hash, client_id, expires_micros, scope, redirect_uri, dpop_jkt,
                           response_type, code_challenge, code_challenge_method, state, nonce, acr_values,
                           essential_acr, prompt, max_age, authorization_details, used_sequence
                    FROM par_requests WHERE request_id = ?
                    """), arguments: [requestID]
            ).map { r in
                PushedRequestRow(
                    requestID: r[0], requestURIHash: r[1], clientID: r[2], expiresMicros: r[3], scope: r[4],
                    redirectURI: r[5], dpopJKT: r[6], responseType: r[7], codeChallenge: r[8],
                    codeChallengeMethod: r[9], state: r[10], nonce: r[11], acrValues: r[12], essentialACR: r[13],
                    prompt: r[14], maxAgeSeconds: r[15], authorizationDetails: r[16], usedSequence: r[17])
            }
        }
    }

    public func code(_ codeID: String) throws -> CodeRow? {
        try pool.read { db in
            try Row.fetchOne(
                db.cachedStatement(sql: """
                    SELECT code_id, code_hash, client_id, subject, grant_id, expires_micros, redeemed_sequence, scope,
                           redirect_uri, dpop_jkt, code_challenge, nonce, auth_time_micros, acr, amr
                    FROM authorization_codes WHERE code_id = ?
                    """), arguments: [codeID]
            ).map { r in
                CodeRow(
                    codeID: r[0], codeHash: r[1], clientID: r[2], subject: r[3], grantID: r[4], expiresMicros: r[5],
                    redeemedSequence: r[6], scope: r[7] ?? "", redirectURI: r[8] ?? "", dpopJKT: r[9],
                    codeChallenge: r[10], nonce: r[11], authTimeMicros: r[12] ?? 0, acr: r[13] ?? "",
                    amr: (r[14] as String?).map { $0.split(separator: " ").map(String.init) } ?? [])
            }
        }
    }

    public func session(_ sessionID: String) throws -> SessionRow? {
        try pool.read { db in
            try Row.fetchOne(
                db.cachedStatement(sql: """
                    SELECT session_id, session_hash, subject, acr, amr, auth_time_micros, expires_micros
                    FROM sessions WHERE session_id = ?
                    """), arguments: [sessionID]
            ).map { r in
                SessionRow(
                    sessionID: r[0], sessionHash: r[1], subject: r[2], acr: r[3],
                    amr: (r[4] as String).split(separator: " ").map(String.init), authTimeMicros: r[5],
                    expiresMicros: r[6])
            }
        }
    }

    public func token(_ tokenID: String) throws -> TokenRow? {
        try pool.read { db in
            try Row.fetchOne(
                db.cachedStatement(sql: """
                    SELECT token_id, token_hash, kind, grant_id, client_id, subject, scope, token_type, cnf_jkt,
                           cnf_x5t_s256, expires_micros, status, issued_micros
                    FROM tokens WHERE token_id = ?
                    """), arguments: [tokenID]
            ).map { r in
                TokenRow(
                    tokenID: r[0], tokenHash: r[1], kind: r[2], grantID: r[3], clientID: r[4], subject: r[5],
                    scope: r[6], tokenType: r[7], cnfJKT: r[8], cnfX5tS256: r[9], expiresMicros: r[10],
                    active: (r[11] as String) == "active", issuedMicros: r[12])
            }
        }
    }

    public func grant(_ grantID: String) throws -> GrantRow? {
        try pool.read { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT grant_id, client_id, subject, scopes, status, created_micros FROM grants WHERE grant_id = ?"),
                arguments: [grantID]
            ).map(Self.grantRow)
        }
    }

    /// Active grants of `subject` (newest first).
    public func grants(subject: String, clientID: String? = nil) throws -> [GrantRow] {
        try pool.read { db in
            if let clientID {
                return try Row.fetchAll(
                    db.cachedStatement(sql: """
                        SELECT grant_id, client_id, subject, scopes, status, created_micros FROM grants
                        WHERE subject = ? AND client_id = ? ORDER BY grant_id DESC
                        """), arguments: [subject, clientID]
                ).map(Self.grantRow)
            }
            return try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT grant_id, client_id, subject, scopes, status, created_micros FROM grants
                    WHERE subject = ? ORDER BY grant_id DESC
                    """), arguments: [subject]
            ).map(Self.grantRow)
        }
    }

    private static func grantRow(_ r: Row) -> GrantRow {
        GrantRow(
            grantID: r[0], clientID: r[1], subject: r[2],
            scopes: (r[3] as String).split(separator: " ").map(String.init), active: (r[4] as String) == "active",
            createdMicros: r[5])
    }

    public func user(username: String) throws -> UserRow? {
        try pool.read { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT subject, username, password_hash, sealed_totp_seed, claims FROM users WHERE username = ?"),
                arguments: [username]
            ).map { r in
                UserRow(subject: r[0], username: r[1], passwordHash: r[2], sealedTOTPSeed: r[3], claims: r[4])
            }
        }
    }

    public func user(subject: String) throws -> UserRow? {
        try pool.read { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT subject, username, password_hash, sealed_totp_seed, claims FROM users WHERE subject = ?"),
                arguments: [subject]
            ).map { r in
                UserRow(subject: r[0], username: r[1], passwordHash: r[2], sealedTOTPSeed: r[3], claims: r[4])
            }
        }
    }

    /// An active client's registered metadata (JSON text), or nil when unknown or removed.
    public func activeClientMetadata(_ clientID: String) throws -> String? {
        try pool.read { db in
            try String.fetchOne(
                db.cachedStatement(sql: "SELECT metadata FROM clients WHERE client_id = ? AND status = 'active'"), arguments: [clientID]
            )
        }
    }

    /// The sequence of the newest checkpoint written at or before `timeMicros` (0 if none): where to
    /// start folding the journal to rebuild state that covers the time since.
    public func checkpointSequence(atOrBefore timeMicros: Int64) throws -> UInt64 {
        try pool.read { db in
            UInt64(
                try Int64.fetchOne(
                    db.cachedStatement(sql: "SELECT max(sequence) FROM checkpoints WHERE time_micros <= ?"), arguments: [timeMicros])
                    ?? 0)
        }
    }
}
