import Events
import GRDB
import Journal

/// Turns journal records into row changes, inside the caller's transaction. Uses only what the
/// record says — never the clock — so that replay produces the same rows as live application.
///
/// Statements are prepared lazily, once per writer connection (`ProjectionStore` keeps the applier),
/// and bound through the SQLite C API. Used only inside the serialized writer (`pool.write`).
final class Applier: @unchecked Sendable {
    /// How rows are written.
    enum Mode {
        /// The live store: every change at once, and the changes to pushed requests and codes
        /// collected for `RecentRows`.
        case live
        /// A projection built from nothing (`ProjectionStore.open(path:bulkLoad:)`): nothing
        /// collected, and a grant's token revocations recorded in `Schema.bulkLoadTokenRevocations`
        /// until `runDeferredTokenRevocations` (they seek `tokens_by_grant`, which the load builds
        /// at its end).
        case bulkLoad
    }

    private let connection: OpaquePointer
    private var statements = [SQLiteWriteStatement?](repeating: nil, count: Statement.allCases.count)
    private let streams: StreamIndexWriter
    /// This transaction's changes to pushed requests and codes, for `RecentRows` once it commits
    /// (collected only by a live store).
    private var recentChanges: [RecentRows.Change] = []
    private let mode: Mode

    init(connection: OpaquePointer, mode: Mode) {
        self.connection = connection
        self.mode = mode
        self.streams = StreamIndexWriter(connection: connection)
    }

    /// Writes rows still collected; call once, after the last `apply`, inside the transaction.
    func finish() throws { try streams.flush() }

    /// Forgets rows collected by a transaction that failed (call before each transaction).
    func begin() {
        streams.discard()
        recentChanges.removeAll(keepingCapacity: true)
    }

    private func recent(_ change: @autoclosure () -> RecentRows.Change) {
        if mode == .live { recentChanges.append(change()) }
    }

    /// The transaction's changes to pushed requests and codes (call once it is about to commit).
    func takeRecentChanges() -> [RecentRows.Change] {
        defer { recentChanges.removeAll(keepingCapacity: true) }
        return recentChanges
    }

    /// Every statement the projection runs, by name (an `Int` enum: looked up per row, so no string hashing).
    enum Statement: Int, CaseIterable {
        case insertCheckpoint, activateJournalKey, retireJournalKey, insertSigningKey, retireSigningKey, insertClient,
            updateClient, removeClient, insertUser, insertPAR, usePAR, insertCode, insertSession, revokeToken,
            insertGrant, updateGrant, revokeEarlierRefreshTokens, insertToken, redeemCode, revokeGrant,
            revokeGrantTokens, deferTokenRevocation

