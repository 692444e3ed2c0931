import Events
import Foundation
import GRDB
import Journal
import Testing

@testable import Projection

@Suite("A grant's last use (derived from its tokens, schema v4)")
struct GrantLastUsedTests {
    func event(_ seq: UInt64, _ body: EventBody) -> ProjectionInput {
        projectionEvent(seq, body, stream: .grant("g"), actor: .client("c"))
    }

    func tokens(_ grantID: String, access: String, refresh: String?) -> EventBody {
        .tokensIssued(
            TokensIssued(
                grantID: grantID, clientID: "c", subject: "s", grantType: "authorization_code",
                accessTokenID: access, accessTokenHash: "h-" + access, accessTokenExpiresAtMicros: 99_000,
                refreshTokenID: refresh, refreshTokenHash: refresh.map { "h-" + $0 }, scope: "openid",
                tokenType: "DPoP", confirmation: Confirmation(jkt: "k"), codeID: nil))
    }

    func temporaryPath() -> String {
        NSTemporaryDirectory() + "strongroom-lastused-\(UUID().uuidString.prefix(8)).sqlite"
    }

    @Test("its creation time until a token is issued, then the newest token's issue time")
    func derivedFromNewestToken() throws {
        let path = temporaryPath()
        defer { try? ProjectionStore.remove(path: path) }
        let store = try ProjectionStore.open(path: path)
        let link = ChainLink(bytes: [UInt8](repeating: 3, count: 32))
        let created: EventBody = .grantCreated(
            GrantCreated(grantID: "g", clientID: "c", subject: "s", scopes: ["openid"], authorizationDetails: nil))
        let other: EventBody = .grantCreated(
            GrantCreated(grantID: "h", clientID: "c", subject: "s", scopes: ["openid"], authorizationDetails: nil))
        try store.apply([event(1, created), event(2, other)], chainHead: link)
        #expect(try store.grant("g")?.lastUsedMicros == 1_000)

        try store.apply(
            [event(3, tokens("g", access: "a1", refresh: "r1")), event(4, tokens("h", access: "a2", refresh: nil))],
            chainHead: link)
        #expect(try store.grant("g")?.lastUsedMicros == 3_000)
        #expect(try store.grant("h")?.lastUsedMicros == 4_000)

        try store.apply([event(5, tokens("g", access: "a3", refresh: nil))], chainHead: link)
        #expect(try store.grant("g")?.lastUsedMicros == 5_000)
        let listed = Dictionary(uniqueKeysWithValues: try store.grants(subject: "s").map { ($0.grantID, $0) })
        #expect(listed["g"]?.lastUsedMicros == 5_000)
        #expect(listed["h"]?.lastUsedMicros == 4_000)
        // The stored column keeps the creation time: what a replay of grant.created gives.
        let dump = try store.dumpAllTables()["grants"] ?? []
        #expect(dump.count == 2 && dump.allSatisfy { $0.contains("last_used_micros:") })
        #expect(dump.first { $0.contains("grant_id:\"g\"") }?.contains("last_used_micros:1000") == true)
    }

    @Test("migrating a v3 projection (last use updated in place) gives what a rebuild gives")
    func migrationFromV3() throws {
        let migrated = temporaryPath()
        let rebuilt = temporaryPath()
        defer {
            try? ProjectionStore.remove(path: migrated)
            try? ProjectionStore.remove(path: rebuilt)
        }
        // A v3 projection as the v3 applier left it: the grant's last_used_micros updated by the token.
        do {
            let queue = try DatabaseQueue(path: migrated)
            try Schema.migrator().migrate(queue, upTo: "v3")
            try queue.write { db in
                try db.execute(
                    sql: """
                        UPDATE projection_state SET last_sequence = 2, chain_head = ?, last_time_micros = 2000;
                        INSERT INTO grants (grant_id, client_id, subject, scopes, authorization_details, status,
                            created_micros, last_used_micros, updated_micros, updated_by)
                            VALUES ('g', 'c', 's', 'openid', NULL, 'active', 1000, 2000, 1000, 'client');
                        INSERT INTO tokens (token_id, token_hash, kind, grant_id, client_id, subject, scope,
                            token_type, cnf_jkt, cnf_x5t_s256, expires_micros, status, issued_sequence, issued_micros)
                            VALUES ('a1', 'h-a1', 'access', 'g', 'c', 's', 'openid', 'DPoP', 'k', NULL, 99000,
                                'active', 2, 2000);
                        INSERT INTO event_streams (stream, sequence, type) VALUES ('grant:g', 1, 'grant.created'),
                            ('grant:g', 2, 'token.issued');
                        """, arguments: [String(repeating: "ab", count: 32)])
            }
            try queue.close()
        }
        let store = try ProjectionStore.open(path: migrated)  // runs v4
        #expect(try store.grant("g")?.lastUsedMicros == 2_000)
        let migratedGrants = try store.dumpAllTables()["grants"]
        try store.checkpointAndClose()

        let fresh = try ProjectionStore.open(path: rebuilt)
        let link = ChainLink(bytes: [UInt8](repeating: 0xab, count: 32))
        try fresh.apply(
            [
                event(
                    1,
                    .grantCreated(
                        GrantCreated(
                            grantID: "g", clientID: "c", subject: "s", scopes: ["openid"], authorizationDetails: nil))),
                event(2, tokens("g", access: "a1", refresh: nil)),
            ], chainHead: link)
        #expect(try fresh.dumpAllTables()["grants"] == migratedGrants)
        #expect(try fresh.grant("g")?.lastUsedMicros == 2_000)
    }
}
