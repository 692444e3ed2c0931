import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import JOSE
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Server
import ServiceLifecycle
import SwiftASN1
import Synchronization
import Testing
import X509

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A fresh directory path under the system temp directory, removed by `cleanup()`.
struct ServerTestDirectory {
    let root: String

    init() {
        root = FileManager.default.temporaryDirectory.path + "/server-tests-" + UUID().uuidString
    }

    func cleanup() {
        try? FileManager.default.removeItem(atPath: root)
    }

    static func mode(_ path: String) -> mode_t {
        var info = stat()
        guard lstat(path, &info) == 0 else { return 0xFFFF }
        return info.st_mode & 0o7777
    }
}

/// A thread-safe flag the readiness closure reads.
final class ReadinessFlag: Sendable {
    private let value = Mutex(false)
    var isReady: Bool { value.withLock { $0 } }
    func set(_ ready: Bool) { value.withLock { $0 = ready } }
}

/// Wraps an ``OPServer`` as a `Service` that reports its bound port.
struct PortReportingService: Service {
    let server: OPServer
    let continuation: AsyncStream<Int>.Continuation

    func run() async throws {
        try await server.run { port in continuation.yield(port) }
    }
}

/// What a test gets from ``withRunningOPServer``.
struct RunningOPServer: Sendable {
    let port: Int
    let material: DevelopmentTLS.Material
    let signingKey: OPSigningKey
    let configuration: ServerConfiguration

    /// A client TLS configuration that trusts the development CA and checks the host name.
    func clientTLS(_ adjust: (inout TLSConfiguration) throws -> Void = { _ in }) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(material.caCertificatePath))
        tls.certificateVerification = .fullVerification
        try adjust(&tls)
        return tls
    }

    /// Runs `operation` with a HummingbirdTesting `TestClient` over TLS to 127.0.0.1.
    func withClient<Value: Sendable>(
        tls: TLSConfiguration? = nil,
        _ operation: @escaping @Sendable (TestClient) async throws -> Value
    ) async throws -> Value {
        let configuration = TestClient.Configuration(
            tlsConfiguration: try tls ?? clientTLS(),
            timeout: .seconds(20),
            serverName: "localhost"
        )
        return try await TestClient.withClient(
            host: "127.0.0.1", port: port, configuration: configuration, operation: operation)
    }

    /// Sends raw HTTP/1.1 bytes over TLS and returns everything the server sends until it closes.
    func rawExchange(_ request: String) async throws -> String {
        let sslContext = try NIOSSLContext(configuration: try clientTLS())
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        try NIOSSLClientHandler(context: sslContext, serverHostname: "localhost"))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: request))
            var response = ""
            do {
                for try await chunk in inbound {
                    response += String(buffer: chunk)
                }
            } catch  where !response.isEmpty {
                // An unclean TLS shutdown after the full response is not what these tests check.
            }
            return response
        }
    }
}

/// Generates development TLS material in a temporary directory, starts an ``OPServer`` on
/// 127.0.0.1 with an ephemeral port, runs `body`, then shuts the server down gracefully.
func withRunningOPServer<Value: Sendable>(
    issuer: String = "https://localhost",
    maxRequestBodyBytes: Int = ServerConfiguration.defaultMaxRequestBodyBytes,
    isReady: @escaping @Sendable () async -> Bool = { true },
    publishedKeys: (@Sendable () async throws -> [PublicJWK])? = nil,
    extraRoutes: @escaping @Sendable (Router<OPRequestContext>) -> Void = { _ in },
    _ body: @escaping @Sendable (RunningOPServer) async throws -> Value
) async throws -> Value {
    let directory = ServerTestDirectory()
    defer { directory.cleanup() }
    let material = try DevelopmentTLS.ensureMaterial(in: directory.root + "/tls", issuerHost: "localhost")
    let configuration = try ServerConfiguration(
        host: "127.0.0.1",
        port: 0,
        issuer: issuer,
        certificateChainPath: material.certificateChainPath,
        privateKeyPath: material.privateKeyPath,
        maxRequestBodyBytes: maxRequestBodyBytes
    )
    let signingKey = try OPSigningKey.generate(.es256)
    var logger = Logger(label: "server-tests")
    logger.logLevel = .critical
    let server = try OPServer(
        configuration: configuration,
        publishedKeys: publishedKeys ?? { [signingKey.publicJWK] },
        isReady: isReady,
        logger: logger,
        extraRoutes: extraRoutes
    )
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let group = ServiceGroup(
        configuration: .init(
            services: [PortReportingService(server: server, continuation: continuation)], logger: logger)
    )
    return try await withThrowingTaskGroup(of: Value?.self) { tasks in
        tasks.addTask {
            try await group.run()
            return nil
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            throw CancellationError()
        }
        let running = RunningOPServer(
            port: port, material: material, signingKey: signingKey, configuration: configuration)
        let result: Value
        do {
            result = try await body(running)
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
        return result
    }
}

extension TestClient.Response {
    /// The body as UTF-8 text.
    var text: String {
        body.map { String(buffer: $0) } ?? ""
    }

    /// The body decoded as JSON object.
    func jsonObject() throws -> [String: Any] {
        let data = Data(text.utf8)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
}

/// A self-signed P-256 client certificate (what `self_signed_tls_client_auth` clients use).
struct SelfSignedClientCertificate {
    let certificate: NIOSSLCertificate
    let privateKey: NIOSSLPrivateKey
    let der: [UInt8]

    init(commonName: String = "client-1") throws {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName(commonName) }
        let now = Date()
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: now.addingTimeInterval(-300),
            notValidAfter: now.addingTimeInterval(86_400),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                try ExtendedKeyUsage([.clientAuth])
            },
            issuerPrivateKey: Certificate.PrivateKey(key)
        )
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        der = serializer.serializedBytes
        self.certificate = try NIOSSLCertificate(bytes: der, format: .der)
        self.privateKey = try NIOSSLPrivateKey(bytes: Array(key.pemRepresentation.utf8), format: .pem)
    }
}
