import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A running `strongroom serve` child that answered `GET /health/ready` with 200.
final class RunningServer {
    let child: ChildProcess
    let port: Int
    let issuer: String
    let dataDirectory: String
    let scratch: String
    var caFile: String { dataDirectory + "/tls/ca.pem" }
    var baseURL: String { "https://127.0.0.1:\(port)" }

    private init(child: ChildProcess, port: Int, issuer: String, dataDirectory: String, scratch: String) {
        self.child = child
        self.port = port
        self.issuer = issuer
        self.dataDirectory = dataDirectory
        self.scratch = scratch
    }

    /// GET `path` over HTTPS, trusting only the development CA; throws when no response comes.
    func get(_ path: String) throws -> HTTPSResponse {
        let (response, error) = try HTTPS.get(baseURL + path, caFile: caFile, scratch: scratch)
        guard let response else {
            throw E2EFailure("GET \(path) got no HTTP response: \(error)\n\(child.outputTail())")
        }
        return response
    }

    /// SIGTERM, then waits for a graceful exit; returns the exit status (SIGKILL after the timeout).
    func stopGracefully() throws -> Int32 {
        child.send(SIGTERM)
        let status = try child.waitForExit(timeout: processTimeout)
        guard child.terminationReason == .exit else {
            throw E2EFailure("serve died of signal \(status) instead of exiting after SIGTERM\n\(child.outputTail())")
        }
        return status
    }

    /// Starts `serve` on a free loopback port (another one when the port was taken meanwhile) and
    /// waits until `/health/ready` answers 200. With `port`, on that port only (a restarted server
    /// keeping its issuer).
    static func start(
        dataDirectory: String, scratch: String, extraArguments: [String] = [], port fixedPort: Int? = nil
    ) throws -> RunningServer {
        var lastFailure = ""
        for _ in 1...(fixedPort == nil ? 5 : 1) {
            let port = try fixedPort ?? freeLoopbackPort()
            let issuer = "https://localhost:\(port)"
            let child = try Strongroom.start(
                ["serve", "--data-dir", dataDirectory, "--listen", "127.0.0.1:\(port)", "--issuer", issuer]
                    + extraArguments)
            let server = RunningServer(
                child: child, port: port, issuer: issuer, dataDirectory: dataDirectory, scratch: scratch)
            let deadline = Date(timeIntervalSinceNow: processTimeout)
            var lastError = "no attempt yet"
            while true {
                if !child.isRunning {
                    _ = try? child.waitForExit(timeout: 10)
                    let output = child.combinedOutput
                    if output.contains("Address already in use") || output.contains("errno: 98") {
                        lastFailure = "port \(port) was taken: \(child.outputTail(500))"
                        break  // try another port
                    }
                    throw E2EFailure(
                        "serve exited (\(child.exitDescription)) before it was ready\n\(child.outputTail())")
                }
                if FileManager.default.fileExists(atPath: server.caFile) {
                    let (response, error) = try HTTPS.get(
                        server.baseURL + "/health/ready", caFile: server.caFile, scratch: scratch)
                    if let response, response.status == 200 { return server }
                    lastError = response.map { "status \($0.status)" } ?? error
                }
                if Date() >= deadline {
                    child.stop()
                    throw E2EFailure(
                        "serve did not answer /health/ready with 200 within \(Int(processTimeout)) s (last: \(lastError))\n\(child.outputTail())"
                    )
                }
                usleep(100_000)
            }
        }
        throw E2EFailure("could not find a free port for serve after 5 attempts: \(lastFailure)")
    }
}
