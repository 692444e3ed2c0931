import Hummingbird
import NIOCore
import NIOSSL

/// The request context of every OP route: Hummingbird's core storage plus the connection's
/// `Channel`, so handlers can read the TLS client certificate (STACK.md §1.2).
///
/// ```swift
/// router.post("/token") { request, context in
///     if let der = await context.peerCertificateDER() {
///         // x5t#S256 = Base64URL.encode(SHA256.hash(data: der))
///     }
///     ...
/// }
/// ```
public struct OPRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection this request arrived on.
    public let channel: any Channel
    /// Largest body Hummingbird's decoders will collect; ``BodySizeLimitMiddleware`` sets it to
    /// ``ServerConfiguration/maxRequestBodyBytes``.
    public var maxUploadSize: Int

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
        self.maxUploadSize = ServerConfiguration.defaultMaxRequestBodyBytes
    }

    /// The client's TLS certificate (leaf) if it presented one, else `nil`. Costs one event-loop
    /// hop; call it once per request. Returns `nil` on channels without TLS (router tests).
    public func peerCertificate() async -> NIOSSLCertificate? {
        do {
            return try await channel.nioSSL_peerCertificate().get()
        } catch {
            return nil
        }
    }

    /// The DER bytes of the client's TLS leaf certificate exactly as received, or `nil` when none
    /// was presented. The TLS layer accepted it without judging; client authentication decides.
    public func peerCertificateDER() async -> [UInt8]? {
        guard let certificate = await peerCertificate() else { return nil }
        return try? certificate.toDERBytes()
    }
}
