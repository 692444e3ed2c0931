import Foundation
import Testing

extension EndToEndTests {
    @Test(
        "disaster recovery: tokens issued and revoked, backup while serving, data directory deleted, restored from the backup, replayed, served: tokens introspect as before, refresh works, later tokens are gone, the journal verifies, replay equivalence"
    )
    func disasterRecovery() throws {
        let scratch = try ScratchDirectory("dr")
        defer { scratch.remove() }
        let data = scratch.sub("data")
        let backup = scratch.sub("backup")
        let pki = scratch.sub("pki")
        let state = scratch.sub("state.json")
        try FileManager.default.createDirectory(atPath: pki, withIntermediateDirectories: true)
        _ = try runInteropScript("fapi2_interop.py", ["pki", "--out", pki])
        let serverArguments = ["--client-ca", pki + "/ca.pem"]

        var server = try RunningServer.start(
            dataDirectory: data, scratch: scratch.path, extraArguments: serverArguments)
        let port = server.port
        let issued = try runInteropScript(
            "disaster_recovery.py",
            [
                "issue", "--issuer", server.issuer, "--ca", server.caFile, "--pki", pki, "--state", state,
                "--strongroom", try Strongroom.requireBinary(), "--data-dir", data,
            ])
        let expected = issued["expected"] as? [String: Bool] ?? [:]
        #expect(expected.values.contains(true) && expected.values.contains(false), "\(issued)")

        // The backup, while the server serves.
        let backedUp = try Strongroom.run(["journal", "backup", "--data-dir", data, "--to", backup])
        #expect(backedUp.status == 0, "\(backedUp)")
        #expect(backedUp.stdout.contains("copy verified: journal intact"), "\(backedUp)")
        #expect(server.child.isRunning, "the server must keep serving during the backup")
        let manifest =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: backup + "/BACKUP.json")))
            as? [String: Any] ?? [:]
        let backupLast = (manifest["last_sequence"] as? NSNumber)?.uint64Value ?? 0
        let backupCheckpoint = (manifest["last_checkpoint_sequence"] as? NSNumber)?.uint64Value ?? 0
        #expect(backupLast > 0 && backupCheckpoint > 0 && backupCheckpoint <= backupLast, "\(manifest)")
        for key in ["keys/seal.key", "keys/journal", "keys/op", "tls/ca.pem"] {
            #expect(FileManager.default.fileExists(atPath: backup + "/" + key), "the backup lacks \(key)")
        }
        // Every file of the backup is listed with its SHA-256.
        let sums = try String(contentsOfFile: backup + "/BACKUP.sha256", encoding: .utf8)
        let check = try runCommand(
            "/bin/sh", ["-c", "cd \"$0\" && sha256sum -c --quiet BACKUP.sha256", backup], timeout: 60, name: "sha256sum"
        )
        #expect(check.status == 0 && sums.contains("journal/"), "\(check)")

        // Something after the backup: it is lost with the disaster.
        _ = try runInteropScript(
            "disaster_recovery.py",
            ["late", "--issuer", server.issuer, "--ca", server.caFile, "--pki", pki, "--state", state])
        #expect(try server.stopGracefully() == 0, "\(server.child.outputTail())")

        // The disaster, then the runbook: copy the backup into an empty data directory, verify, replay.
        try FileManager.default.removeItem(atPath: data)
        try FileManager.default.copyItem(atPath: backup, toPath: data)
        let verify = try Strongroom.run(["journal", "verify", "--data-dir", data])
        #expect(verify.status == 0, "\(verify)")
        let replay = try Strongroom.run(["replay", "--data-dir", data])
        #expect(replay.status == 0, "\(replay)")

        server = try RunningServer.start(
            dataDirectory: data, scratch: scratch.path, extraArguments: serverArguments, port: port)
        defer { server.child.stop() }
        let checked = try runInteropScript(
            "disaster_recovery.py",
            ["check", "--issuer", server.issuer, "--ca", server.caFile, "--pki", pki, "--state", state])
        #expect(checked["refreshed"] as? Bool == true, "\(checked)")
        #expect(checked["revoked_refresh"] as? String == "invalid_grant", "\(checked)")
        #expect(checked["late_token_gone"] as? Bool == true, "\(checked)")
        #expect(try server.stopGracefully() == 0, "\(server.child.outputTail())")

        let verifyAfter = try Strongroom.run(["journal", "verify", "--data-dir", data])
        #expect(verifyAfter.status == 0, "\(verifyAfter)")
        try Self.checkReplayEquivalence(data: data, scratch: scratch, journal: try JournalContents.read(data))
    }
}
