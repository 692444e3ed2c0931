import Events
import Foundation
import Journal
import Logging
import Projection
import Synchronization

/// The single writer of Strongroom (DESIGN.md "The flow of a request").
///
/// Commands wait in a bounded queue. The **appender** thread takes every command waiting, decides
/// each against the live state (evolving it with the events of each accepted command, so the next
/// command sees them), and writes all their events as one journal batch (one `write`). The
/// **committer** thread makes every batch written since its last pass durable with one `fdatasync`
/// (group commit). The **projector** thread applies the durable events to the SQLite projection in
/// one transaction. Only then does the **answerer** thread answer the commands — accepted or
/// rejected, because a rejection may reveal state that another command in the same batch created —
/// and free them. The stages overlap: while one batch is synced, the next is decided and written,
/// and the projector's next transaction runs while the previous cycle's callers are resumed.
///
/// Dedicated threads, not actors, because `fdatasync` blocks: on a 2-core machine it would stall
/// half of Swift's cooperative pool.
///
/// ```swift
/// let ledger = try Ledger.open(configuration: .init(dataDirectory: dir), signer: signer, logger: logger)
/// let client = try await ledger.execute(RegisterClient(clientID: "tpp-1", metadata: json, via: "cli", actor: .operator("ops")))
/// ledger.close()
/// ```
public final class Ledger: @unchecked Sendable {
    public struct Configuration: Sendable {
        public var dataDirectory: String
        public var journal = JournalOptions()
        /// Write a signed checkpoint at least this often while events arrive.
        public var checkpointIntervalMicros: Int64 = 60_000_000
        /// …and at least every this many records, whatever the rate: proving an event means
        /// recomputing the chain from it to the next checkpoint (`strongroom audit`, evidence
        /// bundles), so this bounds that work and a bundle's size.
        public var checkpointRecordsMax: UInt64 = Ledger.checkpointRecordsDefault
        /// Commands that may wait; beyond this `execute` throws `LedgerError.overloaded`.
        public var queueCapacity = 16_384
        /// Most commands decided into one batch.
        public var batchCommandsMax = 4_096
        /// Batches written but not yet committed before the appender waits for the committer.
        public var inFlightBatchesMax = 1
        /// Commit cycles synced but not yet projected before the committer waits for the projector.
        /// When the projector falls behind it takes them all in one transaction (cheaper per event).
        public var projectorBacklogMax = 8
        /// Commit cycles projected but not yet answered before the projector waits for the answerer.
        public var answererBacklogMax = 8
        /// Group-commit window (µs): while the Ledger is busy, a batch is taken no sooner than this
        /// after the previous one, so that one write, one `fdatasync` and one projection transaction
        /// serve more commands (fewer syncs, transactions and thread wake-ups per command). A command
        /// arriving after a quiet spell, or after a small batch, is taken at once, so a lone client
        /// never waits. 0: no window.
        public var groupCommitWindowMicros: Int64 = Ledger.groupCommitWindowDefault
        /// "Busy": the previous batch held at least this many commands.
        public var groupCommitBusyCommands = 4
        /// "Full": this many waiting commands end the window early (a batch this big already pays for
        /// its sync; waiting longer would only add latency).
        public var groupCommitFullCommands = 512
        /// The waiting commands that make a batch full: ``groupCommitFullCommands``, or the batch limit
        /// when that is lower.
        var fullBatchCommands: Int { min(groupCommitFullCommands, batchCommandsMax) }

        /// Apply events to the SQLite projection (off only in the journal-alone benchmark).
        public var projectionEnabled = true

        public init(dataDirectory: String) { self.dataDirectory = dataDirectory }

        public var projectionPath: String { dataDirectory + "/projection.sqlite" }
    }

    public let configuration: Configuration
    public let projection: ProjectionStore
    public let journalID: JournalID
    public let recoveryReport: RecoveryReport
    private let journal: JournalWriter
    private let clock: any LedgerClock
    private let logger: Logger

