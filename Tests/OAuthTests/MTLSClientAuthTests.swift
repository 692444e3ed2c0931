import Crypto
import Foundation
import JOSE
import SwiftASN1
import Testing
import X509

@testable import OAuth

/// Captures the OAuthError an async authentication throws.
func authenticationError(_ body: () async throws(OAuthError) -> Void) async -> OAuthError? {
    do {
        try await body()
        return nil
    } catch {
        return error
    }
}

/// MTLS-04: certificate thumbprints for certificate-bound access tokens.
@Suite struct MTLSCertificateThumbprintTests {
    @Test func mtls04IsBase64URLOfSHA256OverTheDER() throws {
        // SHA-256("abc") = ba7816bf…f20015ad (FIPS 180-2 B.1).
        #expect(CertificateThumbprint.x5tS256(der: Array("abc".utf8)) == "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0")
        let leaf = try TestPKI.makeLeaf(issuedBy: nil)
        let thumbprint = CertificateThumbprint.x5tS256(der: leaf.der)
        #expect(thumbprint.count == 43)
        #expect(Base64URL.decode(thumbprint) == Array(SHA256.hash(data: leaf.der)))
        #expect(thumbprint != CertificateThumbprint.x5tS256(der: try TestPKI.makeLeaf(issuedBy: nil).der))
    }
}

/// MTLS-01: tls_client_auth — chain to a trusted CA, validity, then exactly the registered attribute.
@Suite struct MTLSTLSClientAuthTests {
    let ca: TestPKI.Issued
    let matcher: TLSClientAuthMatcher

    init() throws {
        ca = try TestPKI.makeCA()
        matcher = TLSClientAuthMatcher(trustedCAs: [ca.certificate])
    }

