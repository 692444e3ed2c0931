import ArgumentParser
import Foundation
import Journal
import Projection

struct Replay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild the projection from the journal (disaster recovery, forensics).",
        discussion: """
            Without limits, rebuilds the whole projection into a new file and swaps it in as the live
            projection; the server must be stopped (the data directory lock is taken).
            With --until-seq or --until-time, builds the state as it was at that point into a separate
            file (--out, default DATA/projection-until-….sqlite) and leaves the live projection alone.
            """)

    @OptionGroup var dataDir: DataDirectoryOption
    @Option(help: "Stop after this sequence number (inclusive).") var untilSeq: UInt64?
    @Option(help: "Stop after this time (ISO 8601, e.g. 2026-11-21T08:00:00Z), inclusive.") var untilTime: String?
    @Option(help: "Write the rebuilt projection here instead of swapping it in.") var out: String?

    func run() async throws {
        let root = dataDir.resolved
        var untilMicros: Int64?
        if let untilTime {
            guard let t = parseISO8601Micros(untilTime) else {
                throw ValidationError("--until-time is not ISO 8601: \(untilTime)")
            }
            untilMicros = t
        }
        let limit = ProjectionRebuilder.Limit(untilSequence: untilSeq, untilTimeMicros: untilMicros)
        let pointInTime = untilSeq != nil || untilMicros != nil
        let target: String
        var lock: DataDirectoryLock?
        if let out {
            target = out
        } else if pointInTime {
            target =
                root + "/projection-until-" + (untilSeq.map { "seq-\($0)" } ?? "time-\(untilMicros ?? 0)") + ".sqlite"
        } else {
            do {
                lock = try DataDirectoryLock.acquire(dataDirectory: root)
            } catch JournalError.locked(_, let holder) {
                throw CLIError(
                    "the server is running (\(holder)): stop it before replacing the live projection, or use --out")
            }
            target = DataLayout(root: root).projection + ".replay"
        }
        defer { lock?.release() }
        if FileManager.default.fileExists(atPath: target) {
            guard lock != nil else { throw CLIError("\(target) exists; remove it or choose another --out") }
            try ProjectionStore.remove(path: target)
        }

        let reader = try JournalReader(dataDirectory: root)
        var bar = ProgressBar(label: "replaying")
        let started = Date()
        let state = try ProjectionRebuilder.rebuild(
            reader: reader, into: target, limit: limit,
            progress: { done, total in bar.update(done: done, total: total) },
            buildingIndexes: {
                bar.finish()
                bar.note("building the projection's indexes")
            })
        let store = try ProjectionStore.open(path: target)
        try store.checkpointAndClose()
        let seconds = Date().timeIntervalSince(started)
        if lock != nil {
            try ProjectionStore.swap(newPath: target, into: DataLayout(root: root).projection)
            print(
                "projection rebuilt and swapped in: \(state.lastSequence) records in \(String(format: "%.1f", seconds)) s, chain head \(state.chainHead?.hex ?? "-")"
            )
        } else {
            print(
                "projection at sequence \(state.lastSequence) (\(iso8601(micros: state.lastTimeMicros))) written to \(target) in \(String(format: "%.1f", seconds)) s"
            )
        }
    }
}
