import Foundation
import Testing

/// The Python interpreter of the venv the test command creates (`.build-venv`, with
/// requests-oauth2client); `STRONGROOM_PYTHON` overrides it.
private let interopPython: String = {
    if let explicit = ProcessInfo.processInfo.environment["STRONGROOM_PYTHON"], !explicit.isEmpty { return explicit }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    return root.appendingPathComponent(".build-venv/bin/python3").path
}()

/// A script of `Tests/interop`.
func interopScript(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("interop/\(name)").path
}

/// Runs the interop script; its last stdout line is a JSON object of facts.
private func runInterop(_ arguments: [String]) throws -> [String: Any] {
    try runInteropScript("fapi2_interop.py", arguments)
}

/// Runs a script of `Tests/interop` with the venv's Python; its last stdout line is a JSON object of
/// facts, with `"ok": true` when every check passed.
func runInteropScript(_ script: String, _ arguments: [String]) throws -> [String: Any] {
    guard FileManager.default.isExecutableFile(atPath: interopPython) else {
        throw E2EFailure(
            "no Python venv at \(interopPython): run the suite with `Tools/strongroom.sh test`, which creates it")
    }
    let result = try runCommand(
        interopPython, [interopScript(script)] + arguments, timeout: 300, name: "interop")
    let line = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
    guard let facts = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
        throw E2EFailure("the interop script printed no JSON (\(result))")
    }
    guard facts["ok"] as? Bool == true else {
        throw E2EFailure("interop failed: \(facts["error"] ?? "?")\nstderr: \(result.stderr.suffix(3000))")
    }
    return facts
}

extension EndToEndTests {
    @Test(
        "FAPI 2.0 interop with requests-oauth2client: PAR + PKCE + private_key_jwt + DPoP, tls_client_auth and self_signed_tls_client_auth + certificate-bound tokens; login, TOTP, consent; refresh; code reuse revokes; nothing secret in clear; replay equivalence"
    )
    func fapi2Interop() throws {
        let scratch = try ScratchDirectory("interop")
        defer { scratch.remove() }
        let data = scratch.sub("data")
        let pki = scratch.sub("pki")
        try FileManager.default.createDirectory(atPath: pki, withIntermediateDirectories: true)
        _ = try runInterop(["pki", "--out", pki])

        let server = try RunningServer.start(
            dataDirectory: data, scratch: scratch.path, extraArguments: ["--client-ca", pki + "/ca.pem"])
        defer { server.child.stop() }
        var secrets: [String] = []
        for mode in ["dpop", "mtls", "selfsigned"] {
            let facts = try runInterop([
                "flow", "--issuer", server.issuer, "--ca", server.caFile, "--strongroom",
                try Strongroom.requireBinary(),
                "--data-dir", data, "--mode", mode, "--pki", pki,
            ])
            #expect(facts["code_reuse"] as? String == "invalid_grant", "\(mode): \(facts)")
            #expect(facts["revoked_after_reuse"] as? Bool == true, "\(mode): \(facts)")
            #expect(facts["refreshed"] as? Bool == true, "\(mode): \(facts)")
            secrets += facts["secrets"] as? [String] ?? []
        }
        #expect(try server.stopGracefully() == 0, "\(server.child.outputTail())")
        let verify = try Strongroom.run(["journal", "verify", "--data-dir", data])
        #expect(verify.status == 0, "\(verify)")

        // No code, token, request_uri, password or TOTP seed in clear: not in the journal's events,
        // not in any projection table (split tokens: neither the whole value nor its secret part).
        let dump = try Strongroom.run(["journal", "dump", "--data-dir", data])
        #expect(dump.status == 0)
        let projection = try dumpProjection(at: data + "/projection.sqlite")
        let projectionText = projection.tables.values.flatMap { $0 }.joined(separator: "\n")
        #expect(secrets.count >= 14, "the script reported too few secrets: \(secrets.count)")
        for secret in secrets {
            let needles = [secret] + (secret.split(separator: ".").last.map { [String($0)] } ?? [])
            for needle in needles where needle.count >= 16 {
                #expect(!dump.stdout.contains(needle), "a secret appears in clear in the journal")
                #expect(!projectionText.contains(needle), "a secret appears in clear in the projection")
            }
        }
        #expect(dump.stdout.contains("authorization.code_reused"), "the code reuse was not journaled")
        #expect(dump.stdout.contains("consent.given") && dump.stdout.contains("user.authenticated"))
        #expect(dump.stdout.contains("\"clientAssertion\""), "client assertions are not kept verbatim")
        #expect(dump.stdout.contains("\"dpopProof\""), "DPoP proofs are not kept verbatim")

        try Self.checkReplayEquivalence(
            data: data, scratch: scratch, journal: try JournalContents.read(data))
    }
}