    static let matchingAttributes: [TLSClientAuthAttribute] = [
        .subjectDN(#"cn=Client-1, OU=FAPI, O=Example\, Inc., C=GB"#),
        .sanDNS("CLIENT.example.com"),
        .sanURI("spiffe://example.com/client-1"),
        .sanIP("192.0.2.10"),
        .sanIP("2001:db8::1"),
        .sanIP("2001:0db8:0000:0000:0000:0000:0000:0001"),
        .sanEmail("Ops@client.example.com"),
    ]

    /// MTLS-01: a CA-issued certificate matches each kind of registered attribute.
    @Test(arguments: matchingAttributes)
    func mtls01AcceptsAChainToATrustedCAWithTheRegisteredAttribute(_ registered: TLSClientAuthAttribute) async throws {
        let leaf = try TestPKI.makeLeaf(issuedBy: ca, sans: TestPKI.allKindsOfSAN)
        let error = await authenticationError { () async throws(OAuthError) in
            try await matcher.authenticate(certificateDER: leaf.der, registered: registered, at: TestPKI.now)
        }
        #expect(error == nil)
    }

    static let mismatchingAttributes: [TLSClientAuthAttribute] = [
        .subjectDN(#"CN=client-2,OU=FAPI,O=Example\, Inc.,C=GB"#),
        .sanDNS("other.example.com"),
        .sanDNS("example.com"),
        .sanURI("spiffe://example.com/Client-1"),
        .sanURI("spiffe://example.com/client-1/"),
        .sanIP("192.0.2.11"),
        .sanIP("::ffff:192.0.2.10"),
        .sanIP("2001:db8::2"),
        .sanEmail("ops@client.example.com"),  // local part is case-sensitive (RFC 5280 §7.5)
        .sanEmail("Ops@client.example.org"),
    ]

    /// MTLS-01: an attribute the certificate does not carry exactly is refused with invalid_client.
    @Test(arguments: mismatchingAttributes)
    func mtls01RefusesAnotherAttributeValue(_ registered: TLSClientAuthAttribute) async throws {
        let leaf = try TestPKI.makeLeaf(issuedBy: ca, sans: TestPKI.allKindsOfSAN)
        let error = await authenticationError { () async throws(OAuthError) in
            try await matcher.authenticate(certificateDER: leaf.der, registered: registered, at: TestPKI.now)
        }
        #expect(error?.code == .invalidClient)
        #expect(error?.status == 401)
        #expect(error?.description.contains("does not match the registered \(registered.memberName)") == true)
    }

    /// MTLS-01: a SAN attribute is refused when the certificate has no SAN extension at all.
    @Test func mtls01RefusesSANAttributesWithoutSANs() async throws {
        let leaf = try TestPKI.makeLeaf(issuedBy: ca)
        let error = await authenticationError { () async throws(OAuthError) in
            try await matcher.authenticate(
                certificateDER: leaf.der, registered: .sanDNS("client.example.com"), at: TestPKI.now)
        }
        #expect(error?.code == .invalidClient)
    }

    /// MTLS-01: a certificate from a CA the OP does not trust is refused, even with the right subject.
    @Test func mtls01RefusesAnUntrustedCA() async throws {
        let otherCA = try TestPKI.makeCA(name: "Strongroom Test CA")  // same name, other key
        let registered = TLSClientAuthAttribute.subjectDN(try TestPKI.clientSubject().description)
        for leaf in [try TestPKI.makeLeaf(issuedBy: otherCA), try TestPKI.makeLeaf(issuedBy: nil)] {
            let error = await authenticationError { () async throws(OAuthError) in
                try await matcher.authenticate(certificateDER: leaf.der, registered: registered, at: TestPKI.now)
            }
            #expect(error?.code == .invalidClient)
            #expect(error?.description.contains("does not chain to a CA this OP trusts") == true)
        }
    }

    /// MTLS-01: the validity period is checked at the given time.
    @Test func mtls01RefusesExpiredAndNotYetValidCertificates() async throws {
        let expired = try TestPKI.makeLeaf(
            issuedBy: ca, notValidBefore: TestPKI.now - 10 * TestPKI.hour, notValidAfter: TestPKI.now - TestPKI.hour)
        let future = try TestPKI.makeLeaf(
            issuedBy: ca, notValidBefore: TestPKI.now + TestPKI.hour, notValidAfter: TestPKI.now + 2 * TestPKI.hour)
        for leaf in [expired, future] {
            let registered = TLSClientAuthAttribute.subjectDN(try TestPKI.clientSubject().description)
            let error = await authenticationError { () async throws(OAuthError) in
                try await matcher.authenticate(certificateDER: leaf.der, registered: registered, at: TestPKI.now)
            }
            #expect(error?.code == .invalidClient)
            // The same certificate validates inside its period.
            let inside = leaf.certificate.notValidBefore + 60
            let later = await authenticationError { () async throws(OAuthError) in
                try await matcher.authenticate(certificateDER: leaf.der, registered: registered, at: inside)
            }
            #expect(later == nil)
        }
    }

    /// MTLS-01: intermediates sent by the client are used to build the chain.
    @Test func mtls01BuildsTheChainThroughIntermediates() async throws {
        let intermediate = try TestPKI.makeIntermediate(issuedBy: ca)
        let leaf = try TestPKI.makeLeaf(issuedBy: intermediate, sans: TestPKI.allKindsOfSAN)
        let registered = TLSClientAuthAttribute.sanDNS("client.example.com")
        let withChain = await authenticationError { () async throws(OAuthError) in
            try await matcher.authenticate(
                certificateDER: leaf.der, intermediatesDER: [intermediate.der], registered: registered, at: TestPKI.now)
        }
        #expect(withChain == nil)
        let withoutChain = await authenticationError { () async throws(OAuthError) in
            try await matcher.authenticate(certificateDER: leaf.der, registered: registered, at: TestPKI.now)
        }
        #expect(withoutChain?.code == .invalidClient)
    }

    /// MTLS-01: a certificate whose extended key usage excludes TLS client auth is refused.
    @Test func mtls01RefusesCertificatesNotForClientAuth() async throws {
        let serverOnly = try TestPKI.makeLeaf(issuedBy: ca, sans: TestPKI.allKindsOfSAN, usages: [.serverAuth])
        let error = await authenticationError { () async throws(OAuthError) in
            try await matcher.authenticate(
                certificateDER: serverOnly.der, registered: .sanDNS("client.example.com"), at: TestPKI.now)
        }
        #expect(error?.description.contains("clientAuth") == true)
        let noEKU = try TestPKI.makeLeaf(issuedBy: ca, sans: TestPKI.allKindsOfSAN, usages: nil)
        let accepted = await authenticationError { () async throws(OAuthError) in
            try await matcher.authenticate(
                certificateDER: noEKU.der, registered: .sanDNS("client.example.com"), at: TestPKI.now)
        }
        #expect(accepted == nil)
    }

    @Test func mtls01RefusesBytesThatAreNotACertificate() async {
        let error = await authenticationError { () async throws(OAuthError) in
            try await matcher.authenticate(certificateDER: [0x30, 0x03, 1, 2, 3], registered: .sanDNS("a"), at: .now)
        }
        #expect(error == OAuthError(.invalidClient, "the client certificate is not a DER X.509 certificate"))
    }

    /// MTLS-01: the `--client-ca FILE` PEM may hold several CAs; each is trusted.
    @Test func mtls01LoadsSeveralTrustedCAsFromPEM() async throws {
        let second = try TestPKI.makeCA(name: "Second CA")
        let pem = "# client CAs\n" + ca.pem + "\n" + second.pem + "\n"
        let loaded = try TLSClientAuthMatcher(trustedCAsPEM: pem)
        #expect(loaded.trustedCAs.count == 2)
        let leaf = try TestPKI.makeLeaf(issuedBy: second, sans: TestPKI.allKindsOfSAN)
        let error = await authenticationError { () async throws(OAuthError) in
            try await loaded.authenticate(
                certificateDER: leaf.der, registered: .sanIP("192.0.2.10"), at: TestPKI.now)
        }
        #expect(error == nil)
        #expect(throws: TLSClientAuthMatcher.ConfigurationError.self) {
            try TLSClientAuthMatcher(trustedCAsPEM: "no certificates here")
        }
    }
}

/// MTLS-02: self_signed_tls_client_auth — the certificate is one registered as x5c in the client's JWKS.
@Suite struct MTLSSelfSignedClientAuthTests {
    static func error(_ der: [UInt8], jwks: String, at time: Date = TestPKI.now) -> OAuthError? {
        do {
            try SelfSignedClientAuthMatcher.authenticate(certificateDER: der, jwks: jwks, at: time)
            return nil
        } catch {
            return error
        }
    }

