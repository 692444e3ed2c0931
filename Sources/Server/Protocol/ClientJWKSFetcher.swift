import AsyncHTTPClient
import Crypto
import Foundation
import JOSE
import NIOCore
import NIOSSL
import OAuth
import Synchronization

/// Fetches a client's JWK Set from its registered `jwks_uri` (RFC 7591 §2): https only, TLS 1.2+, the
/// system's trust roots plus `--jwks-ca`, no redirects, 5 s timeouts, at most 64 KiB, public keys
/// only. `ClientRegistry` caches what it returns and journals each new version before using it.
///
/// ```swift
/// let fetcher = try ClientJWKSFetcher(extraTrustedCAsPEM: nil)
/// let text = try await fetcher.fetch("https://tpp.example/jwks.json")   // invalid_client on failure
/// await fetcher.shutdown()
/// ```
public final class ClientJWKSFetcher: Sendable {
    /// Largest JWK Set document accepted, in bytes.
    public static let bytesMax = 64 * 1024
    private let configuration: HTTPClient.Configuration
    /// Created on the first fetch, so that a server that never fetches owns no client to shut down.
    private let client = Mutex<HTTPClient?>(nil)

    /// - Parameter extraTrustedCAsPEM: CAs trusted for `jwks_uri` servers besides the system's (a
    ///   private PKI, or a test CA).
    public init(extraTrustedCAsPEM: String?) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        if let extraTrustedCAsPEM {
            tls.additionalTrustRoots = [
                .certificates(try NIOSSLCertificate.fromPEMBytes(Array(extraTrustedCAsPEM.utf8)))
            ]
        }
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(5), read: .seconds(5)))
        configuration.decompression = .disabled
        self.configuration = configuration
    }

    /// Stops the HTTP client, if one was started (at server shutdown).
    public func shutdown() async {
        let started = client.withLock { client in
            defer { client = nil }
            return client
        }
        try? await started?.shutdown()
    }

    private var http: HTTPClient {
        client.withLock { client in
            if let client { return client }
            let made = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            client = made
            return made
        }
    }

    /// The JWK Set document at `uri`, checked to parse as a set of public keys.
    func fetch(_ uri: String) async throws(OAuthError) -> String {
        guard uri.hasPrefix("https://") else {
            throw OAuthError(.invalidClient, "the client's jwks_uri is not an https URL")
        }
        let body: ByteBuffer
        do {
            var request = HTTPClientRequest(url: uri)
            request.headers.add(name: "Accept", value: "application/jwk-set+json, application/json")
            let response = try await http.execute(request, timeout: .seconds(5))
            guard response.status == .ok else {
                throw OAuthError(.invalidClient, "the client's jwks_uri answered HTTP \(response.status.code)")
            }
            body = try await response.body.collect(upTo: Self.bytesMax)
        } catch let error as OAuthError {
            throw error
        } catch {
            throw OAuthError(.invalidClient, "the client's jwks_uri could not be fetched: \(error)")
        }
        let bytes = Array(body.readableBytesView)
        do {
            let document = try JSONValue.parseObject(bytes)
            if case .array(let keys)? = document["keys"] {
                for case .object(let key) in keys where key["d"] != nil || key["p"] != nil || key["k"] != nil {
                    throw OAuthError(
                        .invalidClient, "the client's jwks_uri serves private or symmetric key material; refused")
                }
            }
            _ = try ClientJWKSet.parse(document)
        } catch let error as OAuthError {
            throw error
        } catch {
            throw OAuthError(.invalidClient, "the client's jwks_uri does not serve a usable JWK Set: \(error)")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Lower-case hex SHA-256 of a fetched document (the journal's `digest`).
    static func digest(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