    // Callers ↔ appender, guarded by `queueCondition`.
    private let queueCondition = NSCondition()
    private var queue: [any PendingCommand] = []
    private var queueHead = 0
    private var stopping = false
    private var appenderWaiting = false
    /// The appender is letting a batch fill for the group-commit window (a caller whose command
    /// makes it full, ``Configuration/groupCommitFullCommands``, wakes it).
    private var appenderGathering = false
    /// `checkpointNow()` asked for a checkpoint in the next pass.
    private var checkpointRequested = false

    // Appender ↔ committer (and progress counters, `durable`), guarded by `commitCondition`.
    private let commitCondition = NSCondition()
    private var commitItems: [CommitItem] = []
    private var appenderDone = false
    private var durable: UInt64
    private var counters = Statistics()

    /// Committer → projector: synced cycles.
    private let toProjector: HandOff<CommitItem>
    /// Projector → answerer: projected cycles.
    private let toAnswerer: HandOff<CommitItem>

    /// Set once, when the Ledger stops after a failure.
    private let failureState = Mutex<String?>(nil)
    /// ``Statistics/windowWaits`` (counted by the appender, outside the committer's lock).
    private let windowWaits = Atomic<UInt64>(0)

    // Owned by the appender thread only.
    private var state: LiveState
    private var lastTimeMicros: Int64
    private var decisionPass: UInt64 = 0
    /// When the appender last took commands from the queue (monotonic µs), and how many: the
    /// group-commit window's clock. Guarded by `queueCondition`.
    private var lastTakeMicros: Int64 = 0
    private var lastTakeCommands = 0
    private var nextJTIEvictionMicros: Int64 = 0
    /// The last decision pass the projector has applied (overlay entries up to it are pruned).
    private let projectedPass = Atomic<UInt64>(0)
    /// Grants as decisions computed them, kept current with every decided event.
    let grantMemory = GrantMemory()

    private init(
        configuration: Configuration, journal: JournalWriter, projection: ProjectionStore, state: LiveState,
        clock: any LedgerClock, logger: Logger
    ) {
        self.configuration = configuration
        self.journal = journal
        self.projection = projection
        self.state = state
        self.clock = clock
        self.logger = logger
        self.journalID = journal.journalID
        self.recoveryReport = journal.recoveryReport
        self.durable = journal.lastSequence
        self.lastTimeMicros = journal.lastTimeMicros
        self.toProjector = HandOff(backlogMax: configuration.projectorBacklogMax)
        self.toAnswerer = HandOff(backlogMax: configuration.answererBacklogMax)
    }

    /// Opens the journal (recovering it), catches the projection up (rebuilding it if it does not
    /// match the journal), loads the live state and starts the writer threads. The caller must hold
    /// the data directory's `DataDirectoryLock` for as long as the Ledger runs.
    public static func open(
        configuration: Configuration, signer: any CheckpointSigner, clock: any LedgerClock = SystemClock(),
        logger: Logger
    ) throws -> Ledger {
        let journal = try JournalWriter.open(
            dataDirectory: configuration.dataDirectory, options: configuration.journal, signer: signer, logger: logger,
            nowMicros: clock.nowMicros())
        _ = journal.drainOwnRecords()
        let projection =
            configuration.projectionEnabled
            ? try ProjectionCatchUp.openCaughtUp(
                path: configuration.projectionPath, dataDirectory: configuration.dataDirectory,
                journalLastSequence: journal.lastSequence, logger: logger)
            : try ProjectionStore.open(path: configuration.projectionPath)
        // The live state comes from the projection, which is caught up with the journal; without a
        // projection (the journal-alone benchmark) it is folded from the journal's events instead, so
        // that decisions never see less than the journal holds.
        var state =
            configuration.projectionEnabled
            ? try LiveState.load(from: projection)
            : try LiveState.fold(
                JournalReader(dataDirectory: configuration.dataDirectory, limit: journal.lastSequence))
        if configuration.projectionEnabled {
            // Seen `jti`s and TOTP steps are not projected: fold them from the journal's recent tail.
            let from = try projection.checkpointSequence(
                atOrBefore: clock.nowMicros() - LiveState.recentHistoryMicros)
            try state.foldRecent(
                JournalReader(dataDirectory: configuration.dataDirectory, limit: journal.lastSequence),
                from: max(1, from), nowMicros: clock.nowMicros())
        }
        let ledger = Ledger(
            configuration: configuration, journal: journal, projection: projection, state: state, clock: clock,
            logger: logger)
        ledger.start()
        return ledger
    }

