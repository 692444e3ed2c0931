import Foundation

/// Everything the HTTPS listener needs, validated at construction.
///
/// ```swift
/// let tls = try DevelopmentTLS.ensureMaterial(in: "\(data)/tls", issuerHost: "op.local")
/// let configuration = try ServerConfiguration(
///     host: "127.0.0.1", port: 8443,
///     issuer: "https://op.local:8443/",            // stored as "https://op.local:8443"
///     certificateChainPath: tls.certificateChainPath,
///     privateKeyPath: tls.privateKeyPath
/// )
/// ```
public struct ServerConfiguration: Sendable, Equatable {
    /// Default cap on a request body (64 KiB): OAuth requests are small forms and JWTs.
    public static let defaultMaxRequestBodyBytes = 64 * 1024
    /// Longest accepted issuer identifier, in UTF-8 bytes.
    public static let maxIssuerBytes = 2048

    /// Address to bind, e.g. `127.0.0.1`, `::1`, `0.0.0.0`.
    public var host: String
    /// TCP port; `0` lets the kernel choose (see ``OPServer/run(onReady:)`` for the bound port).
    public var port: Int
    /// The issuer identifier: `https`, no query, no fragment, no trailing slash (SP-07, Section C).
    public let issuer: String
    /// PEM file holding the server certificate chain, leaf first.
    public var certificateChainPath: String
    /// PEM file holding the server's private key (must be `0600`-style private).
    public var privateKeyPath: String
    /// Optional PEM bundle of CAs for client certificates. Stored for the client-authentication
    /// module; the TLS layer requests but does not judge client certificates.
    public var clientCAPath: String?
    /// Largest request body accepted, in bytes; larger requests get 413 `invalid_request`.
    public var maxRequestBodyBytes: Int

    /// Why a configuration was refused.
    public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
        /// The issuer is not an absolute `https` URL without query/fragment/user-info.
        case invalidIssuer(String, reason: String)
        /// Port outside 0...65535.
        case invalidPort(Int)
        /// The body limit is not positive.
        case invalidMaxRequestBodyBytes(Int)

        public var description: String {
            switch self {
            case .invalidIssuer(let issuer, let reason): "issuer \"\(issuer)\" is not usable: \(reason)"
            case .invalidPort(let port): "port \(port) is outside 0...65535"
            case .invalidMaxRequestBodyBytes(let value): "maxRequestBodyBytes must be positive, got \(value)"
            }
        }
    }

    public init(
        host: String = "127.0.0.1",
        port: Int = 8443,
        issuer: String,
        certificateChainPath: String,
        privateKeyPath: String,
        clientCAPath: String? = nil,
        maxRequestBodyBytes: Int = ServerConfiguration.defaultMaxRequestBodyBytes
    ) throws {
        guard (0...65535).contains(port) else { throw ConfigurationError.invalidPort(port) }
        guard maxRequestBodyBytes > 0 else { throw ConfigurationError.invalidMaxRequestBodyBytes(maxRequestBodyBytes) }
        self.host = host
        self.port = port
        self.issuer = try Self.normalisedIssuer(issuer)
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
        self.clientCAPath = clientCAPath
        self.maxRequestBodyBytes = maxRequestBodyBytes
    }

    /// The issuer's host name (without brackets for IPv6 literals), e.g. for certificate SANs.
    public var issuerHost: String {
        URLComponents(string: issuer)?.host.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "[]")) } ?? ""
    }

    /// The issuer's path ("" for `https://op.example.com`, "/tenant" for `https://op.example.com/tenant`).
    /// OP endpoints live under it: `{issuerPath}/jwks`, `{issuerPath}/.well-known/openid-configuration`.
    public var issuerPath: String {
        URLComponents(string: issuer)?.percentEncodedPath ?? ""
    }

    /// Checks and normalises an issuer identifier: absolute `https` URL with a host, no query, no
    /// fragment, no user-info; a trailing `/` is removed (OIDD §3, RFC 8414 §2).
    public static func normalisedIssuer(_ raw: String) throws(ConfigurationError) -> String {
        guard raw.utf8.count <= maxIssuerBytes else {
            throw .invalidIssuer(raw, reason: "longer than \(maxIssuerBytes) bytes")
        }
        guard let components = URLComponents(string: raw) else { throw .invalidIssuer(raw, reason: "not a URL") }
        guard components.scheme?.lowercased() == "https" else {
            throw .invalidIssuer(raw, reason: "scheme must be https")
        }
        guard let host = components.host, !host.isEmpty else { throw .invalidIssuer(raw, reason: "no host") }
        guard components.query == nil, !raw.contains("?") else {
            throw .invalidIssuer(raw, reason: "must not have a query")
        }
        guard components.fragment == nil, !raw.contains("#") else {
            throw .invalidIssuer(raw, reason: "must not have a fragment")
        }
        guard components.user == nil, components.password == nil else {
            throw .invalidIssuer(raw, reason: "must not contain user information")
        }
        guard !raw.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 }) else {
            throw .invalidIssuer(raw, reason: "must not contain whitespace or control characters")
        }
        var issuer = raw
        while issuer.hasSuffix("/") { issuer.removeLast() }
        return issuer
    }
}
