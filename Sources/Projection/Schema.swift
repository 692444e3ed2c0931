import GRDB

/// The projection's tables. Every row is derived from journal events only (no clock, no randomness),
/// so a projection rebuilt from the journal equals the live one, table by table.
enum Schema {
    /// Small, append-mostly tables are `WITHOUT ROWID` (the key is the row); wide rows (tokens,
    /// grants, codes, clients…) are rowid tables with a unique key — SQLite packs wide rows badly in
    /// a clustered index, and measured the rowid layout 30–40 % faster to append here.
    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE projection_state (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        last_sequence INTEGER NOT NULL,
                        chain_head TEXT NOT NULL,
                        last_time_micros INTEGER NOT NULL
                    );
                    INSERT INTO projection_state VALUES (1, 0, '', 0);

                    -- stream -> sequence numbers: one thing's history without scanning the journal
                    CREATE TABLE event_streams (
                        stream TEXT NOT NULL,
                        sequence INTEGER NOT NULL,
                        type TEXT NOT NULL,
                        PRIMARY KEY (stream, sequence)
                    ) WITHOUT ROWID;

                    CREATE TABLE journal_keys (
                        key_id TEXT PRIMARY KEY,
                        public_key_hex TEXT NOT NULL,
                        status TEXT NOT NULL,
                        announced_sequence INTEGER NOT NULL,
                        retired_sequence INTEGER
                    ) WITHOUT ROWID;

                    CREATE TABLE checkpoints (
                        sequence INTEGER PRIMARY KEY,
                        covered_sequence INTEGER NOT NULL,
                        chain_head TEXT NOT NULL,
                        key_id TEXT NOT NULL,
                        time_micros INTEGER NOT NULL
                    );

                    CREATE TABLE signing_keys (
                        kid TEXT PRIMARY KEY,
                        algorithm TEXT NOT NULL,
                        public_jwk TEXT NOT NULL,
                        status TEXT NOT NULL,            -- active | published | retired
                        added_micros INTEGER NOT NULL,
                        retired_micros INTEGER,
                        publish_until_micros INTEGER,
                        retire_reason TEXT
                    );

                    CREATE TABLE clients (
                        client_id TEXT PRIMARY KEY,
                        metadata TEXT NOT NULL,
                        status TEXT NOT NULL,            -- active | removed
                        registered_via TEXT NOT NULL,
                        registered_micros INTEGER NOT NULL,
                        updated_micros INTEGER NOT NULL,
                        removed_reason TEXT
                    );

                    CREATE TABLE users (
                        subject TEXT PRIMARY KEY,
                        username TEXT NOT NULL UNIQUE,
                        password_hash TEXT NOT NULL,
                        sealed_totp_seed TEXT,
                        claims TEXT NOT NULL,
                        added_micros INTEGER NOT NULL
                    );

