import Foundation
import Hummingbird
import HummingbirdTesting
import JOSE
import Logging
import NIOCore
import Server
import ServiceLifecycle
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite("Server: start, bound port, graceful stop, refusal of unsafe TLS material")
struct ServerLifecycleTests {
    @Test("port 0 → onReady reports the bound port; graceful shutdown ends run() and closes the port")
    func ephemeralPortAndGracefulStop() async throws {
        let port = try await withRunningOPServer { server in
            #expect(server.port > 0)
            #expect(server.configuration.port == 0)
            let response = try await server.withClient { try await $0.get("/health/live") }
            #expect(response.status == .ok)
            return server.port
        }
        // withRunningOPServer returned only after run() finished; nothing listens any more.
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        #expect(result != 0)
    }

    @Test("cancelling the task that runs the server stops it")
    func cancellationStops() async throws {
        let directory = ServerTestDirectory()
        defer { directory.cleanup() }
        let material = try DevelopmentTLS.ensureMaterial(in: directory.root)
        let configuration = try ServerConfiguration(
            host: "127.0.0.1", port: 0, issuer: "https://localhost",
            certificateChainPath: material.certificateChainPath, privateKeyPath: material.privateKeyPath)
        var logger = Logger(label: "server-tests")
        logger.logLevel = .critical
        let server = try OPServer(configuration: configuration, publishedKeys: { [] }, logger: logger)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let task = Task { try await server.run { continuation.yield($0) } }
        var iterator = ports.makeAsyncIterator()
        let port = await iterator.next()
        #expect((port ?? 0) > 0)
        task.cancel()
        _ = await task.result  // returns: the server stopped
    }

    @Test("OPServer refuses a server key that group/others can read")
    func refusesReadableServerKey() throws {
        let directory = ServerTestDirectory()
        defer { directory.cleanup() }
        let material = try DevelopmentTLS.ensureMaterial(in: directory.root)
        #expect(chmod(material.privateKeyPath, 0o644) == 0)
        let configuration = try ServerConfiguration(
            port: 0, issuer: "https://localhost",
            certificateChainPath: material.certificateChainPath, privateKeyPath: material.privateKeyPath)
        #expect(throws: FAPITLSPolicy.MaterialError.self) {
            _ = try OPServer(configuration: configuration, publishedKeys: { [] })
        }
    }

    @Test("OPServer refuses missing TLS files with the path in the error")
    func refusesMissingFiles() throws {
        let configuration = try ServerConfiguration(
            port: 0, issuer: "https://localhost",
            certificateChainPath: "/nonexistent/server.pem", privateKeyPath: "/nonexistent/server.key")
        do {
            _ = try OPServer(configuration: configuration, publishedKeys: { [] })
            Issue.record("server built without TLS files")
        } catch {
            #expect("\(error)".contains("/nonexistent/server.pem"))
        }
    }
}
