import ArgumentParser
import Events
import Foundation
import Journal
import Ledger

/// Hidden commands for the reliability tests (and `Tools/crash-loop.sh`).
struct DebugCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "debug", abstract: "Test helpers.", shouldDisplay: false, subcommands: [WriteLoad.self])

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
            let start = try await ledger.projection.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM clients") } ?? 0
            FileHandle.standardOutput.write(Data("ready \(start)\n".utf8))
            let limit = count
            let out = AckPrinter()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for w in 0..<writers {
                    group.addTask {
                        var n = start + w
                        while limit == 0 || n < start + limit {
                            let metadata = "{\"client_name\":\"load \(n)\",\"redirect_uris\":[\"https://tpp\(n).example.com/cb\"]}"
                            try await ledger.execute(
                                RegisterClient(clientID: "load-\(n)", metadata: metadata, via: "cli", actor: .operator("load")))
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
