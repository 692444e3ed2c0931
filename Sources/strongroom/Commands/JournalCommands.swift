import ArgumentParser
import Events
import Foundation
import Journal

struct JournalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal", abstract: "Operators' tools for the journal.",
        subcommands: [Verify.self, Stats.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every CRC, the whole hash chain and every checkpoint signature, offline.",
            discussion: """
                Exits 0 with a one-line summary when the journal is intact; otherwise exits 1 naming the
                segment, byte offset and sequence number of the first problem. Never changes a byte, and
                works while the server runs.
                """)

        @OptionGroup var dataDir: DataDirectoryOption
        @Option(help: "Journal key id every checkpoint must be signed with (as printed at first start).")
        var expectKey: String?

        func run() async throws {
            var bar = ProgressBar(label: "verifying")
            do {
                let report = try JournalVerifier.verify(
                    dataDirectory: dataDir.resolved, expectKeyID: expectKey,
                    progress: { done, total in bar.update(done: done, total: total) })
                bar.finish()
                print(report.summary)
            } catch let error as JournalError {
                bar.finish()
                print("journal verification FAILED: \(error)")
                throw ExitCode(1)
            }
        }
    }

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Events, segments, raw and stored bytes, compression ratio, counts by event type.")

        @OptionGroup var dataDir: DataDirectoryOption
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            var byType: [String: UInt64] = [:]
            var bar = ProgressBar(label: "reading")
            let report = try JournalVerifier.verify(
                dataDirectory: dataDir.resolved, progress: { done, total in bar.update(done: done, total: total) }
            ) { record in
                switch record.kind {
                case .event:
                    let type = try record.body.withUnsafeBytes {
                        try EventCodec.decodeEnvelope($0, sequence: record.sequence, timeMicros: record.timeMicros)
                            .envelope.type
                    }
                    byType[type, default: 0] += 1
                case .checkpoint: byType["journal.checkpoint", default: 0] += 1
                case .journalKey: byType["journal.key", default: 0] += 1
                }
            }
            bar.finish()
            let ratio = report.storedBytes == 0 ? 0 : Double(report.rawBytes) / Double(report.storedBytes)
            if json {
                let object: [String: Any] = [
                    "journal_id": report.journalID, "segments": report.segments, "batches": report.batches,
                    "records": report.records, "events": report.events, "checkpoints": report.checkpoints,
                    "last_sequence": report.lastSequence, "raw_bytes": report.rawBytes,
                    "stored_bytes": report.storedBytes, "compression_ratio": (ratio * 1000).rounded() / 1000,
                    "chain_head": report.chainHead.hex, "by_type": byType,
                ]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("journal \(report.journalID)")
                print("  segments      \(report.segments)")
                print("  batches       \(report.batches)")
                print("  records       \(report.records) (\(report.events) events)")
                print("  last sequence \(report.lastSequence)")
                print("  raw bytes     \(report.rawBytes)")
                print("  stored bytes  \(report.storedBytes)")
                print("  compression   \(String(format: "%.2f", ratio))x")
                print("  by type:")
                for (type, n) in byType.sorted(by: { $0.key < $1.key }) {
                    print("    \(type.padding(toLength: 28, withPad: " ", startingAt: 0)) \(n)")
                }
            }
        }
    }
}
