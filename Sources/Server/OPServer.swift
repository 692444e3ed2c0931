import Hummingbird
import HummingbirdTLS
import JOSE
import Logging
import NIOCore
import ServiceLifecycle

/// The OP's HTTPS server: FAPI TLS, security headers, JSON errors, body limit, health, discovery
/// and JWKS routes, plus whatever routes later modules add through `extraRoutes`.
///
/// Life cycle:
/// * ``run(onReady:)`` binds, calls `onReady(port)` with the bound port (useful with port `0`)
///   once the listener accepts connections, and serves until the surrounding task is cancelled or a
///   graceful shutdown is triggered on the enclosing `ServiceGroup`; in-flight requests finish,
///   then it returns.
/// * ``OPServer`` is a swift-service-lifecycle `Service` (``run()``), so the CLI can put it in a
///   `ServiceGroup` beside the Ledger, or call ``runService(onReady:)`` which also stops
///   gracefully on SIGTERM/SIGINT.
/// * Readiness (`/health/ready`) is the caller's `isReady` closure; liveness is always 200.
///
/// ```swift
/// let tls = try DevelopmentTLS.ensureMaterial(in: "\(data)/tls", issuerHost: "localhost")
/// let configuration = try ServerConfiguration(
///     host: "127.0.0.1", port: 8443, issuer: "https://localhost:8443",
///     certificateChainPath: tls.certificateChainPath, privateKeyPath: tls.privateKeyPath)
/// let server = try OPServer(
///     configuration: configuration,
///     publishedKeys: { try keyStore.allKeys().map(\.publicJWK) },
///     isReady: { await ledger.isRecovered },
///     logger: logger,
///     extraRoutes: { router in router.post("/par") { request, context in ... } })
/// try await server.runService { port in logger.info("listening", metadata: ["port": "\(port)"]) }
/// ```
public struct OPServer: Service {
    /// Idle keep-alive connections are closed after this many seconds.
    public static let idleConnectionTimeoutSeconds: Int64 = 60

    /// The validated configuration.
    public let configuration: ServerConfiguration
    /// The metadata served at the well-known locations.
    public let discovery: DiscoveryDocument

    private let tlsChannelConfiguration: TLSChannelConfiguration
    private let publishedKeys: @Sendable () async throws -> [PublicJWK]
    private let isReady: @Sendable () async -> Bool
    private let logger: Logger
    private let extraRoutes: @Sendable (Router<OPRequestContext>) -> Void

    /// Loads and checks the TLS material (throws now rather than at the first connection).
    /// - Parameters:
    ///   - configuration: listener, issuer, TLS paths and limits.
    ///   - discovery: the metadata to publish; defaults to ``DiscoveryDocument/init(issuer:)``.
    ///   - publishedKeys: the OP's public signing keys for `GET {issuerPath}/jwks`.
    ///   - isReady: `true` once the OP may take traffic (`GET /health/ready`).
    ///   - logger: request and server logs.
    ///   - extraRoutes: called once while the router is built; add endpoints here. Routes added get
    ///     the same middleware (headers, JSON errors, body limit).
    public init(
        configuration: ServerConfiguration,
        discovery: DiscoveryDocument? = nil,
        publishedKeys: @escaping @Sendable () async throws -> [PublicJWK],
        isReady: @escaping @Sendable () async -> Bool = { true },
        logger: Logger = Logger(label: "strongroom.server"),
        extraRoutes: @escaping @Sendable (Router<OPRequestContext>) -> Void = { _ in }
    ) throws {
        self.configuration = configuration
        self.discovery = discovery ?? DiscoveryDocument(issuer: configuration.issuer)
        self.tlsChannelConfiguration = try FAPITLSPolicy.channelConfiguration(
            certificateChainPath: configuration.certificateChainPath,
            privateKeyPath: configuration.privateKeyPath
        )
        self.publishedKeys = publishedKeys
        self.isReady = isReady
        self.logger = logger
        self.extraRoutes = extraRoutes
    }

    /// Builds the router: middleware (outermost first) then the built-in and extra routes.
    public func makeRouter() throws -> Router<OPRequestContext> {
        let router = Router(context: OPRequestContext.self)
        router.add(middleware: SecurityHeadersMiddleware())
        router.add(middleware: ErrorResponseMiddleware())
        router.add(middleware: InteractionIDMiddleware())
        router.add(middleware: BodySizeLimitMiddleware(maxRequestBodyBytes: configuration.maxRequestBodyBytes))
        HealthRoutes.add(to: router, isReady: isReady)
        try DiscoveryRoutes.add(to: router, document: discovery, issuerPath: configuration.issuerPath)
        JWKSRoutes.add(
            to: router, path: configuration.issuerPath + DiscoveryDocument.EndpointPath.jwks,
            publishedKeys: publishedKeys)
        extraRoutes(router)
        return router
    }

    /// The Hummingbird application (HTTPS/1.1 with the FAPI TLS policy). `onReady` receives the
    /// bound port once the listener is up.
    public func makeApplication(
        onReady: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let logger = self.logger
        return Application(
            router: try makeRouter(),
            server: try .tls(
                .http1(configuration: .init(idleTimeout: .seconds(Self.idleConnectionTimeoutSeconds))),
                configuration: tlsChannelConfiguration
            ),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info(
                    "OP listening", metadata: ["host": "\(channel.localAddress?.ipAddress ?? "?")", "port": "\(port)"])
                await onReady(port)
            },
            logger: logger
        )
    }

    /// Serves until cancelled or gracefully shut down (see the type's documentation).
    /// - Parameter onReady: called once with the bound TCP port when connections are accepted.
    public func run(onReady: @escaping @Sendable (Int) async -> Void) async throws {
        try await makeApplication(onReady: onReady).run()
    }

    /// `Service` conformance: ``run(onReady:)`` without a callback.
    public func run() async throws {
        try await run(onReady: { _ in })
    }

    /// Runs the server in its own `ServiceGroup` that shuts down gracefully on SIGTERM and SIGINT.
    public func runService(onReady: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        try await makeApplication(onReady: onReady).runService()
    }
}