    /// Decides `command`, and once its events are durable (and projected), returns its output or
    /// throws its rejection.
    public func execute<C: LedgerCommand>(_ command: C) async throws -> C.Output {
        try await withUnsafeThrowingContinuation { continuation in
            let pending = TypedPending(command: command, continuation: continuation)
            if let failure = failureReason {
                pending.fail(LedgerError.stopped(failure))
                return
            }
            queueCondition.lock()
            if stopping {
                queueCondition.unlock()
                pending.fail(LedgerError.stopped("shutting down"))
                return
            }
            if queue.count - queueHead >= configuration.queueCapacity {
                queueCondition.unlock()
                pending.fail(LedgerError.overloaded(queueCapacity: configuration.queueCapacity))
                return
            }
            queue.append(pending)
            if appenderWaiting
                || (appenderGathering && queue.count - queueHead == configuration.fullBatchCommands)
            {
                queueCondition.signal()
            }
            queueCondition.unlock()
        }
    }

    /// Writes a signed checkpoint over everything appended so far (unless the journal already ends
    /// with one) and returns once it is durable, with the durable sequence number at that point: every
    /// record up to it is synced, and a checkpoint at or shortly before it signs the chain.
    /// `strongroom journal backup` asks for this through the admin socket so that a copy taken while
    /// serving ends at a signed checkpoint.
    public func checkpointNow() async throws -> UInt64 {
        requestCheckpoint()
        try await execute(CheckpointBarrier())
        return durableSequence
    }

    /// The default of ``Configuration/groupCommitWindowMicros``: 10 ms. Under the flows benchmark's
    /// load (128 clients) it cuts syncs and projection transactions several-fold (measured: 5 ms saved
    /// 3–10 % of the server's CPU per flow against none, 10 ms another ~7 %, 20 ms no more); a full
    /// batch (``Configuration/groupCommitFullCommands``) ends it early.
    public static let groupCommitWindowDefault: Int64 = 10_000

    /// The default of ``Configuration/checkpointRecordsMax``.
    public static let checkpointRecordsDefault: UInt64 = 16_384

    private func requestCheckpoint() {
        queueCondition.lock()
        checkpointRequested = true
        queueCondition.unlock()
    }

    /// The last sequence number known durable (and projected).
    public var durableSequence: UInt64 {
        commitCondition.lock()
        defer { commitCondition.unlock() }
        return durable
    }

    /// How long the appender lets waiting commands gather before taking them (µs; 0 = take them now):
    /// the rest of the group-commit window when the previous take was busy (at least
    /// ``Configuration/groupCommitBusyCommands`` commands) and fewer than
    /// ``Configuration/groupCommitFullCommands`` wait; nothing otherwise — a lone client's
    /// sequential commands, and the first command after a quiet spell, never wait.
    static func groupCommitWait(
        waitingCommands: Int, lastTakeCommands: Int, lastTakeMicros: Int64, nowMicros: Int64,
        configuration: Configuration
    ) -> Int64 {
        guard configuration.groupCommitWindowMicros > 0, lastTakeCommands >= configuration.groupCommitBusyCommands,
            waitingCommands < configuration.fullBatchCommands
        else { return 0 }
        return max(0, lastTakeMicros + configuration.groupCommitWindowMicros - nowMicros)
    }

    /// What the Ledger has written since it opened.
    public struct Statistics: Sendable {
        public var events: UInt64 = 0
        public var batches: UInt64 = 0
        public var syncs: UInt64 = 0
        public var rawBytes: UInt64 = 0
        public var storedBytes: UInt64 = 0
        /// Time spent in fdatasync (committer), in projection transactions (projector), and answering
        /// and freeing the commands (answerer) (µs).
        public var syncMicros: UInt64 = 0
        public var projectMicros: UInt64 = 0
        public var answerMicros: UInt64 = 0
        /// Time the appender spent deciding + encoding, and writing batches (µs).
        public var decideMicros: UInt64 = 0
        public var writeMicros: UInt64 = 0
        /// Times the appender let a batch fill for the group-commit window instead of taking it.
        public var windowWaits: UInt64 = 0
    }