    /// MTLS-02: the presented certificate equals the first x5c of one of the keys.
    @Test func mtls02AcceptsTheRegisteredCertificate() throws {
        let leaf = try TestPKI.makeLeaf(issuedBy: nil)
        let other = try TestPKI.makeLeaf(issuedBy: nil)
        let jwks = TestPKI.jwks(x5c: [[other.der], [leaf.der]])
        #expect(Self.error(leaf.der, jwks: jwks) == nil)
        #expect(Self.error(other.der, jwks: jwks) == nil)
    }

    /// MTLS-02: the same metadata path: a JWKS registered through ClientMetadata is accepted as stored.
    @Test func mtls02WorksOnTheJWKSTextClientMetadataKeeps() throws {
        let leaf = try TestPKI.makeLeaf(issuedBy: nil)
        var key = MetadataDocument.ecP256
        key["x5c"] = [Data(leaf.der).base64EncodedString()]
        let metadata = try MetadataDocument.parse(
            ["token_endpoint_auth_method": "self_signed_tls_client_auth", "jwks": ["keys": [key]]],
            removing: ["jwks_uri"])
        #expect(Self.error(leaf.der, jwks: try #require(metadata.jwks)) == nil)
    }

    /// MTLS-02: another certificate — even with the same subject and key type — is refused.
    @Test func mtls02RefusesAnUnregisteredCertificate() throws {
        let registered = try TestPKI.makeLeaf(issuedBy: nil)
        let presented = try TestPKI.makeLeaf(issuedBy: nil)
        let error = Self.error(presented.der, jwks: TestPKI.jwks(x5c: [[registered.der]]))
        #expect(error?.code == .invalidClient)
        #expect(error?.description.contains("not registered for this client") == true)
    }