        var sql: String {
            switch self {
            case .insertCheckpoint:
                "INSERT INTO checkpoints (sequence, covered_sequence, chain_head, key_id, time_micros) VALUES (?, ?, ?, ?, ?)"
            case .activateJournalKey:
                "INSERT OR REPLACE INTO journal_keys (key_id, public_key_hex, status, announced_sequence, retired_sequence) VALUES (?, ?, 'active', ?, NULL)"
            case .retireJournalKey:
                "UPDATE journal_keys SET status = 'retired', retired_sequence = ? WHERE key_id = ?"
            case .insertSigningKey:
                "INSERT OR REPLACE INTO signing_keys (kid, algorithm, public_jwk, status, added_micros) VALUES (?, ?, ?, ?, ?)"
            case .retireSigningKey:
                "UPDATE signing_keys SET status = 'retired', retired_micros = ?, publish_until_micros = ?, retire_reason = ? WHERE kid = ?"
            case .insertClient:
                "INSERT INTO clients (client_id, metadata, status, registered_via, registered_micros, updated_micros) VALUES (?, ?, 'active', ?, ?, ?)"
            case .updateClient:
                "UPDATE clients SET metadata = ?, updated_micros = ? WHERE client_id = ?"
            case .removeClient:
                "UPDATE clients SET status = 'removed', removed_reason = ?, updated_micros = ? WHERE client_id = ?"
            case .insertUser:
                "INSERT INTO users (subject, username, password_hash, sealed_totp_seed, claims, added_micros) VALUES (?, ?, ?, ?, ?, ?)"
            case .insertPAR:
                "INSERT INTO par_requests (request_id, request_uri_hash, client_id, expires_micros, scope, redirect_uri, dpop_jkt, pushed_sequence, response_type, code_challenge, code_challenge_method, state, nonce, acr_values, essential_acr, prompt, max_age, authorization_details, grant_management_action, grant_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            case .usePAR:
                "UPDATE par_requests SET used_sequence = ? WHERE request_id = ? AND used_sequence IS NULL"
            case .insertCode:
                "INSERT INTO authorization_codes (code_id, code_hash, client_id, subject, grant_id, expires_micros, issued_sequence, scope, redirect_uri, dpop_jkt, code_challenge, nonce, auth_time_micros, acr, amr, request_id, session_id, grant_management_action) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            case .insertSession:
                "INSERT INTO sessions (session_id, session_hash, subject, acr, amr, auth_time_micros, expires_micros, started_sequence) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            case .revokeToken:
                "UPDATE tokens SET status = 'revoked' WHERE token_id = ?"
            case .insertGrant:
                "INSERT INTO grants (grant_id, client_id, subject, scopes, authorization_details, status, created_micros, last_used_micros, updated_micros, updated_by) VALUES (?, ?, ?, ?, ?, 'active', ?, ?, ?, ?)"
            case .updateGrant:
                "UPDATE grants SET scopes = ?, updated_micros = ?, updated_by = ? WHERE grant_id = ?"
            case .revokeEarlierRefreshTokens:
                "UPDATE tokens SET status = 'revoked' WHERE grant_id = ? AND kind = 'refresh' AND issued_sequence < ?"
            case .insertToken:
                "INSERT INTO tokens (token_id, token_hash, kind, grant_id, client_id, subject, scope, token_type, cnf_jkt, cnf_x5t_s256, expires_micros, status, issued_sequence, issued_micros) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?)"
            case .redeemCode:
                "UPDATE authorization_codes SET redeemed_sequence = ? WHERE code_id = ?"
            case .revokeGrant:
                "UPDATE grants SET status = 'revoked', revoked_micros = ?, revoked_by = ?, revoke_reason = ? WHERE grant_id = ?"
            case .revokeGrantTokens:
                "UPDATE tokens SET status = 'revoked' WHERE grant_id = ? AND issued_sequence < ?"
            case .deferTokenRevocation:
                "INSERT INTO \(Schema.bulkLoadTokenRevocations) (grant_id, before_sequence, refresh_only) VALUES (?, ?, ?)"
            }
        }
    }

    private func statement(_ s: Statement) throws -> SQLiteWriteStatement {
        if let prepared = statements[s.rawValue] { return prepared }
        let prepared = try SQLiteWriteStatement(connection: connection, sql: s.sql)
        statements[s.rawValue] = prepared
        return prepared
    }

    func apply(_ input: ProjectionInput) throws {
        switch input {
        case .event(let event):
            try streams.add(
                stream: event.envelope.stream.rawValue, sequence: Int64(event.sequence), type: event.envelope.type)
            try apply(event.body, sequence: Int64(event.sequence), time: event.timeMicros, actor: event.envelope.actor)
        case .checkpoint(let sequence, let time, let c):
            let s = try statement(.insertCheckpoint)
            s.bind(Int64(sequence))
            s.bind(Int64(c.coveredSequence))
            s.bind(c.link.hex)
            s.bind(c.keyID)
            s.bind(time)
            try s.run()
        case .journalKey(let sequence, _, let k):
            switch k.status {
            case .active:
                let s = try statement(.activateJournalKey)
                s.bind(k.keyID)
                s.bind(k.publicKeyX963.hexString)
                s.bind(Int64(sequence))
                try s.run()
            case .retired:
                let s = try statement(.retireJournalKey)
                s.bind(Int64(sequence))
                s.bind(k.keyID)
                try s.run()
            }
        }
    }

