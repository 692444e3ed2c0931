import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A failure of the test harness itself (a wait that timed out, a binary that is missing…), with a
/// message that says what was waited for and what the child printed.
struct E2EFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One child process with its standard output and error captured by two reader threads (blocking
/// `read(2)` until end of file), so nothing the child wrote before it died is lost and no pipe ever
/// fills up. Every wait takes a deadline; `stop()` (also run from `deinit`) kills the child if it is
/// still running, so a test that fails half-way never leaves a process behind.
final class ChildProcess: @unchecked Sendable {
    let name: String
    let arguments: [String]
    private let process = Process()
    private let outPipe = Pipe()
    private let errPipe = Pipe()
    private let condition = NSCondition()
    private var out: [UInt8] = []
    private var err: [UInt8] = []
    private var openStreams = 2
    private var started = false

    /// `executable` with `arguments`; `name` is what failure messages call it.
    init(_ executable: String, _ arguments: [String], name: String? = nil, workingDirectory: String? = nil) {
        self.name =
            name ?? ([URL(fileURLWithPath: executable).lastPathComponent] + arguments.prefix(2)).joined(separator: " ")
        self.arguments = arguments
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = outPipe
        process.standardError = errPipe
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
    }

    deinit { stop() }

    /// Starts the child and its two reader threads.
    func start() throws {
        try process.run()
        condition.lock()
        started = true
        condition.unlock()
        startReader(outPipe, isStdout: true)
        startReader(errPipe, isStdout: false)
    }

    /// The pipes stay open while `self` lives, and the thread holds `self`.
    private func startReader(_ pipe: Pipe, isStdout: Bool) {
        let fd = pipe.fileHandleForReading.fileDescriptor
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                condition.lock()
                if isStdout { out.append(contentsOf: buffer[0..<n]) } else { err.append(contentsOf: buffer[0..<n]) }
                condition.broadcast()
                condition.unlock()
            }
            condition.lock()
            openStreams -= 1
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "e2e-reader-\(isStdout ? "out" : "err")"
        thread.start()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// Everything read from standard output / error so far.
    var stdout: String {
        condition.lock()
        defer { condition.unlock() }
        return String(decoding: out, as: UTF8.self)
    }
    var stderr: String {
        condition.lock()
        defer { condition.unlock() }
        return String(decoding: err, as: UTF8.self)
    }
    var combinedOutput: String { stdout + "\n" + stderr }

    /// Standard output split into lines; `complete` are newline-terminated, `partial` is what follows
    /// the last newline (empty when the output ends with one).
    var stdoutLines: (complete: [String], partial: String) {
        condition.lock()
        let bytes = out
        condition.unlock()
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
        let partial = lines.removeLast()
        return (lines, partial)
    }

    /// A bounded tail of what the child printed, for failure messages.
    func outputTail(_ count: Int = 2_000) -> String {
        let o = stdout
        let e = stderr
        return
            "[\(name)] stdout (last \(count) chars):\n\(o.suffix(count))\n[\(name)] stderr (last \(count) chars):\n\(e.suffix(count))"
    }

    /// Waits until a complete stdout line satisfies `predicate`, the child exits, or `timeout` passes.
    func waitForLine(timeout: Double, what: String, _ predicate: (String) -> Bool) throws -> String {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while true {
            if let line = stdoutLines.complete.first(where: predicate) { return line }
            if !process.isRunning {
                // Give the readers a moment to reach end of file, then look once more.
                waitForEndOfOutput(timeout: 5)
                if let line = stdoutLines.complete.first(where: predicate) { return line }
                throw E2EFailure("\(name) ended (status \(exitDescription)) before printing \(what)\n\(outputTail())")
            }
            if Date() >= deadline {
                throw E2EFailure("timed out after \(Int(timeout)) s waiting for \(what) from \(name)\n\(outputTail())")
            }
            condition.lock()
            _ = condition.wait(until: min(deadline, Date(timeIntervalSinceNow: 0.05)))
            condition.unlock()
        }
    }

    /// Sends `signal` to the child (no-op once it has exited).
    func send(_ signal: Int32) {
        guard started, process.isRunning else { return }
        _ = kill(process.processIdentifier, signal)
    }

    /// Waits for the child to exit and for its output to be read to the end; returns the exit status
    /// (or the signal number for `.uncaughtSignal`, see `terminationReason`). Throws on timeout.
    @discardableResult
    func waitForExit(timeout: Double) throws -> Int32 {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while process.isRunning {
            if Date() >= deadline {
                throw E2EFailure("timed out after \(Int(timeout)) s waiting for \(name) to exit\n\(outputTail())")
            }
            usleep(5_000)
        }
        if !waitForEndOfOutput(timeout: max(5, deadline.timeIntervalSinceNow)) {
            throw E2EFailure("\(name) exited but its output pipes did not reach end of file\n\(outputTail())")
        }
        return process.terminationStatus
    }

    /// Whether both output streams reached end of file within `timeout`.
    @discardableResult
    func waitForEndOfOutput(timeout: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while openStreams > 0 {
            if !condition.wait(until: deadline) { return openStreams == 0 }
        }
        return true
    }

    var terminationReason: Process.TerminationReason { process.terminationReason }

    var exitDescription: String {
        guard started, !process.isRunning else { return "running" }
        switch process.terminationReason {
        case .exit: return "exit \(process.terminationStatus)"
        case .uncaughtSignal: return "signal \(process.terminationStatus)"
        @unknown default: return "unknown \(process.terminationStatus)"
        }
    }

    /// Kills the child if it still runs (SIGKILL) and waits a bounded time for it. Idempotent.
    func stop() {
        guard started else { return }
        if process.isRunning {
            _ = kill(process.processIdentifier, SIGKILL)
            let deadline = Date(timeIntervalSinceNow: 30)
            while process.isRunning && Date() < deadline { usleep(5_000) }
        }
        waitForEndOfOutput(timeout: 5)
    }
}

/// Result of a command run to completion.
struct CommandResult: CustomStringConvertible {
    let status: Int32
    let reason: Process.TerminationReason
    let stdout: String
    let stderr: String
    var combined: String { stdout + "\n" + stderr }
    var exitedNormally: Bool { reason == .exit }
    var description: String {
        "status \(status) (\(reason == .exit ? "exit" : "signal"))\nstdout:\n\(stdout.suffix(3_000))\nstderr:\n\(stderr.suffix(3_000))"
    }
}

/// Runs `executable arguments` to completion (at most `timeout` seconds, killed after that).
func runCommand(
    _ executable: String, _ arguments: [String], timeout: Double = 60, name: String? = nil
) throws -> CommandResult {
    let child = ChildProcess(executable, arguments, name: name)
    defer { child.stop() }
    try child.start()
    let status = try child.waitForExit(timeout: timeout)
    return CommandResult(status: status, reason: child.terminationReason, stdout: child.stdout, stderr: child.stderr)
}
