import ArgumentParser
import Audit
import Foundation

/// The one identifier a command is about. Strongroom's identifiers are time-ordered and currently
/// begin with `-` or `--` (the alphabet's zero), which an argument parser would take for an option;
/// so the identifier is whatever argument is not a known option, and there must be exactly one.
func singleID(_ given: [String]) throws -> String {
    let values = given.filter { $0 != "--" }
    guard values.count == 1, let id = values.first, !id.isEmpty else {
        throw ValidationError(
            values.isEmpty
                ? "give the identifier to audit" : "give exactly one identifier, not \(values.joined(separator: " "))"
        )
    }
    return id
}

/// `strongroom audit …`: timelines with re-verified evidence, from the journal alone.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Reconstruct and re-verify what happened, from the journal alone (Docs/audit.md).",
        discussion: """
            Reads the journal read-only and takes no lock: works the same whether the server runs or
            not. Every event is re-verified: the hash chain to a signed checkpoint, and each client
            assertion, DPoP proof and request object against the client's keys of that time.
            Exit status: 0 all verified, 2 something did not verify or is not yet checkpointed,
            1 the audit could not be made.
            """,
        subcommands: [
            Interaction.self, Grant.self, Subject.self, Client.self, Export.self, VerifyBundle.self,
        ])

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json, html
    }

    struct Options: ParsableArguments {
        @OptionGroup var dataDir: DataDirectoryOption
        @Option(help: "Only events at or after this time (ISO 8601, e.g. 2026-03-01 or 2026-03-01T12:00:00Z).")
        var from: String?
        @Option(help: "Only events at or before this time (a date alone means the end of that day).")
        var to: String?
        @Option(help: "Report format: text, json or html.") var format: Format = .text
        @Option(help: "Write the report (for export: the bundle) to this file instead of standard output.")
        var out: String?
        @Option(help: "The audit index (a locator derived from the journal; delete it to rebuild).")
        var index: String?
        @Flag(help: "Use no index file: scan the whole journal into memory (slow, trusts no derived file).")
        var noIndex = false
        @Option(help: "Journal key id every checkpoint must be signed with (as printed at first start).")
        var expectKey: String?

        func bounds() throws -> (Int64?, Int64?) {
            let from = try from.map { text -> Int64 in
                guard let v = parseTimeBound(text) else {
                    throw ValidationError("--from \(text): not an ISO 8601 time")
                }
                return v
            }
            let to = try to.map { text -> Int64 in
                guard let v = parseTimeBound(text, endOfDay: true) else {
                    throw ValidationError("--to \(text): not an ISO 8601 time")
                }
                return v
            }
            return (from, to)
        }

        func auditor() throws -> Auditor {
            let data = dataDir.resolved
            var indexPath: String?
            if !noIndex {
                let path = index ?? data + "/audit/index.sqlite"
                let directory = (path as NSString).deletingLastPathComponent
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                indexPath = path
            }
            var bar = ProgressBar(label: "indexing the journal for audit")
            let auditor = try Auditor(dataDirectory: data, indexPath: indexPath) { done, total in
                if total >= 100_000 { bar.update(done: done, total: total) }
            }
            bar.finish()
            return auditor
        }

        func write(_ text: String) throws {
            if let out {
                try Data(text.utf8).write(to: URL(fileURLWithPath: out))
            } else {
                print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
            }
        }

        func run(_ topic: AuditTopic, _ id: String) throws {
            let (from, to) = try bounds()
            let report: AuditReport
            do {
                report = try auditor().report(
                    AuditReport.Query(topic: topic, id: id, fromMicros: from, toMicros: to), expectKeyID: expectKey)
            } catch {
                print("audit FAILED: \(error)")
                throw ExitCode(1)
            }
            switch format {
            case .text: try write(report.text())
            case .json: try write(try report.json())
            case .html: try write(report.html())
            }
            if report.events.isEmpty {
                FileHandle.standardError.write(Data("no event matches \(topic.rawValue) \(id)\n".utf8))
                throw ExitCode(2)
            }
            if !report.summary.allVerified { throw ExitCode(2) }
        }
    }

    struct Interaction: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "An interaction (request id or x-fapi-interaction-id), with the grant it created and that grant's life."
        )
        @Argument(parsing: .allUnrecognized, help: "Interaction id or x-fapi-interaction-id.") var id: [String]
        @OptionGroup var options: Options
        func run() async throws { try options.run(.interaction, try singleID(id)) }
    }

    struct Grant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A grant's life, with the interaction that created it.")
        @Argument(parsing: .allUnrecognized, help: "Grant id.") var id: [String]
        @OptionGroup var options: Options
        func run() async throws { try options.run(.grant, try singleID(id)) }
    }

    struct Subject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every event about an end user (subject).")
        @Argument(parsing: .allUnrecognized, help: "Subject.") var id: [String]
        @OptionGroup var options: Options
        func run() async throws { try options.run(.subject, try singleID(id)) }
    }

    struct Client: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every event about a client.")
        @Argument(parsing: .allUnrecognized, help: "client_id.") var id: [String]
        @OptionGroup var options: Options
        func run() async throws { try options.run(.client, try singleID(id)) }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write an evidence bundle that `audit verify` checks without the journal.",
            discussion: """
                The bundle holds the audited events, every journal record between them and their signed
                checkpoints (the chain needs them: see Docs/audit.md on privacy), the checkpoints, the
                journal keys, the client registrations of that time and the report.
                """)
        @Argument(
            parsing: .allUnrecognized,
            help: "Interaction id or x-fapi-interaction-id (or with --topic, a grant, subject or client).")
        var id: [String]
        @Option(help: "What ID is: interaction, grant, subject or client.") var topic: String = "interaction"
        @OptionGroup var options: Options

        func run() async throws {
            guard let topic = AuditTopic(rawValue: topic) else {
                throw ValidationError("--topic interaction|grant|subject|client")
            }
            guard let out = options.out else { throw ValidationError("--out FILE: where to write the bundle") }
            let (from, to) = try options.bounds()
            do {
                let bundle = try options.auditor().export(
                    AuditReport.Query(topic: topic, id: try singleID(id), fromMicros: from, toMicros: to),
                    expectKeyID: options.expectKey)
                let bytes = try bundle.encoded()
                try Data(bytes).write(to: URL(fileURLWithPath: out))
                let records = bundle.runs.reduce(0) { $0 + $1.records.count }
                print(
                    "evidence bundle written to \(out): \(bundle.report.events.count) event(s), \(records) journal record(s) in \(bundle.runs.count) chain run(s), \(bytes.count) bytes"
                )
            } catch let error as AuditError {
                print("audit export FAILED: \(error)")
                throw ExitCode(1)
            }
        }
    }

    struct VerifyBundle: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check an evidence bundle offline, without the journal.",
            discussion: """
                Exit status: 0 the bundle is authentic and every artifact verified; 2 authentic, but an
                artifact in it did not verify (see the report); 1 the bundle is not authentic (the first
                problem is named).
                """)
        @Argument(help: "The bundle file.") var file: String
        @Option(help: "Journal key id every checkpoint must be signed with (as printed at first start).")
        var expectKey: String?
        @Option(help: "Report format: text, json or html.") var format: Format = .text
        @Option(help: "Write the report to this file.") var out: String?

        func run() async throws {
            let bytes: [UInt8]
            do {
                bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
            } catch {
                print("audit verify FAILED: cannot read \(file): \(error.localizedDescription)")
                throw ExitCode(1)
            }
            let report: AuditReport
            do {
                report = try EvidenceBundle.verify(bytes, expectKeyID: expectKey)
            } catch {
                print("audit verify FAILED: \(error)")
                throw ExitCode(1)
            }
            let keys = Set(report.checkpoints.map(\.keyID)).sorted().joined(separator: ", ")
            let rendered: String
            switch format {
            case .text: rendered = report.text()
            case .json: rendered = try report.json()
            case .html: rendered = report.html()
            }
            if let out {
                try Data(rendered.utf8).write(to: URL(fileURLWithPath: out))
            } else {
                print(rendered, terminator: rendered.hasSuffix("\n") ? "" : "\n")
            }
            print(
                "bundle authentic: \(report.events.count) event(s) chained to \(report.checkpoints.count) signed checkpoint(s) by journal key \(keys)"
                    + (expectKey == nil ? " (pin it with --expect-key)" : " (as expected)"))
            if !report.summary.allVerified {
                for problem in report.summary.problems { print("PROBLEM: \(problem)") }
                throw ExitCode(2)
            }
        }
    }
}