    public var statistics: Statistics {
        commitCondition.lock()
        var current = counters
        commitCondition.unlock()
        current.windowWaits = windowWaits.load(ordering: .relaxed)
        return current
    }

    /// Nil while healthy; the reason once the Ledger stopped accepting commands after a failure.
    public var failureReason: String? {
        failureState.withLock { $0 }
    }

    /// Stops taking commands, finishes what is queued, writes a final checkpoint and syncs.
    public func close() {
        queueCondition.lock()
        stopping = true
        queueCondition.broadcast()
        queueCondition.unlock()
        commitCondition.lock()
        while !appenderDone { commitCondition.wait() }
        commitCondition.unlock()
        toProjector.waitUntilConsumed()
        toAnswerer.waitUntilConsumed()
        do {
            try journal.close(nowMicros: nextTime())
            // The final checkpoint belongs in the projection too (replay equivalence after a clean stop).
            let records = journal.drainOwnRecords()
            if configuration.projectionEnabled, failureReason == nil, !records.isEmpty {
                try projection.apply(try records.map(ProjectionInput.init(record:)), chainHead: journal.chainHead)
            }
        } catch {
            logger.error("final journal checkpoint failed", metadata: ["error": "\(error)"])
        }
    }

    // MARK: threads

    private func start() {
        Self.startThread(.appender) { [self] in appenderLoop() }
        Self.startThread(.committer) { [self] in committerLoop() }
        Self.startThread(.projector) { [self] in projectorLoop() }
        Self.startThread(.answerer) { [self] in answererLoop() }
    }

    /// Starts `body` on a thread of its own, named as `thread` says. On Linux the name is set from
    /// the thread itself, through `/proc/thread-self/comm`: Foundation does not pass a name given
    /// before `start` to the system, and Swift does not see `pthread_setname_np`.
    private static func startThread(_ thread: LedgerThread, _ body: @escaping @Sendable () -> Void) {
        let started = Thread {
            #if os(Linux)
                try? thread.rawValue.write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
            #endif
            body()
        }
        started.name = thread.rawValue
        started.start()
    }

    private func nextTime() -> Int64 {
        lastTimeMicros = max(clock.nowMicros(), lastTimeMicros)
        return lastTimeMicros
    }

