import ArgumentParser
import Foundation
import Journal
import Server

extension JournalCommand {
    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy the journal (and the key material) consistently, while the server serves.",
            discussion: """
                Asks the running server (through its admin socket) to write a signed checkpoint and
                copies the journal up to the last durable batch: sealed segments whole, the active one
                up to that batch's end. With the server down it takes the data directory's lock and
                does the same. The copy is verified (every CRC, the chain, every checkpoint signature)
                before the command succeeds.

                Unless --journal-only, the private keys under keys/ (journal checkpoint key, OP signing
                keys, the TOTP sealing key) and tls/ are copied too, owner-only: protect the backup
                like the keys themselves. BACKUP.json describes the backup; BACKUP.sha256 lists every
                file's SHA-256 (check it with `sha256sum -c BACKUP.sha256` inside the backup).

                Restore: copy the backup into an empty data directory, `strongroom journal verify`,
                `strongroom replay`, `strongroom serve` (Docs/operations.md).
                """)

        @OptionGroup var dataDir: DataDirectoryOption
        @Option(help: "A new or empty directory to write the backup to.") var to: String
        @Flag(help: "Copy only the journal, not keys/ and tls/ (keep the keys in escrow yourself).")
        var journalOnly = false

        func run() async throws {
            let root = dataDir.resolved
            let target = URL(fileURLWithPath: to).standardizedFileURL.path
            guard target != URL(fileURLWithPath: root).standardizedFileURL.path else {
                throw ValidationError("--to must not be the data directory")
            }
            if let existing = try? FileManager.default.contentsOfDirectory(atPath: target), !existing.isEmpty {
                throw ValidationError("\(target) is not empty: back up into a new directory")
            }
            guard FileManager.default.fileExists(atPath: root + "/journal") else {
                throw CLIError("no journal in \(root)")
            }

            // A checkpoint first: the copy then ends at (or just after) a signed checkpoint.
            let answer = try await runAdmin(.checkpoint, dataDir: dataDir)
            guard let object = try JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any],
                let durable = (object["durable_sequence"] as? NSNumber)?.uint64Value
            else { throw CLIError("unexpected answer to the checkpoint request: \(answer)") }

            let started = Date()
            var bar = ProgressBar(label: "backing up")
            let summary = try JournalBackup.copy(dataDirectory: root, to: target, through: durable) { done, total in
                bar.update(done: done, total: total)
            }
            bar.finish()
            var files = summary.segments.map { "journal/" + $0 }
            if !journalOnly {
                for directory in ["keys", "tls"] where FileManager.default.fileExists(atPath: root + "/" + directory) {
                    files += try copyTree(
                        from: root + "/" + directory, to: target + "/" + directory, relative: directory)
                }
            }
            var lines: [String] = []
            for file in files.sorted() {
                lines.append("\(try JournalBackup.sha256Hex(ofFile: target + "/" + file))  \(file)")
            }
            try writeOwnerOnly(target + "/BACKUP.sha256", lines.joined(separator: "\n") + "\n")
            let report = summary.verified
            let manifest: [String: Any] = [
                "format": "strongroom.backup.v1",
                "created_at": iso8601(micros: Int64(Date().timeIntervalSince1970 * 1_000_000)),
                "source": root,
                "journal_id": report.journalID,
                "last_sequence": report.lastSequence,
                "last_checkpoint_sequence": report.lastCheckpointSequence,
                "chain_head": report.chainHead.hex,
                "journal_keys": report.activeKeyIDs,
                "records": report.records,
                "events": report.events,
                "segments": summary.segments,
                "includes_keys": !journalOnly,
            ]
            let json = try JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys, .prettyPrinted])
            try writeOwnerOnly(target + "/BACKUP.json", String(decoding: json, as: UTF8.self) + "\n")

            let seconds = Date().timeIntervalSince(started)
            print(
                "backup written to \(target): \(summary.segments.count) segment(s), \(summary.bytes) bytes, through sequence \(report.lastSequence) in \(String(format: "%.1f", seconds)) s"
            )
            print("copy verified: \(report.summary)")
            if !journalOnly { print("the backup holds private keys (keys/, tls/): protect it like them") }
        }

        /// Copies a directory tree owner-only (0700 directories, 0600 files); returns the files'
        /// paths relative to the backup root.
        private func copyTree(from source: String, to destination: String, relative: String) throws -> [String] {
            let fm = FileManager.default
            try fm.createDirectory(
                atPath: destination, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            var copied: [String] = []
            for name in try fm.contentsOfDirectory(atPath: source).sorted() {
                let from = source + "/" + name
                var isDirectory: ObjCBool = false
                guard fm.fileExists(atPath: from, isDirectory: &isDirectory) else { continue }
                if isDirectory.boolValue {
                    copied += try copyTree(from: from, to: destination + "/" + name, relative: relative + "/" + name)
                } else {
                    guard let data = fm.contents(atPath: from) else { throw CLIError("cannot read \(from)") }
                    guard
                        fm.createFile(
                            atPath: destination + "/" + name, contents: data, attributes: [.posixPermissions: 0o600])
                    else { throw CLIError("cannot write \(destination)/\(name)") }
                    copied.append(relative + "/" + name)
                }
            }
            return copied
        }

        private func writeOwnerOnly(_ path: String, _ text: String) throws {
            guard
                FileManager.default.createFile(
                    atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
            else { throw CLIError("cannot write \(path)") }
        }
    }
}
