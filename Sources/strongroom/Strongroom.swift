import ArgumentParser
import EventLoopExecutor
import Foundation
import Projection

/// The process entry point. `serve` first makes NIO's event loops Swift Concurrency's global
/// executor (`GenericEventLoopExecutor`), so that a request's async handler runs on the event loop
/// threads instead of hopping between them and a separate thread pool (fewer threads and context
/// switches on a small machine); `STRONGROOM_NIO_EXECUTOR=0` keeps Swift's default pool. This must
/// happen before any other async work, hence here.
@main
enum StrongroomMain {
    static func main() async {
        SQLiteSetup.configure()  // before anything opens a database
        if CommandLine.arguments.dropFirst().first == "serve",
            ProcessInfo.processInfo.environment["STRONGROOM_NIO_EXECUTOR"] != "0"
        {
            GenericEventLoopExecutor.install()
        }
        await Strongroom.main()
    }
}

/// The `strongroom` command: the OP server and its operators' tools.
struct Strongroom: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strongroom",
        abstract: "Strongroom — a financial-grade, event-sourced OpenID Provider.",
        discussion: """
            Every state change is appended to a tamper-evident journal under --data-dir before it is
            answered; SQLite projections hold the live state and can be rebuilt from the journal.
            """,
        subcommands: [
            Serve.self, ClientsCommand.self, UsersCommand.self, KeysCommand.self, GrantsCommand.self,
            JournalCommand.self, Replay.self, AuditCommand.self,
            DebugCommand.self,
        ])
}

/// `--data-dir`, on every command.
struct DataDirectoryOption: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Data directory (journal, projection, keys, TLS material).")
    var path: String = "./strongroom-data"

    /// The path made absolute, without a trailing slash.
    var resolved: String {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        if p.hasPrefix("/") { return p }
        let cwd = FileManagerPaths.currentDirectory
        return p == "." ? cwd : cwd + "/" + (p.hasPrefix("./") ? String(p.dropFirst(2)) : p)
    }
}
