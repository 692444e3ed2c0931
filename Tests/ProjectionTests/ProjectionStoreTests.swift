import Events
import Foundation
import Journal
import Projection
import Testing

@Suite("Projection store")
struct ProjectionStoreTests {
    func event(_ seq: UInt64, _ body: EventBody) -> ProjectionInput { projectionEvent(seq, body) }

    func withStore(_ body: (ProjectionStore) throws -> Void) throws {
        let path = NSTemporaryDirectory() + "strongroom-projection-\(UUID().uuidString.prefix(8)).sqlite"
        defer { try? ProjectionStore.remove(path: path) }
        try body(try ProjectionStore.open(path: path))
    }

    @Test("applying is exactly-once: inputs at or below the stored sequence are skipped")
    func exactlyOnce() throws {
        try withStore { store in
            let link = ChainLink(bytes: [UInt8](repeating: 7, count: 32))
            let inputs = [
                event(1, .clientRegistered(ClientRegistered(clientID: "c", metadata: "{}", via: "cli"))),
                event(2, .clientUpdated(ClientUpdated(clientID: "c", metadata: "{\"a\":1}"))),
            ]
            try store.apply(inputs, chainHead: link)
            let once = try store.dumpAllTables()
            try store.apply(inputs, chainHead: link)  // a replayed batch after a crash
            #expect(try store.dumpAllTables() == once)
            #expect(try store.state() == ProjectionState(lastSequence: 2, chainHead: link, lastTimeMicros: 2000))
            #expect(try store.sequences(stream: .client("c")) == [1, 2])
        }
    }

