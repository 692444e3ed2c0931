import ArgumentParser
import EventLoopExecutor
import Foundation
import Projection

/// The entry point. `flows` runs its virtual users' tasks on NIO's event loops (the HTTP client's
/// threads; `GenericEventLoopExecutor`) like `strongroom serve` does, instead of hopping to a
/// separate pool; `STRONGROOM_NIO_EXECUTOR=0` keeps Swift's default pool (and is passed on to the
/// server it starts).
@main
enum StrongroomBenchMain {
    static func main() async {
        SQLiteSetup.configure()  // before anything opens a database
        if CommandLine.arguments.dropFirst().first == "flows",
            ProcessInfo.processInfo.environment["STRONGROOM_NIO_EXECUTOR"] != "0"
        {
            GenericEventLoopExecutor.install()
        }
        await StrongroomBench.main()
    }
}

/// `strongroom-bench`: benchmarks and load generators. Build with `swift build -c release`.
/// Benchmarks are not tests: they print figures; nothing asserts a speed.
struct StrongroomBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strongroom-bench",
        abstract: "Strongroom benchmarks (build with -c release).",
        subcommands: [JournalBench.self, ReplayBench.self, MicroBench.self, FlowsBench.self, AuditBench.self])
}
