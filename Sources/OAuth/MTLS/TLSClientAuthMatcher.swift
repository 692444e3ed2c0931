import Foundation
import SwiftASN1
// RFC5280Policy(validationTime:) is deprecated in swift-certificates 1.21; the fixed-time
// initializer it points to is behind this SPI. The OP passes the request's time explicitly so that
// one request sees one clock, and tests can validate at a chosen instant.
@_spi(FixedExpiryValidationTime) import X509

/// Client authentication with `tls_client_auth` (RFC 8705 §2.1, MTLS-01): the TLS peer
/// certificate must chain to a CA the OP trusts (`--client-ca FILE`), be within its validity
/// period, allow TLS client use, and carry exactly the attribute the client registered.
///
/// ```swift
/// let matcher = try TLSClientAuthMatcher(trustedCAsPEM: String(contentsOfFile: clientCAPath))
/// try await matcher.authenticate(
///     certificateDER: leafDER, intermediatesDER: restOfChain,
///     registered: client.tlsClientAuthAttribute!, at: .now)
/// ```
public struct TLSClientAuthMatcher: Sendable {
    /// The trust anchors client certificates must chain to.
    public let trustedCAs: [Certificate]
    /// Most intermediates accepted from the peer.
    public static let intermediateCountMax = 8

    /// Why the trusted CA file could not be used (a configuration error, not a client error).
    public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// Uses `trustedCAs` as trust anchors.
    public init(trustedCAs: [Certificate]) {
        self.trustedCAs = trustedCAs
    }