    /// Who changed a grant, as `grants.updated_by` says it.
    static func updatedBy(_ actor: Actor) -> String {
        switch actor.kind {
        case .system: "system"
        case .client: "client"
        case .subject: "end_user"
        case .operator: "operator"
        }
    }

    private func apply(_ body: EventBody, sequence: Int64, time: Int64, actor: Actor) throws {
        switch body {
        case .signingKeyAdded(let e):
            let s = try statement(.insertSigningKey)
            s.bind(e.kid)
            s.bind(e.algorithm)
            s.bind(e.publicJWK)
            s.bind(e.active ? "active" : "published")
            s.bind(time)
            try s.run()
        case .signingKeyRetired(let e):
            let s = try statement(.retireSigningKey)
            s.bind(time)
            s.bind(e.publishUntilMicros)
            s.bind(e.reason)
            s.bind(e.kid)
            try s.run()
        case .clientRegistered(let e):
            let s = try statement(.insertClient)
            s.bind(e.clientID)
            s.bind(e.metadata)
            s.bind(e.via)
            s.bind(time)
            s.bind(time)
            try s.run()
        case .clientUpdated(let e):
            let s = try statement(.updateClient)
            s.bind(e.metadata)
            s.bind(time)
            s.bind(e.clientID)
            try s.run()
        case .clientRemoved(let e):
            let s = try statement(.removeClient)
            s.bind(e.reason)
            s.bind(time)
            s.bind(e.clientID)
            try s.run()
        case .userAdded(let e):
            let s = try statement(.insertUser)
            s.bind(e.subject)
            s.bind(e.username)
            s.bind(e.passwordHash)
            s.bind(e.sealedTOTPSeed)
            s.bind(e.claims)
            s.bind(time)
            try s.run()
        case .parPushed(let e):
            let s = try statement(.insertPAR)
            s.bind(e.requestID)
            s.bind(e.requestURIHash)
            s.bind(e.clientID)
            s.bind(e.expiresAtMicros)
            s.bind(e.scope)
            s.bind(e.redirectURI)
            s.bind(e.dpopJKT)
            s.bind(sequence)
            s.bind(e.responseType)
            s.bind(e.codeChallenge)
            s.bind(e.codeChallengeMethod)
            s.bind(e.state)
            s.bind(e.nonce)
            s.bind(e.acrValues)
            s.bind(e.essentialACR)
            s.bind(e.prompt)
            s.bind(e.maxAgeSeconds)
            s.bind(e.authorizationDetails)
            s.bind(e.grantManagementAction)
            s.bind(e.grantID)
            try s.run()
            recent(
                .pushed(
                    PushedRequestRow(
                        requestID: e.requestID, requestURIHash: e.requestURIHash, clientID: e.clientID,
                        expiresMicros: e.expiresAtMicros, scope: e.scope, redirectURI: e.redirectURI,
                        dpopJKT: e.dpopJKT, responseType: e.responseType, codeChallenge: e.codeChallenge,
                        codeChallengeMethod: e.codeChallengeMethod, state: e.state, nonce: e.nonce,
                        acrValues: e.acrValues, essentialACR: e.essentialACR, prompt: e.prompt,
                        maxAgeSeconds: e.maxAgeSeconds, authorizationDetails: e.authorizationDetails,
                        usedSequence: nil, grantManagementAction: e.grantManagementAction, grantID: e.grantID)))
        case .codeIssued(let e):
            let s = try statement(.insertCode)
            s.bind(e.codeID)
            s.bind(e.codeHash)
            s.bind(e.clientID)
            s.bind(e.subject)
            s.bind(e.grantID)
            s.bind(e.expiresAtMicros)
            s.bind(sequence)
            s.bind(e.scope)
            s.bind(e.redirectURI)
            s.bind(e.dpopJKT)
            s.bind(e.codeChallenge)
            s.bind(e.nonce)
            s.bind(e.authTimeMicros)
            s.bind(e.acr)
            s.bind(e.amr.joined(separator: " "))
            s.bind(e.requestID)
            s.bind(e.sessionID)
            s.bind(e.grantManagementAction)
            try s.run()
            recent(
                .code(
                    CodeRow(
                        codeID: e.codeID, codeHash: e.codeHash, clientID: e.clientID, subject: e.subject,
                        grantID: e.grantID, expiresMicros: e.expiresAtMicros, redeemedSequence: nil, scope: e.scope,
                        redirectURI: e.redirectURI, dpopJKT: e.dpopJKT, codeChallenge: e.codeChallenge,
                        nonce: e.nonce, authTimeMicros: e.authTimeMicros, acr: e.acr,
                        amr: ProjectionStore.words(e.amr.joined(separator: " ")),  // as the column reads back
                        grantManagementAction: e.grantManagementAction)))
            if let requestID = e.requestID { try usePAR(requestID, sequence: sequence) }
        case .grantCreated(let e):
            let s = try statement(.insertGrant)
            s.bind(e.grantID)
            s.bind(e.clientID)
            s.bind(e.subject)
            s.bind(e.scopes.joined(separator: " "))
            s.bind(e.authorizationDetails)
            s.bind(time)
            s.bind(time)
            s.bind(time)
            s.bind(Self.updatedBy(actor))
            try s.run()
            recent(.grantChanged(subject: e.subject, clientID: e.clientID))
        case .grantUpdated(let e):
            let s = try statement(.updateGrant)
            s.bind(e.scopesAfter.joined(separator: " "))
            s.bind(time)
            s.bind(Self.updatedBy(actor))
            s.bind(e.grantID)
            try s.run()
            recent(.grantChanged(subject: e.subject, clientID: e.clientID))
            // GM-03: refresh tokens minted before the merge / replace stop working.
            try revokeTokens(grantID: e.grantID, before: sequence, refreshOnly: true)
        case .tokensIssued(let e):
            try insertToken(
                id: e.accessTokenID, hash: e.accessTokenHash, kind: "access", e, expires: e.accessTokenExpiresAtMicros,
                sequence: sequence, time: time)
            if let refreshID = e.refreshTokenID, let refresh = e.refreshTokenHash {
                try insertToken(
                    id: refreshID, hash: refresh, kind: "refresh", e, expires: nil, sequence: sequence, time: time)
            }
            if let code = e.codeID {
                let s = try statement(.redeemCode)
                s.bind(sequence)
                s.bind(code)
                try s.run()
                recent(.redeemed(codeID: code, sequence: sequence))
            }
        // The grant's "last used" is derived from its newest token (`Lookups.grantColumns`).
        case .grantRevoked(let e):
            let s = try statement(.revokeGrant)
            s.bind(time)
            s.bind(e.revokedBy)
            s.bind(e.reason)
            s.bind(e.grantID)
            try s.run()
            recent(.grantRevoked)
            try revokeTokens(grantID: e.grantID, before: sequence, refreshOnly: false)
        case .userAuthenticated(let e):
            let s = try statement(.insertSession)
            s.bind(e.sessionID)
            s.bind(e.sessionHash)
            s.bind(e.subject)
            s.bind(e.acr)
            s.bind(e.amr.joined(separator: " "))
            s.bind(e.authTimeMicros)
            s.bind(e.sessionExpiresAtMicros)
            s.bind(sequence)
            try s.run()
        case .consentGiven(let e):
            try usePAR(e.requestID, sequence: sequence)
        case .consentDenied(let e):
            try usePAR(e.requestID, sequence: sequence)
        case .tokenRevoked(let e):
            let s = try statement(.revokeToken)
            s.bind(e.tokenID)
            try s.run()
        case .authorizationRejected, .authenticationFailed, .codeReused, .clientJWKSFetched:
            break  // history only: the stream index points at them
        }
    }

