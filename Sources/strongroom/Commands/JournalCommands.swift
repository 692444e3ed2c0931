import ArgumentParser
import Events
import Foundation
import Journal

struct JournalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal", abstract: "Operators' tools for the journal.",
        subcommands: [Verify.self, Stats.self, Dump.self, Backup.self])

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

    struct Dump: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print journal records as JSON lines (sequence, time, kind, type, stream, actor, payload).",
            discussion: """
                Reads the journal directly (not the projection), checking every batch it reads; works while
                the server runs. Secrets are not in the journal, so nothing secret is printed.
                """)

        @OptionGroup var dataDir: DataDirectoryOption
        @Option(help: "First sequence number.") var from: UInt64 = 1
        @Option(help: "Last sequence number.") var through: UInt64?
        @Option(help: "Only events of this type (e.g. client.registered).") var type: String?

        func run() async throws {
            let reader = try JournalReader(dataDirectory: dataDir.resolved)
            let out = FileHandle.standardOutput
            try reader.forEach(from: from, through: through) { record in
                var line: [String: Any] = [
                    "sequence": record.sequence, "time": iso8601(micros: record.timeMicros),
                ]
                switch record.kind {
                case .event:
                    let event = try EventCodec.decode(
                        record.body, sequence: record.sequence, timeMicros: record.timeMicros)
                    if let type, event.envelope.type != type { return true }
                    line["kind"] = "event"
                    line["type"] = event.envelope.type
                    line["schema_version"] = event.envelope.schemaVersion
                    line["stream"] = event.envelope.stream.rawValue
                    line["actor"] = event.envelope.actor.description
                    if let i = event.envelope.correlation.interactionID { line["x_fapi_interaction_id"] = i }
                    if let r = event.envelope.correlation.requestID { line["request_id"] = r }
                    let payload = try EventCodec.payloadJSON(record.body)
                    line["payload"] = try JSONSerialization.jsonObject(with: Data(payload.utf8))
                case .checkpoint:
                    guard type == nil || type == "journal.checkpoint", let c = CheckpointRecord.decode(record.body)
                    else { return true }
                    line["kind"] = "checkpoint"
                    line["covered_sequence"] = c.coveredSequence
                    line["chain_link"] = c.link.hex
                    line["key_id"] = c.keyID
                case .journalKey:
                    guard type == nil || type == "journal.key", let k = JournalKeyRecord.decode(record.body) else {
                        return true
                    }
                    line["kind"] = "journal_key"
                    line["key_id"] = k.keyID
                    line["status"] = k.status == .active ? "active" : "retired"
                }
                var data = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])
                data.append(0x0A)
                out.write(data)
                return true
            }
        }
    }
}
