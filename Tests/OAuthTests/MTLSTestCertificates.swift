import Crypto
import Foundation
import SwiftASN1
import X509

/// Test PKI built in code with swift-certificates: a CA, an intermediate, leaves signed by them,
/// self-signed leaves, expired certificates, SANs of every kind. No openssl, no files.
struct TestPKI {
    /// A certificate with its key and DER.
    struct Issued {
        let certificate: Certificate
        let key: P256.Signing.PrivateKey

        var der: [UInt8] {
            var serializer = DER.Serializer()
            // Serializing a certificate we just built cannot fail.
            try! serializer.serialize(certificate)
            return serializer.serializedBytes
        }

        var pem: String { try! certificate.serializeAsPEM().pemString }
    }

    static let now = Date()
    static let hour: TimeInterval = 3600

    /// `CN=Strongroom Test CA,O=Strongroom,C=GB`
    static func makeCA(name: String = "Strongroom Test CA") throws -> Issued {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            CountryName("GB")
            OrganizationName("Strongroom")
            CommonName(name)
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: now - 24 * hour, notValidAfter: now + 24 * hour, issuer: subject, subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                KeyUsage(keyCertSign: true)
            },
            issuerPrivateKey: .init(key))
        return Issued(certificate: certificate, key: key)
    }

    /// An intermediate CA signed by `issuer`.
    static func makeIntermediate(issuedBy issuer: Issued) throws -> Issued {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            CountryName("GB")
            OrganizationName("Strongroom")
            CommonName("Strongroom Test Intermediate")
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: now - 24 * hour, notValidAfter: now + 24 * hour,
            issuer: issuer.certificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                KeyUsage(keyCertSign: true)
            },
            issuerPrivateKey: .init(issuer.key))
        return Issued(certificate: certificate, key: key)
    }

    /// The subject most tests use: `CN=client-1,OU=FAPI,O=Example\, Inc.,C=GB`.
    static func clientSubject() throws -> DistinguishedName {
        try DistinguishedName {
            CountryName("GB")
            OrganizationName("Example, Inc.")
            OrganizationalUnitName("FAPI")
            CommonName("client-1")
        }
    }

    /// A leaf client certificate signed by `issuer` (self-signed when `issuer` is nil).
    static func makeLeaf(
        issuedBy issuer: Issued?, subject: DistinguishedName? = nil, sans: [GeneralName] = [],
        usages: [ExtendedKeyUsage.Usage]? = [.clientAuth],
        notValidBefore: Date = now - hour, notValidAfter: Date = now + hour
    ) throws -> Issued {
        let key = P256.Signing.PrivateKey()
        let subject = try subject ?? clientSubject()
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: notValidBefore, notValidAfter: notValidAfter,
            issuer: issuer?.certificate.subject ?? subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                KeyUsage(digitalSignature: true)
                if !sans.isEmpty { SubjectAlternativeNames(sans) }
                if let usages { try ExtendedKeyUsage(usages) }
            },
            issuerPrivateKey: .init(issuer?.key ?? key))
        return Issued(certificate: certificate, key: key)
    }

    /// Every SAN kind: dns, uri, IPv4, IPv6, email.
    static let allKindsOfSAN: [GeneralName] = [
        .dnsName("client.example.com"),
        .uniformResourceIdentifier("spiffe://example.com/client-1"),
        .ipAddress(ASN1OctetString(contentBytes: [192, 0, 2, 10])),
        .ipAddress(ASN1OctetString(contentBytes: [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1])),
        .rfc822Name("Ops@Client.Example.com"),
    ]

    /// A JWKS text whose keys carry the given certificates as `x5c` (standard base64).
    static func jwks(x5c chains: [[[UInt8]]]) -> String {
        let keys = chains.map { chain in
            let entries = chain.map { "\"\(Data($0).base64EncodedString())\"" }.joined(separator: ",")
            return "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\",\"x5c\":[\(entries)]}"
        }
        return "{\"keys\":[\(keys.joined(separator: ","))]}"
    }
}
