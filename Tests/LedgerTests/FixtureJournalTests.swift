import Events
import Foundation
import GRDB
import Journal
import Projection
import Testing

/// The journals in `Journal/fixtures/` were written by released format versions; every later
/// version must verify and replay them (FORMAT.md §8).
@Suite("Fixture journals of released format versions")
struct FixtureJournalTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Journal/fixtures")

    /// A writable copy (the originals stay untouched).
    func copy(_ version: String) throws -> String {
        let dir = NSTemporaryDirectory() + "strongroom-fixture-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: Self.fixtures.appendingPathComponent("\(version)/journal").path, toPath: dir + "/journal")
        return dir
    }

    @Test("version 1 verifies: chain head, checkpoints and the journal key as recorded")
    func v1Verifies() throws {
        let dir = try copy("v1")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let report = try JournalVerifier.verify(
            dataDirectory: dir, expectKeyID: "b480bfeb1f81f771fdd4818ddb61068ed6d9b5ef8a0072dd3d3523d8d7cd9db4")
        #expect(report.segments == 4)
        #expect(report.records == 16)
        #expect(report.events == 10)
        #expect(report.checkpoints == 5)
        #expect(report.chainHead.hex == "ace5cbf4db71322b99c70e5143309f26dc7517f0d951f8b6410a7d21f1fe52bf")
    }

    @Test("version 1 replays into the projection with every event understood")
    func v1Replays() throws {
        let dir = try copy("v1")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let reader = try JournalReader(dataDirectory: dir)
        var types: [String] = []
        try reader.forEach(from: 1) { record in
            if record.kind == .event {
                types.append(
                    try EventCodec.decode(record.body, sequence: record.sequence, timeMicros: record.timeMicros).body
                        .type)
            }
            return true
        }
        #expect(types.count == 10)
        let store = try ProjectionRebuilder.rebuild(reader: reader, into: dir + "/p.sqlite")
        #expect(store.lastSequence == 16)
        let projection = try ProjectionStore.open(path: dir + "/p.sqlite")
        let clients = try projection.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT client_id, status, metadata FROM clients ORDER BY client_id")
                .map { "\($0[0] as String) \($0[1] as String) \(($0[2] as String).contains("TPP Alpha Ltd"))" }
        }
        #expect(clients == ["tpp-alpha active true", "tpp-beta removed false", "tpp-gamma active false"])
        let users = try projection.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT username, subject FROM users ORDER BY username").map {
                "\($0[0] as String)=\($0[1] as String)"
            }
        }
        #expect(users == ["alice=sub-1", "bob=sub-2"])
        let keys = try projection.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT algorithm, status FROM signing_keys ORDER BY algorithm").map {
                "\($0[0] as String):\($0[1] as String)"
            }
        }
        #expect(keys == ["ES256:retired", "PS256:active"])
        let checkpoints = try projection.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM checkpoints")
        }
        #expect(checkpoints == 5)
    }
}
