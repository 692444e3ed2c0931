import Crypto
import Foundation
import _CryptoExtras

/// Password hashing with scrypt (RFC 7914), encoded as a self-describing PHC string so that the
/// cost parameters can be raised later without invalidating stored hashes.
///
/// Passwords never enter the journal or the projection in clear (DESIGN.md); only the PHC string
/// produced here is stored. The format is
/// `$scrypt$ln=<log2 N>,r=<block size>,p=<parallelism>$<salt>$<hash>` with salt and hash in
/// standard base64 without padding (the PHC string format's "B64").
///
/// ```swift
/// let hasher = PasswordHasher()
/// let stored = try hasher.hash(password: "correct horse battery staple")
/// // "$scrypt$ln=15,r=8,p=1$…$…"
/// let result = try hasher.verify(password: attempt, against: stored)
/// if result.matches, result.needsRehash { store(try hasher.hash(password: attempt)) }
/// ```
public struct PasswordHasher: Sendable {
    /// scrypt cost parameters.
    public struct Parameters: Sendable, Hashable, CustomStringConvertible {
        /// log2 of the CPU/memory cost N.
        public var logN: Int
        /// Block size r.
        public var blockSize: Int
        /// Parallelism p.
        public var parallelism: Int

        public init(logN: Int, blockSize: Int, parallelism: Int) {
            self.logN = logN
            self.blockSize = blockSize
            self.parallelism = parallelism
        }

        /// Memory scrypt needs for these parameters: 128 · r · (N + p + 1) bytes (BoringSSL's
        /// allocation for V, B and T).
        public var memoryBytes: Int {
            128 * blockSize * ((1 << logN) + parallelism + 1)
        }

        public var description: String { "ln=\(logN),r=\(blockSize),p=\(parallelism)" }
    }

    /// The parameters new hashes use: N = 2^15, r = 8, p = 1 (32 MiB per hash). Measured on the
    /// build machine (shared AMD EPYC vCPU, BoringSSL's scrypt compiled -O2 as in a release
    /// build): 85–105 ms CPU per hash, inside the 50–150 ms target for one interactive login on
    /// one core (2^14: 34–42 ms, too cheap; 2^16: 173–184 ms, too slow). Debug builds compile
    /// BoringSSL at -O0 and take about 680 ms. Raise `logN` when cores get faster: stored hashes
    /// keep their own parameters and ``verify(password:against:)`` reports `needsRehash` on the
    /// next successful login.
    public static let defaultParameters = Parameters(logN: 15, blockSize: 8, parallelism: 1)
    /// Salt length: 16 random bytes (128 bits) per hash.
    public static let saltByteCount = 16
    /// Derived hash length: 32 bytes.
    public static let hashByteCount = 32
    /// Longest accepted password, in UTF-8 bytes (after NFC normalisation). Bounds the work an
    /// unauthenticated request can cause and matches NIST SP 800-63B's "at least 64 characters".
    public static let passwordByteCountMax = 1024
    /// Largest scrypt memory a stored hash may ask for (256 MiB). A PHC string asking for more is
    /// refused rather than computed, so a tampered projection cannot exhaust the OP's memory.
    public static let memoryBytesMax = 256 * 1024 * 1024
    /// Longest PHC string accepted by ``verify(password:against:)``.
    public static let encodedByteCountMax = 256

    /// The parameters this hasher uses for new hashes.
    public let parameters: Parameters

    /// Creates a hasher; `parameters` defaults to ``defaultParameters``.
    public init(parameters: Parameters = PasswordHasher.defaultParameters) {
        self.parameters = parameters
    }

    /// The outcome of ``PasswordHasher/verify(password:against:)``.
    public struct Verification: Sendable, Equatable {
        /// The password is the one the hash was made from.
        public var matches: Bool
        /// The password matched but the stored hash uses other parameters than this hasher: hash
        /// the password again and store the new string. Always `false` when `matches` is `false`.
        public var needsRehash: Bool
    }

    /// Why hashing or verifying was refused.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// The password is empty.
        case emptyPassword
        /// The password is longer than ``PasswordHasher/passwordByteCountMax`` UTF-8 bytes.
        case passwordTooLong(byteCount: Int)
        /// The stored string is not a PHC scrypt string this hasher can read.
        case malformedHash(String)
        /// The parameters are outside what scrypt or this OP allows.
        case unsupportedParameters(String)
        /// The scrypt computation itself failed (BoringSSL error).
        case derivationFailed

