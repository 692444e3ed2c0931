import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A failure of the `flows` benchmark's setup, with a message for the operator.
struct FlowBenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A `strongroom serve` child process on loopback, started and stopped by the benchmark.
///
/// Its standard output and error go to `bench-server.log` in the data directory, which is left in
/// place after the run (the journal can be checked afterwards).
final class ServerProcess: Sendable {
    let process: Process
    let port: Int
    let logPath: String

    var pid: Int32 { process.processIdentifier }
    var issuer: String { "https://localhost:\(port)" }

    /// Starts `binary serve --data-dir dataDir --listen 127.0.0.1:PORT --issuer https://localhost:PORT`
    /// on a free port.
    init(binary: String, dataDir: String, extraArguments: [String]) throws {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw FlowBenchError("no strongroom binary at \(binary) (build it, or pass --strongroom PATH)")
        }
        port = try Self.freeLoopbackPort()
        logPath = dataDir + "/bench-server.log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        guard let log = FileHandle(forWritingAtPath: logPath) else {
            throw FlowBenchError("cannot write \(logPath)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments =
            [
                "serve", "--data-dir", dataDir, "--listen", "127.0.0.1:\(port)", "--issuer",
                "https://localhost:\(port)",
            ] + extraArguments
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
    }

    var isRunning: Bool { process.isRunning }

    /// The last lines of the server's log (for error messages).
    func logTail(lines: Int = 15) -> String {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return "" }
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// SIGTERM, then waits for the process to exit (SIGKILL after `graceSeconds`). Returns the exit status.
    @discardableResult
    func stop(graceSeconds: Double = 30) async -> Int32 {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(graceSeconds)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        }
        return process.terminationStatus
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
    static func freeLoopbackPort() throws -> Int {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw FlowBenchError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw FlowBenchError("cannot bind a loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Resident-set figures of a process from `/proc/<pid>/status` (Linux).
enum ProcessMemory {
    /// `VmRSS` and `VmHWM` (peak RSS) in KiB; nil when unreadable.
    static func status(pid: Int32) -> (rssKiB: Int, peakKiB: Int)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        var rss: Int?
        var peak: Int?
        for line in text.split(separator: "\n") {
            if line.hasPrefix("VmRSS:") { rss = kibibytes(line) }
            if line.hasPrefix("VmHWM:") { peak = kibibytes(line) }
        }
        guard let rss, let peak else { return nil }
        return (rss, peak)
    }

    private static func kibibytes(_ line: Substring) -> Int? {
        line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) }
    }
}

/// CPU time a process has used, from `/proc/<pid>/stat` (Linux).
enum ProcessCPU {
    /// User + system CPU seconds of `pid` (`self` for this process); nil when unreadable.
    static func seconds(pid: String) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // After "pid (comm)": state is field 3; utime and stime are fields 14 and 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

/// On-CPU time of this process's threads, summed by thread name (Linux: `/proc/self/task`).
enum ThreadCPU {
    /// Seconds each thread name has run (from `schedstat`: nanoseconds, not clock ticks). Threads
    /// that have exited are not counted: take both snapshots while the threads measured are alive.
    static func byName() -> [String: Double] {
        var out: [String: Double] = [:]
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else { return out }
        for task in tasks {
            let dir = "/proc/self/task/\(task)/"
            guard let comm = try? String(contentsOfFile: dir + "comm", encoding: .utf8),
                let stat = try? String(contentsOfFile: dir + "schedstat", encoding: .utf8),
                let first = stat.split(separator: " ").first, let nanoseconds = Double(first)
            else { continue }
            out[comm.trimmingCharacters(in: .whitespacesAndNewlines), default: 0] += nanoseconds / 1e9
        }
        return out
    }
}

/// Runs the `strongroom` command-line tool (admin commands) and returns its standard output.
enum StrongroomCLI {
    static func run(binary: String, arguments: [String], stdin: String?) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = input
        try process.run()
        if let stdin { try input.fileHandleForWriting.write(contentsOf: Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FlowBenchError(
                "strongroom \(arguments.prefix(2).joined(separator: " ")) failed (\(process.terminationStatus)): "
                    + String(decoding: err, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return String(decoding: out, as: UTF8.self)
    }
}