    @Test("a gap in sequence numbers is refused and changes nothing")
    func gapRefused() throws {
        try withStore { store in
            let link = ChainLink(bytes: [UInt8](repeating: 1, count: 32))
            try store.apply(
                [event(1, .clientRegistered(ClientRegistered(clientID: "c", metadata: "{}", via: "cli")))],
                chainHead: link)
            let before = try store.dumpAllTables()
            #expect(throws: ProjectionError.self) {
                try store.apply(
                    [event(3, .clientRemoved(ClientRemoved(clientID: "c", reason: "x")))], chainHead: link)
            }
            #expect(try store.dumpAllTables() == before)
        }
    }

    @Test("revoking a grant revokes its tokens; redeeming marks the code")
    func grantLifecycle() throws {
        try withStore { store in
            let link = ChainLink(bytes: [UInt8](repeating: 2, count: 32))
            try store.apply(
                [
                    event(
                        1,
                        .grantCreated(
                            GrantCreated(
                                grantID: "g", clientID: "c", subject: "s", scopes: ["openid"], authorizationDetails: nil
                            ))),
                    event(
                        2,
                        .codeIssued(
                            CodeIssued(
                                clientID: "c", subject: "s", grantID: "g", codeID: "cid", codeHash: "h",
                                expiresAtMicros: 9, scope: "openid",
                                redirectURI: "https://c/cb", dpopJKT: nil, authTimeMicros: 1, acr: "a", amr: ["pwd"]))),
                    event(
                        3,
                        .tokensIssued(
                            TokensIssued(
                                grantID: "g", clientID: "c", subject: "s", grantType: "authorization_code",
                                accessTokenID: "a1",
                                accessTokenHash: "at", accessTokenExpiresAtMicros: 99, refreshTokenID: "r1",
                                refreshTokenHash: "rt",
                                scope: "openid", tokenType: "DPoP", confirmation: Confirmation(jkt: "k"), codeID: "cid")
                        )),
                    event(4, .grantRevoked(GrantRevoked(grantID: "g", revokedBy: "operator", reason: "fraud"))),
                ], chainHead: link)
            let tables = try store.dumpAllTables()
            #expect(tables["tokens"]?.count == 2)
            #expect(tables["tokens"]?.allSatisfy { $0.contains("\"revoked\"") } == true)
            #expect(tables["authorization_codes"]?.first?.contains("redeemed_sequence:3") == true)
        }
    }

    @Test("a bulk load builds the indexes it went without at close: its schema and rows equal an ordinary store's")
    func bulkLoadBuildsDeferredIndexes() throws {
        let inputs = (1...6).map { i in
            event(
                UInt64(i),
                .grantCreated(
                    GrantCreated(
                        grantID: "g\(i)", clientID: "c", subject: "s\(i % 2)", scopes: ["openid"],
                        authorizationDetails: nil)))
        }
        try compareBulkLoad(of: inputs) { during in
            for index in ["grants_by_subject", "tokens_by_grant"] {
                #expect(!during.contains { $0.contains(index) }, "\(index) dropped for the load")
            }
        } then: { ordinary, rebuilt throws in
            #expect(
                try ordinary.dumpAllTables()["sqlite_master"]?.contains { $0.contains("grants_by_subject") } == true)
            #expect(try rebuilt.grants(subject: "s1").map(\.grantID).sorted() == ["g1", "g3", "g5"])
        }
    }

    @Test("a bulk load's deferred token revocations give the live rows: only tokens issued before each revocation")
    func bulkLoadDefersTokenRevocations() throws {
        func tokens(_ seq: UInt64, grant: String, _ id: String) -> ProjectionInput {
            event(
                seq,
                .tokensIssued(
                    TokensIssued(
                        grantID: grant, clientID: "c", subject: "s", grantType: "authorization_code",
                        accessTokenID: "a-" + id, accessTokenHash: "ah-" + id, accessTokenExpiresAtMicros: 99,
                        refreshTokenID: "r-" + id, refreshTokenHash: "rh-" + id, scope: "openid", tokenType: "DPoP",
                        confirmation: Confirmation(jkt: "k"), codeID: nil)))
        }
        func grant(_ seq: UInt64, _ id: String) -> ProjectionInput {
            event(
                seq,
                .grantCreated(
                    GrantCreated(
                        grantID: id, clientID: "c", subject: "s", scopes: ["openid"], authorizationDetails: nil)))
        }
        // g1: tokens at 3, merged at 4 (the refresh token of 3 revoked), tokens at 5, revoked at 7
        // (all before it), tokens at 8 (issued after the revocation: they stay active). g2's tokens
        // (6) are never revoked.
        let inputs: [ProjectionInput] = [
            grant(1, "g1"), grant(2, "g2"), tokens(3, grant: "g1", "1"),
            event(
                4,
                .grantUpdated(
                    GrantUpdated(
                        grantID: "g1", clientID: "c", subject: "s", action: "merge", scopesBefore: ["openid"],
                        scopesAfter: ["openid", "accounts"], requestID: "req"))),
            tokens(5, grant: "g1", "2"), tokens(6, grant: "g2", "3"),
            event(7, .grantRevoked(GrantRevoked(grantID: "g1", revokedBy: "operator", reason: "fraud"))),
            tokens(8, grant: "g1", "4"),
        ]
        try compareBulkLoad(of: inputs) { live, _ in
            let rows = try live.dumpAllTables()["tokens"] ?? []
            let revoked = rows.filter { $0.contains("status:\"revoked\"") }.map { $0.split(separator: " ")[0] }
            #expect(
                revoked.sorted() == [
                    "[token_id:\"a-1\"", "[token_id:\"a-2\"", "[token_id:\"r-1\"", "[token_id:\"r-2\"",
                ])
        }
    }

    /// Applies `inputs` to a bulk load (`during` sees its schema before them) and to an ordinary
    /// store, expects every table and the schema to be equal, then hands both to `then`.
    func compareBulkLoad(
        of inputs: [ProjectionInput], during: ([String]) throws -> Void = { _ in },
        then: (_ ordinary: ProjectionStore, _ rebuilt: ProjectionStore) throws -> Void
    ) throws {
        let link = ChainLink(bytes: [UInt8](repeating: 3, count: 32))
        let bulkPath = NSTemporaryDirectory() + "strongroom-bulk-\(UUID().uuidString.prefix(8)).sqlite"
        defer { try? ProjectionStore.remove(path: bulkPath) }
        let bulk = try ProjectionStore.open(path: bulkPath, bulkLoad: true)
        try during(try bulk.dumpAllTables()["sqlite_master"] ?? [])
        try bulk.apply(inputs, chainHead: link)
        try bulk.checkpointAndClose()

        try withStore { ordinary in
            try ordinary.apply(inputs, chainHead: link)
            let rebuilt = try ProjectionStore.open(path: bulkPath)
            defer { try? rebuilt.checkpointAndClose() }
            let (a, b) = (try ordinary.dumpAllTables(), try rebuilt.dumpAllTables())
            for table in a.keys.sorted() { #expect(a[table] == b[table], "\(table) differs") }
            try then(ordinary, rebuilt)
        }
    }
}
