import ArgumentParser
import Foundation
import Journal
import Projection

/// `strongroom-bench replay`: rebuilds the projection of a journal into a new file.
struct ReplayBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay", abstract: "Rebuild the projection of DIR's journal into a fresh SQLite file and time it."
    )

    @Option(help: "Data directory holding a journal.") var dataDir: String

    func run() async throws {
        let out = dataDir + "/projection-bench-replay.sqlite"
        try ProjectionStore.remove(path: out)
        let reader = try JournalReader(dataDirectory: dataDir)
        let clock = ContinuousClock()
        let started = clock.now
        let state = try ProjectionRebuilder.rebuild(reader: reader, into: out)
        let elapsed = clock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        try ProjectionStore.remove(path: out)
        print("records=\(state.lastSequence) seconds=\(String(format: "%.3f", seconds))")
        print("replay events_per_s=\(Int(Double(state.lastSequence) / seconds))")
    }
}
