import ArgumentParser
import Events
import Foundation
import JOSE
import Journal
import Ledger

/// Hidden commands for the reliability tests (and `Tools/crash-loop.sh`).
struct DebugCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "debug", abstract: "Test helpers.", shouldDisplay: false,
        subcommands: [WriteLoad.self, MakeFixture.self])

    /// Appends through the Ledger from several concurrent writers and prints `ack N` for every
    /// command whose events are durable — the line is printed only after the Ledger answered.
    struct WriteLoad: AsyncParsableCommand {
        @OptionGroup var dataDir: DataDirectoryOption
        @Option(help: "Concurrent writers.") var writers: Int = 8
        @Option(help: "Segment size limit in KiB (small, to roll often).") var segmentKib: Int = 64
        @Option(help: "Stop after this many commands (0 = until killed).") var count: Int = 0

        func run() async throws {
            let layout = DataLayout(root: dataDir.resolved)
            let logger = makeLogger(level: .warning)
            let lock = try DataDirectoryLock.acquire(dataDirectory: layout.root)
            defer { lock.release() }
            let signer = try loadOrCreateJournalSigner(layout, logger: logger)
            var config = Ledger.Configuration(dataDirectory: layout.root)
            config.journal.segmentBytesLimit = UInt64(segmentKib) * 1024
            config.checkpointIntervalMicros = 200_000
            let ledger = try Ledger.open(configuration: config, signer: signer, logger: logger)
            // `ready N` reports how many clients the recovered projection holds; ids continue above the
            // highest one registered, so ids taken by a killed run but never made durable are skipped.
            let (registered, start) = try await ledger.projection.pool.read { db in
                (
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM clients") ?? 0,
                    try Int.fetchOne(
                        db,
                        sql:
                            "SELECT COALESCE(MAX(CAST(substr(client_id, 6) AS INTEGER)) + 1, 0) FROM clients WHERE client_id LIKE 'load-%'"
                    ) ?? 0
                )
            }
            FileHandle.standardOutput.write(Data("ready \(registered)\n".utf8))
            let limit = count
            let out = AckPrinter()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for w in 0..<writers {
                    group.addTask {
                        var n = start + w
                        while limit == 0 || n < start + limit {
                            let metadata =
                                "{\"client_name\":\"load \(n)\",\"redirect_uris\":[\"https://tpp\(n).example.com/cb\"]}"
                            try await ledger.execute(
                                RegisterClient(
                                    clientID: "load-\(n)", metadata: metadata, via: "cli", actor: .operator("load")))
                            out.ack(n)
                            n += writers
                        }
                    }
                }
                try await group.waitForAll()
            }
            ledger.close()
        }
    }
}

extension DebugCommand {
    /// Writes the small journal kept in `Journal/fixtures/` for this format version: keys, clients
    /// (registered, updated, removed), users, a retired key, several sealed segments and checkpoints.
    struct MakeFixture: AsyncParsableCommand {
        @OptionGroup var dataDir: DataDirectoryOption

        func run() async throws {
            let layout = DataLayout(root: dataDir.resolved)
            guard !FileManager.default.fileExists(atPath: layout.root + "/journal") else {
                throw CLIError("\(layout.root) already has a journal")
            }
            let logger = makeLogger(level: .warning)
            let lock = try DataDirectoryLock.acquire(dataDirectory: layout.root)
            defer { lock.release() }
            let signer = try loadOrCreateJournalSigner(layout, logger: logger)
            var config = Ledger.Configuration(dataDirectory: layout.root)
            config.journal.segmentBytesLimit = 1024
            let ledger = try Ledger.open(configuration: config, signer: signer, logger: logger)
            let ops = Actor.operator("fixture")
            var kids: [String] = []
            for alg in [SigningAlgorithm.es256, .ps256] {
                let key = try OPSigningKey.generate(alg)
                kids.append(key.kid)
                let jwk = String(decoding: key.publicJWK.jsonBytes(), as: UTF8.self)
                try await ledger.execute(
                    AddSigningKey(
                        SigningKeyAdded(kid: key.kid, algorithm: alg.rawValue, publicJWK: jwk, active: true),
                        actor: .system))
            }
            for name in ["alpha", "beta", "gamma"] {
                let metadata =
                    "{\"client_name\":\"TPP \(name)\",\"redirect_uris\":[\"https://\(name).example.com/cb\"],\"token_endpoint_auth_method\":\"private_key_jwt\"}"
                try await ledger.execute(
                    RegisterClient(clientID: "tpp-\(name)", metadata: metadata, via: "cli", actor: ops))
            }
            try await ledger.execute(
                UpdateClient(
                    clientID: "tpp-alpha",
                    metadata:
                        "{\"client_name\":\"TPP Alpha Ltd\",\"redirect_uris\":[\"https://alpha.example.com/cb2\"],\"token_endpoint_auth_method\":\"private_key_jwt\"}",
                    actor: ops))
            try await ledger.execute(RemoveClient(clientID: "tpp-beta", reason: "contract ended", actor: ops))
            for (i, user) in ["alice", "bob"].enumerated() {
                try await ledger.execute(
                    AddUser(
                        UserAdded(
                            subject: "sub-\(i + 1)", username: user,
                            passwordHash: "$scrypt$ln=15,r=8,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2g",
                            sealedTOTPSeed: nil,
                            claims: "{\"name\":\"\(user.capitalized)\"}"), actor: ops))
            }
            try await ledger.execute(
                RetireSigningKey(
                    kid: kids[0], reason: "rotation", publishUntilMicros: 1_900_000_000_000_000, actor: ops))
            ledger.close()
            print("fixture written; journal key id \(signer.keyID)")
        }
    }
}

/// Prints acknowledgements one line at a time, flushed, so a parent killed mid-run never reads a
/// half line as an acknowledgement.
final class AckPrinter: @unchecked Sendable {
    private let lock = NSLock()
    func ack(_ n: Int) {
        lock.lock()
        defer { lock.unlock() }
        let line = Array("ack \(n)\n".utf8)
        _ = line.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
    }
}
