import Foundation
import Testing

extension EndToEndTests {
    @Test(
        "GM-01…GM-10: create / merge / replace through PAR, grant_id in the token response, GET and DELETE at the grant management endpoint with every error, tokens dead at once; the service desk's `grants` CLI through the running server and with it stopped; /account/grants in headless chromium without JavaScript; nothing secret in clear; replay equivalence"
    )
    func grantManagement() throws {
        let scratch = try ScratchDirectory("grants")
        defer { scratch.remove() }
        let data = scratch.sub("data")
        let pki = scratch.sub("pki")
        try FileManager.default.createDirectory(atPath: pki, withIntermediateDirectories: true)
        _ = try runInteropScript("fapi2_interop.py", ["pki", "--out", pki])

        let server = try RunningServer.start(
            dataDirectory: data, scratch: scratch.path, extraArguments: ["--client-ca", pki + "/ca.pem"])
        defer { server.child.stop() }
        let common = [
            "--issuer", server.issuer, "--ca", server.caFile, "--strongroom", try Strongroom.requireBinary(),
            "--data-dir", data,
        ]
        let flow = try runInteropScript("grant_management.py", ["flow"] + common + ["--pki", pki])
        #expect(flow["grant_id_returned"] as? Bool == true, "\(flow)")
        #expect(flow["merge"] as? String == "union; old refresh token refused", "\(flow)")
        let account = try runInteropScript("grant_management.py", ["account"] + common)
        #expect(account["grant_id"] is String, "\(account)")
        #expect(try server.stopGracefully() == 0, "\(server.child.outputTail())")

        // The service desk with the server stopped: the CLI takes the data directory's lock.
        let subject = try #require(flow["subject"] as? String)
        let spare = try #require(flow["spare_grant"] as? String)
        let shown = try Strongroom.run(["grants", "show", spare, "--json", "--data-dir", data])
        #expect(shown.status == 0 && shown.stdout.contains("\"status\" : \"active\""), "\(shown)")
        let revoked = try Strongroom.run([
            "grants", "revoke", spare, "--reason", "fraud suspected", "--operator", "desk-offline", "--json",
            "--data-dir", data,
        ])
        #expect(revoked.status == 0 && revoked.stdout.contains("\"revoked_by\" : \"operator\""), "\(revoked)")
        let again = try Strongroom.run(["grants", "revoke", spare, "--reason", "twice", "--data-dir", data])
        #expect(again.status != 0, "revoking a revoked grant should fail: \(again)")
        let noReason = try Strongroom.run(["grants", "revoke", spare, "--reason", " ", "--data-dir", data])
        #expect(noReason.status != 0, "a revocation without a reason should be refused: \(noReason)")
        let listed = try Strongroom.run(["grants", "list", "--subject", subject, "--data-dir", data])
        #expect(listed.status == 0 && listed.stdout.contains(spare) && listed.stdout.contains("revoked"), "\(listed)")

        let verify = try Strongroom.run(["journal", "verify", "--data-dir", data])
        #expect(verify.status == 0, "\(verify)")
        let dump = try Strongroom.run(["journal", "dump", "--data-dir", data])
        #expect(dump.status == 0)
        #expect(dump.stdout.contains("\"grant.updated\""), "merge / replace were not journaled")
        for by in ["grant_management", "end_user", "operator"] {
            #expect(dump.stdout.contains("\"revokedBy\":\"\(by)\""), "no grant.revoked by \(by)")
        }
        #expect(dump.stdout.contains("operator:desk-7") && dump.stdout.contains("operator:desk-offline"))
        #expect(dump.stdout.contains("customer called the service desk") && dump.stdout.contains("fraud suspected"))

        // No token, password or TOTP seed in clear in the journal or the projection.
        let secrets = (flow["secrets"] as? [String] ?? []) + (account["secrets"] as? [String] ?? [])
        #expect(secrets.count >= 10, "the scripts reported too few secrets: \(secrets.count)")
        let projection = try dumpProjection(at: data + "/projection.sqlite")
        let projectionText = projection.tables.values.flatMap { $0 }.joined(separator: "\n")
        for secret in secrets {
            let needles = [secret] + (secret.split(separator: ".").last.map { [String($0)] } ?? [])
            for needle in needles where needle.count >= 16 {
                #expect(!dump.stdout.contains(needle), "a secret appears in clear in the journal")
                #expect(!projectionText.contains(needle), "a secret appears in clear in the projection")
            }
        }
        try Self.checkReplayEquivalence(data: data, scratch: scratch, journal: try JournalContents.read(data))
    }
}
