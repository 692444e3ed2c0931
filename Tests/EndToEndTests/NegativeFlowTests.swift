import Foundation
import Testing

/// The Python interpreter of the venv the test command creates (`.build-venv`, with
/// requests-oauth2client and jwskate); `STRONGROOM_PYTHON` overrides it. (Same lookup as
/// InteropTests.swift, kept file-private here.)
private let negativePython: String = {
    if let explicit = ProcessInfo.processInfo.environment["STRONGROOM_PYTHON"], !explicit.isEmpty { return explicit }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    return root.appendingPathComponent(".build-venv/bin/python3").path
}()

private let negativeScript: String =
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("interop/fapi2_negative.py").path

/// One named check of `fapi2_negative.py`: the requirement ID (REQUIREMENTS.md), what was sent,
/// the expected and the observed answer.
private struct NegativeCheck: CustomStringConvertible {
    let id: String
    let name: String
    let expected: String
    let observed: String
    let passed: Bool
    /// "must", or "should" for a SHOULD of the specification (a conformance-suite WARNING).
    let level: String

    init(_ object: [String: Any]) {
        id = object["id"] as? String ?? "?"
        name = object["name"] as? String ?? "?"
        expected = object["expected"] as? String ?? "?"
        observed = object["observed"] as? String ?? "?"
        passed = object["pass"] as? Bool ?? false
        level = object["level"] as? String ?? "must"
    }

    var description: String { "\(id) — \(name): expected \(expected); observed \(observed)" }
}

/// Runs the negative-case script; its last stdout line is `{"ok", "checks": […]}`. Throws only when
/// the script could not run at all (no venv, no JSON, setup failed).
private func runNegativeChecks(_ arguments: [String]) throws -> (checks: [NegativeCheck], stderr: String) {
    guard FileManager.default.isExecutableFile(atPath: negativePython) else {
        throw E2EFailure(
            "no Python venv at \(negativePython): run the suite with `Tools/strongroom.sh test`, which creates it")
    }
    let result = try runCommand(negativePython, [negativeScript] + arguments, timeout: 300, name: "fapi2-negative")
    let line = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
    guard let report = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
        throw E2EFailure("the negative-case script printed no JSON (\(result))")
    }
    guard result.status == 0, let checks = report["checks"] as? [[String: Any]] else {
        throw E2EFailure(
            "the negative-case script could not run: \(report["error"] ?? "?")\nstderr: \(result.stderr.suffix(3000))")
    }
    return (checks.map(NegativeCheck.init), result.stderr)
}

extension EndToEndTests {
    @Test(
        "FAPI 2.0 negative cases against a real server: PAR, client assertions, authorization endpoint, token endpoint, DPoP proofs, userinfo, ID token — each refusal with the status and error the requirement names; journal verifies; replay equivalence"
    )
    func fapi2NegativeCases() throws {
        let scratch = try ScratchDirectory("negative")
        defer { scratch.remove() }
        let data = scratch.sub("data")

        let server = try RunningServer.start(dataDirectory: data, scratch: scratch.path)
        defer { server.child.stop() }
        let outcome = try runNegativeChecks([
            "flow", "--issuer", server.issuer, "--ca", server.caFile, "--strongroom", try Strongroom.requireBinary(),
            "--data-dir", data,
        ])
        #expect(outcome.checks.count >= 100, "the script ran only \(outcome.checks.count) checks")
        // One issue per failed MUST check; failed SHOULD checks are printed as warnings.
        for check in outcome.checks where !check.passed {
            if check.level == "must" {
                Issue.record("\(check)")
            } else {
                print("[fapi2-negative] WARNING (SHOULD, not a failure): \(check)")
            }
        }
        if outcome.checks.contains(where: { $0.id == "SETUP" && !$0.passed }) {
            Issue.record("a group of negative checks could not run; script stderr:\n\(outcome.stderr.suffix(3000))")
        }
        let failed = outcome.checks.filter { !$0.passed }
        print(
            "[fapi2-negative] \(outcome.checks.count) checks, \(failed.filter { $0.level == "must" }.count) failed, \(failed.filter { $0.level != "must" }.count) SHOULD warnings"
        )

        #expect(try server.stopGracefully() == 0, "\(server.child.outputTail())")
        let verify = try Strongroom.run(["journal", "verify", "--data-dir", data])
        #expect(verify.status == 0, "\(verify)")

        try Self.checkReplayEquivalence(
            data: data, scratch: scratch, journal: try JournalContents.read(data))
    }
}
