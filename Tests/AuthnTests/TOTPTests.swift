import Testing

@testable import Authn

/// RFC 6238 TOTP and RFC 4648 Base32 secrets.
@Suite struct TOTPTests {
    static let rfcSecret = Array("12345678901234567890".utf8)

    /// RFC 6238 Appendix B, SHA-1 column (8 digits).
    @Test(arguments: [
        (Int64(59), "94287082"), (1_111_111_109, "07081804"), (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"), (2_000_000_000, "69279037"), (20_000_000_000, "65353130"),
    ])
    func matchesTheRFC6238AppendixBVectors(time: Int64, expected: String) throws {
        let totp = try TOTP(secret: Self.rfcSecret, digits: 8)
        #expect(totp.code(at: time) == expected)
        #expect(totp.verify(expected, at: time, lastUsedStep: nil) == time / 30)
    }

    @Test func sixDigitCodesAreTheLowDigitsAsAuthenticatorAppsShow() throws {
        let totp = try TOTP(secret: Self.rfcSecret)
        #expect(totp.code(at: 59) == "287082")
        #expect(totp.code(at: 1_111_111_109) == "081804")
    }

    @Test func acceptsOneStepOfDriftEitherSideAndNoMore() throws {
        let totp = try TOTP(secret: Self.rfcSecret)
        let now: Int64 = 1_700_000_015
        let step = now / 30
        #expect(totp.verify(totp.code(forStep: step - 1), at: now, lastUsedStep: nil) == step - 1)
        #expect(totp.verify(totp.code(forStep: step + 1), at: now, lastUsedStep: nil) == step + 1)
        #expect(totp.verify(totp.code(forStep: step - 2), at: now, lastUsedStep: nil) == nil)
        #expect(totp.verify(totp.code(forStep: step + 2), at: now, lastUsedStep: nil) == nil)
        #expect(totp.verify(totp.code(forStep: step - 2), at: now, window: 2, lastUsedStep: nil) == step - 2)
        #expect(totp.verify(totp.code(forStep: step - 1), at: now, window: 0, lastUsedStep: nil) == nil)
    }

    /// RFC 6238 §5.2: a code accepted once is refused afterwards (replay), and so are older codes.
    @Test func refusesReplayOfTheLastUsedStepAndOlderSteps() throws {
        let totp = try TOTP(secret: Self.rfcSecret)
        let now: Int64 = 1_700_000_015
        let code = totp.code(at: now)
        let used = try #require(totp.verify(code, at: now, lastUsedStep: nil))
        #expect(totp.verify(code, at: now, lastUsedStep: used) == nil)
        #expect(totp.verify(code, at: now + 20, lastUsedStep: used) == nil)
        #expect(totp.verify(totp.code(forStep: used - 1), at: now, lastUsedStep: used) == nil)
        #expect(totp.verify(totp.code(forStep: used + 1), at: now + 30, lastUsedStep: used) == used + 1)
    }

    @Test(arguments: ["", "12345", "1234567", "12345a", " 287082", "２８７０８２"])
    func refusesCodesThatAreNotExactlySixASCIIDigits(_ code: String) throws {
        let totp = try TOTP(secret: Self.rfcSecret)
        #expect(totp.verify(code, at: 59, lastUsedStep: nil) == nil)
    }

    @Test func refusesSecretsShorterThan128Bits() throws {
        #expect(throws: TOTP.Failure.secretLength(bits: 120)) {
            try TOTP(secret: Array(repeating: 7, count: 15))
        }
        #expect(throws: TOTP.Failure.secretLength(bits: 80)) { try TOTP(base32Secret: "JBSWY3DPEHPK3PXP") }
        _ = try TOTP(secret: Array(repeating: 7, count: 16))
        #expect(throws: TOTP.Failure.secretNotBase32) { try TOTP(base32Secret: "JBSWY3DPEHPK3PX1") }
    }

    @Test func generatedSecretsAre160BitsAndRoundTripThroughBase32() throws {
        let secret = TOTP.generateSecret()
        #expect(secret.count == 20)
        #expect(secret != TOTP.generateSecret())
        let text = Base32.encode(secret)
        let fromText = try TOTP(base32Secret: text.lowercased())
        let fromBytes = try TOTP(secret: secret)
        #expect(fromText.code(at: 1_000) == fromBytes.code(at: 1_000))
    }

    @Test func stepsBeforeTheEpochRoundDown() throws {
        let totp = try TOTP(secret: Self.rfcSecret)
        #expect(totp.step(at: -1) == -1)
        #expect(totp.step(at: 29) == 0)
        #expect(totp.verify(totp.code(forStep: 0), at: 0, lastUsedStep: nil) == 0)
    }
}

/// RFC 4648 §10 Base32 vectors, and the forgiving input rules for typed secrets.
@Suite struct Base32Tests {
    @Test(arguments: [
        ("", ""), ("f", "MY"), ("fo", "MZXQ"), ("foo", "MZXW6"), ("foob", "MZXW6YQ"), ("fooba", "MZXW6YTB"),
        ("foobar", "MZXW6YTBOI"),
    ])
    func encodesAndDecodesTheRFC4648Vectors(plain: String, encoded: String) {
        #expect(Base32.encode(Array(plain.utf8)) == encoded)
        #expect(Base32.decode(encoded) == Array(plain.utf8))
    }

    @Test func paddingIsOptionalCaseIgnoredAndSpacesSkipped() {
        #expect(Base32.encode(Array("foobar".utf8), padding: true) == "MZXW6YTBOI======")
        #expect(Base32.decode("MZXW6YTBOI======") == Array("foobar".utf8))
        #expect(Base32.decode("mzxw 6ytb oi") == Array("foobar".utf8))
        #expect(Base32.decode("mZxW6 YtBoI ===  ===") == Array("foobar".utf8))
    }

    @Test(arguments: ["MZXW6YTBOI=", "MZ=XW6YTBOI", "MZXW1", "MZXW6YTB0I", "M", "MZX", "MZXW6Y", "MZ-XW"])
    func refusesTextThatIsNotBase32(_ text: String) {
        #expect(Base32.decode(text) == nil)
    }
}