        public var description: String {
            switch self {
            case .emptyPassword:
                "the password is empty; choose a non-empty password"
            case .passwordTooLong(let byteCount):
                "the password is \(byteCount) bytes long; the maximum is \(PasswordHasher.passwordByteCountMax) bytes"
            case .malformedHash(let reason):
                "the stored password hash is not a valid $scrypt$ PHC string: \(reason)"
            case .unsupportedParameters(let reason):
                "unsupported scrypt parameters: \(reason)"
            case .derivationFailed:
                "scrypt key derivation failed"
            }
        }
    }

    /// Hashes `password` with a fresh random salt and returns the PHC string to store.
    ///
    /// ```swift
    /// let stored = try PasswordHasher().hash(password: "s3cret-passphrase")
    /// ```
    public func hash(password: String) throws(Failure) -> String {
        let passwordBytes = try Self.acceptablePasswordBytes(password)
        try Self.requireSupported(parameters)
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<Self.saltByteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let derived = try Self.derive(passwordBytes, salt: salt, parameters: parameters, byteCount: Self.hashByteCount)
        return Self.encode(parameters: parameters, salt: salt, hash: derived)
    }

    /// Checks `password` against a stored PHC string: parses it, recomputes scrypt with the stored
    /// salt and parameters, compares in constant time, and reports whether a rehash is due.
    ///
    /// Throws for an unusable password (empty, too long) or an unreadable stored string; a wrong
    /// password is not an error but `matches == false`.
    ///
    /// ```swift
    /// let result = try hasher.verify(password: attempt, against: user.passwordHash)
    /// guard result.matches else { throw LoginError.badCredentials }
    /// ```
    public func verify(password: String, against encoded: String) throws(Failure) -> Verification {
        let passwordBytes = try Self.acceptablePasswordBytes(password)
        let stored = try Self.decode(encoded)
        let derived = try Self.derive(
            passwordBytes, salt: stored.salt, parameters: stored.parameters, byteCount: stored.hash.count)
        let matches = ConstantTime.equals(derived, stored.hash)
        let needsRehash = matches && (stored.parameters != parameters || stored.hash.count != Self.hashByteCount)
        return Verification(matches: matches, needsRehash: needsRehash)
    }

    // MARK: Checks

    /// Refuses empty passwords and passwords over ``passwordByteCountMax`` bytes, and returns the
    /// UTF-8 bytes of the NFC-normalised password (so that "é" typed as one or two code points
    /// hashes the same, as NIST SP 800-63B §5.1.1.2 recommends).
    static func acceptablePasswordBytes(_ password: String) throws(Failure) -> [UInt8] {
        let bytes = Array(password.precomposedStringWithCanonicalMapping.utf8)
        guard !bytes.isEmpty else { throw .emptyPassword }
        guard bytes.count <= passwordByteCountMax else { throw .passwordTooLong(byteCount: bytes.count) }
        return bytes
    }

    /// Refuses parameters scrypt cannot use (N a power of two > 1, r ≥ 1, p ≥ 1, RFC 7914 §2) or
    /// that would need more than ``memoryBytesMax`` bytes.
    static func requireSupported(_ parameters: Parameters) throws(Failure) {
        guard (1...30).contains(parameters.logN) else {
            throw .unsupportedParameters("ln=\(parameters.logN) is outside 1...30")
        }
        guard (1...32).contains(parameters.blockSize) else {
            throw .unsupportedParameters("r=\(parameters.blockSize) is outside 1...32")
        }
        guard (1...16).contains(parameters.parallelism) else {
            throw .unsupportedParameters("p=\(parameters.parallelism) is outside 1...16")
        }
        guard parameters.memoryBytes <= memoryBytesMax else {
            throw .unsupportedParameters(
                "\(parameters) needs \(parameters.memoryBytes) bytes; the limit is \(memoryBytesMax) bytes")
        }
    }

    // MARK: Derivation and encoding

    static func derive(
        _ password: [UInt8], salt: [UInt8], parameters: Parameters, byteCount: Int
    ) throws(Failure) -> [UInt8] {
        do {
            let key = try KDF.Scrypt.deriveKey(
                from: password, salt: salt, outputByteCount: byteCount, rounds: 1 << parameters.logN,
                blockSize: parameters.blockSize, parallelism: parameters.parallelism,
                maxMemory: parameters.memoryBytes + 64 * 1024)
            return key.withUnsafeBytes { Array($0) }
        } catch {
            throw .derivationFailed
        }
    }

    static func encode(parameters: Parameters, salt: [UInt8], hash: [UInt8]) -> String {
        "$scrypt$\(parameters)$\(UnpaddedBase64.encode(salt))$\(UnpaddedBase64.encode(hash))"
    }

    /// Parses `$scrypt$ln=…,r=…,p=…$<salt>$<hash>`; every field is required, in this order.
    static func decode(_ encoded: String) throws(Failure) -> (parameters: Parameters, salt: [UInt8], hash: [UInt8]) {
        guard encoded.utf8.count <= encodedByteCountMax else {
            throw .malformedHash("longer than \(encodedByteCountMax) bytes")
        }
        let fields = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 5, fields[0].isEmpty else {
            throw .malformedHash("expected $scrypt$ln=N,r=R,p=P$<salt>$<hash>")
        }
        guard fields[1] == "scrypt" else { throw .malformedHash("algorithm \"\(fields[1])\" is not scrypt") }
        let parameters = try decodeParameters(fields[2])
        try requireSupported(parameters)
        guard let salt = UnpaddedBase64.decode(fields[3]), salt.count >= 8 else {
            throw .malformedHash("the salt is not unpadded base64 of at least 8 bytes")
        }
        guard let hash = UnpaddedBase64.decode(fields[4]), (16...64).contains(hash.count) else {
            throw .malformedHash("the hash is not unpadded base64 of 16 to 64 bytes")
        }
        return (parameters, salt, hash)
    }

    private static func decodeParameters(_ text: Substring) throws(Failure) -> Parameters {
        let pairs = text.split(separator: ",", omittingEmptySubsequences: false)
        let names = ["ln", "r", "p"]
        guard pairs.count == names.count else { throw .malformedHash("parameters must be ln=…,r=…,p=…") }
        var values: [Int] = []
        for (pair, name) in zip(pairs, names) {
            let parts = pair.split(separator: "=", omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == name, (1...3).contains(parts[1].count),
                parts[1].allSatisfy(\.isASCIIDigit), let value = Int(parts[1])
            else { throw .malformedHash("parameter \"\(pair)\" is not \(name)=<decimal>") }
            values.append(value)
        }
        return Parameters(logN: values[0], blockSize: values[1], parallelism: values[2])
    }
}

extension Character {
    /// `0`–`9` only (not other Unicode digits).
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