    private func appenderLoop() {
        var records: [NewRecord] = []
        var decided: [NewEvent] = []
        while true {
            // Wait for room downstream first, so that the batch takes everything that arrived meanwhile.
            commitCondition.lock()
            while commitItems.count >= configuration.inFlightBatchesMax && failureReason == nil {
                commitCondition.wait()
            }
            commitCondition.unlock()

            queueCondition.lock()
            while queue.count == queueHead && !stopping && failureReason == nil {
                appenderWaiting = true
                let signalled = queueCondition.wait(until: Date(timeIntervalSinceNow: checkpointWaitSeconds()))
                appenderWaiting = false
                if !signalled { break }  // timed out: maybe a checkpoint is due
            }
            // Busy: let the batch fill until the group-commit window since the previous take has passed
            // or the batch is full (only the caller that fills it signals, `appenderWaiting` being
            // false; `close` broadcasts).
            while queue.count > queueHead && !stopping && !checkpointRequested && failureReason == nil {
                let remaining = Self.groupCommitWait(
                    waitingCommands: queue.count - queueHead, lastTakeCommands: lastTakeCommands,
                    lastTakeMicros: lastTakeMicros, nowMicros: clock.monotonicMicros(), configuration: configuration)
                guard remaining > 0 else { break }
                windowWaits.add(1, ordering: .relaxed)
                appenderGathering = true
                _ = queueCondition.wait(until: Date(timeIntervalSinceNow: Double(remaining) / 1_000_000))
                appenderGathering = false
            }
            let available = queue.count - queueHead
            let take = min(available, configuration.batchCommandsMax)
            if take > 0 {
                lastTakeMicros = clock.monotonicMicros()
                lastTakeCommands = take
            }
            let taken = Array(queue[queueHead..<(queueHead + take)])
            queueHead += take
            if queueHead == queue.count {
                queue.removeAll(keepingCapacity: true)
                queueHead = 0
            } else if queueHead > 65_536 {
                queue.removeFirst(queueHead)
                queueHead = 0
            }
            let done = stopping && available == take
            let forceCheckpoint = checkpointRequested
            checkpointRequested = false
            queueCondition.unlock()

            if let failed = failureReason {
                for p in taken { p.fail(LedgerError.stopped(failed)) }
                if done || available == 0 { break }
                continue
            }

            let decideStart = clock.monotonicMicros()
            let now = nextTime()
            decisionPass += 1
            let pass = decisionPass
            if configuration.projectionEnabled {
                state.protocolState.pruneOverlay(projectedPass: projectedPass.load(ordering: .acquiring))
                if now >= nextJTIEvictionMicros {
                    state.protocolState.evictExpiredJTIs(nowMicros: now)
                    nextJTIEvictionMicros = now + 10_000_000
                }
            }
            let context = DecisionContext(
                nowMicros: now, projection: configuration.projectionEnabled ? projection : nil,
                grants: configuration.projectionEnabled ? grantMemory : nil)
            records.removeAll(keepingCapacity: true)
            decided.removeAll(keepingCapacity: true)
            for pending in taken {
                guard let items = pending.decide(state, context) else { continue }
                for item in items {
                    state.evolve(item.event.body, timeMicros: now, pass: configuration.projectionEnabled ? pass : nil)
                    if configuration.projectionEnabled { grantMemory.evolve(item.event.body) }
                    do {
                        records.append(
                            NewRecord(
                                kind: .event, timeMicros: now, body: try item.body ?? EventCodec.encode(item.event)))
                        if configuration.projectionEnabled { decided.append(item.event) }
                    } catch {
                        // An event that cannot be encoded is a programming error; fail loudly.
                        fatalError("event \(item.event.body.type) does not encode: \(error)")
                    }
                }
            }

            let writeStart = clock.monotonicMicros()
            var item = CommitItem(pendings: taken)
            item.pass = pass
            do {
                if !records.isEmpty {
                    let batch = try journal.append(records)
                    item.segments.append(batch.segment)
                    item.rawBytes = batch.rawBytes
                    item.storedBytes = batch.storedBytes
                    item.events = records.count
                    if configuration.projectionEnabled {
                        item.inputs.reserveCapacity(decided.count)
                        for (i, event) in decided.enumerated() {
                            let envelope = EventEnvelope(
                                sequence: batch.firstSequence + UInt64(i), timeMicros: now, type: event.body.type,
                                schemaVersion: event.body.schemaVersion, stream: event.stream, actor: event.actor,
                                correlation: event.correlation)
                            item.inputs.append(.event(RecordedEvent(envelope: envelope, body: event.body)))
                        }
                    }
                }
                if forceCheckpoint || now - journal.lastCheckpointTimeMicros >= configuration.checkpointIntervalMicros
                    || journal.lastSequence - journal.lastCheckpointSequence >= configuration.checkpointRecordsMax,
                    let batch = try journal.appendCheckpoint(nowMicros: now)
                {
                    item.segments.append(batch.segment)
                }
                for record in journal.drainOwnRecords() where configuration.projectionEnabled {
                    item.inputs.append(try ProjectionInput(record: record))
                }
                item.head = journal.chainHead
                item.lastSequence = journal.lastSequence
            } catch {
                fail("journal write failed: \(error)")
                for p in taken { p.fail(LedgerError.stopped("journal write failed: \(error)")) }
                continue
            }

            let written = clock.monotonicMicros()
            commitCondition.lock()
            counters.decideMicros += UInt64(writeStart - decideStart)
            counters.writeMicros += UInt64(written - writeStart)
            counters.events += UInt64(item.events)
            counters.batches += item.events > 0 ? 1 : 0
            counters.rawBytes += UInt64(item.rawBytes)
            counters.storedBytes += UInt64(item.storedBytes)
            if !taken.isEmpty || !item.segments.isEmpty {
                commitItems.append(item)
                commitCondition.broadcast()
            }
            commitCondition.unlock()
            if done { break }
        }
        // Whatever still waits (after a failure) is refused, and nothing more is taken.
        queueCondition.lock()
        stopping = true
        let leftover = Array(queue[queueHead...])
        queue.removeAll()
        queueHead = 0
        queueCondition.unlock()
        for p in leftover { p.fail(LedgerError.stopped(failureReason ?? "shutting down")) }
        commitCondition.lock()
        appenderDone = true
        commitCondition.broadcast()
        commitCondition.unlock()
    }

