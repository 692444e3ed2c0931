import Crypto
import Events
import Foundation
import Journal
import Logging
import Projection
import Testing

@testable import Ledger

private struct TempDir {
    let path = NSTemporaryDirectory() + "strongroom-ledger-\(UUID().uuidString.prefix(8))"
    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

private let logger: Logger = {
    var l = Logger(label: "test")
    l.logLevel = .critical
    return l
}()

private func openLedger(
    _ dir: String, signer: P256CheckpointSigner, configure: (inout Ledger.Configuration) -> Void = { _ in }
) throws -> (Ledger, DataDirectoryLock) {
    let lock = try DataDirectoryLock.acquire(dataDirectory: dir)
    var config = Ledger.Configuration(dataDirectory: dir)
    config.checkpointIntervalMicros = 1_000_000_000
    configure(&config)
    return (try Ledger.open(configuration: config, signer: signer, logger: logger), lock)
}

/// Registers clients `name-0` … `name-(count-1)` concurrently; returns once every one is answered.
private func registerConcurrently(_ ledger: Ledger, _ name: String, _ count: Int) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for i in 0..<count {
            group.addTask {
                try await ledger.execute(
                    RegisterClient(clientID: "\(name)-\(i)", metadata: "{}", via: "cli", actor: .operator("ops")))
            }
        }
        try await group.waitForAll()
    }
}

/// The Ledger's passes in journal order, as (time, events): every event of a pass carries its time.
private func journalPasses(_ dir: String) throws -> [(time: Int64, events: Int)] {
    var passes: [(time: Int64, events: Int)] = []
    try JournalReader(dataDirectory: dir).forEach(from: 1) { record in
        guard record.kind == .event else { return true }
        if passes.last?.time == record.timeMicros {
            passes[passes.count - 1].events += 1
        } else {
            passes.append((record.timeMicros, 1))
        }
        return true
    }
    return passes
}

