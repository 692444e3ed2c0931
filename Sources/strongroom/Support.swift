import Foundation
import JOSE
import Journal
import Logging

enum FileManagerPaths {
    static var currentDirectory: String { FileManager.default.currentDirectoryPath }
}

/// Where things live under the data directory.
struct DataLayout {
    let root: String
    var keys: String { root + "/keys" }
    var journalKeys: String { root + "/keys/journal" }
    var opKeys: String { root + "/keys/op" }
    var tls: String { root + "/tls" }
    var projection: String { root + "/projection.sqlite" }

    /// Creates the data directory and its keys directory, owner-only.
    func prepare() throws {
        for dir in [root, keys] {
            if !FileManager.default.fileExists(atPath: dir) {
                try FileManager.default.createDirectory(
                    atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
        }
    }
}

/// The journal's checkpoint signer over an ES256 key of the file key store.
struct KeyStoreCheckpointSigner: CheckpointSigner {
    let key: OPSigningKey
    let keyID: String
    let publicKeyX963: [UInt8]

    init(key: OPSigningKey) throws {
        guard key.algorithm == .es256, let x = key.publicJWK.x.flatMap(Base64URL.decode),
            let y = key.publicJWK.y.flatMap(Base64URL.decode), x.count == 32, y.count == 32
        else { throw CLIError("the journal signing key must be an ES256 (P-256) key") }
        self.key = key
        publicKeyX963 = [0x04] + x + y
        keyID = JournalKeyRecord.keyID(forPublicKey: publicKeyX963)
    }

    func sign(_ message: [UInt8]) throws -> [UInt8] { try key.sign(message) }
}

/// Loads the journal signing key, creating it on first start.
func loadOrCreateJournalSigner(_ layout: DataLayout, logger: Logger) throws -> KeyStoreCheckpointSigner {
    try layout.prepare()
    let store = try FileKeyStore(directory: layout.journalKeys)
    let existing = try store.allKeys().filter { $0.algorithm == .es256 }.sorted { $0.createdAt < $1.createdAt }
    let key: OPSigningKey
    if let newest = existing.last {
        key = try store.signingKey(kid: newest.kid)
    } else {
        key = try store.createKey(.es256)
        logger.notice("created the journal signing key", metadata: ["kid": "\(key.kid)"])
    }
    return try KeyStoreCheckpointSigner(key: key)
}

/// An error the CLI prints as is, exiting non-zero.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func makeLogger(_ label: String = "strongroom", level: Logger.Level = .info) -> Logger {
    LoggingSystem.bootstrapOnce()
    var logger = Logger(label: label)
    logger.logLevel = level
    return logger
}

extension LoggingSystem {
    private static let once: Void = {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
    }()
    static func bootstrapOnce() { _ = once }
}

/// A progress bar on standard error, drawn only when it is a terminal.
struct ProgressBar {
    let label: String
    private let enabled = isatty(2) != 0
    private var lastPercent = -1

    init(label: String) { self.label = label }

    mutating func update(done: UInt64, total: UInt64) {
        guard enabled, total > 0 else { return }
        let percent = Int(min(100, done * 100 / total))
        guard percent != lastPercent else { return }
        lastPercent = percent
        let width = 30
        let filled = width * percent / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(percent)% \(done)/\(total)".utf8))
    }

    func finish() {
        guard enabled, lastPercent >= 0 else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }

    /// A line about what follows the bar (terminal only, like the bar).
    func note(_ text: String) {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\(text)…\n".utf8))
    }
}

/// Parses an ISO 8601 date-time (with or without fractional seconds) into µs since the epoch.
func parseISO8601Micros(_ text: String) -> Int64? {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    if let d = f.date(from: text) { return Int64((d.timeIntervalSince1970 * 1_000_000).rounded()) }
    f.formatOptions = [.withInternetDateTime]
    if let d = f.date(from: text) { return Int64((d.timeIntervalSince1970 * 1_000_000).rounded()) }
    return nil
}

func iso8601(micros: Int64) -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f.string(from: Date(timeIntervalSince1970: Double(micros) / 1_000_000))
}
