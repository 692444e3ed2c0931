import ArgumentParser
import Crypto
import Events
import Foundation
import Journal
import Ledger
import Logging
import Projection

/// `strongroom-bench micro`: the cost of each stage of the write path, alone, on one thread — the
/// profile behind the `journal` figure (where the time goes).
struct MicroBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "micro", abstract: "Per-stage costs of the write path (single thread).")

    @Option(help: "Scratch directory (created, then removed).") var dataDir: String = "/tmp/strongroom-micro"
    @Option(help: "Events per stage.") var events: Int = 200_000
    @Flag(help: "Only the projection stage (for profiling).") var onlyProjection = false

    func projectionStage(
        _ pool: [NewEvent], now: Int64, measure: (String, Int, () throws -> Void) throws -> Void
    ) throws {
        let link = ChainLink(bytes: [UInt8](repeating: 1, count: 32))
        for perTransaction in [500, 5_000] {
            let inputs = pool.enumerated().map { i, e in
                ProjectionInput.event(
                    RecordedEvent(
                        envelope: EventEnvelope(
                            sequence: UInt64(i + 1), timeMicros: now, type: e.body.type, schemaVersion: 1,
                            stream: e.stream,
                            actor: e.actor, correlation: e.correlation), body: e.body))
            }
            try ProjectionStore.remove(path: dataDir + "/p\(perTransaction).sqlite")
            let s = try ProjectionStore.open(path: dataDir + "/p\(perTransaction).sqlite")
            try measure("projection apply, \(perTransaction)/transaction", inputs.count) {
                var i = 0
                while i < inputs.count {
                    try s.apply(Array(inputs[i..<min(i + perTransaction, inputs.count)]), chainHead: link)
                    i += perTransaction
                }
            }
        }
    }

    func run() async throws {
        var generator = FlowGenerator(seed: 7)
        let now = SystemClock().nowMicros()
        func measure(_ label: String, _ n: Int, _ body: () throws -> Void) rethrows {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            let ns = Double(DispatchTime.now().uptimeNanoseconds - start) / Double(n)
            print(
                "\(label.padding(toLength: 44, withPad: " ", startingAt: 0)) \(String(format: "%8.2f", ns / 1000)) µs/event"
            )
        }
        var pool: [NewEvent] = []
        measure("generate OP-shaped events (bench only)", events) {
            // Time advances as it would at ~100,000 events/s: ids minted later sort later.
            while pool.count < events { pool.append(contentsOf: generator.next(now: now + Int64(pool.count) * 10)) }
        }
        var bodies: [[UInt8]] = []
        bodies.reserveCapacity(events)
        if onlyProjection {
            try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dataDir) }
            try projectionStage(pool, now: now, measure: measure)
            return
        }
        try measure("encode (binary envelope + JSON payload)", events) {
            for e in pool { bodies.append(try EventCodec.encode(e)) }
        }
        // The same work as a writer does it: each record body is dropped once written, so that the
        // figure is the encoding and not the growth of a heap that keeps them all (best of three).
        var best = Double.infinity
        for _ in 0..<3 {
            let start = DispatchTime.now().uptimeNanoseconds
            var bytes = 0
            for e in pool { bytes &+= try EventCodec.encode(e).count }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / Double(pool.count))
            if bytes == 0 { print("no bytes encoded") }  // uses the result, so the loop is not optimised away
        }
        print(
            "\("encode, each record dropped (best of 3)".padding(toLength: 44, withPad: " ", startingAt: 0)) \(String(format: "%8.2f", best / 1000)) µs/event"
        )
        try measure("decode (envelope + payload)", events) {
            for (i, b) in bodies.enumerated() { _ = try EventCodec.decode(b, sequence: UInt64(i + 1), timeMicros: now) }
        }
        try? FileManager.default.removeItem(atPath: dataDir)
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        try projectionStage(pool, now: now, measure: measure)

        var logger = Logger(label: "micro")
        logger.logLevel = .error
        let writer = try JournalWriter.open(
            dataDirectory: dataDir, options: JournalOptions(durability: .none),
            signer: P256CheckpointSigner(privateKey: .init()),
            logger: logger, nowMicros: now)
        for batchSize in [16, 128, 1024] {
            let records = bodies.map { NewRecord(kind: .event, timeMicros: now, body: $0) }
            var raw = 0
            var stored = 0
            try measure("journal append, \(batchSize)/batch (chain+LZ4+CRC+write)", events) {
                var i = 0
                while i < records.count {
                    let batch = try writer.append(Array(records[i..<min(i + batchSize, records.count)]))
                    raw += batch.rawBytes
                    stored += batch.storedBytes
                    i += batchSize
                }
            }
            print(
                "    compression ratio at \(batchSize)/batch: \(String(format: "%.2f", Double(raw) / Double(stored)))")
        }
        let ts = DispatchTime.now().uptimeNanoseconds
        var syncs = 0
        while DispatchTime.now().uptimeNanoseconds - ts < 1_000_000_000 {
            try writer.append([NewRecord(kind: .event, timeMicros: now, body: bodies[0])]).segment.dataSync()
            syncs += 1
        }
        print("fdatasync round trips                        \(String(format: "%8.2f", 1000.0 / Double(syncs))) ms each")
    }
}
