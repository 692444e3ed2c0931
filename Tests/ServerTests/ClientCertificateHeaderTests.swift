import Foundation
import Testing

@testable import Server

@Suite("Trusted-proxy client certificate header")
struct ClientCertificateHeaderTests {
    static let pem = """
        -----BEGIN CERTIFICATE-----
        MIIBfTCCASOgAwIBAgIUJ0Wq2Yb5CjJvC1D0kUz1o1mF0XwwCgYIKoZIzj0EAwIw
        -----END CERTIFICATE-----
        """

    @Test("URL-encoded PEM (nginx $ssl_client_escaped_cert) decodes to the DER bytes")
    func urlEncodedPEM() throws {
        let escaped = try #require(Self.pem.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
        let der = try #require(ClientCertificate.derFromHeader(escaped))
        let body = Self.pem.split(separator: "\n").dropFirst().dropLast().joined()
        #expect(der == Array(Data(base64Encoded: body)!))
    }

    @Test("a header without a certificate block yields nothing")
    func garbage() {
        #expect(ClientCertificate.derFromHeader("not a certificate") == nil)
        #expect(ClientCertificate.derFromHeader("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----") == nil)
    }
}
