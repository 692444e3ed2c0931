import ArgumentParser
import Foundation
import Server

/// `strongroom grants list|show|revoke`: what the service desk uses to see a customer's grants and
/// revoke one. Like `clients`, it goes through the running server's admin socket, or takes the data
/// directory's lock when no server runs; a revocation is a `grant.revoked` event journaled with the
/// operator (actor kind `operator`) and the reason.
struct GrantsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grants", abstract: "See a customer's grants and revoke them (service desk).",
        subcommands: [List.self, Show.self, Revoke.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a customer's grants, newest first.")
        @OptionGroup var dataDir: DataDirectoryOption
        @Option(help: "The customer's subject identifier.") var subject: String
        @Flag(help: "Print JSON instead of text.") var json = false

        func run() async throws {
            let output = try await runAdmin(.listGrants(subject: subject), dataDir: dataDir)
            if json {
                print(output)
                return
            }
            let grants = try GrantsCommand.decode(output) as? [[String: Any]] ?? []
            if grants.isEmpty { print("no grants for \(subject)") }
            for grant in grants { print(GrantsCommand.line(grant)) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one grant.")
        @OptionGroup var dataDir: DataDirectoryOption
        @Argument(parsing: .allUnrecognized, help: "The grant_id (it may begin with \"-\").") var grantID: [String]
        @Flag(help: "Print JSON instead of text.") var json = false

        func validate() throws { _ = try GrantsCommand.single(grantID) }

        func run() async throws {
            let output = try await runAdmin(.showGrant(grantID: try GrantsCommand.single(grantID)), dataDir: dataDir)
            let grant = try GrantsCommand.decode(output) as? [String: Any] ?? [:]
            print(json ? output : GrantsCommand.details(grant))
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a grant: its refresh and access tokens stop working at once.")
        @OptionGroup var dataDir: DataDirectoryOption
        @Argument(parsing: .allUnrecognized, help: "The grant_id (it may begin with \"-\").") var grantID: [String]
        @Option(help: "Why (required; journaled with the operator).") var reason: String
        @Option(help: "Who revokes (journaled as the operator); default: the login user name.")
        var `operator`: String?
        @Flag(help: "Print JSON instead of text.") var json = false

        func validate() throws {
            _ = try GrantsCommand.single(grantID)
            guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ValidationError("--reason must say why the grant is revoked")
            }
            if let name = `operator` {
                guard !name.isEmpty, name.utf8.count <= 256, name.unicodeScalars.allSatisfy({ $0.value >= 0x20 })
                else { throw ValidationError("--operator must be 1 to 256 printable characters") }
            }
        }

        func run() async throws {
            let output = try await runAdmin(
                .revokeGrant(grantID: try GrantsCommand.single(grantID), reason: reason), dataDir: dataDir,
                operatorName: `operator`)
            let grant = try GrantsCommand.decode(output) as? [String: Any] ?? [:]
            print(json ? output : GrantsCommand.details(grant))
        }
    }

    /// Grant ids are time-ordered and today begin with `-`, which a plain argument would take for an
    /// option: the id is collected among the unrecognised inputs, and exactly one is required.
    static func single(_ values: [String]) throws -> String {
        guard values.count == 1, let id = values.first, !id.isEmpty else {
            throw ValidationError("give exactly one grant_id")
        }
        return id
    }

    static func decode(_ json: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(json.utf8))
    }

    static func line(_ g: [String: Any]) -> String {
        let scopes = (g["scopes"] as? [String] ?? []).joined(separator: " ")
        return
            "\(g["grant_id"] ?? "")  \(g["status"] ?? "")  \(g["client_id"] ?? "") (\(g["client_name"] ?? ""))  [\(scopes)]  created \(g["created_at"] ?? "")  last used \(g["last_used_at"] ?? "")"
    }

    static func details(_ g: [String: Any]) -> String {
        var lines = [line(g)]
        if let by = g["revoked_by"] {
            lines.append("revoked \(g["revoked_at"] ?? "") by \(by): \(g["revoke_reason"] ?? "")")
        }
        return lines.joined(separator: "\n")
    }
}
