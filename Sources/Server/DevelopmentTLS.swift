import Crypto
import Foundation
import JOSE
import SwiftASN1
import X509

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Development TLS material: a local CA and a server certificate it signs, made with
/// swift-certificates (no openssl), kept under one private directory and reused across starts.
///
/// Files in `directory` (created `0700`):
/// * `ca.pem` — "Strongroom Development CA", P-256, valid ``caValidityDays`` days (trust this in clients);
/// * `ca.key` — the CA's private key (`0600`), kept so the server certificate can be renewed;
/// * `server.pem` — chain: server certificate (P-256, ``serverValidityDays`` days, SAN DNS `localhost`,
///   IP `127.0.0.1`, IP `::1` and the issuer host, EKU serverAuth, CA:false) followed by the CA;
/// * `server.key` — the server's private key (`0600`).
///
/// A later call reuses everything that is still good; the server certificate is reissued when it
/// expires within ``renewalWindowDays`` days, its SANs differ from the wanted set, or it no longer
/// matches the CA or its key; the CA is recreated (and the server certificate with it) when it is
/// missing, broken or expiring. Not for production.
///
/// ```swift
/// let tls = try DevelopmentTLS.ensureMaterial(in: "\(dataDirectory)/tls", issuerHost: configuration.issuerHost)
/// // tls.certificateChainPath, tls.privateKeyPath → ServerConfiguration; tls.caCertificatePath → clients
/// ```
public enum DevelopmentTLS {
    /// CA lifetime: ten years, in days.
    public static let caValidityDays = 3650
    /// Server certificate lifetime: one year, in days.
    public static let serverValidityDays = 365
    /// Renew (server) or recreate (CA) when this close to expiry, in days.
    public static let renewalWindowDays = 30
    /// Back-dating of `notBefore` for clock skew, in seconds.
    public static let notBeforeBackdateSeconds: TimeInterval = 300
    /// Largest PEM file read back.
    static let maxPEMFileBytes = 64 * 1024
    /// Subject common name of the development CA.
    public static let caCommonName = "Strongroom Development CA"
    /// Subject common name of the development server certificate.
    public static let serverCommonName = "Strongroom Development Server"

    /// Where the material lives, and what this call did.
    public struct Material: Sendable, Equatable {
        public let directory: String
        /// `ca.pem`: the CA certificate clients should trust.
        public let caCertificatePath: String
        /// `ca.key`: the CA's private key.
        public let caPrivateKeyPath: String
        /// `server.pem`: leaf then CA.
        public let certificateChainPath: String
        /// `server.key`: the server's private key.
        public let privateKeyPath: String
        /// True when this call created a new CA.
        public let createdCA: Bool
        /// True when this call issued a new server certificate.
        public let issuedServerCertificate: Bool
    }

    /// Why the material could not be prepared.
    public enum MaterialError: Error, CustomStringConvertible {
        case file(FileSecurityError)
        case certificate(String)

        public var description: String {
            switch self {
            case .file(let error): "development TLS: \(error)"
            case .certificate(let reason): "development TLS: \(reason)"
            }
        }
    }

