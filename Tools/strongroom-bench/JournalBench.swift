import ArgumentParser
import Crypto
import Events
import Foundation
import Journal
import Ledger
import Logging
import Synchronization

/// `strongroom-bench journal`: W concurrent writers append N events through the Ledger.
struct JournalBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal",
        abstract: "Append N OP-shaped events from W concurrent writers through the Ledger (durable group commit).")

    @Option(help: "Data directory (created; should be empty).") var dataDir: String
    @Option(help: "Events to append.") var events: Int = 1_000_000
    @Option(help: "Concurrent writers.") var writers: Int = 64
    @Option(help: "Commands each writer keeps in flight (each awaits its own durable acknowledgement).")
    var inFlight: Int = 16
    @Flag(help: "Do not apply events to the SQLite projection (journal alone).") var noProjection = false
    @Option(help: "Durability: fsync or none.") var durability: String = "fsync"
    @Option(help: "Segment size limit in MiB.") var segmentMib: Int = 64
    @Option(help: "LZ4 effort: fast, or hc-N for LZ4HC level N (2…12).") var compression: String = "fast"
    @Option(help: "Group-commit window in milliseconds (as `strongroom serve --group-commit-window-ms`).")
    var groupCommitWindowMs: Double = Double(Ledger.groupCommitWindowDefault) / 1000

    func run() async throws {
        var logger = Logger(label: "strongroom-bench")
        logger.logLevel = .warning
        guard let mode = Durability(rawValue: durability) else { throw ValidationError("--durability fsync|none") }
        let lock = try DataDirectoryLock.acquire(dataDirectory: dataDir)
        defer { lock.release() }
        var config = Ledger.Configuration(dataDirectory: dataDir)
        config.journal = JournalOptions(durability: mode, segmentBytesLimit: UInt64(segmentMib) << 20)
        config.projectionEnabled = !noProjection
        guard (0...100).contains(groupCommitWindowMs) else {
            throw ValidationError("--group-commit-window-ms must be between 0 and 100")
        }
        config.groupCommitWindowMicros = Int64(groupCommitWindowMs * 1000)
        if compression != "fast" {
            guard compression.hasPrefix("hc-"), let level = Int(compression.dropFirst(3)), (2...12).contains(level)
            else {
                throw ValidationError("--compression fast|hc-N (N in 2…12)")
            }
            config.journal.compressionLevel = .high(level)
        }
        let signer = P256CheckpointSigner(privateKey: P256.Signing.PrivateKey())
        let ledger = try Ledger.open(configuration: config, signer: signer, logger: logger)
        let startStats = ledger.statistics
        let startCPU = ThreadCPU.byName()

        let appended = SharedCounter()
        let target = events
        let clock = ContinuousClock()
        let started = clock.now
        let histograms = try await withThrowingTaskGroup(of: LatencyHistogram.self) { group in
            for w in 0..<writers {
                group.addTask {
                    try await Self.writer(
                        index: w, ledger: ledger, appended: appended, target: target, inFlight: inFlight)
                }
            }
            var merged = LatencyHistogram()
            for try await h in group { merged.merge(h) }
            return merged
        }
        let elapsed = clock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let stats = ledger.statistics
        let endCPU = ThreadCPU.byName()  // before `close`, while the Ledger's threads are alive
        ledger.close()

        let eventCount = stats.events - startStats.events
        let raw = Double(stats.rawBytes - startStats.rawBytes)
        let stored = Double(stats.storedBytes - startStats.storedBytes)
        let batches = stats.batches - startStats.batches
        print(
            "writers=\(writers) in_flight_per_writer=\(inFlight) durability=\(durability) projection=\(!noProjection) compression=\(compression) group_commit_window_ms=\(groupCommitWindowMs)"
        )
        print(
            "events=\(eventCount) commands=\(histograms.total) batches=\(batches) syncs=\(stats.syncs) seconds=\(String(format: "%.3f", seconds)) events_per_batch=\(batches == 0 ? 0 : eventCount / batches)"
        )
        let sd = Double(stats.syncs - startStats.syncs)
        func perCycle(_ v: UInt64, _ w: UInt64) -> String { String(format: "%.2f", Double(v - w) / max(sd, 1) / 1000) }
        print(
            "per_commit_cycle_ms: decide+encode=\(perCycle(stats.decideMicros, startStats.decideMicros)) write=\(perCycle(stats.writeMicros, startStats.writeMicros)) fdatasync=\(perCycle(stats.syncMicros, startStats.syncMicros)) projection=\(perCycle(stats.projectMicros, startStats.projectMicros)) answer=\(perCycle(stats.answerMicros, startStats.answerMicros))"
        )
        print(Self.cpuLine(start: startCPU, end: endCPU, seconds: seconds, events: eventCount))
        print("p50_commit_ms=\(String(format: "%.2f", histograms.quantileMillis(0.5)))")
        print(
            "journal.append events_per_s=\(Int(Double(eventCount) / seconds)) p99_commit_ms=\(String(format: "%.2f", histograms.quantileMillis(0.99))) compression_ratio=\(String(format: "%.2f", raw / max(stored, 1))) bytes_per_event_stored=\(Int(stored / Double(max(eventCount, 1))))"
        )
    }

    /// `cpu.measured`: the cores the process used over the run, and its CPU time per event (µs), in
    /// all and for each of the Ledger's threads; `writers_and_other` is the rest (the writers' tasks
    /// on Swift's cooperative pool: generating and encoding events, awaiting their answers).
    static func cpuLine(start: [String: Double], end: [String: Double], seconds: Double, events: UInt64) -> String {
        func used(_ name: String) -> Double { (end[name] ?? 0) - (start[name] ?? 0) }
        let total = end.keys.reduce(0) { $0 + used($1) }
        let ledger = LedgerThread.allCases.map { (name: "\($0)", seconds: used($0.rawValue)) }
        let perEvent = { (s: Double) in String(format: "%.2f", s * 1e6 / Double(max(events, 1))) }
        let parts = ledger.map { "\($0.name)=\(perEvent($0.seconds))" }
        let other = total - ledger.reduce(0) { $0 + $1.seconds }
        return "cpu.measured cores=\(String(format: "%.2f", total / seconds)) cpu_us_per_event=\(perEvent(total)) "
            + parts.joined(separator: " ") + " writers_and_other=\(perEvent(other))"
    }

    /// One writer: `inFlight` sequential submitters, each awaiting its command's durable
    /// acknowledgement before building the next, until the shared target is reached.
    static func writer(
        index: Int, ledger: Ledger, appended: SharedCounter, target: Int, inFlight: Int
    ) async throws
        -> LatencyHistogram
    {
        try await withThrowingTaskGroup(of: LatencyHistogram.self) { group in
            for lane in 0..<inFlight {
                group.addTask {
                    var generator = FlowGenerator(seed: UInt64(index * 1_000 + lane + 1) &* 0x9E37_79B9_7F4A_7C15)
                    var histogram = LatencyHistogram()
                    let clock = SystemClock()
                    while true {
                        let events = try generator.next(now: clock.nowMicros()).map { try PreparedEvent($0) }
                        if appended.value.add(events.count, ordering: .relaxed).oldValue >= target { break }
                        let start = DispatchTime.now().uptimeNanoseconds
                        try await ledger.execute(AppendPrepared(events: events))
                        histogram.record(nanoseconds: DispatchTime.now().uptimeNanoseconds - start)
                    }
                    return histogram
                }
            }
            var merged = LatencyHistogram()
            for try await h in group { merged.merge(h) }
            return merged
        }
    }
}

/// A counter shared by the writers.
final class SharedCounter: Sendable {
    let value = Atomic<Int>(0)
}
