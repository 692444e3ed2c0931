import Crypto
import Foundation
import Server
import SwiftASN1
import Testing
import X509

@Suite("Server: development TLS material")
struct DevelopmentTLSTests {
    static func chain(_ material: DevelopmentTLS.Material) throws -> (leaf: Certificate, ca: Certificate) {
        let pem = try String(contentsOfFile: material.certificateChainPath, encoding: .utf8)
        let documents = try PEMDocument.parseMultiple(pemString: pem)
        #expect(documents.count == 2)
        let leaf = try Certificate(derEncoded: documents[0].derBytes)
        let ca = try Certificate(pemEncoded: try String(contentsOfFile: material.caCertificatePath, encoding: .utf8))
        #expect(try Certificate(derEncoded: documents[1].derBytes) == ca)
        return (leaf, ca)
    }

    @Test("creates ca.pem, server.pem, server.key with private permissions in a 0700 directory")
    func filesAndPermissions() throws {
        let directory = ServerTestDirectory()
        defer { directory.cleanup() }
        let material = try DevelopmentTLS.ensureMaterial(in: directory.root + "/data/tls")
        #expect(material.createdCA && material.issuedServerCertificate)
        #expect(ServerTestDirectory.mode(material.directory) == 0o700)
        #expect(ServerTestDirectory.mode(material.privateKeyPath) == 0o600)
        #expect(ServerTestDirectory.mode(material.caPrivateKeyPath) == 0o600)
        #expect(material.caCertificatePath.hasSuffix("/ca.pem"))
        #expect(material.certificateChainPath.hasSuffix("/server.pem"))
        #expect(material.privateKeyPath.hasSuffix("/server.key"))
        let key = try String(contentsOfFile: material.privateKeyPath, encoding: .utf8)
        #expect(key.hasPrefix("-----BEGIN PRIVATE KEY-----"))
    }

    @Test("the server certificate chains to the CA (RFC 5280 + server identity) with the wanted profile")
    func chainsToCA() async throws {
        let directory = ServerTestDirectory()
        defer { directory.cleanup() }
        let material = try DevelopmentTLS.ensureMaterial(in: directory.root, issuerHost: "op.example.test")
        let (leaf, ca) = try Self.chain(material)

        for (host, ip) in [("localhost", nil), (nil, "127.0.0.1"), (nil, "::1"), ("op.example.test", nil)]
            as [(String?, String?)]
        {
            var verifier = Verifier(rootCertificates: CertificateStore([ca])) {
                RFC5280Policy()
                ServerIdentityPolicy(serverHostname: host, serverIP: ip)
            }
            let result = await verifier.validate(leaf: leaf, intermediates: CertificateStore())
            guard case .validCertificate(let validated) = result else {
                Issue.record("chain did not validate for \(host ?? ip ?? "?"): \(result)")
                continue
            }
            #expect(validated.last == ca)
        }

        #expect(ca.subject.description.contains("CN=Strongroom Development CA"))
        #expect(try ca.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
        let caYears = ca.notValidAfter.timeIntervalSince(ca.notValidBefore) / (365 * 86_400)
        #expect(caYears > 9.9 && caYears < 10.1)

        #expect(try leaf.extensions.basicConstraints == .notCertificateAuthority)
        #expect(try leaf.extensions.extendedKeyUsage?.contains(.serverAuth) == true)
        let names = try #require(try leaf.extensions.subjectAlternativeNames)
        #expect(names.contains(.dnsName("localhost")))
        #expect(names.contains(.dnsName("op.example.test")))
        #expect(names.contains(.ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))))
        #expect(
            names.contains(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(Array(repeating: 0, count: 15) + [1])))))
        let leafDays = leaf.notValidAfter.timeIntervalSince(Date()) / 86_400
        #expect(leafDays > 360 && leafDays <= 366)
        #expect(P256.Signing.PublicKey(leaf.publicKey) != nil, "leaf key is P-256")
    }

    @Test("a second call reuses CA and server certificate byte for byte")
    func reuse() throws {
        let directory = ServerTestDirectory()
        defer { directory.cleanup() }
        let first = try DevelopmentTLS.ensureMaterial(in: directory.root, issuerHost: "localhost")
        let chainBefore = try Data(contentsOf: URL(fileURLWithPath: first.certificateChainPath))
        let keyBefore = try Data(contentsOf: URL(fileURLWithPath: first.privateKeyPath))
        let caBefore = try Data(contentsOf: URL(fileURLWithPath: first.caCertificatePath))
        let second = try DevelopmentTLS.ensureMaterial(in: directory.root, issuerHost: "localhost")
        #expect(!second.createdCA && !second.issuedServerCertificate)
        #expect(try Data(contentsOf: URL(fileURLWithPath: second.certificateChainPath)) == chainBefore)
        #expect(try Data(contentsOf: URL(fileURLWithPath: second.privateKeyPath)) == keyBefore)
        #expect(try Data(contentsOf: URL(fileURLWithPath: second.caCertificatePath)) == caBefore)
    }

    @Test("a changed issuer host reissues the server certificate under the same CA")
    func sanChangeReissues() throws {
        let directory = ServerTestDirectory()
        defer { directory.cleanup() }
        let first = try DevelopmentTLS.ensureMaterial(in: directory.root)
        let caBefore = try Data(contentsOf: URL(fileURLWithPath: first.caCertificatePath))
        let second = try DevelopmentTLS.ensureMaterial(in: directory.root, issuerHost: "idp.example.test")
        #expect(!second.createdCA && second.issuedServerCertificate)
        #expect(try Data(contentsOf: URL(fileURLWithPath: second.caCertificatePath)) == caBefore)
        let (leaf, _) = try Self.chain(second)
        #expect(try leaf.extensions.subjectAlternativeNames?.contains(.dnsName("idp.example.test")) == true)
        let third = try DevelopmentTLS.ensureMaterial(in: directory.root, issuerHost: "idp.example.test")
        #expect(!third.issuedServerCertificate)
    }

    @Test("a server certificate expiring within 30 days is renewed")
    func renewal() throws {
        let directory = ServerTestDirectory()
        defer { directory.cleanup() }
        let now = Date()
        _ = try DevelopmentTLS.ensureMaterial(in: directory.root, now: now)
        let later = now.addingTimeInterval(340 * 86_400)
        let renewed = try DevelopmentTLS.ensureMaterial(in: directory.root, now: later)
        #expect(!renewed.createdCA && renewed.issuedServerCertificate)
        let (leaf, _) = try Self.chain(renewed)
        #expect(leaf.notValidAfter > later.addingTimeInterval(300 * 86_400))
    }

    @Test("IP literal issuer hosts become IP SANs; loopback names add nothing")
    func subjectAlternativeNames() {
        #expect(DevelopmentTLS.subjectAlternativeNames(issuerHost: nil).count == 3)
        #expect(DevelopmentTLS.subjectAlternativeNames(issuerHost: "localhost").count == 3)
        #expect(DevelopmentTLS.subjectAlternativeNames(issuerHost: "127.0.0.1").count == 3)
        #expect(DevelopmentTLS.subjectAlternativeNames(issuerHost: "[::1]").count == 3)
        let ip = DevelopmentTLS.subjectAlternativeNames(issuerHost: "192.0.2.10")
        #expect(ip.last == .ipAddress(ASN1OctetString(contentBytes: [192, 0, 2, 10])))
        let dns = DevelopmentTLS.subjectAlternativeNames(issuerHost: "OP.Example.Test")
        #expect(dns.last == .dnsName("op.example.test"))
    }
}
