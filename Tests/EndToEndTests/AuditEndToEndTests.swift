import Foundation
import Testing

/// The venv's Python (see InteropTests.swift); `STRONGROOM_PYTHON` overrides it.
private let auditPython: String = {
    if let explicit = ProcessInfo.processInfo.environment["STRONGROOM_PYTHON"], !explicit.isEmpty { return explicit }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    return root.appendingPathComponent(".build-venv/bin/python3").path
}()

private let interopDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("interop").path

/// Runs a script of Tests/interop; its last stdout line is a JSON object of facts with `ok`.
private func runPython(_ script: String, _ arguments: [String]) throws -> [String: Any] {
    guard FileManager.default.isExecutableFile(atPath: auditPython) else {
        throw E2EFailure("no Python venv at \(auditPython): run the suite with `Tools/strongroom.sh test`")
    }
    let result = try runCommand(
        auditPython, [interopDirectory + "/" + script] + arguments, timeout: 300, name: script)
    let line = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
    guard let facts = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
        throw E2EFailure("\(script) printed no JSON (\(result))")
    }
    guard facts["ok"] as? Bool == true else {
        throw E2EFailure("\(script) failed: \(facts["error"] ?? "?")\nstderr: \(result.stderr.suffix(3000))")
    }
    return facts
}

private func jsonObject(_ text: String) throws -> [String: Any] {
    guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
        throw E2EFailure("not a JSON object: \(text.prefix(300))")
    }
    return object
}