    /// Creates or reuses the material in `directory`.
    /// - Parameters:
    ///   - directory: e.g. `DATA/tls`; created `0700` with missing parents.
    ///   - issuerHost: the issuer's host; added as DNS or IP SAN unless it is `localhost`,
    ///     `127.0.0.1` or `::1`.
    ///   - now: the current time (injectable for tests).
    public static func ensureMaterial(
        in directory: String, issuerHost: String? = nil, now: Date = Date()
    ) throws -> Material {
        let directory = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        do throws(FileSecurityError) {
            try SecureFileIO.ensurePrivateDirectory(directory)
        } catch {
            throw MaterialError.file(error)
        }
        let caCertificatePath = directory + "/ca.pem"
        let caPrivateKeyPath = directory + "/ca.key"
        let certificateChainPath = directory + "/server.pem"
        let privateKeyPath = directory + "/server.key"
        let wantedNames = subjectAlternativeNames(issuerHost: issuerHost)

        var createdCA = false
        let ca: (certificate: Certificate, key: P256.Signing.PrivateKey)
        if let existing = try loadUsableCA(certificatePath: caCertificatePath, keyPath: caPrivateKeyPath, now: now) {
            ca = existing
        } else {
            ca = try makeCA(now: now)
            try write(Array(ca.key.pemRepresentation.utf8), to: caPrivateKeyPath, mode: 0o600)
            try write(Array(try ca.certificate.serializeAsPEM().pemString.utf8), to: caCertificatePath, mode: 0o644)
            createdCA = true
        }

        var issued = false
        let reusable =
            !createdCA
            && isServerMaterialUsable(
                chainPath: certificateChainPath, keyPath: privateKeyPath, ca: ca.certificate, wantedNames: wantedNames,
                now: now)
        if !reusable {
            let serverKey = P256.Signing.PrivateKey()
            let leaf = try makeServerCertificate(publicKey: serverKey.publicKey, names: wantedNames, ca: ca, now: now)
            let chainPEM = try leaf.serializeAsPEM().pemString + "\n" + ca.certificate.serializeAsPEM().pemString + "\n"
            // Key first: a crash between the two writes leaves a key/cert mismatch, detected next time.
            try write(Array(serverKey.pemRepresentation.utf8), to: privateKeyPath, mode: 0o600)
            try write(Array(chainPEM.utf8), to: certificateChainPath, mode: 0o644)
            issued = true
        }
        return Material(
            directory: directory,
            caCertificatePath: caCertificatePath,
            caPrivateKeyPath: caPrivateKeyPath,
            certificateChainPath: certificateChainPath,
            privateKeyPath: privateKeyPath,
            createdCA: createdCA,
            issuedServerCertificate: issued
        )
    }

    /// The SANs of the server certificate for `issuerHost`.
    public static func subjectAlternativeNames(issuerHost: String?) -> [GeneralName] {
        var names: [GeneralName] = [
            .dnsName("localhost"),
            .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
            .ipAddress(ASN1OctetString(contentBytes: ArraySlice(ipv6Loopback))),
        ]
        guard var host = issuerHost?.lowercased(), !host.isEmpty else { return names }
        host = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if let address = ipAddressBytes(host) {
            let name = GeneralName.ipAddress(ASN1OctetString(contentBytes: ArraySlice(address)))
            if !names.contains(name) { names.append(name) }
        } else if host != "localhost" {
            names.append(.dnsName(host))
        }
        return names
    }

    // MARK: CA

    private static func loadUsableCA(
        certificatePath: String, keyPath: String, now: Date
    ) throws -> (certificate: Certificate, key: P256.Signing.PrivateKey)? {
        guard SecureFileIO.exists(certificatePath), SecureFileIO.exists(keyPath) else { return nil }
        let keyBytes: [UInt8]
        let certificateBytes: [UInt8]
        do throws(FileSecurityError) {
            keyBytes = try SecureFileIO.readSecretFile(keyPath, maxBytes: maxPEMFileBytes)
            certificateBytes = try SecureFileIO.readPublicFile(certificatePath, maxBytes: maxPEMFileBytes)
        } catch {
            throw MaterialError.file(error)  // e.g. ca.key made group-readable: refuse, don't silently replace
        }
        guard
            let key = try? P256.Signing.PrivateKey(pemRepresentation: String(decoding: keyBytes, as: UTF8.self)),
            let certificate = try? Certificate(pemEncoded: String(decoding: certificateBytes, as: UTF8.self)),
            certificate.publicKey == Certificate.PublicKey(key.publicKey),
            certificate.notValidAfter > now.addingTimeInterval(days(renewalWindowDays)),
            certificate.notValidBefore <= now
        else { return nil }
        return (certificate, key)
    }