    private func committerLoop() {
        while true {
            commitCondition.lock()
            while commitItems.isEmpty && !appenderDone {
                commitCondition.wait()
            }
            let items = commitItems
            commitItems.removeAll(keepingCapacity: true)
            let finished = items.isEmpty && appenderDone
            commitCondition.broadcast()  // the appender may wait for in-flight room
            commitCondition.unlock()
            if finished { break }

            let syncStart = clock.monotonicMicros()
            var ok = failureReason == nil
            if ok && configuration.journal.durability == .fsync {
                var synced = Set<ObjectIdentifier>()
                do {
                    for item in items.reversed() {
                        for segment in item.segments.reversed() where synced.insert(ObjectIdentifier(segment)).inserted
                        {
                            try segment.dataSync()
                        }
                    }
                } catch {
                    ok = false
                    fail("journal sync failed: \(error)")
                }
            }
            guard ok else {
                for item in items { for p in item.pendings { p.fail(LedgerError.stopped(failureReason ?? "failed")) } }
                continue
            }
            let synced = clock.monotonicMicros()
            commitCondition.lock()
            counters.syncs += 1
            counters.syncMicros += UInt64(synced - syncStart)
            commitCondition.unlock()
            // Durable: hand over to the projector (then the answerer), so that the next sync
            // overlaps this projection.
            toProjector.put(items, unless: { failureReason != nil })
        }
        toProjector.finishProducing()
    }

    private func projectorLoop() {
        while var items = toProjector.take() {
            let projectStart = clock.monotonicMicros()
            if configuration.projectionEnabled, failureReason == nil, let head = items.last?.head {
                let inputs = items.count == 1 ? items[0].inputs : items.flatMap(\.inputs)
                if !inputs.isEmpty {
                    do {
                        items[items.count - 1].committed = try projection.applyLeavingMemory(inputs, chainHead: head)
                    } catch {
                        // The events are durable, so the commands did happen; the projection will catch
                        // up from the journal at the next start. Stop taking new commands meanwhile.
                        fail("projection apply failed (restart to catch up from the journal): \(error)")
                    }
                }
            }
            let projected = clock.monotonicMicros()
            commitCondition.lock()
            counters.projectMicros += UInt64(projected - projectStart)
            if let last = items.last?.lastSequence, last > durable { durable = last }
            commitCondition.broadcast()
            commitCondition.unlock()
            // Updating the rows the projection keeps in memory, resuming every caller and freeing
            // the cycle's commands and events (~35 % of this thread's time when it did them itself)
            // overlap the next transaction. `consume`: the answerer holds the last references.
            toAnswerer.put(consume items)
        }
        toAnswerer.finishProducing()
        toProjector.finishConsuming()
    }

    /// Answers the commands of projected cycles (after their events are durable and projected) and
    /// frees them.
    private func answererLoop() {
        while var items = toAnswerer.take() {
            let answerStart = clock.monotonicMicros()
            // The remembered rows first, then the overlay may go (`projectedPass`), then the answers:
            // a decision or a read never finds the memory behind what it was told.
            for item in items { if let committed = item.committed { projection.remember(committed) } }
            if let pass = items.last?.pass { projectedPass.store(pass, ordering: .releasing) }
            for item in items { for p in item.pendings { p.answer() } }
            items.removeAll()
            let answered = clock.monotonicMicros()
            commitCondition.lock()
            counters.answerMicros += UInt64(answered - answerStart)
            commitCondition.unlock()
        }
        toAnswerer.finishConsuming()
    }

