import ArgumentParser

/// `strongroom-bench`: benchmarks and load generators. Build with `swift build -c release`.
/// Benchmarks are not tests: they print figures; nothing asserts a speed.
@main
struct StrongroomBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strongroom-bench",
        abstract: "Strongroom benchmarks (build with -c release).",
        subcommands: [JournalBench.self, ReplayBench.self, MicroBench.self, FlowsBench.self, AuditBench.self])
}