    /// MTLS-02: only the first x5c entry (the key's own certificate) counts, not chain members.
    @Test func mtls02IgnoresLaterX5CEntries() throws {
        let first = try TestPKI.makeLeaf(issuedBy: nil)
        let second = try TestPKI.makeLeaf(issuedBy: nil)
        #expect(Self.error(second.der, jwks: TestPKI.jwks(x5c: [[first.der, second.der]]))?.code == .invalidClient)
    }

    /// MTLS-02: an expired (or not yet valid) registered certificate is refused.
    @Test func mtls02RefusesAnExpiredCertificate() throws {
        let expired = try TestPKI.makeLeaf(
            issuedBy: nil, notValidBefore: TestPKI.now - 10 * TestPKI.hour, notValidAfter: TestPKI.now - TestPKI.hour)
        let error = Self.error(expired.der, jwks: TestPKI.jwks(x5c: [[expired.der]]))
        #expect(error?.code == .invalidClient)
        #expect(error?.description.contains("has expired") == true)
        let valid = try TestPKI.makeLeaf(issuedBy: nil)
        let early = Self.error(valid.der, jwks: TestPKI.jwks(x5c: [[valid.der]]), at: TestPKI.now - 2 * TestPKI.hour)
        #expect(early?.description.contains("is not valid yet") == true)
    }

    /// MTLS-02: a JWKS without x5c, or not JSON, matches nothing.
    @Test func mtls02RefusesWhenNoCertificateIsRegistered() throws {
        let leaf = try TestPKI.makeLeaf(issuedBy: nil)
        #expect(
            Self.error(leaf.der, jwks: #"{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}"#)?.code
                == .invalidClient)
        #expect(Self.error(leaf.der, jwks: "not json")?.code == .invalidClient)
        #expect(Self.error([1, 2, 3], jwks: TestPKI.jwks(x5c: [[leaf.der]]))?.code == .invalidClient)
    }
}

/// MTLS-03 and MTLS-05: per-request rules.
@Suite struct MTLSRequestCheckTests {
    /// MTLS-03: certificate-authenticated requests must name the client.
    @Test func mtls03RequiresTheClientIDParameter() throws {
        #expect(try MTLSRequestChecks.requireClientID("client-1") == "client-1")
        for missing in [nil, ""] as [String?] {
            #expect(throws: OAuthError.self) { try MTLSRequestChecks.requireClientID(missing) }
        }
        do {
            _ = try MTLSRequestChecks.requireClientID(nil)
        } catch {
            #expect(error.code == .invalidClient)
            #expect(error.status == 401)
        }
    }

    /// MTLS-05: the presented certificate's thumbprint must equal the token's cnf x5t#S256.
    @Test func mtls05AcceptsOnlyTheBoundCertificate() throws {
        let bound = try TestPKI.makeLeaf(issuedBy: nil)
        let other = try TestPKI.makeLeaf(issuedBy: nil)
        let cnf = CertificateThumbprint.x5tS256(der: bound.der)
        try MTLSRequestChecks.requireBoundCertificate(confirmation: cnf, presentedCertificateDER: bound.der)
        for presented in [other.der, nil] as [[UInt8]?] {
            do {
                try MTLSRequestChecks.requireBoundCertificate(confirmation: cnf, presentedCertificateDER: presented)
                Issue.record("a token bound to another certificate was accepted")
            } catch {
                #expect(error.code == .invalidToken)
                #expect(error.status == 401)
            }
        }
    }
}
