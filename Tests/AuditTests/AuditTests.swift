import Crypto
import Events
import Foundation
import Journal
import Testing

@testable import Audit

@Suite("Audit")
struct AuditTests {
    /// A client, two flows before a checkpoint, a key rotation, a flow after it, a flow signed with a
    /// key the client never registered, and one flow after the last checkpoint.
    static func journal() throws -> (AuditFixture, [AuditFixture.Flow]) {
        let fixture = try AuditFixture()
        try fixture.open()
        try fixture.registerClient(key: fixture.clientKey, kid: "k1")
        var flows = [try fixture.flow(1), try fixture.flow(2)]
        try fixture.checkpoint()
        try fixture.registerClient(key: fixture.otherKey, kid: "k2", updated: true)
        flows.append(try fixture.flow(3, assertionKey: fixture.otherKey, kid: "k2"))
        flows.append(try fixture.flow(4, assertionKey: P256.Signing.PrivateKey(), kid: "k2"))
        try fixture.checkpoint()
        flows.append(try fixture.flow(5, assertionKey: fixture.otherKey, kid: "k2", revoke: false))
        return (fixture, flows)
    }

    func audit(_ fixture: AuditFixture, _ topic: AuditTopic, _ id: String, index: String? = nil) throws -> AuditReport {
        try Auditor(dataDirectory: fixture.directory, indexPath: index).report(AuditReport.Query(topic: topic, id: id))
    }