    /// Reads one or more PEM `CERTIFICATE` blocks (the `--client-ca FILE` contents).
    public init(trustedCAsPEM pem: String) throws(ConfigurationError) {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: pem)
        } catch {
            throw ConfigurationError(description: "the client CA file is not PEM: \(error)")
        }
        var certificates: [Certificate] = []
        for document in documents where document.discriminator == "CERTIFICATE" {
            do {
                certificates.append(try Certificate(pemDocument: document))
            } catch {
                throw ConfigurationError(
                    description: "a CERTIFICATE block in the client CA file does not parse: \(error)")
            }
        }
        guard !certificates.isEmpty else {
            throw ConfigurationError(description: "the client CA file contains no CERTIFICATE block")
        }
        self.init(trustedCAs: certificates)
    }

    /// MTLS-01: authenticates the client or throws `invalid_client` saying what did not match.
    public func authenticate(
        certificateDER: [UInt8], intermediatesDER: [[UInt8]] = [], registered: TLSClientAuthAttribute, at time: Date
    ) async throws(OAuthError) {
        let leaf = try Self.parse(certificateDER, what: "client certificate")
        guard intermediatesDER.count <= Self.intermediateCountMax else {
            throw OAuthError(
                .invalidClient,
                "the client sent \(intermediatesDER.count) intermediate certificates; at most "
                    + "\(Self.intermediateCountMax) are accepted")
        }
        var intermediates: [Certificate] = []
        for der in intermediatesDER { intermediates.append(try Self.parse(der, what: "intermediate certificate")) }
        try await requireChainToTrustedCA(leaf, intermediates: intermediates, at: time)
        try Self.requireClientAuthUsage(leaf)
        try Self.requireRegisteredAttribute(registered, in: leaf)
    }

    /// MTLS-01: the certificate chains to a trusted CA under RFC 5280 rules (signatures, validity
    /// periods at `time`, basic constraints, name constraints).
    func requireChainToTrustedCA(
        _ leaf: Certificate, intermediates: [Certificate], at time: Date
    ) async throws(OAuthError) {
        var verifier = Verifier(rootCertificates: CertificateStore(trustedCAs)) {
            RFC5280Policy(fixedExpiryValidationTime: time)
        }
        let result = await verifier.validate(leaf: leaf, intermediates: CertificateStore(intermediates))
        switch result {
        case .validCertificate:
            return
        case .couldNotValidate(let failures):
            let reason = failures.first.map { ": \($0.policyFailureReason.description)" } ?? ""
            throw OAuthError(
                .invalidClient,
                "the client certificate does not chain to a CA this OP trusts for tls_client_auth, or the "
                    + "chain is not valid now\(reason) (RFC 8705 §2.1)")
        }
    }

    /// MTLS-01: a certificate that restricts its extended key usage must allow TLS client
    /// authentication (RFC 5280 §4.2.1.12).
    static func requireClientAuthUsage(_ leaf: Certificate) throws(OAuthError) {
        let usage: ExtendedKeyUsage?
        do {
            usage = try leaf.extensions.extendedKeyUsage
        } catch {
            throw OAuthError(.invalidClient, "the client certificate's extended key usage extension does not parse")
        }
        guard let usage else { return }
        guard usage.contains(.clientAuth) || usage.contains(.any) else {
            throw OAuthError(
                .invalidClient,
                "the client certificate's extended key usage does not include TLS client authentication (clientAuth)")
        }
    }

    /// MTLS-01: the certificate carries exactly the registered attribute (RFC 8705 §2.1.2).
    static func requireRegisteredAttribute(
        _ registered: TLSClientAuthAttribute, in leaf: Certificate
    )
        throws(OAuthError)
    {
        let matched: Bool
        switch registered {
        case .subjectDN(let text):
            guard let expected = try? RFC4514DistinguishedName(parsing: text) else {
                throw OAuthError(
                    .invalidClient, "the registered tls_client_auth_subject_dn is not an RFC 4514 name; re-register it")
            }
            matched = expected.matches(leaf.subject)
        case .sanDNS(let name):
            matched = try subjectAlternativeNames(leaf).contains {
                if case .dnsName(let value) = $0 { return value.lowercased() == name.lowercased() }
                return false
            }
        case .sanURI(let uri):
            matched = try subjectAlternativeNames(leaf).contains {
                if case .uniformResourceIdentifier(let value) = $0 { return value == uri }
                return false
            }
        case .sanIP(let text):
            guard let expected = IPAddressText.bytes(text) else {
                throw OAuthError(
                    .invalidClient, "the registered tls_client_auth_san_ip is not an IP address; re-register it")
            }
            matched = try subjectAlternativeNames(leaf).contains {
                if case .ipAddress(let value) = $0 { return Array(value.bytes) == expected }
                return false
            }
        case .sanEmail(let address):
            matched = try subjectAlternativeNames(leaf).contains {
                if case .rfc822Name(let value) = $0 { return emailEqual(value, address) }
                return false
            }
        }
        guard matched else {
            let presented =
                if case .subjectDN = registered { "the certificate's subject is \(leaf.subject)" } else {
                    "the certificate's subject alternative names do not include it"
                }
            throw OAuthError(
                .invalidClient,
                "the client certificate does not match the registered \(registered.memberName) "
                    + "\"\(registered.value)\": \(presented)")
        }
    }

    static func subjectAlternativeNames(_ leaf: Certificate) throws(OAuthError) -> [GeneralName] {
        do {
            return Array(try leaf.extensions.subjectAlternativeNames ?? SubjectAlternativeNames())
        } catch {
            throw OAuthError(.invalidClient, "the client certificate's subject alternative names do not parse")
        }
    }

    /// RFC 5280 §7.5: the local part is compared exactly, the domain case-insensitively.
    static func emailEqual(_ a: String, _ b: String) -> Bool {
        guard let atA = a.lastIndex(of: "@"), let atB = b.lastIndex(of: "@") else { return a == b }
        return a[..<atA] == b[..<atB] && a[atA...].lowercased() == b[atB...].lowercased()
    }

    static func parse(_ der: [UInt8], what: String) throws(OAuthError) -> Certificate {
        do {
            return try Certificate(derEncoded: der)
        } catch {
            throw OAuthError(.invalidClient, "the \(what) is not a DER X.509 certificate")
        }
    }
}
