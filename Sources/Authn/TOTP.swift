import Crypto

/// Time-based one-time passwords (RFC 6238) as authenticator apps compute them: HMAC-SHA1
/// (RFC 4226), 30-second steps counted from the Unix epoch, 6 digits by default.
///
/// Verification accepts the current step and one step either side (clock drift, RFC 6238 §5.2)
/// and returns the step that matched; the caller stores it and passes it back as `lastUsedStep`, so
/// the same code (or an older one) is never accepted twice (RFC 6238 §5.2: "the verifier MUST NOT
/// accept the second attempt of the OTP after the successful validation").
///
/// ```swift
/// let totp = try TOTP(base32Secret: "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP")
/// if let step = totp.verify(typedCode, at: now, lastUsedStep: user.lastTOTPStep) {
///     user.lastTOTPStep = step      // refuse this code from now on
/// }
/// ```
public struct TOTP: Sendable {
    /// The step length authenticator apps use (RFC 6238 §5.2 recommends 30 s).
    public static let defaultStepSeconds: Int64 = 30
    /// The number of digits authenticator apps show.
    public static let defaultDigits = 6
    /// Shortest accepted secret: 16 bytes = 128 bits (RFC 4226 §4 R6; 160 bits recommended).
    public static let secretByteCountMin = 16
    /// Longest accepted secret: 64 bytes, one HMAC-SHA1 block.
    public static let secretByteCountMax = 64
    /// Length of secrets made by ``generateSecret()``: 20 bytes = 160 bits (RFC 4226 §4 R6).
    public static let generatedSecretByteCount = 20
    /// Steps accepted either side of the current one by default (±30 s).
    public static let defaultWindowSteps: Int64 = 1
    /// Upper bound on the window a caller may ask for (±5 steps = ±150 s).
    public static let windowStepsMax: Int64 = 5

    /// Why a TOTP generator could not be made.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// The secret is not RFC 4648 Base32.
        case secretNotBase32
        /// The secret is shorter than ``TOTP/secretByteCountMin`` or longer than ``TOTP/secretByteCountMax``.
        case secretLength(bits: Int)
        /// The digit count is outside 6...8 or the step is not positive.
        case unsupportedParameters(String)

        public var description: String {
            switch self {
            case .secretNotBase32:
                "the TOTP secret is not Base32 (letters A-Z, digits 2-7, optional = padding and spaces)"
            case .secretLength(let bits):
                "the TOTP secret has \(bits) bits; it must have \(TOTP.secretByteCountMin * 8) to "
                    + "\(TOTP.secretByteCountMax * 8) bits: enrol the authenticator again with a new secret"
            case .unsupportedParameters(let reason):
                "unsupported TOTP parameters: \(reason)"
            }
        }
    }

    private let key: SymmetricKey
    /// Digits per code (6 for authenticator apps; RFC 6238's test vectors use 8).
    public let digits: Int
    /// Step length in seconds.
    public let stepSeconds: Int64

    /// Creates a generator from the raw secret bytes.
    ///
    /// ```swift
    /// let totp = try TOTP(secret: Array("12345678901234567890".utf8), digits: 8)
    /// totp.code(at: 59)   // "94287082" (RFC 6238 Appendix B)
    /// ```
    public init(
        secret: [UInt8], digits: Int = TOTP.defaultDigits, stepSeconds: Int64 = TOTP.defaultStepSeconds
    )
        throws(Failure)
    {
        try Self.requireSecretLength(secret)
        guard (6...8).contains(digits) else { throw .unsupportedParameters("digits=\(digits) is outside 6...8") }
        guard stepSeconds > 0 else { throw .unsupportedParameters("step=\(stepSeconds) s is not positive") }
        self.key = SymmetricKey(data: secret)
        self.digits = digits
        self.stepSeconds = stepSeconds
    }

    /// Creates a generator from a Base32 secret as shown to the user or put in an `otpauth://` URI.
    public init(
        base32Secret: String, digits: Int = TOTP.defaultDigits, stepSeconds: Int64 = TOTP.defaultStepSeconds
    ) throws(Failure) {
        guard let secret = Base32.decode(base32Secret) else { throw .secretNotBase32 }
        try self.init(secret: secret, digits: digits, stepSeconds: stepSeconds)
    }

    /// A fresh random secret of ``generatedSecretByteCount`` bytes for a new enrolment.
    public static func generateSecret() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<generatedSecretByteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// Refuses secrets shorter than 128 bits (RFC 4226 §4 R6) or longer than one HMAC block.
    static func requireSecretLength(_ secret: [UInt8]) throws(Failure) {
        guard (secretByteCountMin...secretByteCountMax).contains(secret.count) else {
            throw .secretLength(bits: secret.count * 8)
        }
    }

    /// The time step containing `unixSeconds`: ⌊unixSeconds / step⌋ (RFC 6238 §4.2).
    public func step(at unixSeconds: Int64) -> Int64 {
        let (quotient, remainder) = unixSeconds.quotientAndRemainder(dividingBy: stepSeconds)
        return remainder < 0 ? quotient - 1 : quotient
    }

    /// The code for the step containing `unixSeconds`, zero-padded to ``digits`` digits.
    public func code(at unixSeconds: Int64) -> String {
        code(forStep: step(at: unixSeconds))
    }

    /// The HOTP value (RFC 4226 §5.3) for counter `step`, zero-padded to ``digits`` digits.
    public func code(forStep step: Int64) -> String {
        let counter = withUnsafeBytes(of: UInt64(bitPattern: step).bigEndian) { Array($0) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: counter, using: key))
        let offset = Int(mac[mac.count - 1] & 0x0f)
        let binary =
            (UInt32(mac[offset] & 0x7f) << 24) | (UInt32(mac[offset + 1]) << 16)
            | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let value = String(binary % modulus)
        return String(repeating: "0", count: digits - value.count) + value
    }

    /// Checks a code typed by the user. Returns the time step it matched, or `nil`.
    ///
    /// Accepts steps `current − window … current + window`, skips every step at or before
    /// `lastUsedStep` (replay: a code, once accepted, and all older codes are refused), and
    /// compares in constant time against every candidate. `code` must be exactly ``digits`` ASCII
    /// digits (the caller may strip spaces the user typed first).
    ///
    /// ```swift
    /// guard let step = totp.verify("287082", at: now, lastUsedStep: stored) else { throw … }
    /// stored = step
    /// ```
    public func verify(
        _ code: String, at unixSeconds: Int64, window: Int64 = TOTP.defaultWindowSteps, lastUsedStep: Int64?
    ) -> Int64? {
        let typed = Array(code.utf8)
        guard typed.count == digits, typed.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            return nil
        }
        let window = min(max(window, 0), Self.windowStepsMax)
        let current = step(at: unixSeconds)
        var matched: Int64? = nil
        for candidate in (current - window)...(current + window) {
            // Every candidate is computed and compared, so timing does not reveal which one matched.
            let equal = ConstantTime.equals(Array(self.code(forStep: candidate).utf8), typed)
            let fresh = candidate >= 0 && (lastUsedStep.map { candidate > $0 } ?? true)
            if equal && fresh { matched = candidate }
        }
        return matched
    }
}
