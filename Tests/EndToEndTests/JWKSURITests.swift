import Foundation
import Testing

extension EndToEndTests {
    @Test(
        "clients with a jwks_uri: the OP fetches the key set over HTTPS (serve --jwks-ca), caches it, fetches again after the client rotates (at most every 10 s), journals every new set before using it; an unreachable jwks_uri is invalid_client"
    )
    func jwksURIClients() throws {
        let scratch = try ScratchDirectory("jwks-uri")
        defer { scratch.remove() }
        let data = scratch.sub("data")
        let pki = scratch.sub("pki")
        try FileManager.default.createDirectory(atPath: pki, withIntermediateDirectories: true)
        _ = try runInteropScript("jwks_uri.py", ["pki", "--out", pki])
        let server = try RunningServer.start(
            dataDirectory: data, scratch: scratch.path, extraArguments: ["--jwks-ca", pki + "/jwks-ca.pem"])
        defer { server.child.stop() }
        let facts = try runInteropScript(
            "jwks_uri.py",
            [
                "flow", "--issuer", server.issuer, "--ca", server.caFile, "--strongroom",
                try Strongroom.requireBinary(), "--data-dir", data, "--pki", pki,
            ])
        #expect(facts["fetches"] as? Int == 2, "\(facts)")
        let clientID = try #require(facts["client_id"] as? String)
        #expect(try server.stopGracefully() == 0, "\(server.child.outputTail())")

        // Both key sets are in the journal, verbatim, before the PAR pushes that used them.
        let dump = try Strongroom.run(["journal", "dump", "--data-dir", data])
        #expect(dump.status == 0)
        let lines = dump.stdout.split(separator: "\n").map(String.init)
        let fetched = lines.filter { $0.contains("\"client.jwks_fetched\"") && $0.contains(clientID) }
        #expect(fetched.count == 2, "expected two journaled key sets, got \(fetched.count)")
        let firstFetch = lines.firstIndex { $0.contains("\"client.jwks_fetched\"") && $0.contains(clientID) }
        let firstPush = lines.firstIndex { $0.contains("\"par.pushed\"") && $0.contains(clientID) }
        if let firstFetch, let firstPush { #expect(firstFetch < firstPush, "the key set must be journaled first") }

        // The audit re-verifies every assertion against the key set fetched at that time: the
        // accepted ones (old key before the rotation, new key after) verify; none lacks its key.
        let audit = try Strongroom.run(["audit", "client", clientID, "--data-dir", data, "--format", "json"])
        let report =
            try JSONSerialization.jsonObject(with: Data(audit.stdout.utf8)) as? [String: Any] ?? [:]
        let events = report["events"] as? [[String: Any]] ?? []
        let pushedAssertions = events.filter { $0["type"] as? String == "par.pushed" }
            .flatMap { $0["artifacts"] as? [[String: Any]] ?? [] }
            .filter { $0["kind"] as? String == "client_assertion" }
        #expect(pushedAssertions.count == 3, "three accepted pushes: \(audit.stdout.prefix(2000))")
        #expect(
            pushedAssertions.allSatisfy { $0["status"] as? String == "verified" },
            "\(pushedAssertions.map { "\($0["status"] ?? "?"): \($0["detail"] ?? "")" })")
        #expect(events.filter { $0["type"] as? String == "client.jwks_fetched" }.count == 2)
        try Self.checkReplayEquivalence(data: data, scratch: scratch, journal: try JournalContents.read(data))
    }
}
