import Foundation
import Hummingbird

/// Where the TLS client certificate of a request comes from: the connection itself, or — when TLS
/// ends at a reverse proxy — a header the proxy sets, believed only on connections from a proxy the
/// operator listed (`serve --trusted-proxy ADDR --client-cert-header NAME`). The header carries the
/// URL-encoded PEM certificate (nginx `$ssl_client_escaped_cert`, Envoy/HAProxy equivalents).
public struct TrustedProxies: Sendable {
    /// Peer IP addresses of the proxies, as the socket reports them (e.g. `127.0.0.1`, `::1`).
    public var addresses: Set<String>
    /// Request header with the certificate, e.g. `X-Client-Cert`.
    public var certificateHeader: String

    public init(addresses: Set<String>, certificateHeader: String) {
        self.addresses = addresses
        self.certificateHeader = certificateHeader
    }

    public static let none = TrustedProxies(addresses: [], certificateHeader: "X-Client-Cert")
}

enum ClientCertificate {
    /// The DER of the certificate the client presented, or nil. A certificate header from a peer
    /// that is not a trusted proxy is ignored (anyone could send one).
    static func presented(_ request: Request, context: OPRequestContext, proxies: TrustedProxies) async -> [UInt8]? {
        if let peer = context.channel.remoteAddress?.ipAddress, proxies.addresses.contains(peer),
            let name = HTTPField.Name(proxies.certificateHeader)
        {
            guard let value = request.headers[name], !value.isEmpty else { return nil }
            return derFromHeader(value)
        }
        return await context.peerCertificateDER()
    }

    /// URL-decoded PEM → DER (the first CERTIFICATE block).
    static func derFromHeader(_ value: String) -> [UInt8]? {
        let pem = value.removingPercentEncoding ?? value
        guard let begin = pem.range(of: "-----BEGIN CERTIFICATE-----"),
            let end = pem.range(of: "-----END CERTIFICATE-----", range: begin.upperBound..<pem.endIndex)
        else { return nil }
        let body = pem[begin.upperBound..<end.lowerBound].filter { !$0.isWhitespace }
        return Data(base64Encoded: String(body)).map { Array($0) }
    }
}