    /// Revokes the grant's tokens issued before `sequence` (its refresh tokens only, or all): live,
    /// at once — every token the projection holds then was issued before; in a bulk load, recorded
    /// for `runDeferredTokenRevocations`, which the bound makes give the same rows.
    private func revokeTokens(grantID: String, before sequence: Int64, refreshOnly: Bool) throws {
        guard mode == .bulkLoad else {
            return try runTokenRevocation(grantID: grantID, before: sequence, refreshOnly: refreshOnly)
        }
        let s = try statement(.deferTokenRevocation)
        s.bind(grantID)
        s.bind(sequence)
        s.bind(refreshOnly ? 1 : 0)
        try s.run()
    }

    private func runTokenRevocation(grantID: String, before sequence: Int64, refreshOnly: Bool) throws {
        let s = try statement(refreshOnly ? .revokeEarlierRefreshTokens : .revokeGrantTokens)
        s.bind(grantID)
        s.bind(sequence)
        try s.run()
    }

    /// Runs the token revocations a bulk load recorded, in journal order, and drops their table
    /// (call once, after the load's last `apply`, with `tokens_by_grant` built). Revoking only ever
    /// sets `status = 'revoked'` on tokens issued before the revocation, so running them late
    /// gives the rows running them in place gives.
    func runDeferredTokenRevocations(_ db: Database) throws {
        let deferred = try Row.fetchCursor(
            db,
            sql: "SELECT grant_id, before_sequence, refresh_only FROM \(Schema.bulkLoadTokenRevocations) ORDER BY rowid"
        )
        while let row = try deferred.next() {
            try runTokenRevocation(grantID: row[0], before: row[1], refreshOnly: row[2])
        }
        try db.execute(sql: "DROP TABLE \(Schema.bulkLoadTokenRevocations)")
    }

