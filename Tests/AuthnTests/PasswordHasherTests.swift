import Testing

@testable import Authn

/// DESIGN.md "Secrets never enter the journal … in clear": passwords are stored as scrypt PHC strings.
/// Only a handful of hashes use the real (slow) parameters; no test measures time.
@Suite struct PasswordHasherTests {
    let hasher = PasswordHasher()
    /// Cheap parameters for tests that are about the format, not the cost.
    let cheap = PasswordHasher(parameters: .init(logN: 4, blockSize: 8, parallelism: 1))

    @Test func hashesToASelfDescribingPHCStringThatVerifies() throws {
        let stored = try hasher.hash(password: "correct horse battery staple")
        #expect(stored.hasPrefix("$scrypt$ln=15,r=8,p=1$"))
        #expect(!stored.contains("correct horse"))
        let fields = stored.split(separator: "$")
        #expect(fields.count == 4)
        #expect(UnpaddedBase64.decode(fields[2])?.count == PasswordHasher.saltByteCount)
        #expect(UnpaddedBase64.decode(fields[3])?.count == PasswordHasher.hashByteCount)
        #expect(
            try hasher.verify(password: "correct horse battery staple", against: stored)
                == .init(matches: true, needsRehash: false))
        #expect(try hasher.verify(password: "correct horse battery stapler", against: stored).matches == false)
    }

    @Test func eachHashHasItsOwnSalt() throws {
        let first = try cheap.hash(password: "same password")
        let second = try cheap.hash(password: "same password")
        #expect(first != second)
    }

    /// RFC 7914 §12, second test vector: scrypt("password", "NaCl", N=1024, r=8, p=16, 64 bytes).
    @Test func derivesTheRFC7914TestVector() throws {
        let expected: [UInt8] = [
            0xfd, 0xba, 0xbe, 0x1c, 0x9d, 0x34, 0x72, 0x00, 0x78, 0x56, 0xe7, 0x19, 0x0d, 0x01, 0xe9, 0xfe,
            0x7c, 0x6a, 0xd7, 0xcb, 0xc8, 0x23, 0x78, 0x30, 0xe7, 0x73, 0x76, 0x63, 0x4b, 0x37, 0x31, 0x62,
            0x2e, 0xaf, 0x30, 0xd9, 0x2e, 0x22, 0xa3, 0x88, 0x6f, 0xf1, 0x09, 0x27, 0x9d, 0x98, 0x30, 0xda,
            0xc7, 0x27, 0xaf, 0xb9, 0x4a, 0x83, 0xee, 0x6d, 0x83, 0x60, 0xcb, 0xdf, 0xa2, 0xcc, 0x06, 0x40,
        ]
        let derived = try PasswordHasher.derive(
            Array("password".utf8), salt: Array("NaCl".utf8),
            parameters: .init(logN: 10, blockSize: 8, parallelism: 16), byteCount: 64)
        #expect(derived == expected)
    }

    @Test func reportsARehashWhenParametersWereRaised() throws {
        let stored = try cheap.hash(password: "hunter2hunter2")
        #expect(stored.hasPrefix("$scrypt$ln=4,r=8,p=1$"))
        #expect(try cheap.verify(password: "hunter2hunter2", against: stored).needsRehash == false)
        #expect(
            try hasher.verify(password: "hunter2hunter2", against: stored) == .init(matches: true, needsRehash: true))
        #expect(try hasher.verify(password: "wrong", against: stored) == .init(matches: false, needsRehash: false))
    }

    @Test func refusesEmptyAndOverlongPasswords() throws {
        #expect(throws: PasswordHasher.Failure.emptyPassword) { try hasher.hash(password: "") }
        let long = String(repeating: "a", count: PasswordHasher.passwordByteCountMax + 1)
        #expect(throws: PasswordHasher.Failure.passwordTooLong(byteCount: 1025)) { try hasher.hash(password: long) }
        let stored = try cheap.hash(password: "something")
        #expect(throws: PasswordHasher.Failure.emptyPassword) { try cheap.verify(password: "", against: stored) }
        #expect(throws: PasswordHasher.Failure.passwordTooLong(byteCount: 1025)) {
            try cheap.verify(password: long, against: stored)
        }
        let maximal = String(repeating: "a", count: PasswordHasher.passwordByteCountMax)
        #expect(try cheap.verify(password: maximal, against: try cheap.hash(password: maximal)).matches)
    }

    @Test func normalizesUnicodeBeforeHashing() throws {
        let stored = try cheap.hash(password: "caf\u{E9}-passw\u{F6}rd")
        #expect(try cheap.verify(password: "cafe\u{301}-passwo\u{308}rd", against: stored).matches)
    }

    @Test(arguments: [
        "",
        "scrypt$ln=4,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
        "$scrypt$ln=4,r=8$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$r=8,ln=4,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=4,r=8,p=1$AAAA====$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=4,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$not*base64",
        "$scrypt$ln=-1,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=4,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA$extra",
    ])
    func refusesMalformedStoredStrings(_ stored: String) {
        #expect(throws: PasswordHasher.Failure.self) { try cheap.verify(password: "pw", against: stored) }
    }

    @Test func refusesStoredParametersAboveTheMemoryLimit() {
        // ln=20, r=8 needs 1 GiB: refused before anything is allocated, so a tampered projection
        // cannot exhaust the OP's memory.
        let stored = "$scrypt$ln=20,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        #expect {
            try hasher.verify(password: "pw", against: stored)
        } throws: { error in
            guard case PasswordHasher.Failure.unsupportedParameters = error else { return false }
            return true
        }
    }
}
