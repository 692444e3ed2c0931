import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import JOSE
import NIOSSL
import Server
import Testing

@Suite("Server: FAPI TLS policy and client certificates (SP-01..SP-03)")
struct ServerTLSPolicyTests {
    /// Test-only route reporting what the handler sees of the client certificate.
    static let peerCertificateRoute: @Sendable (Router<OPRequestContext>) -> Void = { router in
        router.get("/test/peer-certificate") { _, context -> String in
            guard let der = await context.peerCertificateDER() else { return "none" }
            return Base64URL.encode(SHA256.hash(data: der))
        }
    }

    @Test("default client negotiates and gets a response (TLS 1.3 allowed)")
    func tls13Allowed() async throws {
        try await withRunningOPServer { server in
            let tls = try server.clientTLS { $0.minimumTLSVersion = .tlsv13 }
            let response = try await server.withClient(tls: tls) { try await $0.get("/health/live") }
            #expect(response.status == .ok)
        }
    }

    @Test("TLS 1.2 with a BCP 195 recommended suite is accepted")
    func tls12RecommendedSuite() async throws {
        try await withRunningOPServer { server in
            for suite in [
                NIOTLSCipher.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            ] {
                let tls = try server.clientTLS {
                    $0.maximumTLSVersion = .tlsv12
                    $0.cipherSuiteValues = [suite]
                }
                let response = try await server.withClient(tls: tls) { try await $0.get("/health/live") }
                #expect(response.status == .ok, "\(suite.rawValue)")
            }
        }
    }

    @Test("TLS 1.1 and TLS 1.0 are refused")
    func oldVersionsRefused() async throws {
        try await withRunningOPServer { server in
            for version in [TLSVersion.tlsv11, .tlsv1] {
                let tls = try server.clientTLS {
                    $0.minimumTLSVersion = .tlsv1
                    $0.maximumTLSVersion = version
                }
                await #expect(throws: (any Error).self, "\(version)") {
                    _ = try await server.withClient(tls: tls) { try await $0.get("/health/live") }
                }
            }
        }
    }

    @Test("TLS 1.2 with non-BCP 195 suites (CBC/SHA-1) is refused")
    func weakSuitesRefused() async throws {
        try await withRunningOPServer { server in
            let weak: [NIOTLSCipher] = [
                .TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,  // would match the server's P-256 certificate
                .TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,  // "ECDHE-RSA-AES128-SHA"
                .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,  // BCP 195 allowed, not FAPI recommended
            ]
            for suite in weak {
                let tls = try server.clientTLS {
                    $0.maximumTLSVersion = .tlsv12
                    $0.cipherSuiteValues = [suite]
                }
                await #expect(throws: (any Error).self, "\(suite.rawValue)") {
                    _ = try await server.withClient(tls: tls) { try await $0.get("/health/live") }
                }
            }
        }
    }

    @Test("the server's TLS configuration pins version and suites")
    func configurationValues() throws {
        let directory = ServerTestDirectory()
        defer { directory.cleanup() }
        let material = try DevelopmentTLS.ensureMaterial(in: directory.root)
        let tls = try FAPITLSPolicy.tlsConfiguration(
            certificateChainPath: material.certificateChainPath, privateKeyPath: material.privateKeyPath)
        #expect(tls.minimumTLSVersion == .tlsv12)
        #expect(tls.certificateVerification == .optionalVerification)
        #expect(
            Set(tls.cipherSuites.split(separator: ":").map(String.init))
                == [
                    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                ])
    }

    @Test(
        "a self-signed client certificate is accepted at TLS and seen by the handler",
        arguments: [TLSVersion.tlsv12, .tlsv13])
    func peerCertificatePresented(version: TLSVersion) async throws {
        let client = try SelfSignedClientCertificate()
        try await withRunningOPServer(extraRoutes: Self.peerCertificateRoute) { server in
            let tls = try server.clientTLS {
                $0.certificateChain = [.certificate(client.certificate)]
                $0.privateKey = .privateKey(client.privateKey)
                $0.minimumTLSVersion = version
                $0.maximumTLSVersion = version
            }
            let response = try await server.withClient(tls: tls) { try await $0.get("/test/peer-certificate") }
            #expect(response.status == .ok)
            #expect(response.text == Base64URL.encode(SHA256.hash(data: client.der)))
        }
    }

    @Test("without a client certificate the handshake succeeds and the handler sees nil")
    func peerCertificateAbsent() async throws {
        try await withRunningOPServer(extraRoutes: Self.peerCertificateRoute) { server in
            let response = try await server.withClient { try await $0.get("/test/peer-certificate") }
            #expect(response.status == .ok)
            #expect(response.text == "none")
        }
    }

    @Test("several requests on one connection each see the same client certificate")
    func keepAliveKeepsCertificate() async throws {
        let client = try SelfSignedClientCertificate(commonName: "client-keepalive")
        try await withRunningOPServer(extraRoutes: Self.peerCertificateRoute) { server in
            let tls = try server.clientTLS {
                $0.certificateChain = [.certificate(client.certificate)]
                $0.privateKey = .privateKey(client.privateKey)
            }
            let expected = Base64URL.encode(SHA256.hash(data: client.der))
            try await server.withClient(tls: tls) { connection in
                for _ in 0..<3 {
                    let response = try await connection.get("/test/peer-certificate")
                    #expect(response.text == expected)
                }
            }
        }
    }
}
