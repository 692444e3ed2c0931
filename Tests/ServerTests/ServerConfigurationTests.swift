import Server
import Testing

@Suite("Server: configuration and issuer rules")
struct ServerConfigurationTests {
    func make(_ issuer: String, port: Int = 0, maxBody: Int = 1) throws -> ServerConfiguration {
        try ServerConfiguration(
            port: port, issuer: issuer, certificateChainPath: "c", privateKeyPath: "k", maxRequestBodyBytes: maxBody)
    }

    @Test("issuer: trailing slash stripped, path kept")
    func normalisation() throws {
        #expect(try make("https://op.example.com/").issuer == "https://op.example.com")
        #expect(try make("https://op.example.com:8443").issuer == "https://op.example.com:8443")
        #expect(try make("https://op.example.com/tenant/").issuer == "https://op.example.com/tenant")
        #expect(try make("https://op.example.com/tenant").issuerPath == "/tenant")
        #expect(try make("https://op.example.com").issuerPath == "")
        #expect(try make("https://[::1]:8443").issuerHost == "::1")
        #expect(try make("https://Op.Example.com").issuerHost.lowercased() == "op.example.com")
    }

    @Test(
        "issuer: https only, no query, no fragment, no user-info, needs a host",
        arguments: [
            "http://op.example.com", "https://op.example.com?x=1", "https://op.example.com/#frag",
            "https://user@op.example.com", "https://", "op.example.com", "", "https://op.example.com/a b",
        ])
    func rejections(issuer: String) {
        #expect(throws: ServerConfiguration.ConfigurationError.self) { try make(issuer) }
    }

    @Test("defaults: 64 KiB body limit; port and limit validated")
    func limits() throws {
        #expect(ServerConfiguration.defaultMaxRequestBodyBytes == 65_536)
        let configuration = try ServerConfiguration(
            issuer: "https://op", certificateChainPath: "c", privateKeyPath: "k")
        #expect(configuration.maxRequestBodyBytes == 65_536)
        #expect(configuration.clientCAPath == nil)
        #expect(throws: ServerConfiguration.ConfigurationError.invalidPort(70_000)) {
            try make("https://op", port: 70_000)
        }
        #expect(throws: ServerConfiguration.ConfigurationError.invalidMaxRequestBodyBytes(0)) {
            try make("https://op", maxBody: 0)
        }
    }
}
