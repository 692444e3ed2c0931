import ArgumentParser
import Authn
import Events
import Foundation
import JOSE
import Journal
import Ledger
import Server

/// Runs an admin request: through the running server's admin socket when `serve` holds the data
/// directory, or against the journal directly (taking the directory's lock) when it does not.
func runAdmin(_ request: AdminRequest, dataDir: DataDirectoryOption, operatorName: String? = nil) async throws -> String
{
    let layout = DataLayout(root: dataDir.resolved)
    let operatorName = operatorName ?? defaultOperatorName()
    let response: AdminResponse
    if FileManager.default.fileExists(atPath: layout.root + "/LOCK"),
        let lock = try? DataDirectoryLock.acquire(dataDirectory: layout.root)
    {
        defer { lock.release() }
        response = try await offline(request, layout: layout, operatorName: operatorName)
    } else if FileManager.default.fileExists(atPath: AdminSocket.socketPath(dataDirectory: layout.root)) {
        response = try AdminSocket.send(request, dataDirectory: layout.root, operatorName: operatorName)
    } else {
        try layout.prepare()
        let lock = try DataDirectoryLock.acquire(dataDirectory: layout.root)
        defer { lock.release() }
        response = try await offline(request, layout: layout, operatorName: operatorName)
    }
    guard response.ok, let json = response.json else { throw CLIError(response.error ?? "the request failed") }
    return json
}

/// The login user's name: who an admin change is journaled as unless `--operator` says otherwise.
func defaultOperatorName() -> String {
    let name = ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.userName
    return name.isEmpty ? "operator" : name
}

private func offline(_ request: AdminRequest, layout: DataLayout, operatorName: String) async throws -> AdminResponse {
    let logger = makeLogger(level: .warning)
    let signer = try loadOrCreateJournalSigner(layout, logger: logger)
    let ledger = try Ledger.open(
        configuration: Ledger.Configuration(dataDirectory: layout.root), signer: signer, logger: logger)
    defer { ledger.close() }
    let keys = try SigningKeyRing(store: FileKeyStore(directory: layout.opKeys))
    return await AdminService(ledger: ledger, keys: keys).handle(request, operatorName: operatorName)
}

struct ClientsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clients", abstract: "Register, list, show and remove OAuth clients.",
        subcommands: [Add.self, List.self, Show.self, Remove.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a client from RFC 7591 metadata (JSON; client_id optional) and print it.")
        @OptionGroup var dataDir: DataDirectoryOption
        @Option(help: "File with the client metadata (JSON); - for standard input.") var file: String

        func run() async throws {
            let data: Data
            if file == "-" {
                data = FileHandle.standardInput.readDataToEndOfFile()
            } else {
                guard let contents = FileManager.default.contents(atPath: file) else {
                    throw CLIError("cannot read \(file)")
                }
                data = contents
            }
            print(
                try await runAdmin(.registerClient(metadata: String(decoding: data, as: UTF8.self)), dataDir: dataDir))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List registered clients (JSON).")
        @OptionGroup var dataDir: DataDirectoryOption
        func run() async throws { print(try await runAdmin(.listClients, dataDir: dataDir)) }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one client's registered metadata (JSON).")
        @OptionGroup var dataDir: DataDirectoryOption
        @Argument(help: "The client_id.") var clientID: String
        func run() async throws { print(try await runAdmin(.showClient(clientID: clientID), dataDir: dataDir)) }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a client: it can no longer authenticate (its history stays in the journal).")
        @OptionGroup var dataDir: DataDirectoryOption
        @Argument(help: "The client_id.") var clientID: String
        @Option(help: "Why (journaled).") var reason: String = "removed by an operator"
        func run() async throws {
            print(try await runAdmin(.removeClient(clientID: clientID, reason: reason), dataDir: dataDir))
        }
    }
}

struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "Add end users (password under scrypt, optional TOTP second factor).",
        subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an end user. The password is read from standard input (one line).")
        @OptionGroup var dataDir: DataDirectoryOption
        @Option(help: "Login name.") var username: String
        @Flag(help: "Read the password from standard input (required).") var passwordStdin = false
        @Option(help: "RFC 6238 TOTP secret (Base32) for strong customer authentication.") var totpSecret: String?
        @Option(help: "JSON file of the user's claims (name, email, …).") var claims: String?
        @Option(help: "The subject identifier; generated when absent.") var subject: String?

        func run() async throws {
            guard passwordStdin else {
                throw ValidationError("pass --password-stdin and the password on standard input")
            }
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw ValidationError("no password on standard input")
            }
            let layout = DataLayout(root: dataDir.resolved)
            try layout.prepare()
            let hash: String
            do { hash = try PasswordHasher().hash(password: line) } catch { throw CLIError("\(error)") }
            var rng = SystemRandomNumberGenerator()
            let sub = subject ?? "sub-" + TimeOrderedID.make(timeMicros: SystemClock().nowMicros(), using: &rng)
            var sealed: String?
            if let totpSecret {
                guard let seed = Base32.decode(totpSecret), (try? TOTP(secret: seed)) != nil else {
                    throw ValidationError("--totp-secret must be Base32 of at least 128 bits")
                }
                let sealer = try AuthnEndUserVerifier.loadOrCreateSealer(path: layout.keys + "/seal.key")
                sealed = try sealer.seal(seed, associatedData: Array(sub.utf8))
            }
            var claimsJSON = "{}"
            if let claims {
                guard let data = FileManager.default.contents(atPath: claims),
                    (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) != nil
                else { throw ValidationError("--claims must name a file holding a JSON object") }
                claimsJSON = String(decoding: data, as: UTF8.self)
            }
            let event = UserAdded(
                subject: sub, username: username, passwordHash: hash, sealedTOTPSeed: sealed, claims: claimsJSON)
            print(try await runAdmin(.addUser(event), dataDir: dataDir))
        }
    }
}

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Rotate the OP's signing keys.", subcommands: [Rotate.self])

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Add a signing key, make it the signer, and keep publishing the old one until what it signed has expired."
        )
        @OptionGroup var dataDir: DataDirectoryOption
        @Option(help: "ES256 or PS256.") var algorithm: String = "ES256"
        @Option(help: "Seconds the old key stays in the JWKS (≥ the ID token lifetime, plus cache time).")
        var publishOldFor: Int64 = 3600

        func run() async throws {
            guard publishOldFor >= 300 else {
                throw ValidationError("--publish-old-for must be at least 300 s (ID tokens live 300 s)")
            }
            print(
                try await runAdmin(
                    .rotateKey(algorithm: algorithm.uppercased(), publishOldForSeconds: publishOldFor), dataDir: dataDir
                ))
        }
    }
}