                    -- Secrets are split tokens: rows are keyed by the time-ordered selector (inserts
                    -- append to the B-tree's right edge); only the secret's SHA-256 is stored.
                    CREATE TABLE par_requests (
                        request_id TEXT PRIMARY KEY,
                        request_uri_hash TEXT NOT NULL,
                        client_id TEXT NOT NULL,
                        expires_micros INTEGER NOT NULL,
                        scope TEXT NOT NULL,
                        redirect_uri TEXT NOT NULL,
                        dpop_jkt TEXT,
                        pushed_sequence INTEGER NOT NULL
                    );

                    CREATE TABLE authorization_codes (
                        code_id TEXT PRIMARY KEY,
                        code_hash TEXT NOT NULL,
                        client_id TEXT NOT NULL,
                        subject TEXT NOT NULL,
                        grant_id TEXT NOT NULL,
                        expires_micros INTEGER NOT NULL,
                        issued_sequence INTEGER NOT NULL,
                        redeemed_sequence INTEGER
                    );

                    CREATE TABLE grants (
                        grant_id TEXT PRIMARY KEY,
                        client_id TEXT NOT NULL,
                        subject TEXT NOT NULL,
                        scopes TEXT NOT NULL,
                        authorization_details TEXT,
                        status TEXT NOT NULL,            -- active | revoked
                        created_micros INTEGER NOT NULL,
                        last_used_micros INTEGER NOT NULL,
                        revoked_micros INTEGER,
                        revoked_by TEXT,
                        revoke_reason TEXT
                    );
                    CREATE INDEX grants_by_subject ON grants (subject);

                    CREATE TABLE tokens (
                        token_id TEXT PRIMARY KEY,
                        token_hash TEXT NOT NULL,
                        kind TEXT NOT NULL,              -- access | refresh
                        grant_id TEXT NOT NULL,
                        client_id TEXT NOT NULL,
                        subject TEXT,
                        scope TEXT NOT NULL,
                        token_type TEXT NOT NULL,
                        cnf_jkt TEXT,
                        cnf_x5t_s256 TEXT,
                        expires_micros INTEGER,
                        status TEXT NOT NULL,            -- active | revoked
                        issued_sequence INTEGER NOT NULL
                    );
                    CREATE INDEX tokens_by_grant ON tokens (grant_id);
                    """)
        }
        // The protocol flow (FAPI 2.0): what decisions and endpoints read back about pushed requests,
        // codes, sessions and tokens.
        migrator.registerMigration("v2") { db in
            try db.execute(
                sql: """
                    ALTER TABLE par_requests ADD COLUMN response_type TEXT;
                    ALTER TABLE par_requests ADD COLUMN code_challenge TEXT;
                    ALTER TABLE par_requests ADD COLUMN code_challenge_method TEXT;
                    ALTER TABLE par_requests ADD COLUMN state TEXT;
                    ALTER TABLE par_requests ADD COLUMN nonce TEXT;
                    ALTER TABLE par_requests ADD COLUMN acr_values TEXT;
                    ALTER TABLE par_requests ADD COLUMN essential_acr TEXT;
                    ALTER TABLE par_requests ADD COLUMN prompt TEXT;
                    ALTER TABLE par_requests ADD COLUMN max_age INTEGER;
                    ALTER TABLE par_requests ADD COLUMN authorization_details TEXT;
                    ALTER TABLE par_requests ADD COLUMN used_sequence INTEGER;

                    ALTER TABLE authorization_codes ADD COLUMN scope TEXT;
                    ALTER TABLE authorization_codes ADD COLUMN redirect_uri TEXT;
                    ALTER TABLE authorization_codes ADD COLUMN dpop_jkt TEXT;
                    ALTER TABLE authorization_codes ADD COLUMN code_challenge TEXT;
                    ALTER TABLE authorization_codes ADD COLUMN nonce TEXT;
                    ALTER TABLE authorization_codes ADD COLUMN auth_time_micros INTEGER;
                    ALTER TABLE authorization_codes ADD COLUMN acr TEXT;
                    ALTER TABLE authorization_codes ADD COLUMN amr TEXT;
                    ALTER TABLE authorization_codes ADD COLUMN request_id TEXT;
                    ALTER TABLE authorization_codes ADD COLUMN session_id TEXT;

                    ALTER TABLE tokens ADD COLUMN issued_micros INTEGER;

                    CREATE TABLE sessions (
                        session_id TEXT PRIMARY KEY,
                        session_hash TEXT NOT NULL,
                        subject TEXT NOT NULL,
                        acr TEXT NOT NULL,
                        amr TEXT NOT NULL,
                        auth_time_micros INTEGER NOT NULL,
                        expires_micros INTEGER NOT NULL,
                        started_sequence INTEGER NOT NULL
                    );
                    """)
        }
        // Grant management (GM-01…10): the request's action and grant, the code's action (for
        // `grant_id` in the token response), and when and by whom a grant last changed.
        // Existing grants get what a replay of their `grant.created` gives them, so a migrated
        // projection still equals a rebuilt one.
        migrator.registerMigration("v3") { db in
            try db.execute(
                sql: """
                    ALTER TABLE par_requests ADD COLUMN grant_management_action TEXT;
                    ALTER TABLE par_requests ADD COLUMN grant_id TEXT;
                    ALTER TABLE authorization_codes ADD COLUMN grant_management_action TEXT;
                    ALTER TABLE grants ADD COLUMN updated_micros INTEGER;
                    ALTER TABLE grants ADD COLUMN updated_by TEXT;
                    UPDATE grants SET updated_micros = created_micros,
                        updated_by = CASE WHEN subject = client_id THEN 'client' ELSE 'end_user' END;
                    """)
        }
        // A grant's "last used" is derived from its newest token (`Lookups.grantColumns`) instead of
        // an UPDATE of the grant's row at every token issuance (two B-tree operations and a wide row
        // rewritten per token, on the Ledger's hot path); the index on the grant's tokens is ordered
        // by sequence, so that lookup is one seek. `last_used_micros` keeps the creation time (what a
        // replay now gives), so a migrated projection still equals a rebuilt one.
        migrator.registerMigration("v4") { db in
            try db.execute(
                sql: """
                    DROP INDEX tokens_by_grant;
                    CREATE INDEX tokens_by_grant ON tokens (grant_id, issued_sequence);
                    UPDATE grants SET last_used_micros = created_micros;
                    """)
        }
        return migrator
    }

    /// Secondary indexes a bulk load (a rebuild) drops and builds once at its end
    /// (`ProjectionStore.checkpointAndClose`): one sort instead of a B-tree insert per row
    /// (`grants_by_subject` is keyed by subject, in no order: ~45 % of a grant insert). The only
    /// statements that seek one of them — revoking a grant's tokens, through `tokens_by_grant` —
    /// are deferred to the end of the load (`bulkLoadTokenRevocations`).
    static let indexesBuiltAfterBulkLoad = ["grants_by_subject", "tokens_by_grant"]

    /// The token revocations a bulk load defers (`Applier.Mode.bulkLoad`): a table of the load's
    /// file, created with it and dropped at its end, so that memory stays bounded whatever the
    /// journal holds.
    static let bulkLoadTokenRevocations = "bulk_load_token_revocations"
    static let createBulkLoadTokenRevocations = """
        CREATE TABLE \(bulkLoadTokenRevocations) (
            grant_id TEXT NOT NULL,
            before_sequence INTEGER NOT NULL,
            refresh_only INTEGER NOT NULL
        )
        """

    /// Every table, with the columns that order its rows (for dumps and equivalence checks).
    static let tables: [(name: String, orderBy: String)] = [
        ("projection_state", "id"), ("event_streams", "stream, sequence"), ("journal_keys", "key_id"),
        ("checkpoints", "sequence"), ("signing_keys", "kid"), ("clients", "client_id"), ("users", "subject"),
        ("par_requests", "request_id"), ("authorization_codes", "code_id"), ("grants", "grant_id"),
        ("tokens", "token_id"), ("sessions", "session_id"),
    ]
}