    private func fail(_ why: String) {
        logger.critical("ledger stopped", metadata: ["reason": "\(why)"])
        failureState.withLock { if $0 == nil { $0 = why } }
        queueCondition.lock()
        queueCondition.broadcast()
        queueCondition.unlock()
        commitCondition.lock()
        commitCondition.broadcast()
        commitCondition.unlock()
        toProjector.wake()
        toAnswerer.wake()
    }

    private func checkpointWaitSeconds() -> Double {
        let due = journal.lastCheckpointTimeMicros + configuration.checkpointIntervalMicros - clock.nowMicros()
        return max(0.05, min(Double(due) / 1_000_000, 5))
    }
}

/// The Ledger's threads, by the names `top -H`, `ps -L` and profilers show (Linux keeps at most 15
/// bytes of a thread's name and refuses a longer one, so they are short).
public enum LedgerThread: String, CaseIterable, Sendable {
    case appender = "sr-appender"
    case committer = "sr-committer"
    case projector = "sr-projector"
    case answerer = "sr-answerer"
}

/// One appender pass, handed to the committer.
struct CommitItem {
    var pendings: [any PendingCommand]
    var segments: [SegmentFile] = []
    var inputs: [ProjectionInput] = []
    /// Set by the projector on the last item of a transaction; made by the answerer.
    var committed: ProjectionStore.CommittedChanges?
    var head: ChainLink?
    var lastSequence: UInt64 = 0
    var pass: UInt64 = 0
    var events = 0
    var rawBytes = 0
    var storedBytes = 0
}

/// A command waiting for its answer (type-erased for the queue).
protocol PendingCommand: AnyObject, Sendable {
    /// Runs the decision; returns its events (with their bodies when encoded ahead), or nil when
    /// rejected (the rejection is kept).
    func decide(_ state: LiveState, _ context: DecisionContext) -> [PreparedEvent]?
    /// Answers with the kept output or rejection (after durability).
    func answer()
    /// Answers with a Ledger failure.
    func fail(_ error: any Error)
}

/// One command and its caller's continuation.
///
/// The continuation is resumed exactly once — by `answer()` (projector) or by `fail(_:)` (wherever the
/// command is refused or the Ledger stops) — and each pending command is owned by exactly one stage
/// at a time, handed over under a lock. That invariant is what makes the cheaper
/// `UnsafeContinuation` safe here (measured ~3 % of the write path's CPU); `resumed` checks it in
/// debug builds.
final class TypedPending<C: LedgerCommand>: PendingCommand, @unchecked Sendable {
    let command: C
    let continuation: UnsafeContinuation<C.Output, any Error>
    // Written by the appender, read by the committer after a lock hand-off.
    private var outcome: Result<C.Output, any Error>?
    private var resumed = false

    init(command: C, continuation: UnsafeContinuation<C.Output, any Error>) {
        self.command = command
        self.continuation = continuation
    }

    func decide(_ state: LiveState, _ context: DecisionContext) -> [PreparedEvent]? {
        do {
            let decision = try command.decide(state, context)
            outcome = .success(decision.output)
            return decision.items
        } catch {
            outcome = .failure(error)
            return nil
        }
    }

    func answer() {
        assert(!resumed, "a ledger command was answered twice")
        resumed = true
        continuation.resume(with: outcome ?? .failure(LedgerError.stopped("command was never decided")))
    }

    func fail(_ error: any Error) {
        assert(!resumed, "a ledger command was answered twice")
        resumed = true
        continuation.resume(throwing: error)
    }
}

/// The OP's clock.
public protocol LedgerClock: Sendable {
    /// Wall-clock time: what events are stamped with.
    func nowMicros() -> Int64
}

extension LedgerClock {
    /// A monotonic clock for measuring durations (never stamped on events).
    func monotonicMicros() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1_000
    }
}

/// Wall-clock time (CLOCK_REALTIME).
public struct SystemClock: LedgerClock {
    public init() {}
    public func nowMicros() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1_000
    }
}

/// Carries no events: it only makes the writer take a pass (with `checkpointRequested` set, one that
/// writes a checkpoint) and answers once that pass is durable.
private struct CheckpointBarrier: LedgerCommand {
    func decide(_ state: LiveState, _ context: DecisionContext) throws -> Decision<Void> {
        Decision(events: [], output: ())
    }
}