    private static func makeCA(now: Date) throws -> (certificate: Certificate, key: P256.Signing.PrivateKey) {
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        do {
            let name = try DistinguishedName {
                OrganizationName("Strongroom")
                CommonName(caCommonName)
            }
            let certificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: publicKey,
                notValidBefore: now.addingTimeInterval(-notBeforeBackdateSeconds),
                notValidAfter: now.addingTimeInterval(days(caValidityDays)),
                issuer: name,
                subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                    SubjectKeyIdentifier(hash: publicKey)
                },
                issuerPrivateKey: Certificate.PrivateKey(key)
            )
            return (certificate, key)
        } catch {
            throw MaterialError.certificate("cannot create the development CA: \(error)")
        }
    }

    // MARK: Server certificate

    private static func isServerMaterialUsable(
        chainPath: String, keyPath: String, ca: Certificate, wantedNames: [GeneralName], now: Date
    ) -> Bool {
        guard
            let chainBytes = try? SecureFileIO.readPublicFile(chainPath, maxBytes: maxPEMFileBytes),
            let keyBytes = try? SecureFileIO.readSecretFile(keyPath, maxBytes: maxPEMFileBytes),
            let documents = try? PEMDocument.parseMultiple(pemString: String(decoding: chainBytes, as: UTF8.self)),
            documents.count == 2,
            let leaf = try? Certificate(derEncoded: documents[0].derBytes),
            let chainCA = try? Certificate(derEncoded: documents[1].derBytes),
            let key = try? P256.Signing.PrivateKey(pemRepresentation: String(decoding: keyBytes, as: UTF8.self))
        else { return false }
        guard
            chainCA == ca,
            leaf.issuer == ca.subject,
            ca.publicKey.isValidSignature(leaf.signature, for: leaf),
            leaf.publicKey == Certificate.PublicKey(key.publicKey),
            leaf.notValidBefore <= now,
            leaf.notValidAfter > now.addingTimeInterval(days(renewalWindowDays)),
            let present = try? leaf.extensions.subjectAlternativeNames
        else { return false }
        return Set(present) == Set(wantedNames)
    }

    private static func makeServerCertificate(
        publicKey: P256.Signing.PublicKey,
        names: [GeneralName],
        ca: (certificate: Certificate, key: P256.Signing.PrivateKey),
        now: Date
    ) throws -> Certificate {
        let leafKey = Certificate.PublicKey(publicKey)
        do {
            let subject = try DistinguishedName {
                OrganizationName("Strongroom")
                CommonName(serverCommonName)
            }
            let caKeyIdentifier = try ca.certificate.extensions.subjectKeyIdentifier?.keyIdentifier
            let notValidAfter = min(
                now.addingTimeInterval(days(serverValidityDays)),
                ca.certificate.notValidAfter
            )
            return try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: leafKey,
                notValidBefore: now.addingTimeInterval(-notBeforeBackdateSeconds),
                notValidAfter: notValidAfter,
                issuer: ca.certificate.subject,
                subject: subject,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true))
                    try ExtendedKeyUsage([.serverAuth])
                    SubjectAlternativeNames(names)
                    SubjectKeyIdentifier(hash: leafKey)
                    AuthorityKeyIdentifier(keyIdentifier: caKeyIdentifier)
                },
                issuerPrivateKey: Certificate.PrivateKey(ca.key)
            )
        } catch {
            throw MaterialError.certificate("cannot issue the development server certificate: \(error)")
        }
    }

    // MARK: Helpers

    private static func write(_ bytes: [UInt8], to path: String, mode: mode_t) throws {
        do throws(FileSecurityError) {
            try SecureFileIO.writeAtomically(bytes, to: path, mode: mode)
        } catch {
            throw MaterialError.file(error)
        }
    }

    private static func days(_ count: Int) -> TimeInterval {
        TimeInterval(count) * 86_400
    }

    private static let ipv6Loopback: [UInt8] = Array(repeating: 0, count: 15) + [1]

    /// 4 or 16 network-order bytes when `text` is an IPv4/IPv6 literal.
    static func ipAddressBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}