    private func usePAR(_ requestID: String, sequence: Int64) throws {
        let s = try statement(.usePAR)
        s.bind(sequence)
        s.bind(requestID)
        try s.run()
        recent(.used(requestID: requestID, sequence: sequence))
    }

    private func insertToken(
        id: String, hash: String, kind: String, _ e: TokensIssued, expires: Int64?, sequence: Int64, time: Int64
    )
        throws
    {
        let s = try statement(.insertToken)
        s.bind(id)
        s.bind(hash)
        s.bind(kind)
        s.bind(e.grantID)
        s.bind(e.clientID)
        s.bind(e.subject)
        s.bind(e.scope)
        s.bind(e.tokenType)
        s.bind(e.confirmation.jkt)
        s.bind(e.confirmation.x5tS256)
        s.bind(expires)
        s.bind(sequence)
        s.bind(time)
        try s.run()
    }
}

/// Collects `stream → sequence` rows during a transaction and writes them with multi-row `INSERT`s
/// (`rowsPerStatement` at a time): one statement per 64 events instead of one per event.
final class StreamIndexWriter {
    static let rowsPerStatement = 64
    private let connection: OpaquePointer
    /// Prepared multi-row statements by row count (a transaction's last flush has any count up to
    /// `rowsPerStatement`; preparing one per transaction measured ~1 % of the server's CPU).
    private var byRows: [SQLiteWriteStatement?] = Array(repeating: nil, count: StreamIndexWriter.rowsPerStatement + 1)
    private var rows: [(stream: String, sequence: Int64, type: String)] = []

    init(connection: OpaquePointer) {
        self.connection = connection
        rows.reserveCapacity(Self.rowsPerStatement)
    }

    func add(stream: String, sequence: Int64, type: String) throws {
        rows.append((stream, sequence, type))
        if rows.count == Self.rowsPerStatement { try flush() }
    }

    func discard() { rows.removeAll(keepingCapacity: true) }

    /// Writes what is collected (call before the transaction commits).
    func flush() throws {
        guard !rows.isEmpty else { return }
        let statement: SQLiteWriteStatement
        if let prepared = byRows[rows.count] {
            statement = prepared
        } else {
            statement = try SQLiteWriteStatement(connection: connection, sql: Self.sql(rows: rows.count))
            byRows[rows.count] = statement
        }
        for row in rows {
            statement.bind(row.stream)
            statement.bind(row.sequence)
            statement.bind(row.type)
        }
        try statement.run()
        rows.removeAll(keepingCapacity: true)
    }

    private static func sql(rows: Int) -> String {
        "INSERT INTO event_streams (stream, sequence, type) VALUES "
            + Array(repeating: "(?, ?, ?)", count: rows).joined(separator: ", ")
    }
}
