import Foundation

/// A ``KeyStore`` keeping each key as a PKCS#8 PEM file named `<kid>.pem` in one directory.
///
/// Safety rules (all enforced, not advised):
/// * the directory is created with mode `0700` and refused if group/others can access it;
/// * key files are written `0600` through a temporary file, `fsync`, `rename`, directory `fsync`
///   — a crash leaves the old state or the complete new file, never a half-written key;
/// * a key file that is group/world-accessible, not owned by the running user, a symbolic link, or
///   whose content's thumbprint differs from its name is refused with a ``KeyStoreError``;
/// * `kid` values are checked against the base64url alphabet before they touch the file system.
///
/// ```swift
/// let store = try FileKeyStore(directory: "\(dataDirectory)/keys")
/// let key = try store.createKey(.es256)
/// let again = try store.signingKey(kid: key.kid)
/// ```
public struct FileKeyStore: KeyStore {
    /// Upper bound of a key file's size; a 4096-bit RSA PKCS#8 PEM is about 3.3 KiB.
    public static let maxKeyFileBytes = 16 * 1024
    /// Longest accepted `kid` (a SHA-256 thumbprint is 43 characters).
    public static let maxKidLength = 128
    /// File name suffix of key files.
    static let keyFileSuffix = ".pem"

    /// The directory holding the key files.
    public let directory: String

    /// Opens (creating if needed, mode `0700`) the key directory.
    /// - Throws: ``KeyStoreError/file(_:)`` when the directory cannot be created or is unsafe.
    public init(directory: String) throws {
        self.directory = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        do throws(FileSecurityError) {
            try SecureFileIO.ensurePrivateDirectory(self.directory)
        } catch {
            throw KeyStoreError.file(error)
        }
    }

    public func allKeys() throws -> [StoredKeyInfo] {
        let names: [String]
        do throws(FileSecurityError) {
            names = try SecureFileIO.directoryEntries(directory)
        } catch {
            throw KeyStoreError.file(error)
        }
        var result: [StoredKeyInfo] = []
        for name in names.sorted() where name.hasSuffix(Self.keyFileSuffix) && !name.hasPrefix(".") {
            let kid = String(name.dropLast(Self.keyFileSuffix.count))
            guard Self.isValidKid(kid) else { continue }
            let key = try load(kid: kid)
            let createdAt: Date
            do throws(FileSecurityError) {
                createdAt = Date(timeIntervalSince1970: try SecureFileIO.modificationTime(path(for: kid)))
            } catch {
                throw KeyStoreError.file(error)
            }
            result.append(
                StoredKeyInfo(kid: key.kid, algorithm: key.algorithm, publicJWK: key.publicJWK, createdAt: createdAt))
        }
        return result
    }

    public func signingKey(kid: String) throws -> OPSigningKey {
        guard Self.isValidKid(kid) else { throw KeyStoreError.invalidKeyIdentifier }
        return try load(kid: kid)
    }

    public func createKey(_ alg: SigningAlgorithm) throws -> OPSigningKey {
        let key = try OPSigningKey.generate(alg)
        do throws(FileSecurityError) {
            try SecureFileIO.writeAtomically(Array(key.pkcs8PEMRepresentation().utf8), to: path(for: key.kid))
        } catch {
            throw KeyStoreError.file(error)
        }
        return key
    }

    public func deleteKey(kid: String) throws {
        guard Self.isValidKid(kid) else { throw KeyStoreError.invalidKeyIdentifier }
        do throws(FileSecurityError) {
            try SecureFileIO.remove(path(for: kid))
        } catch  where error.isNotFound {
            throw KeyStoreError.keyNotFound(kid: kid)
        } catch {
            throw KeyStoreError.file(error)
        }
    }

    /// The file that holds (or would hold) the key `kid`.
    public func path(for kid: String) -> String {
        "\(directory)/\(kid)\(Self.keyFileSuffix)"
    }

    // MARK: Private

    private func load(kid: String) throws -> OPSigningKey {
        let file = path(for: kid)
        let bytes: [UInt8]
        do throws(FileSecurityError) {
            bytes = try SecureFileIO.readSecretFile(file, maxBytes: Self.maxKeyFileBytes)
        } catch  where error.isNotFound {
            throw KeyStoreError.keyNotFound(kid: kid)
        } catch {
            throw KeyStoreError.file(error)
        }
        let key: OPSigningKey
        do {
            key = try OPSigningKey(pemRepresentation: String(decoding: bytes, as: UTF8.self))
        } catch {
            throw KeyStoreError.unreadableKey(path: file, reason: "\(error)")
        }
        guard key.kid == kid else { throw KeyStoreError.kidMismatch(path: file, computedKid: key.kid) }
        return key
    }

    static func isValidKid(_ kid: String) -> Bool {
        guard (1...maxKidLength).contains(kid.utf8.count) else { return false }
        return kid.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                true
            default:
                false
            }
        }
    }
}