/// Rebuilds the projection from the journal into a new file and compares every table with `live`.
func assertReplayEquivalent(_ dir: String, live: ProjectionStore) throws {
    let out = dir + "/replay-check.sqlite"
    try ProjectionStore.remove(path: out)
    let rebuilt = try ProjectionRebuilder.rebuild(reader: try JournalReader(dataDirectory: dir), into: out)
    let store = try ProjectionStore.open(path: out)
    let a = try live.dumpAllTables()
    let b = try store.dumpAllTables()
    #expect(try live.state() == rebuilt)
    for table in a.keys.sorted() { #expect(a[table] == b[table], "table \(table) differs after replay") }
    try store.checkpointAndClose()
    try ProjectionStore.remove(path: out)
}

@Suite("Ledger: single writer, group commit, projection")
struct LedgerTests {
    @Test("an accepted command is journaled, projected and answered; a rejected one changes nothing")
    func acceptAndReject() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let signer = P256CheckpointSigner(privateKey: .init())
        let (ledger, lock) = try openLedger(dir.path, signer: signer)
        try await ledger.execute(
            RegisterClient(
                clientID: "tpp-1", metadata: "{\"client_name\":\"TPP\"}", via: "cli", actor: .operator("ops")))
        let sequenceAfterFirst = ledger.durableSequence
        let rows = try await ledger.projection.pool.read { db in
            try String.fetchAll(db, sql: "SELECT client_id FROM clients")
        }
        #expect(rows == ["tpp-1"])

        await #expect(throws: LedgerRejection.self) {
            try await ledger.execute(
                RegisterClient(clientID: "tpp-1", metadata: "{}", via: "cli", actor: .operator("ops")))
        }
        #expect(ledger.durableSequence == sequenceAfterFirst)  // nothing written
        await #expect(throws: LedgerRejection.self) {
            try await ledger.execute(RemoveClient(clientID: "nobody", reason: "x", actor: .operator("ops")))
        }
        try assertReplayEquivalent(dir.path, live: ledger.projection)
        ledger.close()
        lock.release()
    }

    #if os(Linux)
        @Test("the Ledger's threads carry their names, as top -H and profilers show them")
        func threadNames() async throws {
            let dir = TempDir()
            defer { dir.cleanup() }
            let (ledger, lock) = try openLedger(dir.path, signer: P256CheckpointSigner(privateKey: .init()))
            // An answered command has passed through all four threads, each named as it started.
            try await ledger.execute(
                RegisterClient(clientID: "tpp-1", metadata: "{}", via: "cli", actor: .operator("ops")))
            let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
            let names = Set(
                tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }
                    .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
            for thread in LedgerThread.allCases {
                #expect(thread.rawValue.utf8.count <= 15, "Linux refuses a thread name over 15 bytes")
                #expect(names.contains(thread.rawValue), "no thread named \(thread.rawValue)")
            }
            ledger.close()
            lock.release()
        }
    #endif

    @Test(
        "checkpoints come at least every checkpointRecordsMax records, whatever the time; checkpointNow writes one and answers once it is durable"
    )
    func checkpointByCount() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let signer = P256CheckpointSigner(privateKey: .init())
        let lock = try DataDirectoryLock.acquire(dataDirectory: dir.path)
        var config = Ledger.Configuration(dataDirectory: dir.path)
        config.checkpointIntervalMicros = 1_000_000_000  // time alone would never checkpoint here
        config.checkpointRecordsMax = 10
        let ledger = try Ledger.open(configuration: config, signer: signer, logger: logger)
        for i in 0..<45 {
            try await ledger.execute(
                RegisterClient(clientID: "tpp-\(i)", metadata: "{}", via: "cli", actor: .operator("ops")))
        }
        let durable = try await ledger.checkpointNow()
        #expect(durable == ledger.durableSequence)
        ledger.close()
        lock.release()
        let report = try JournalVerifier.verify(dataDirectory: dir.path)
        // 45 events (+ the journal key record): one checkpoint per 10 records at least, one forced,
        // and the final one at close (none when nothing came after the forced one).
        #expect(report.checkpoints >= 5, "\(report.summary)")
        #expect(report.lastCheckpointSequence == report.lastSequence)
        var gap: UInt64 = 0
        var sinceLast: UInt64 = 0
        try JournalReader(dataDirectory: dir.path).forEach(from: 1) { record in
            if record.kind == .checkpoint {
                gap = max(gap, sinceLast)
                sinceLast = 0
            } else {
                sinceLast += 1
            }
            return true
        }
        #expect(gap <= 10 + 1, "records between checkpoints: \(gap)")
    }

    @Test("concurrent commands are all durable and projected; the same decisions survive a restart")
    func concurrentAndRestart() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let signer = P256CheckpointSigner(privateKey: .init())
        var (ledger, lock) = try openLedger(dir.path, signer: signer)
        let first = ledger
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<300 {
                group.addTask {
                    try await first.execute(
                        AddUser(
                            UserAdded(
                                subject: "sub-\(i)", username: "user\(i)", passwordHash: "$scrypt$x",
                                sealedTOTPSeed: nil, claims: "{}"),
                            actor: .operator("ops")))
                }
            }
            try await group.waitForAll()
        }
        // Same username from many tasks at once: exactly one wins.
        let winners = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<20 {
                group.addTask {
                    (try? await first.execute(
                        AddUser(
                            UserAdded(
                                subject: "dup-\(i)", username: "same", passwordHash: "$scrypt$x", sealedTOTPSeed: nil,
                                claims: "{}"),
                            actor: .operator("ops")))) != nil
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(winners == 1)
        let count = try await ledger.projection.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM users")
        }
        #expect(count == 301)
        try assertReplayEquivalent(dir.path, live: ledger.projection)
        ledger.close()
        lock.release()

        (ledger, lock) = try openLedger(dir.path, signer: signer)
        await #expect(throws: LedgerRejection.self) {
            try await ledger.execute(
                AddUser(
                    UserAdded(
                        subject: "new", username: "user7", passwordHash: "$scrypt$x", sealedTOTPSeed: nil, claims: "{}"),
                    actor: .operator("ops")))
        }
        ledger.close()
        lock.release()
        #expect(try JournalVerifier.verify(dataDirectory: dir.path).events == 301)
    }

    @Test("a lost or foreign projection is rebuilt from the journal on open")
    func projectionRebuiltOnOpen() async throws {
        let dir = TempDir()
        let other = TempDir()
        defer {
            dir.cleanup()
            other.cleanup()
        }
        let signer = P256CheckpointSigner(privateKey: .init())
        var (ledger, lock) = try openLedger(dir.path, signer: signer)
        for i in 0..<10 {
            try await ledger.execute(
                RegisterClient(clientID: "c\(i)", metadata: "{}", via: "cli", actor: .operator("ops")))
        }
        let before = try ledger.projection.dumpAllTables()
        ledger.close()
        lock.release()

        // Lost: removed entirely.
        try ProjectionStore.remove(path: dir.path + "/projection.sqlite")
        (ledger, lock) = try openLedger(dir.path, signer: signer)
        #expect(try ledger.projection.dumpAllTables()["clients"] == before["clients"])
        ledger.close()
        lock.release()

        // Foreign: a projection of another journal that is further along.
        let (otherLedger, otherLock) = try openLedger(other.path, signer: signer)
        for i in 0..<30 {
            try await otherLedger.execute(
                RegisterClient(clientID: "x\(i)", metadata: "{}", via: "cli", actor: .operator("ops")))
        }
        otherLedger.close()
        otherLock.release()
        try ProjectionStore.remove(path: dir.path + "/projection.sqlite")
        try FileManager.default.copyItem(
            atPath: other.path + "/projection.sqlite", toPath: dir.path + "/projection.sqlite")
        (ledger, lock) = try openLedger(dir.path, signer: signer)
        #expect(try ledger.projection.dumpAllTables()["clients"] == before["clients"])
        try assertReplayEquivalent(dir.path, live: ledger.projection)
        ledger.close()
        lock.release()
    }

    @Test("without a projection, decisions still see every journaled event (state folded from the journal)")
    func liveStateWithoutProjection() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let signer = P256CheckpointSigner(privateKey: .init())
        func open() throws -> (Ledger, DataDirectoryLock) {
            let lock = try DataDirectoryLock.acquire(dataDirectory: dir.path)
            var config = Ledger.Configuration(dataDirectory: dir.path)
            config.projectionEnabled = false
            return (try Ledger.open(configuration: config, signer: signer, logger: logger), lock)
        }
        var (ledger, lock) = try open()
        try await ledger.execute(RegisterClient(clientID: "once", metadata: "{}", via: "cli", actor: .operator("ops")))
        ledger.close()
        lock.release()
        (ledger, lock) = try open()
        await #expect(throws: LedgerRejection.self) {
            try await ledger.execute(
                RegisterClient(clientID: "once", metadata: "{}", via: "cli", actor: .operator("ops")))
        }
        ledger.close()
        lock.release()
    }

    @Test("the queue is bounded: beyond its capacity commands are refused, not buffered")
    func boundedQueue() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let lock = try DataDirectoryLock.acquire(dataDirectory: dir.path)
        var config = Ledger.Configuration(dataDirectory: dir.path)
        config.queueCapacity = 4
        config.journal.durability = .none
        let ledger = try Ledger.open(
            configuration: config, signer: P256CheckpointSigner(privateKey: .init()), logger: logger)
        let outcomes = await withTaskGroup(of: String.self) { group in
            for i in 0..<400 {
                group.addTask {
                    do {
                        try await ledger.execute(
                            RegisterClient(clientID: "q\(i)", metadata: "{}", via: "cli", actor: .operator("ops")))
                        return "ok"
                    } catch LedgerError.overloaded {
                        return "overloaded"
                    } catch {
                        return "other"
                    }
                }
            }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(!outcomes.contains("other"))
        #expect(outcomes.contains("ok"))
        let accepted = outcomes.filter { $0 == "ok" }.count
        let count = try await ledger.projection.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM clients")
        }
        #expect(count == accepted)
        ledger.close()
        lock.release()
    }

    @Test(
        "group commit window: after a busy batch the next is taken no sooner than the window; a lone client's commands, and one after a quiet spell, are taken at once"
    )
    func groupCommitWindow() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        // Long enough that the timings compared below differ by seconds, whatever the machine.
        let window: Int64 = 1_000_000
        let (ledger, lock) = try openLedger(dir.path, signer: P256CheckpointSigner(privateKey: .init())) {
            $0.groupCommitWindowMicros = window
            $0.groupCommitBusyCommands = 4
        }
        try await registerConcurrently(ledger, "a", 64)
        try await registerConcurrently(ledger, "b", 16)
        let busyWaits = ledger.statistics.windowWaits
        // A quiet spell, then one client's commands one after another: none waits for the window
        // (counted by the appender, so this holds however slow the machine is).
        try await Task.sleep(for: .microseconds(window + 100_000))
        for i in 0..<5 {
            try await ledger.execute(
                RegisterClient(clientID: "lone-\(i)", metadata: "{}", via: "cli", actor: .operator("ops")))
        }
        #expect(ledger.statistics.windowWaits == busyWaits, "a lone client's commands waited for the window")
        ledger.close()
        lock.release()

        // After every pass of at least 4 commands, the next comes no sooner than the window (less a
        // margin for the microseconds between taking a batch and stamping it).
        let passes = try journalPasses(dir.path)
        #expect(passes.reduce(0) { $0 + $1.events } == 64 + 16 + 5)
        var busyGaps: [Int64] = []
        for (previous, next) in zip(passes, passes.dropFirst()) where previous.events >= 4 {
            busyGaps.append(next.time - previous.time)
        }
        #expect(!busyGaps.isEmpty, "no busy pass: \(passes.map(\.events))")
        #expect(busyGaps.allSatisfy { $0 >= window - 20_000 }, "gaps after busy passes (µs): \(busyGaps)")
    }

    @Test("group commit window: the command that fills a batch ends the window at once")
    func groupCommitFullBatch() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        // Every take counts as busy (1 command), a batch is full at 16, and the window is an hour:
        // after one lone command, each wave of exactly 16 concurrent commands gathers until its 16th
        // arrives, however late the test's tasks get to run, and only that command's signal ends the
        // wait. Without it the waves would wait for the hour; after 60 s the test gives up, closes the
        // Ledger (which ends the wait) and fails. (Waves of any other size would wait out the window
        // for commands that cannot come: their senders wait for the batch.)
        let (ledger, lock) = try openLedger(dir.path, signer: P256CheckpointSigner(privateKey: .init())) {
            $0.checkpointIntervalMicros = 1_000_000_000_000
            $0.groupCommitWindowMicros = 3_600_000_000
            $0.groupCommitBusyCommands = 1
            $0.groupCommitFullCommands = 16
        }
        try await ledger.execute(RegisterClient(clientID: "lone", metadata: "{}", via: "cli", actor: .operator("ops")))
        let wavesEnded = try await withThrowingTaskGroup(of: Bool.self) { race in
            race.addTask {
                for wave in 0..<4 { try await registerConcurrently(ledger, "w\(wave)", 16) }
                return true
            }
            race.addTask {
                try? await Task.sleep(for: .seconds(60))
                return false
            }
            let first = try await race.next() ?? false
            if !first { ledger.close() }  // ends the wait, so that the waves return (with an error)
            race.cancelAll()
            while (try? await race.next()) != nil {}
            return first
        }
        ledger.close()
        lock.release()
        #expect(wavesEnded, "the waves were still waiting after 60 s: a full batch did not end the window")
        // Each wave was one batch of 16.
        let passes = try journalPasses(dir.path).map(\.events)
        #expect(passes == [1, 16, 16, 16, 16], "passes: \(passes)")
    }

    @Test(
        "group commit wait: the rest of the window after a busy take; nothing after a small take, after the window, once the batch is full, or with no window"
    )
    func groupCommitWaitRule() {
        var config = Ledger.Configuration(dataDirectory: "/unused")
        config.groupCommitWindowMicros = 5_000
        config.groupCommitBusyCommands = 4
        config.groupCommitFullCommands = 512
        func wait(
            _ commands: Int, since micros: Int64, waiting: Int = 10, _ configuration: Ledger.Configuration
        )
            -> Int64
        {
            Ledger.groupCommitWait(
                waitingCommands: waiting, lastTakeCommands: commands, lastTakeMicros: 1_000_000,
                nowMicros: 1_000_000 + micros, configuration: configuration)
        }
        #expect(wait(4, since: 0, config) == 5_000)
        #expect(wait(64, since: 1_500, config) == 3_500)
        #expect(wait(64, since: 1_500, waiting: 511, config) == 3_500)
        #expect(wait(64, since: 1_500, waiting: 512, config) == 0, "a full batch is taken at once")
        #expect(wait(64, since: 5_000, config) == 0)
        #expect(wait(64, since: 60_000_000, config) == 0)
        #expect(wait(3, since: 0, config) == 0, "a lone client's or a quiet take never waits")
        #expect(wait(1, since: 100, config) == 0)
        config.batchCommandsMax = 100
        #expect(wait(64, since: 0, waiting: 100, config) == 0, "a batch at the batch limit is full too")
        config.groupCommitWindowMicros = 0
        #expect(wait(64, since: 0, config) == 0, "no window configured")
    }
}
