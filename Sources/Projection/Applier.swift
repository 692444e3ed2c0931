import Events
import GRDB
import Journal

/// Turns one journal record into row changes. Uses only what the record says — never the clock —
/// so that replay produces the same rows as live application.
struct Applier {
    let db: Database

    mutating func apply(_ input: ProjectionInput) throws {
        switch input {
        case .event(let event):
            try run(
                "INSERT INTO event_streams (stream, sequence, type) VALUES (?, ?, ?)",
                [event.envelope.stream.rawValue, Int64(event.sequence), event.envelope.type])
            try apply(event.body, sequence: Int64(event.sequence), time: event.timeMicros)
        case .checkpoint(let sequence, let time, let c):
            try run(
                "INSERT INTO checkpoints (sequence, covered_sequence, chain_head, key_id, time_micros) VALUES (?, ?, ?, ?, ?)",
                [Int64(sequence), Int64(c.coveredSequence), c.link.hex, c.keyID, time])
        case .journalKey(let sequence, _, let k):
            switch k.status {
            case .active:
                try run(
                    "INSERT OR REPLACE INTO journal_keys (key_id, public_key_hex, status, announced_sequence, retired_sequence) VALUES (?, ?, 'active', ?, NULL)",
                    [k.keyID, k.publicKeyX963.hexString, Int64(sequence)])
            case .retired:
                try run(
                    "UPDATE journal_keys SET status = 'retired', retired_sequence = ? WHERE key_id = ?",
                    [Int64(sequence), k.keyID])
            }
        }
    }

    private func apply(_ body: EventBody, sequence: Int64, time: Int64) throws {
        switch body {
        case .signingKeyAdded(let e):
            try run(
                "INSERT OR REPLACE INTO signing_keys (kid, algorithm, public_jwk, status, added_micros) VALUES (?, ?, ?, ?, ?)",
                [e.kid, e.algorithm, e.publicJWK, e.active ? "active" : "published", time])
        case .signingKeyRetired(let e):
            try run(
                "UPDATE signing_keys SET status = 'retired', retired_micros = ?, publish_until_micros = ?, retire_reason = ? WHERE kid = ?",
                [time, e.publishUntilMicros, e.reason, e.kid])
        case .clientRegistered(let e):
            try run(
                "INSERT INTO clients (client_id, metadata, status, registered_via, registered_micros, updated_micros) VALUES (?, ?, 'active', ?, ?, ?)",
                [e.clientID, e.metadata, e.via, time, time])
        case .clientUpdated(let e):
            try run(
                "UPDATE clients SET metadata = ?, updated_micros = ? WHERE client_id = ?",
                [e.metadata, time, e.clientID])
        case .clientRemoved(let e):
            try run(
                "UPDATE clients SET status = 'removed', removed_reason = ?, updated_micros = ? WHERE client_id = ?",
                [e.reason, time, e.clientID])
        case .userAdded(let e):
            try run(
                "INSERT INTO users (subject, username, password_hash, sealed_totp_seed, claims, added_micros) VALUES (?, ?, ?, ?, ?, ?)",
                [e.subject, e.username, e.passwordHash, e.sealedTOTPSeed, e.claims, time])
        case .parPushed(let e):
            try run(
                "INSERT INTO par_requests (request_id, request_uri_hash, client_id, expires_micros, scope, redirect_uri, dpop_jkt, pushed_sequence) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    e.requestID, e.requestURIHash, e.clientID, e.expiresAtMicros, e.scope, e.redirectURI, e.dpopJKT,
                    sequence,
                ])
        case .codeIssued(let e):
            try run(
                "INSERT INTO authorization_codes (code_id, code_hash, client_id, subject, grant_id, expires_micros, issued_sequence) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [e.codeID, e.codeHash, e.clientID, e.subject, e.grantID, e.expiresAtMicros, sequence])
        case .grantCreated(let e):
            try run(
                "INSERT INTO grants (grant_id, client_id, subject, scopes, authorization_details, status, created_micros, last_used_micros) VALUES (?, ?, ?, ?, ?, 'active', ?, ?)",
                [e.grantID, e.clientID, e.subject, e.scopes.joined(separator: " "), e.authorizationDetails, time, time])
        case .tokensIssued(let e):
            try run(
                "INSERT INTO tokens (token_id, token_hash, kind, grant_id, client_id, subject, scope, token_type, cnf_jkt, cnf_x5t_s256, expires_micros, status, issued_sequence) VALUES (?, ?, 'access', ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?)",
                [
                    e.accessTokenID, e.accessTokenHash, e.grantID, e.clientID, e.subject, e.scope, e.tokenType,
                    e.confirmation.jkt,
                    e.confirmation.x5tS256, e.accessTokenExpiresAtMicros, sequence,
                ])
            if let refreshID = e.refreshTokenID, let refresh = e.refreshTokenHash {
                try run(
                    "INSERT INTO tokens (token_id, token_hash, kind, grant_id, client_id, subject, scope, token_type, cnf_jkt, cnf_x5t_s256, expires_micros, status, issued_sequence) VALUES (?, ?, 'refresh', ?, ?, ?, ?, ?, ?, ?, NULL, 'active', ?)",
                    [
                        refreshID, refresh, e.grantID, e.clientID, e.subject, e.scope, e.tokenType, e.confirmation.jkt,
                        e.confirmation.x5tS256, sequence,
                    ])
            }
            if let code = e.codeID {
                try run("UPDATE authorization_codes SET redeemed_sequence = ? WHERE code_id = ?", [sequence, code])
            }
            try run("UPDATE grants SET last_used_micros = ? WHERE grant_id = ?", [time, e.grantID])
        case .grantRevoked(let e):
            try run(
                "UPDATE grants SET status = 'revoked', revoked_micros = ?, revoked_by = ?, revoke_reason = ? WHERE grant_id = ?",
                [time, e.revokedBy, e.reason, e.grantID])
            try run("UPDATE tokens SET status = 'revoked' WHERE grant_id = ?", [e.grantID])
        }
    }

    @inline(__always)
    private func run(_ sql: String, _ arguments: StatementArguments) throws {
        let statement = try db.cachedStatement(sql: sql)
        statement.setUncheckedArguments(arguments)
        try statement.execute()
    }
}
