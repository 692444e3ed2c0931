import Testing

@testable import Authn

/// DESIGN.md "Secrets never enter the journal … in clear": TOTP seeds are sealed with AES-256-GCM
/// under an OP-held key and bound to their owner.
@Suite struct SecretSealerTests {
    let key = SecretSealer.generateKey()
    let seed = TOTP.generateSecret()
    let alice = Array("user-alice".utf8)

    @Test func sealsIntoAVersionedStringThatOpensForTheSameOwner() throws {
        let sealer = try SecretSealer(key: key)
        let sealed = try sealer.seal(seed, associatedData: alice)
        let parts = sealed.split(separator: ".")
        #expect(parts.count == 3)
        #expect(parts[0] == "v1")
        #expect(String(parts[1]) == sealer.currentKeyId)
        #expect(!sealed.contains(Base32.encode(seed)))
        #expect(try sealer.open(sealed, associatedData: alice) == seed)
        #expect(try sealer.seal(seed, associatedData: alice) != sealed)  // fresh nonce every time
    }

    @Test func aSealedSeedMovedToAnotherUserDoesNotOpen() throws {
        let sealer = try SecretSealer(key: key)
        let sealed = try sealer.seal(seed, associatedData: alice)
        #expect(throws: SecretSealer.Failure.authenticationFailed) {
            try sealer.open(sealed, associatedData: Array("user-mallory".utf8))
        }
    }

    @Test func anAlteredValueDoesNotOpen() throws {
        let sealer = try SecretSealer(key: key)
        var sealed = Array(try sealer.seal(seed, associatedData: alice).utf8)
        let last = sealed.count - 5
        sealed[last] = sealed[last] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(throws: SecretSealer.Failure.authenticationFailed) {
            try sealer.open(String(decoding: sealed, as: UTF8.self), associatedData: alice)
        }
    }

    @Test func anotherKeyIsReportedByItsKeyId() throws {
        let sealed = try SecretSealer(key: key).seal(seed, associatedData: alice)
        let other = try SecretSealer(key: SecretSealer.generateKey())
        #expect(throws: SecretSealer.Failure.unknownKey(SecretSealer.keyId(of: key))) {
            try other.open(sealed, associatedData: alice)
        }
    }

    @Test func rotationOpensWithPreviousKeysAndSealsWithTheCurrentOne() throws {
        let old = try SecretSealer(key: key)
        let sealed = try old.seal(seed, associatedData: alice)
        let rotated = try SecretSealer(key: SecretSealer.generateKey(), previousKeys: [key])
        #expect(try rotated.open(sealed, associatedData: alice) == seed)
        #expect(!rotated.isSealedWithCurrentKey(sealed))
        #expect(rotated.isSealedWithCurrentKey(try rotated.seal(seed, associatedData: alice)))
    }

    @Test func refusesBadKeysPlaintextsAndMalformedValues() throws {
        #expect(throws: SecretSealer.Failure.keyLength(16)) { try SecretSealer(key: Array(repeating: 1, count: 16)) }
        let sealer = try SecretSealer(key: key)
        #expect(throws: SecretSealer.Failure.plaintextLength(0)) { try sealer.seal([], associatedData: alice) }
        for bad in ["", "v1.abc", "v2.\(sealer.currentKeyId).AAAA", "v1..AAAA", "v1.\(sealer.currentKeyId).AA+A"] {
            #expect(throws: SecretSealer.Failure.self) { try sealer.open(bad, associatedData: alice) }
        }
    }
}
