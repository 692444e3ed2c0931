import Crypto
import Foundation
import _CryptoExtras

/// One of the OP's private signing keys, with its public JWK and `kid` (= RFC 7638 thumbprint).
///
/// ES256 keys are P-256; PS256 keys are RSA, at least ``minimumRSAKeyBits`` bits (SP-38), generated
/// at ``generatedRSAKeyBits``. The private key has no public accessor: it leaves this value only as a
/// signature, or as PKCS#8 PEM through the package-internal ``pkcs8PEMRepresentation()`` that
/// ``FileKeyStore`` uses to persist it.
///
/// ```swift
/// let key = try OPSigningKey.generate(.es256)
/// let signingInput = Array("\(headerB64).\(payloadB64)".utf8)
/// let signature = try key.sign(signingInput)          // 64 bytes r||s for ES256
/// let jws = "\(headerB64).\(payloadB64).\(Base64URL.encode(signature))"
/// ```
public struct OPSigningKey: Sendable {
    /// Smallest RSA modulus accepted on import (SP-38, F1-03).
    public static let minimumRSAKeyBits = 2048
    /// RSA modulus size used for newly generated PS256 keys.
    public static let generatedRSAKeyBits = 2048

    /// Key identifier: the RFC 7638 SHA-256 thumbprint of ``publicJWK``.
    public let kid: String
    /// The JWS algorithm this key signs with.
    public let algorithm: SigningAlgorithm
    /// The public half as published in the JWKS (`kid`, `use: sig`, `alg` set).
    public let publicJWK: PublicJWK

    private let material: Material

    private enum Material: Sendable {
        case es256(P256.Signing.PrivateKey)
        case ps256(_RSA.Signing.PrivateKey)
    }

    /// Why a key could not be created or imported.
    public enum KeyError: Error, CustomStringConvertible {
        /// The PEM is neither a P-256 nor an RSA private key (PKCS#8 or SEC1/PKCS#1).
        case unrecognisedPrivateKeyPEM
        /// The RSA key is smaller than ``OPSigningKey/minimumRSAKeyBits``.
        case rsaKeyTooSmall(bits: Int)

        public var description: String {
            switch self {
            case .unrecognisedPrivateKeyPEM:
                "the PEM is not a P-256 (ES256) or RSA (PS256) private key"
            case .rsaKeyTooSmall(let bits):
                "RSA key has \(bits) bits; at least \(OPSigningKey.minimumRSAKeyBits) are required"
            }
        }
    }

    /// Generates a fresh key for `algorithm` from the system CSPRNG.
    public static func generate(_ algorithm: SigningAlgorithm) throws -> OPSigningKey {
        switch algorithm {
        case .es256:
            return try OPSigningKey(material: .es256(P256.Signing.PrivateKey()))
        case .ps256:
            let keySize = _RSA.Signing.KeySize(bitCount: generatedRSAKeyBits)
            return try OPSigningKey(material: .ps256(_RSA.Signing.PrivateKey(keySize: keySize)))
        }
    }

    /// Imports a private key from PEM (PKCS#8 `PRIVATE KEY`; SEC1 `EC PRIVATE KEY` and PKCS#1
    /// `RSA PRIVATE KEY` are accepted too). The algorithm follows from the key type.
    public init(pemRepresentation pem: String) throws {
        if let ec = try? P256.Signing.PrivateKey(pemRepresentation: pem) {
            try self.init(material: .es256(ec))
            return
        }
        if let rsa = try? _RSA.Signing.PrivateKey(unsafePEMRepresentation: pem) {
            guard rsa.keySizeInBits >= Self.minimumRSAKeyBits else {
                throw KeyError.rsaKeyTooSmall(bits: rsa.keySizeInBits)
            }
            try self.init(material: .ps256(rsa))
            return
        }
        throw KeyError.unrecognisedPrivateKeyPEM
    }

    /// The private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`). Package-internal: only the
    /// key store writes private keys anywhere.
    package func pkcs8PEMRepresentation() -> String {
        switch material {
        case .es256(let key): key.pemRepresentation
        case .ps256(let key): key.pkcs8PEMRepresentation
        }
    }

    /// Signs `data` (the JWS signing input `BASE64URL(header).BASE64URL(payload)`) and returns the
    /// JWS signature bytes: ES256 → 64-byte `r || s` (RFC 7518 §3.4); PS256 → RSASSA-PSS with
    /// SHA-256, MGF1-SHA-256 and a 32-byte salt (RFC 7518 §3.5).
    public func sign<Bytes: DataProtocol>(_ data: Bytes) throws -> [UInt8] {
        switch material {
        case .es256(let key):
            return [UInt8](try key.signature(for: data).rawRepresentation)
        case .ps256(let key):
            return [UInt8](try key.signature(for: SHA256.hash(data: data), padding: .PSS).rawRepresentation)
        }
    }

    private init(material: Material) throws {
        let jwk: PublicJWK
        let algorithm: SigningAlgorithm
        switch material {
        case .es256(let key):
            let raw = [UInt8](key.publicKey.rawRepresentation)  // x || y, 32 bytes each
            jwk = try PublicJWK.ec(
                crv: "P-256",
                x: Base64URL.encode(raw[0..<32]),
                y: Base64URL.encode(raw[32..<64]),
                alg: .es256
            )
            algorithm = .es256
        case .ps256(let key):
            let primitives = try key.publicKey.getKeyPrimitives()
            jwk = try PublicJWK.rsa(
                n: Base64URL.encode(Self.strippingLeadingZeros(primitives.modulus)),
                e: Base64URL.encode(Self.strippingLeadingZeros(primitives.publicExponent)),
                alg: .ps256
            )
            algorithm = .ps256
        }
        let kid = JWKThumbprint.sha256(of: jwk)
        self.kid = kid
        self.algorithm = algorithm
        self.publicJWK = jwk.withKid(kid)
        self.material = material
    }

    /// JWA integers are unsigned big-endian with no leading zero octets (RFC 7518 §6.3.1).
    private static func strippingLeadingZeros(_ data: Data) -> [UInt8] {
        let bytes = [UInt8](data)
        guard let first = bytes.firstIndex(where: { $0 != 0 }) else { return [0] }
        return Array(bytes[first...])
    }
}
