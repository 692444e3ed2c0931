import ArgumentParser
import AsyncHTTPClient
import Crypto
import Foundation
import JOSE
import NIOCore
import NIOSSL
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// `strongroom-bench flows`: complete FAPI 2.0 flows over HTTPS against a real `strongroom serve` —
/// PAR (`private_key_jwt`) → authorization with an SSO session and remembered consent (303 with a
/// code) → token (`private_key_jwt` + DPoP, ES256) — from C concurrent virtual users for S seconds.
struct FlowsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flows",
        abstract: "Complete PAR → authorize → token flows over HTTPS against strongroom serve (build with -c release).",
        discussion: """
            Self-start mode (--data-dir DIR): starts `strongroom serve` (the binary next to this one, or \
            --strongroom PATH) on DIR (created when missing; journal durable with fsync, the server's default) \
            on 127.0.0.1 at a free port with issuer https://localhost:PORT, registers its own client and a \
            password-only user through the running server's admin socket, and writes them to \
            DIR/bench-client.json (reused by the next run on the same DIR). The server is stopped with \
            SIGTERM at the end; DIR is left in place (check it with `strongroom journal verify`). Server \
            output goes to DIR/bench-server.log.

            External mode (--issuer URL --client FILE): uses a running server. FILE is JSON:
              {"client_id": "…", "private_jwk": {"kty":"EC","crv":"P-256","x":"…","y":"…","d":"…","kid":"…"},
               "ca": "/path/to/ca.pem", "username": "…", "password": "…",
               "redirect_uri": "https://client.example.org/callback", "scope": "openid accounts"}
            (redirect_uri and scope optional, defaults shown). The client must be registered for \
            private_key_jwt with the public half of private_jwk (same kid) in its jwks, the redirect URI and \
            the scope; the user must have no TOTP second factor. Pass --server-pid to report the server's RSS.

            Each virtual user logs in once (login page, then consent when the grant does not exist yet) to \
            get its own SSO session; then flows run for --warmup seconds unmeasured and --duration seconds \
            measured. Output: server and bench CPU per flow, the HTTPS total, one line per endpoint, the \
            server's peak RSS (VmHWM of /proc/PID/status), and last \
            `flows.complete flows_per_s=<n> p50_ms=<x> p99_ms=<x>`.
            """)

    @Option(help: "Data directory for the self-started server (created when missing; left in place).")
    var dataDir: String?
    @Option(help: "Concurrent virtual users (each with its own SSO session and DPoP key).") var concurrency: Int = 32
    @Option(help: "Measured seconds.") var duration: Double = 20
    @Option(help: "Unmeasured seconds before the measurement.") var warmup: Double = 3
    @Option(help: "Issuer URL of a running server (external mode; needs --client).") var issuer: String?
    @Option(help: "Bench client file (JSON, see above) for external mode.") var client: String?
    @Option(help: "The strongroom binary (default: next to this binary).") var strongroom: String?
    @Option(help: "PID of the external server, to report its RSS.") var serverPid: Int32?
    @Option(
        name: .customLong("serve-arg"), parsing: .unconditionalSingleValue,
        help:
            "Extra argument for `strongroom serve` (repeat for several; e.g. --serve-arg --durability --serve-arg none)."
    )
    var serveArguments: [String] = []
    @Flag(help: "Send a DPoP proof at PAR too (binds the code to the DPoP key, dpop_jkt).") var parDpop = false
    @Option(
        help: """
            HTTP client of the measured flows: raw (one HTTPS keep-alive connection per virtual user, requests \
            written and responses parsed directly: the least CPU taken from the server) or ahc (AsyncHTTPClient, \
            as the logins use).
            """)
    var httpClient: String = "raw"

    func validate() throws {
        if issuer != nil || client != nil {
            guard issuer != nil, client != nil else { throw ValidationError("--issuer and --client go together") }
        } else if dataDir == nil {
            throw ValidationError("pass --data-dir DIR (self-start) or --issuer URL --client FILE (running server)")
        }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard duration > 0, warmup >= 0 else { throw ValidationError("--duration > 0 and --warmup >= 0") }
    }

    func run() async throws {
        signal(SIGPIPE, SIG_IGN)  // a child that exits early must not take the benchmark with it
        if let issuer, let client {
            let file = try BenchClientFile.load(path: client)
            try await measure(issuer: issuer, clientFile: file, server: nil)
            return
        }
        let directory = Self.absolute(dataDir ?? "")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let binary = strongroom ?? Self.siblingBinary("strongroom")
        let server = try ServerProcess(binary: binary, dataDir: directory, extraArguments: serveArguments)
        do {
            let caPath = directory + "/tls/ca.pem"
            try await Self.waitForFile(caPath, server: server)
            let http = try Self.makeHTTPClient(caPath: caPath, connections: 2)
            do {
                try await Self.waitUntilReady(http: http, issuer: server.issuer, server: server)
                try await http.shutdown()
            } catch {
                try? await http.shutdown()
                throw error
            }
            let clientPath = directory + "/bench-client.json"
            let file: BenchClientFile
            if FileManager.default.fileExists(atPath: clientPath) {
                file = try BenchClientFile.load(path: clientPath)
                print("flows.setup reusing client \(file.clientID) and user \(file.username) from \(clientPath)")
            } else {
                file = try Self.register(binary: binary, dataDir: directory, caPath: caPath)
                try file.save(path: clientPath)
                print("flows.setup registered client \(file.clientID) and user \(file.username) (\(clientPath))")
            }
            try await measure(issuer: server.issuer, clientFile: file, server: server)
        } catch {
            await server.stop()
            FileHandle.standardError.write(Data("server log tail:\n\(server.logTail())\n".utf8))
            throw error
        }
    }

    // MARK: setup

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// `name` in the directory of this executable (the build directory).
    static func siblingBinary(_ name: String) -> String {
        let me =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? absolute(CommandLine.arguments[0])
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent(name).path
    }

    static func waitForFile(_ path: String, server: ServerProcess) async throws {
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: path) {
            guard server.isRunning else { throw FlowBenchError("strongroom serve exited before writing \(path)") }
            guard Date() < deadline else { throw FlowBenchError("\(path) did not appear within 120 s") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    static func waitUntilReady(http: HTTPClient, issuer: String, server: ServerProcess?) async throws {
        let deadline = Date().addingTimeInterval(120)
        var last = ""
        while Date() < deadline {
            if let server, !server.isRunning { throw FlowBenchError("strongroom serve exited during startup") }
            do {
                let response = try await http.execute(
                    HTTPClientRequest(url: issuer + "/health/ready"), timeout: .seconds(5))
                _ = try await response.body.collect(upTo: 1 << 16)
                if response.status.code == 200 { return }
                last = "HTTP \(response.status.code)"
            } catch {
                last = "\(error)"
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw FlowBenchError("\(issuer)/health/ready did not answer 200 within 120 s (last: \(last))")
    }

    /// Registers a `private_key_jwt` + DPoP client and a password-only user through the CLI (the
    /// running server's admin socket).
    static func register(binary: String, dataDir: String, caPath: String) throws -> BenchClientFile {
        var rng = SystemRandomNumberGenerator()
        var fast = FastRandom(seed: rng.next())
        let key = P256.Signing.PrivateKey()
        let jwk = ECPrivateJWK(key, kid: "bench-" + fast.identifier(12))
        let metadata: [String: Any] = [
            "client_name": "strongroom-bench flows",
            "redirect_uris": [BenchClientFile.defaultRedirectURI],
            "grant_types": ["authorization_code", "refresh_token"],
            "scope": "accounts",
            "token_endpoint_auth_method": "private_key_jwt",
            "dpop_bound_access_tokens": true,
            "id_token_signed_response_alg": "ES256",
            "jwks": ["keys": [jwk.publicJSON]],
        ]
        let metadataText = String(decoding: try JSONSerialization.data(withJSONObject: metadata), as: UTF8.self)
        let registered = try StrongroomCLI.run(
            binary: binary, arguments: ["clients", "add", "--data-dir", dataDir, "--file", "-"], stdin: metadataText)
        guard let clientID = FlowVirtualUser.jsonObject(registered)?["client_id"]?.stringValue else {
            throw FlowBenchError("clients add printed no client_id: \(registered.prefix(300))")
        }
        let username = "bench-" + fast.identifier(10)
        let password = fast.identifier(24)
        _ = try StrongroomCLI.run(
            binary: binary,
            arguments: ["users", "add", "--data-dir", dataDir, "--username", username, "--password-stdin"],
            stdin: password + "\n")
        return BenchClientFile(
            clientID: clientID, privateJWK: jwk, ca: caPath, username: username, password: password,
            redirectURI: BenchClientFile.defaultRedirectURI, scope: BenchClientFile.defaultScope)
    }

    /// HTTPS only, trusting `caPath`; HTTP/1.1 keep-alive with up to `connections` per host; no redirects followed.
    static func makeHTTPClient(caPath: String, connections: Int) throws -> HTTPClient {
        guard FileManager.default.fileExists(atPath: caPath) else { throw FlowBenchError("no CA file at \(caPath)") }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(caPath)
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10), read: .seconds(60)),
            connectionPool: .init(idleTimeout: .seconds(120), concurrentHTTP1ConnectionsPerHostSoftLimit: connections))
        configuration.httpVersion = .http1Only
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    static func discover(http: HTTPClient, issuer: String) async throws -> FlowEndpoints {
        let response = try await http.execute(
            HTTPClientRequest(url: issuer + "/.well-known/openid-configuration"), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status.code == 200,
            let document = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
            let announced = document["issuer"] as? String,
            let par = document["pushed_authorization_request_endpoint"]
                as? String,
            let authorization = document["authorization_endpoint"] as? String,
            let token = document["token_endpoint"] as? String
        else { throw FlowBenchError("no usable discovery document at \(issuer) (HTTP \(response.status.code))") }
        guard announced == issuer else { throw FlowBenchError("the discovery document names issuer \(announced)") }
        guard let url = URL(string: issuer), let scheme = url.scheme, let host = url.host else {
            throw FlowBenchError("--issuer \(issuer) is not a URL")
        }
        let origin = "\(scheme)://\(host)" + (url.port.map { ":\($0)" } ?? "")
        return FlowEndpoints(issuer: issuer, par: par, authorization: authorization, token: token, origin: origin)
    }

    // MARK: the measurement

    func measure(issuer: String, clientFile: BenchClientFile, server: ServerProcess?) async throws {
        let assertionKey = try clientFile.privateJWK.privateKey()
        let http = try Self.makeHTTPClient(caPath: clientFile.ca, connections: max(concurrency, 2))
        let report: String
        do {
            report = try await runFlows(
                http: http, issuer: issuer, clientFile: clientFile, key: assertionKey, server: server)
            try await http.shutdown()
        } catch {
            try? await http.shutdown()
            throw error
        }
        if let server {
            let status = await server.stop()
            print("server.stopped exit_status=\(status)")
        }
        print(report, terminator: "")
    }

    /// Logs the virtual users in, runs the flows, and returns the report lines.
    func runFlows(
        http: HTTPClient, issuer: String, clientFile: BenchClientFile, key: P256.Signing.PrivateKey,
        server: ServerProcess?
    ) async throws -> String {
        try await Self.waitUntilReady(http: http, issuer: issuer, server: server)
        let endpoints = try await Self.discover(http: http, issuer: issuer)
        let dpopAtPAR = parDpop
        let setupStart = ContinuousClock.now
        // The first login creates the grant (consent); the others find it and skip the consent page.
        // Logins verify a scrypt hash on the server: two at a time keep its memory flat.
        var first = FlowVirtualUser(
            http: http, endpoints: endpoints, client: clientFile, assertionKey: key, dpopAtPAR: dpopAtPAR)
        try await first.logIn()
        var users = [first]
        var next = 1
        while next < concurrency {
            let batch = min(2, concurrency - next)
            let loggedIn = try await withThrowingTaskGroup(of: FlowVirtualUser.self) { group in
                for _ in 0..<batch {
                    group.addTask {
                        var user = FlowVirtualUser(
                            http: http, endpoints: endpoints, client: clientFile, assertionKey: key,
                            dpopAtPAR: dpopAtPAR)
                        try await user.logIn()
                        return user
                    }
                }
                var done: [FlowVirtualUser] = []
                for try await user in group { done.append(user) }
                return done
            }
            users += loggedIn
            next += batch
        }
        switch httpClient {
        case "raw":
            let connector = try BenchConnector(issuer: issuer, caPath: clientFile.ca)
            for i in users.indices {
                users[i].connector = connector
                users[i].connection = try await connector.connect()
            }
        case "ahc": break
        default: throw FlowBenchError("--http-client is raw or ahc, not \(httpClient)")
        }
        let setupSeconds = Self.seconds(ContinuousClock.now - setupStart)
        print(
            "flows.setup issuer=\(issuer) client_id=\(clientFile.clientID) virtual_users=\(users.count) http_client=\(httpClient) login_s=\(String(format: "%.1f", setupSeconds)) warmup_s=\(warmup) duration_s=\(duration) dpop_at_par=\(dpopAtPAR) server=\(server == nil ? "external" : "self-started") serve_args=\(serveArguments.isEmpty ? "none" : serveArguments.joined(separator: ","))"
        )

        let pid = server?.pid ?? serverPid
        let sampledPeak = SharedCounter()
        let cpu = MeasuredCPU()
        let failures = FailureLog()
        let clock = ContinuousClock()
        let measureStart = clock.now + .milliseconds(Int64(warmup * 1000))
        let deadline = measureStart + .milliseconds(Int64(duration * 1000))
        let statistics = try await withThrowingTaskGroup(of: FlowStatistics?.self) { group in
            if let pid {
                group.addTask {
                    try? await Task.sleep(until: measureStart, clock: clock)
                    let serverStart = ProcessCPU.seconds(pid: String(pid)) ?? 0
                    let benchStart = ProcessCPU.seconds(pid: "self") ?? 0
                    while clock.now < deadline {
                        if let status = ProcessMemory.status(pid: pid) {
                            _ = sampledPeak.value.max(status.rssKiB, ordering: .relaxed)
                        }
                        try? await Task.sleep(for: .milliseconds(250))
                    }
                    let serverUsed = (ProcessCPU.seconds(pid: String(pid)) ?? 0) - serverStart
                    let benchUsed = (ProcessCPU.seconds(pid: "self") ?? 0) - benchStart
                    cpu.seconds.withLock { $0 = (serverUsed, benchUsed) }
                    return nil
                }
            }
            for user in users {
                group.addTask {
                    var user = user
                    return await Self.work(
                        &user, clock: clock, measureStart: measureStart, deadline: deadline, failures: failures)
                }
            }
            var merged = FlowStatistics()
            for try await worker in group { if let worker { merged.merge(worker) } }
            return merged
        }
        for user in users { await user.connection?.close() }
        // Summary lines first; then one line per endpoint, the server's peak RSS, and last the flows.
        let flows = statistics.flows
        var lines = ""
        if pid != nil {
            let used = cpu.seconds.withLock { $0 }
            let perFlow = { (seconds: Double) in Self.ms(seconds * 1000 / Double(max(flows.total, 1))) }
            lines +=
                "cpu.measured server_cores=\(String(format: "%.2f", used.server / duration)) bench_cores=\(String(format: "%.2f", used.bench / duration)) server_cpu_ms_per_flow=\(perFlow(used.server)) bench_cpu_ms_per_flow=\(perFlow(used.bench))\n"
        }
        let totalRequests = FlowStep.allCases.reduce(0) {
            $0 + Int(statistics.latency[$1.rawValue].total) + statistics.errors[$1.rawValue]
        }
        lines +=
            "https.total requests=\(totalRequests) req_per_s=\(Int((Double(totalRequests) / duration).rounded()))\n"
        for step in FlowStep.allCases {
            let histogram = statistics.latency[step.rawValue]
            let errors = statistics.errors[step.rawValue]
            let requests = Int(histogram.total) + errors
            lines +=
                "endpoint=\(step.name) requests=\(requests) req_per_s=\(Int((Double(requests) / duration).rounded())) p50_ms=\(Self.ms(histogram.quantileMillis(0.5))) p99_ms=\(Self.ms(histogram.quantileMillis(0.99))) errors=\(errors)\n"
        }
        if let pid, let status = ProcessMemory.status(pid: pid) {
            let sampled = max(sampledPeak.value.load(ordering: .relaxed), status.rssKiB)
            lines +=
                "server.peak_rss_mb=\(status.peakKiB / 1024) sampled_max_rss_mb=\(sampled / 1024) rss_end_mb=\(status.rssKiB / 1024)\n"
        } else {
            lines += "server.peak_rss_mb=unknown (pass --server-pid for an external server)\n"
        }
        lines +=
            "flows.complete flows_per_s=\(Int((Double(flows.total) / duration).rounded())) p50_ms=\(Self.ms(flows.quantileMillis(0.5))) p99_ms=\(Self.ms(flows.quantileMillis(0.99)))\n"
        return lines
    }

    /// One virtual user's loop: complete flows until `deadline`; only those started after
    /// `measureStart` are counted. Failures are counted per endpoint and never end the loop.
    static func work(
        _ user: inout FlowVirtualUser, clock: ContinuousClock, measureStart: ContinuousClock.Instant,
        deadline: ContinuousClock.Instant, failures: FailureLog
    ) async -> FlowStatistics {
        var statistics = FlowStatistics()
        while true {
            let started = clock.now
            if started >= deadline { break }
            let measuring = started >= measureStart
            var step = FlowStep.par
            var stepStart = started
            func finish(_ step: FlowStep) -> ContinuousClock.Instant {
                let now = clock.now
                if measuring { statistics.latency[step.rawValue].record(nanoseconds: nanoseconds(now - stepStart)) }
                return now
            }
            do {
                let pushed = try await user.pushAuthorizationRequest()
                stepStart = finish(.par)
                step = .authorize
                let code = try await user.authorize(pushed)
                stepStart = finish(.authorize)
                step = .token
                try await user.redeem(code: code, pushed: pushed)
                let end = finish(.token)
                if measuring { statistics.flows.record(nanoseconds: nanoseconds(end - started)) }
            } catch let failure as FlowStepFailure {
                if measuring { statistics.errors[failure.step.rawValue] += 1 }
                failures.report(failure.step, failure.description)
            } catch {
                if measuring { statistics.errors[step.rawValue] += 1 }
                failures.report(step, "\(error)")
                try? await Task.sleep(for: .milliseconds(10))  // transport trouble: do not spin
                if let connector = user.connector {  // its own connection may be gone: open a new one
                    await user.connection?.close()
                    user.connection = try? await connector.connect()
                }
            }
        }
        return statistics
    }

    static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func ms(_ value: Double) -> String { String(format: "%.2f", value) }
}
