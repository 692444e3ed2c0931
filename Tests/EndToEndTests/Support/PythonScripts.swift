import Foundation

private let pythonInterpreter: String = {
    if let explicit = ProcessInfo.processInfo.environment["STRONGROOM_PYTHON"], !explicit.isEmpty { return explicit }
    // Tests/EndToEndTests/Support/PythonScripts.swift → the package root.
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    return root.appendingPathComponent(".build-venv/bin/python3").path
}()

private func interopScript(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("interop/\(name)").path
}

/// Runs a Python script of Tests/interop; its last stdout line is a JSON object of facts with `ok`.
func runInteropScript(_ name: String, _ arguments: [String]) throws -> [String: Any] {
    guard FileManager.default.isExecutableFile(atPath: pythonInterpreter) else {
        throw E2EFailure(
            "no Python venv at \(pythonInterpreter): run the suite with `Tools/strongroom.sh test`, which creates it")
    }
    let result = try runCommand(pythonInterpreter, [interopScript(name)] + arguments, timeout: 300, name: name)
    let line = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
    guard let facts = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
        throw E2EFailure("\(name) printed no JSON (\(result))")
    }
    guard facts["ok"] as? Bool == true else {
        throw E2EFailure("\(name) failed: \(facts["error"] ?? "?")\nstderr: \(result.stderr.suffix(3000))")
    }
    return facts
}
