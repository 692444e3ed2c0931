import Foundation
import JOSE
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A fresh directory path under the system temp directory (not created), removed by `cleanup()`.
struct JOSETemporaryDirectory {
    let root: String

    init() {
        root = FileManager.default.temporaryDirectory.path + "/jose-tests-" + UUID().uuidString
    }

    func cleanup() {
        try? FileManager.default.removeItem(atPath: root)
    }

    static func mode(_ path: String) -> mode_t {
        var info = stat()
        guard lstat(path, &info) == 0 else { return 0xFFFF }
        return info.st_mode & 0o7777
    }
}

@Suite("JOSE: FileKeyStore")
struct JOSEFileKeyStoreTests {
    @Test("creates the directory 0700 and key files 0600, named by kid, no temp files left")
    func permissionsAndLayout() throws {
        let temp = JOSETemporaryDirectory()
        defer { temp.cleanup() }
        let directory = temp.root + "/data/keys"
        let store = try FileKeyStore(directory: directory)
        #expect(JOSETemporaryDirectory.mode(directory) == 0o700)

        let es = try store.createKey(.es256)
        let ps = try store.createKey(.ps256)
        for key in [es, ps] {
            #expect(JOSETemporaryDirectory.mode(store.path(for: key.kid)) == 0o600)
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(names == ["\(es.kid).pem", "\(ps.kid).pem"].sorted())
        let content = try String(contentsOfFile: store.path(for: es.kid), encoding: .utf8)
        #expect(content.hasPrefix("-----BEGIN PRIVATE KEY-----"))
    }

    @Test("keys survive a new store instance: listing, loading and signing")
    func persistence() throws {
        let temp = JOSETemporaryDirectory()
        defer { temp.cleanup() }
        let created = try FileKeyStore(directory: temp.root).createKey(.ps256)
        let reopened = try FileKeyStore(directory: temp.root)
        let infos = try reopened.allKeys()
        #expect(infos.map(\.kid) == [created.kid])
        #expect(infos.first?.algorithm == .ps256)
        #expect(infos.first?.publicJWK == created.publicJWK)
        let loaded = try reopened.signingKey(kid: created.kid)
        let data = Array("payload".utf8)
        #expect(try JOSESigningKeyTests.verify(try loaded.sign(data), over: data, with: created.publicJWK))
    }

    @Test("a group/world-readable key file is refused with a clear error")
    func refusesWorldReadableKeyFile() throws {
        let temp = JOSETemporaryDirectory()
        defer { temp.cleanup() }
        let store = try FileKeyStore(directory: temp.root)
        let key = try store.createKey(.es256)
        let path = store.path(for: key.kid)
        #expect(chmod(path, 0o644) == 0)
        do {
            _ = try store.signingKey(kid: key.kid)
            Issue.record("a 0644 key file was loaded")
        } catch let error as KeyStoreError {
            guard case .file(.insecurePermissions(let reported, let mode)) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(reported == path)
            #expect(mode & 0o777 == 0o644)
            #expect(error.description.contains("chmod go-rwx"))
        }
        #expect(throws: KeyStoreError.self) { try store.allKeys() }
    }

    @Test("an existing group/world-accessible key directory is refused")
    func refusesOpenDirectory() throws {
        let temp = JOSETemporaryDirectory()
        defer { temp.cleanup() }
        #expect(mkdir(temp.root, 0o755) == 0)
        #expect(chmod(temp.root, 0o755) == 0)
        #expect(throws: KeyStoreError.file(.insecurePermissions(path: temp.root, mode: UInt32(S_IFDIR | 0o755)))) {
            try FileKeyStore(directory: temp.root)
        }
    }

    @Test("a symbolic link in place of a key file is refused")
    func refusesSymlink() throws {
        let temp = JOSETemporaryDirectory()
        defer { temp.cleanup() }
        let store = try FileKeyStore(directory: temp.root + "/keys")
        let key = try store.createKey(.es256)
        let real = temp.root + "/elsewhere.pem"
        #expect(rename(store.path(for: key.kid), real) == 0)
        #expect(symlink(real, store.path(for: key.kid)) == 0)
        #expect(throws: KeyStoreError.file(.wrongFileType(path: store.path(for: key.kid)))) {
            try store.signingKey(kid: key.kid)
        }
    }

    @Test("a file whose name is not the thumbprint of its key is refused")
    func refusesKidMismatch() throws {
        let temp = JOSETemporaryDirectory()
        defer { temp.cleanup() }
        let store = try FileKeyStore(directory: temp.root)
        let key = try store.createKey(.es256)
        let fakeKid = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        #expect(rename(store.path(for: key.kid), store.path(for: fakeKid)) == 0)
        #expect(throws: KeyStoreError.kidMismatch(path: store.path(for: fakeKid), computedKid: key.kid)) {
            try store.signingKey(kid: fakeKid)
        }
    }

    @Test("kid values outside the base64url alphabet never reach the file system")
    func rejectsPathLikeKids() throws {
        let temp = JOSETemporaryDirectory()
        defer { temp.cleanup() }
        let store = try FileKeyStore(directory: temp.root)
        for kid in ["../escape", "a/b", "", ".hidden", String(repeating: "a", count: FileKeyStore.maxKidLength + 1)] {
            #expect(throws: KeyStoreError.invalidKeyIdentifier) { try store.signingKey(kid: kid) }
            #expect(throws: KeyStoreError.invalidKeyIdentifier) { try store.deleteKey(kid: kid) }
        }
    }

    @Test("delete removes the key; unknown kids report keyNotFound")
    func deleteAndNotFound() throws {
        let temp = JOSETemporaryDirectory()
        defer { temp.cleanup() }
        let store = try FileKeyStore(directory: temp.root)
        let keep = try store.createKey(.es256)
        let drop = try store.createKey(.es256)
        try store.deleteKey(kid: drop.kid)
        #expect(try store.allKeys().map(\.kid) == [keep.kid])
        #expect(throws: KeyStoreError.keyNotFound(kid: drop.kid)) { try store.signingKey(kid: drop.kid) }
        #expect(throws: KeyStoreError.keyNotFound(kid: drop.kid)) { try store.deleteKey(kid: drop.kid) }
    }
}