extension EndToEndTests {
    @Test(
        "audit: a real FAPI 2.0 flow reconstructed from the journal while the server runs and after it stops; verification, no secrets, HTML in a headless browser, tampering fails, evidence bundle verifies offline and fails when altered"
    )
    func auditRealFlow() throws {
        let scratch = try ScratchDirectory("audit")
        defer { scratch.remove() }
        let data = scratch.sub("data")
        let pki = scratch.sub("pki")
        try FileManager.default.createDirectory(atPath: pki, withIntermediateDirectories: true)
        _ = try runPython("fapi2_interop.py", ["pki", "--out", pki])
        let server = try RunningServer.start(
            dataDirectory: data, scratch: scratch.path, extraArguments: ["--client-ca", pki + "/ca.pem"])
        defer { server.child.stop() }
        let facts = try runPython(
            "fapi2_interop.py",
            [
                "flow", "--issuer", server.issuer, "--ca", server.caFile, "--strongroom",
                try Strongroom.requireBinary(),
                "--data-dir", data, "--mode", "dpop", "--pki", pki,
            ])
        let interaction = try #require(facts["interaction_id"] as? String)
        let clientID = try #require(facts["client_id"] as? String)
        let subject = try #require(facts["id_token_sub"] as? String)
        let secrets = (facts["secrets"] as? [String] ?? []).flatMap { s in
            [s] + (s.split(separator: ".").last.map { [String($0)] } ?? [])
        }.filter { $0.count >= 16 }
        #expect(secrets.count >= 8)

        // A client whose name is an attack on the report.
        let jwk = try String(contentsOfFile: pki + "/selfsigned.jwk.json", encoding: .utf8)
        let evilName = "<script>alert('x')</script> Evil & Co"
        let metadataFile = scratch.sub("evil.json")
        try Data(
            """
            {"client_name": "<script>alert('x')</script> Evil & Co", "redirect_uris": ["https://evil.example/cb"],
             "token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [\(jwk)]}}
            """.utf8
        ).write(to: URL(fileURLWithPath: metadataFile))
        let added = try Strongroom.run(["clients", "add", "--data-dir", data, "--file", metadataFile])
        #expect(added.status == 0, "\(added)")
        let evilID = try #require(try jsonObject(added.stdout)["client_id"] as? String)

        // While the server runs: read-only, no lock; events after the last checkpoint are pending.
        let live = try Strongroom.run(["audit", "interaction", interaction, "--data-dir", data, "--format", "json"])
        #expect(live.status == 0 || live.status == 2, "\(live)")
        let liveReport = try jsonObject(live.stdout)
        let liveEvents = try #require(liveReport["events"] as? [[String: Any]])
        #expect(liveEvents.allSatisfy { ($0["verdict"] as? String) != "failed" }, "\(live.stdout.prefix(4000))")

        #expect(try server.stopGracefully() == 0, "\(server.child.outputTail())")

        // After the server stopped (a checkpoint at shutdown): everything verified.
        let stopped = try Strongroom.run(["audit", "interaction", interaction, "--data-dir", data, "--format", "json"])
        #expect(stopped.status == 0, "\(stopped.stdout.suffix(3000))")
        let report = try jsonObject(stopped.stdout)
        let events = try #require(report["events"] as? [[String: Any]])
        #expect(events.map { $0["sequence"] as? Int } == liveEvents.map { $0["sequence"] as? Int })
        let types = events.compactMap { $0["type"] as? String }
        for type in [
            "par.pushed", "user.authenticated", "consent.given", "grant.created", "authorization.code_issued",
            "token.issued", "authorization.code_reused", "grant.revoked",
        ] {
            #expect(types.contains(type), "\(type) missing from \(types)")
        }
        #expect(types.filter { $0 == "token.issued" }.count >= 2, "code exchange and refresh")
        #expect(events.allSatisfy { $0["verdict"] as? String == "verified" })
        #expect(events.allSatisfy { ($0["chain"] as? [String: Any])?["status"] as? String == "checkpointed" })
        let artifacts = events.flatMap { $0["artifacts"] as? [[String: Any]] ?? [] }
        #expect(artifacts.contains { $0["kind"] as? String == "client_assertion" })
        #expect(artifacts.contains { $0["kind"] as? String == "dpop_proof" })
        #expect(artifacts.allSatisfy { $0["status"] as? String == "verified" }, "\(artifacts)")
        func eventFacts(of type: String) -> [String: String] {
            var out: [String: String] = [:]
            for event in events where event["type"] as? String == type {
                for fact in event["facts"] as? [[String: Any]] ?? [] {
                    if let n = fact["name"] as? String, let v = fact["value"] as? String { out[n] = v }
                }
            }
            return out
        }
        #expect(eventFacts(of: "consent.given")["consent page showed scopes"]?.contains("accounts") == true)
        #expect(eventFacts(of: "consent.given")["scopes approved"]?.contains("accounts") == true)
        #expect(eventFacts(of: "user.authenticated")["amr"]?.contains("otp") == true)
        #expect(eventFacts(of: "user.authenticated")["acr"]?.isEmpty == false)
        #expect(eventFacts(of: "authorization.code_issued")["code secret SHA-256"]?.isEmpty == false)
        #expect(eventFacts(of: "token.issued")["access token secret SHA-256"]?.isEmpty == false)
        #expect(eventFacts(of: "grant.revoked")["revoked by"] == "code_reuse")
        let clients = report["clients"] as? [[String: Any]] ?? []
        #expect(clients.contains { $0["clientID"] as? String == clientID && !(($0["keys"] as? [Any]) ?? []).isEmpty })
        #expect((report["subjects"] as? [String] ?? []).contains(subject))
        for secret in secrets { #expect(!stopped.stdout.contains(secret), "a secret appears in the audit report") }

        // The grant, subject and client audits; text format.
        let grantID = try #require(eventFacts(of: "grant.created")["grant"])
        let grant = try Strongroom.run(["audit", "grant", grantID, "--data-dir", data, "--format", "json"])
        #expect(grant.status == 0)
        #expect(try (jsonObject(grant.stdout)["events"] as? [Any])?.count == events.count)
        let bySubject = try Strongroom.run(["audit", "subject", subject, "--data-dir", data, "--format", "text"])
        #expect(bySubject.status == 0 && bySubject.stdout.contains("consent.given"), "\(bySubject)")
        let byClient = try Strongroom.run(["audit", "client", clientID, "--data-dir", data, "--to", "2000-01-01"])
        #expect(byClient.status == 2, "nothing before 2000")

        // HTML in a real headless browser.
        let htmlFile = scratch.sub("report.html")
        let html = try Strongroom.run([
            "audit", "interaction", interaction, "--data-dir", data, "--format", "html", "--out", htmlFile,
        ])
        #expect(html.status == 0, "\(html)")
        let seen = try runPython(
            "audit_report_check.py",
            [
                htmlFile,
                String(
                    decoding: try JSONSerialization.data(withJSONObject: [
                        clientID, "Interop TPP (dpop)", subject, "consent.given", "scopes approved", "dpop+jwt",
                        "private_key_jwt", "Signed checkpoints",
                    ]), as: UTF8.self),
            ])
        #expect((seen["missing"] as? [String]) == [], "\(seen)")
        #expect(seen["events"] as? Int == events.count)
        #expect((seen["event_marks"] as? [String])?.allSatisfy { $0 == "VERIFIED" } == true, "\(seen)")
        #expect((seen["artifacts"] as? [String])?.contains("dpop_proof") == true)
        #expect((seen["artifact_marks"] as? [String])?.allSatisfy { $0 == "VERIFIED" } == true)
        #expect((seen["decoded"] as? [String])?.contains { $0.contains("\"htm\"") } == true, "decoded DPoP payload")
        #expect(seen["scripts"] as? Int == 0)
        #expect((seen["pdf_bytes"] as? Int ?? 0) > 1000, "the report prints")
        let evilFile = scratch.sub("evil.html")
        #expect(
            try Strongroom.run(["audit", "client", evilID, "--data-dir", data, "--format", "html", "--out", evilFile])
                .status == 0)
        let evil = try runPython(
            "audit_report_check.py",
            [evilFile, String(decoding: try JSONSerialization.data(withJSONObject: [evilName]), as: UTF8.self)])
        #expect((evil["missing"] as? [String]) == [], "the client name must show as text: \(evil)")
        #expect(evil["scripts"] as? Int == 0)

        // Evidence bundle: verifies without the journal; an altered byte fails it.
        let bundle = scratch.sub("bundle.json")
        let export = try Strongroom.run(["audit", "export", interaction, "--data-dir", data, "--out", bundle])
        #expect(export.status == 0, "\(export)")
        try FileManager.default.moveItem(atPath: data, toPath: scratch.sub("data-away"))
        let verify = try Strongroom.run(["audit", "verify", bundle])
        #expect(verify.status == 0 && verify.stdout.contains("bundle authentic"), "\(verify)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: bundle))
        for position in [10, bytes.count / 3, bytes.count / 2, bytes.count - 20] {
            var altered = bytes
            altered[position] ^= 0x04
            let file = scratch.sub("altered-\(position).json")
            try altered.write(to: URL(fileURLWithPath: file))
            let result = try Strongroom.run(["audit", "verify", file])
            #expect(result.status == 1 && result.stdout.contains("FAILED"), "byte \(position): \(result)")
        }
        try FileManager.default.moveItem(atPath: scratch.sub("data-away"), toPath: data)

        // A tampered copy of the journal: the audit names the damage and does not verify.
        let copy = scratch.sub("tampered")
        try FileManager.default.copyItem(atPath: data, toPath: copy)
        try? FileManager.default.removeItem(atPath: copy + "/audit")
        let segment = try #require(segmentNames(copy).first)
        let frame = try #require(try frames(ofSegment: copy + "/journal/" + segment).last)
        try xorByte(
            at: frame.payloadRange.lowerBound + frame.storedLength / 2, in: copy + "/journal/" + segment, with: 0x01)
        let tampered = try Strongroom.run(["audit", "interaction", interaction, "--data-dir", copy, "--format", "json"])
        #expect(tampered.status != 0, "\(tampered)")
    }
}
