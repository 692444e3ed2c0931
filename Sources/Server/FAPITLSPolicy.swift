import HummingbirdTLS
import JOSE
import NIOCore
import NIOSSL

/// The server-side TLS settings required by FAPI 2.0 (SP-01..SP-03, F1-18):
///
/// * TLS 1.2 minimum; TLS 1.3 allowed (and preferred by BoringSSL when the client offers it).
/// * For TLS 1.2 only the four BCP 195 (RFC 9325 §4.2) recommended suites ``tls12CipherSuites``;
///   TLS 1.3 suites are BoringSSL's fixed AES-GCM / ChaCha20 set.
/// * Client certificates are requested but optional (`.optionalVerification`) and accepted at the
///   TLS layer by a custom callback; the application judges them (tls_client_auth,
///   self_signed_tls_client_auth, certificate-bound tokens) through ``OPRequestContext/peerCertificateDER()``.
/// * No renegotiation; ALPN offers `http/1.1`.
///
/// ```swift
/// let channelConfiguration = try FAPITLSPolicy.channelConfiguration(
///     certificateChainPath: "tls/server.pem", privateKeyPath: "tls/server.key")
/// ```
public enum FAPITLSPolicy {
    /// RFC 9325 §4.2 recommended TLS 1.2 cipher suites — the only ones FAPI 2.0 allows.
    public static let tls12CipherSuites: [NIOTLSCipher] = [
        .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    ]
    /// Largest PEM file read for the chain or the key.
    public static let maxPEMFileBytes = 256 * 1024

    /// Why the TLS material could not be loaded.
    public enum MaterialError: Error, CustomStringConvertible {
        /// The chain file has no certificate.
        case emptyCertificateChain(path: String)
        /// The file could not be read safely.
        case file(FileSecurityError)
        /// NIOSSL rejected the PEM.
        case invalidPEM(path: String, reason: String)

        public var description: String {
            switch self {
            case .emptyCertificateChain(let path): "no certificate in \(path)"
            case .file(let error): error.description
            case .invalidPEM(let path, let reason): "cannot parse \(path): \(reason)"
            }
        }
    }

    /// The NIOSSL server configuration: FAPI versions and suites, optional client certificates.
    /// The private key file must be private to the running user (mode `0600`, no symlink).
    public static func tlsConfiguration(certificateChainPath: String, privateKeyPath: String) throws -> TLSConfiguration
    {
        let chainBytes: [UInt8]
        let keyBytes: [UInt8]
        do throws(FileSecurityError) {
            chainBytes = try SecureFileIO.readPublicFile(certificateChainPath, maxBytes: maxPEMFileBytes)
            keyBytes = try SecureFileIO.readSecretFile(privateKeyPath, maxBytes: maxPEMFileBytes)
        } catch {
            throw MaterialError.file(error)
        }
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(chainBytes)
        } catch {
            throw MaterialError.invalidPEM(path: certificateChainPath, reason: "\(error)")
        }
        guard !chain.isEmpty else { throw MaterialError.emptyCertificateChain(path: certificateChainPath) }
        do {
            key = try NIOSSLPrivateKey(bytes: keyBytes, format: .pem)
        } catch {
            throw MaterialError.invalidPEM(path: privateKeyPath, reason: "\(error)")
        }

        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key)
        )
        tls.minimumTLSVersion = .tlsv12
        tls.maximumTLSVersion = nil
        tls.cipherSuiteValues = tls12CipherSuites
        tls.certificateVerification = .optionalVerification
        tls.renegotiationSupport = .none
        tls.applicationProtocols = ["http/1.1"]
        return tls
    }

    /// ``tlsConfiguration(certificateChainPath:privateKeyPath:)`` plus the verification callback
    /// that accepts any presented client certificate at the TLS layer (the app judges it later).
    public static func channelConfiguration(
        certificateChainPath: String, privateKeyPath: String
    ) throws -> TLSChannelConfiguration {
        let tls = try tlsConfiguration(certificateChainPath: certificateChainPath, privateKeyPath: privateKeyPath)
        // Fail at start-up, not at the first connection, if BoringSSL refuses the material.
        _ = try NIOSSLContext(configuration: tls)
        return TLSChannelConfiguration(tlsConfiguration: tls, customVerificationCallback: acceptAtTLSLayer)
    }

    /// Accept whatever chain the client presented; client authentication decides per request.
    @Sendable
    static func acceptAtTLSLayer(
        _ certificates: [NIOSSLCertificate], _ promise: EventLoopPromise<NIOSSLVerificationResult>
    ) {
        promise.succeed(.certificateVerified)
    }
}