    @Test("interaction: the whole flow with its grant, every chain proven to a signed checkpoint, artifacts verified")
    func interactionTimeline() throws {
        let (fixture, flows) = try Self.journal()
        let report = try audit(fixture, .interaction, flows[0].requestID)
        #expect(
            report.events.map(\.type) == [
                "par.pushed", "user.authenticated", "consent.given", "grant.created", "authorization.code_issued",
                "token.issued", "grant.revoked",
            ])
        #expect(report.summary.allVerified, "\(report.summary.problems)")
        #expect(report.events.allSatisfy { $0.chain.status == .checkpointed })
        let artifacts = report.events.flatMap(\.artifacts)
        #expect(artifacts.map(\.kind).sorted() == ["client_assertion", "client_assertion", "dpop_proof", "dpop_proof"])
        #expect(artifacts.allSatisfy { $0.status == .verified })
        #expect(report.clients.first?.clientName == "Example TPP")
        #expect(report.clients.first?.keys.first?.kid == "k1")
        #expect(report.subjects.contains(flows[0].subject))
        let consent = try #require(report.events.first { $0.type == "consent.given" })
        #expect(consent.facts.contains(AuditReport.Fact("scopes approved", "openid accounts")))
        let auth = try #require(report.events.first { $0.type == "user.authenticated" })
        #expect(auth.facts.contains(AuditReport.Fact("amr", "pwd otp")))
        // Nothing from the other flows.
        #expect(!report.events.contains { $0.facts.contains(AuditReport.Fact("grant", flows[1].grantID)) })
    }

    @Test("an x-fapi-interaction-id finds the same interaction")
    func fapiInteractionID() throws {
        let (fixture, flows) = try Self.journal()
        let byFAPI = try audit(fixture, .interaction, flows[1].fapiID)
        let byRequest = try audit(fixture, .interaction, flows[1].requestID)
        #expect(byFAPI.events.map(\.sequence) == byRequest.events.map(\.sequence))
        #expect(byFAPI.events.count == 7)
    }

    @Test("signatures are checked against the key registered at that time, and a foreign key fails")
    func keyOfThatTime() throws {
        let (fixture, flows) = try Self.journal()
        // Flow 1 was signed with k1, which the client replaced later: still verified.
        #expect(try audit(fixture, .grant, flows[0].grantID).summary.allVerified)
        // Flow 3 was signed with k2, registered after flow 1: verified.
        let third = try audit(fixture, .grant, flows[2].grantID)
        #expect(third.summary.allVerified, "\(third.summary.problems)")
        #expect(third.clients.first?.keys.first?.kid == "k2")
        // Flow 4: signed with kid k2 but another key.
        let fourth = try audit(fixture, .interaction, flows[3].requestID)
        #expect(!fourth.summary.allVerified)
        let failed = fourth.events.flatMap(\.artifacts).filter { $0.status != .verified }
        #expect(failed.count == 2 && failed.allSatisfy { $0.kind == "client_assertion" && $0.status == .failed })
        #expect(
            fourth.events.flatMap(\.artifacts).filter { $0.kind == "dpop_proof" }.allSatisfy { $0.status == .verified })
    }

    @Test("events after the last checkpoint are chained to the head, not failures")
    func notYetCheckpointed() throws {
        let (fixture, flows) = try Self.journal()
        let report = try audit(fixture, .interaction, flows[4].requestID)
        #expect(report.events.allSatisfy { $0.chain.status == .chainedToHead && $0.verdict == .pending })
        #expect(report.summary.failed == 0 && report.summary.pending == report.events.count)
        try fixture.close()
        let after = try audit(fixture, .interaction, flows[4].requestID)
        #expect(after.summary.allVerified)
    }

    @Test(
        "subject and client audits, with time bounds; the index catches up incrementally and gives the same answer as a full scan"
    )
    func subjectClientAndIndex() throws {
        let (fixture, flows) = try Self.journal()
        let indexPath = fixture.directory + "/audit-index.sqlite"
        let subject = try audit(fixture, .subject, flows[1].subject, index: indexPath)
        #expect(subject.events.count == 6)  // everything but the PAR push, which the client made
        try fixture.close()
        let client = try audit(fixture, .client, fixture.clientID, index: indexPath)
        let scanned = try audit(fixture, .client, fixture.clientID, index: nil)
        #expect(client == scanned)
        #expect(client.events.filter { $0.type == "par.pushed" }.count == 5)
        // A revocation names only the grant; the client's audit still shows it.
        #expect(client.events.filter { $0.type == "grant.revoked" }.count == 4)
        let middle = try #require(
            client.events.first {
                $0.type == "par.pushed"
                    && $0.facts.contains(AuditReport.Fact("interaction (request id)", flows[2].requestID))
            })
        let bounded = try Auditor(dataDirectory: fixture.directory, indexPath: indexPath).report(
            AuditReport.Query(
                topic: .client, id: fixture.clientID, fromMicros: middle.timeMicros, toMicros: middle.timeMicros + 2_000
            ))
        #expect(bounded.events.first?.sequence == middle.sequence)
        #expect(
            bounded.events.allSatisfy {
                $0.timeMicros >= middle.timeMicros && $0.timeMicros <= middle.timeMicros + 2_000
            })
    }

    @Test("an evidence bundle verifies offline, and any altered byte fails it")
    func bundle() throws {
        let (fixture, flows) = try Self.journal()
        try fixture.close()
        let auditor = try Auditor(dataDirectory: fixture.directory, indexPath: nil)
        let bundle = try auditor.export(AuditReport.Query(topic: .interaction, id: flows[2].requestID))
        let bytes = try bundle.encoded()
        let report = try EvidenceBundle.verify(bytes, expectKeyID: fixture.journalSigner.keyID)
        #expect(report.summary.allVerified)
        #expect(report.events.map(\.sequence) == bundle.report.events.map(\.sequence))
        #expect(throws: AuditError.self) {
            try EvidenceBundle.verify(bytes, expectKeyID: String(repeating: "0", count: 64))
        }
        // Every 11th byte, every byte of the first 300, and bytes inside each part that matters.
        var positions = Set(stride(from: 0, to: bytes.count, by: 11)).union(0..<min(300, bytes.count))
        let text = String(decoding: bytes, as: UTF8.self)
        for needle in [
            "\"records\":[\"", "\"journalKeys\":[\"", "\"linkBefore\":\"", "\"summary\":\"", "\"compact\":\"",
        ] {
            if let range = text.range(of: needle) {
                let start = text.utf8.distance(from: text.startIndex, to: range.upperBound)
                positions.formUnion(start..<min(start + 200, bytes.count))
            }
        }
        var accepted: [Int] = []
        for position in positions.sorted() {
            var altered = bytes
            altered[position] ^= position % 2 == 0 ? 0x01 : 0x20
            if (try? EvidenceBundle.verify(altered)) != nil { accepted.append(position) }
        }
        #expect(accepted.isEmpty, "altered bundles accepted at byte(s) \(accepted.prefix(20))")
    }

    @Test(
        "a record changed between an event and its checkpoint (with its batch checksum recomputed) fails the event's chain proof"
    )
    func tamperedChain() throws {
        let fixture = try AuditFixture()
        fixture.compress = false
        try fixture.open()
        try fixture.registerClient(key: fixture.clientKey, kid: "k1")
        let first = try fixture.flow(1)
        try fixture.flow(2)
        try fixture.close()
        let index = fixture.directory + "/audit-index.sqlite"
        #expect(try audit(fixture, .interaction, first.requestID, index: index).summary.allVerified)

        // Flow 2's PAR push: change its scope, then fix the batch's CRC32C as a forger would.
        let segment = fixture.directory + "/journal/00000000000000000001.seg"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: segment)))
        let needle = Array("\"requestID\":\"req-2\"".utf8)
        let hit = try #require(
            (0..<(bytes.count - needle.count)).first { bytes[$0..<($0 + needle.count)].elementsEqual(needle) })
        var frame = 128
        while true {
            let stored = bytes[(frame + 4)..<(frame + 8)].reversed().reduce(0) { $0 << 8 | Int($1) }
            if hit < frame + 84 + stored { break }
            frame += 84 + stored
        }
        let scope = Array("openid accounts".utf8)
        let at = try #require(
            (hit..<(bytes.count - scope.count)).first { bytes[$0..<($0 + scope.count)].elementsEqual(scope) })
        bytes[at] = UInt8(ascii: "O")
        let stored = bytes[(frame + 4)..<(frame + 8)].reversed().reduce(0) { $0 << 8 | Int($1) }
        var crc = CRC32C()
        bytes[32..<48].withUnsafeBytes { crc.update($0) }
        bytes[frame..<(frame + 80)].withUnsafeBytes { crc.update($0) }
        bytes[(frame + 84)..<(frame + 84 + stored)].withUnsafeBytes { crc.update($0) }
        let value = crc.finalize()
        for k in 0..<4 { bytes[frame + 80 + k] = UInt8((value >> (8 * UInt32(k))) & 0xFF) }
        try Data(bytes).write(to: URL(fileURLWithPath: segment))

        // Flow 1's events are chained through flow 2's push to the checkpoint: they fail.
        let report = try audit(fixture, .interaction, first.requestID, index: index)
        #expect(!report.summary.allVerified)
        #expect(report.events.allSatisfy { $0.chain.status == .failed && $0.verdict == .failed })
        #expect(report.summary.problems.first?.contains("does not verify") == true, "\(report.summary.problems)")
        // A full scan (no index, or an index to catch up over the damage) stops at the damage.
        #expect(throws: JournalError.self) { try audit(fixture, .interaction, first.requestID) }
    }

    @Test("export refuses events no checkpoint covers yet")
    func exportNeedsCheckpoint() throws {
        let (fixture, flows) = try Self.journal()
        let auditor = try Auditor(dataDirectory: fixture.directory, indexPath: nil)
        #expect(throws: AuditError.self) {
            try auditor.export(AuditReport.Query(topic: .interaction, id: flows[4].requestID))
        }
    }

    @Test("HTML escapes client-supplied text: a <script> in a client name is shown as text")
    func htmlEscaping() throws {
        let fixture = try AuditFixture()
        fixture.clientName = "Evil <script>alert(1)</script> & Co"
        try fixture.open()
        try fixture.registerClient(key: fixture.clientKey, kid: "k1")
        let flow = try fixture.flow(1)
        try fixture.close()
        let html = try audit(fixture, .interaction, flow.requestID).html()
        #expect(!html.contains("<script"))
        #expect(html.contains("Evil &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"))
        #expect(!html.contains("http://") && !html.contains("https://fonts"))
    }

    @Test("time bounds parse ISO 8601 and format back")
    func times() {
        #expect(isoTime(0) == "1970-01-01T00:00:00.000000Z")
        #expect(parseTimeBound("2026-03-01T12:34:56.5Z").map(isoTime) == "2026-03-01T12:34:56.500000Z")
        #expect(parseTimeBound("2026-03-01", endOfDay: true).map(isoTime) == "2026-03-01T23:59:59.999999Z")
        #expect(parseTimeBound("yesterday") == nil)
    }
}
