import Crypto
import Events
import Foundation
import Journal
import Ledger
import Logging
import Projection
import Testing

#if canImport(Glibc)
    import Glibc
#endif

private let quietLogger: Logger = {
    var logger = Logger(label: "e2e")
    logger.logLevel = .critical
    return logger
}()

/// What one `debug write-load` run printed.
private struct LoadRun {
    var ready: Int?
    var acks: [Int] = []
    var strayLines: [String] = []
    var partialLine = ""

    init(_ child: ChildProcess) {
        let (lines, partial) = child.stdoutLines
        partialLine = partial
        for line in lines {
            if line.hasPrefix("ready "), let n = Int(line.dropFirst(6)) {
                ready = n
            } else if line.hasPrefix("ack "), let n = Int(line.dropFirst(4)) {
                acks.append(n)
            } else {
                strayLines.append(line)
            }
        }
    }
}

/// Ids `n` of the `load-n` clients registered in the journal (every registration must be `load-n`).
private func loadIDs(_ contents: JournalContents) -> Set<Int> {
    Set(contents.registrations.keys.compactMap { $0.hasPrefix("load-") ? Int($0.dropFirst(5)) : nil })
}

extension EndToEndTests {
    /// Checks that every acknowledged id is in the journal exactly once, that no client id is
    /// registered twice, and that sequence numbers have no gap. Returns the problems (empty = fine).
    fileprivate static func durabilityProblems(_ contents: JournalContents, acknowledged: Set<Int>) -> [String] {
        var problems = contents.sequenceBreaks
        let missing = acknowledged.filter { contents.registrations["load-\($0)", default: 0] == 0 }.sorted()
        if !missing.isEmpty {
            problems.append(
                "\(missing.count) acknowledged registration(s) missing from the journal, e.g. \(missing.prefix(10).map { "load-\($0)" })"
            )
        }
        let duplicated = contents.registrations.filter { $0.value != 1 }.keys.sorted()
        if !duplicated.isEmpty {
            problems.append("client id(s) registered more than once: \(duplicated.prefix(10))")
        }
        let foreign = contents.registrations.keys.filter { !$0.hasPrefix("load-") || Int($0.dropFirst(5)) == nil }
        if !foreign.isEmpty { problems.append("unexpected client ids: \(foreign.prefix(10))") }
        return problems
    }

    @Test(
        "kill -9 at random moments (with torn tails appended half the time): every acknowledged event survives, exactly once, gapless; torn tails are cut; replay equals the live projection"
    )
    func killNineLoop() async throws {
        let seed = e2eSeed(for: "kill-9 loop")
        var rng = SeededGenerator(seed: seed)
        let scratch = try ScratchDirectory("kill9")
        defer { scratch.remove() }
        let data = scratch.sub("data")

        let cycles = 24
        var acknowledged: Set<Int> = []
        var registeredClients = 0
        var tornTailsAppended = 0
        var nextID = 0
        var garbageToCut = false
        let started = Date()

        for cycle in 1...cycles {
            // Draw every random choice of the cycle first, so a seed replays the same plan.
            let segmentKib = [16, 64][Int.random(in: 0...1, using: &rng)]
            let runMillis = Int.random(in: 50...400, using: &rng)
            let appendTornTail = cycle == cycles || Bool.random(using: &rng)  // the last cycle always: the final reopen must cut one
            let garbageLength = Int.random(in: 1...200, using: &rng)
            let garbage = Array(
                (Array("SRB1".utf8) + (0..<200).map { _ in UInt8.random(in: 0...255, using: &rng) }).prefix(
                    garbageLength))

            let child = try Strongroom.start([
                "debug", "write-load", "--data-dir", data, "--writers", "8", "--segment-kib", "\(segmentKib)",
            ])
            defer { child.stop() }
            let ready = try child.waitForLine(timeout: processTimeout, what: "`ready`") { $0.hasPrefix("ready ") }
            // The projection was caught up from the recovered journal: it counts every registration.
            #expect(
                ready == "ready \(registeredClients)",
                "cycle \(cycle): projection after recovery disagrees with the journal")
            _ = try child.waitForLine(timeout: processTimeout, what: "a first `ack`") { $0.hasPrefix("ack ") }
            usleep(UInt32(runMillis) * 1_000)
            child.send(SIGKILL)
            let status = try child.waitForExit(timeout: processTimeout)
            guard child.terminationReason == .uncaughtSignal, status == SIGKILL else {
                Issue.record(
                    "cycle \(cycle): write-load ended by itself (\(child.exitDescription)) instead of being killed\n\(child.outputTail())"
                )
                return
            }

            let run = LoadRun(child)
            if garbageToCut {
                // The write-load process itself recovered the journal: it cut the torn tail we appended.
                #expect(
                    child.stderr.contains("truncated a torn tail"),
                    "cycle \(cycle): no torn tail cut at start\n\(child.outputTail())")
            }
            #expect(run.strayLines.isEmpty, "cycle \(cycle): unexpected output lines \(run.strayLines.prefix(5))")
            #expect(
                run.partialLine.isEmpty,
                "cycle \(cycle): a half line was read (acks must be whole lines): \(run.partialLine)")
            let newAcks = Set(run.acks)
            #expect(newAcks.count == run.acks.count, "cycle \(cycle): an id was acknowledged twice")
            #expect(
                newAcks.isDisjoint(with: acknowledged),
                "cycle \(cycle): an id acknowledged in an earlier cycle was acknowledged again")
            acknowledged.formUnion(newAcks)

            // Right after the kill: `journal verify` (read-only) passes. Its exit 0 also proves that the
            // previous cycle's start cut the torn tail appended then (new batches behind an uncut bad
            // frame would be corruption, exit 1).
            let verifyAfterKill = try Strongroom.run(["journal", "verify", "--data-dir", data])
            #expect(
                verifyAfterKill.exitedNormally && verifyAfterKill.status == 0,
                "cycle \(cycle): journal verify after the kill failed: \(verifyAfterKill)")
            #expect(verifyAfterKill.stdout.hasPrefix("journal intact:"), "cycle \(cycle): \(verifyAfterKill)")
            let tornByKill = try JournalVerifier.verify(dataDirectory: data).tornTail

            // Every acknowledged registration is in the journal, exactly once, sequences gapless.
            let contents = try JournalContents.read(data)
            let problems = Self.durabilityProblems(contents, acknowledged: acknowledged)
            for problem in problems { Issue.record("cycle \(cycle) (seed \(seed)): \(problem)") }
            if !problems.isEmpty { return }
            registeredClients = contents.registrations.count

            // Ids that were taken but never acknowledged may be missing (holes): the next run starts
            // above the highest id, so it never collides with them.
            let ids = loadIDs(contents)
            let holes = (0..<((ids.max() ?? -1) + 1)).filter { !ids.contains($0) }
            #expect(acknowledged.isDisjoint(with: holes), "cycle \(cycle): an acknowledged id is missing")
            nextID = (ids.max() ?? -1) + 1

            // A crash in the middle of a write: a partial frame at the end of the last segment, for
            // the next cycle's write-load to cut when it opens the journal.
            var tornTail: TornTail?
            garbageToCut = appendTornTail
            if appendTornTail {
                let lastSegment = try #require(segmentNames(data).last, "cycle \(cycle): no segment")
                let lastSegmentPath = data + "/journal/" + lastSegment
                let sizeBeforeGarbage = fileSize(lastSegmentPath)
                try appendBytes(garbage, to: lastSegmentPath)
                tornTailsAppended += 1

                let verify = try Strongroom.run(["journal", "verify", "--data-dir", data])
                #expect(
                    verify.exitedNormally && verify.status == 0,
                    "cycle \(cycle): journal verify failed on a torn tail: \(verify)")
                #expect(verify.stdout.hasPrefix("journal intact:"), "cycle \(cycle): \(verify)")
                #expect(
                    verify.stdout.contains("WARNING torn tail in segment \(lastSegment) at byte offset "),
                    "cycle \(cycle): verify did not report the torn tail: \(verify.stdout)")
                tornTail = try JournalVerifier.verify(dataDirectory: data).tornTail
                if let torn = tornTail {
                    #expect(torn.segment == lastSegment)
                    // Behind the garbage, or before it when the kill itself tore the tail (and no hole
                    // fill opened the journal since).
                    #expect(
                        torn.offset <= sizeBeforeGarbage,
                        "cycle \(cycle): torn tail starts after the appended garbage: \(torn)")
                    if tornByKill == nil { #expect(torn.offset == sizeBeforeGarbage, "cycle \(cycle): \(torn)") }
                    #expect(torn.droppedBytes == fileSize(lastSegmentPath) - torn.offset)
                    #expect(torn.droppedBytes >= UInt64(garbageLength))
                } else {
                    Issue.record(
                        "cycle \(cycle): JournalVerifier found no torn tail after \(garbageLength) bytes of garbage")
                }
            }
            print(
                "[kill-9] cycle \(cycle): --segment-kib \(segmentKib), killed \(runMillis) ms after the first ack, \(run.acks.count) acks, last sequence \(contents.lastSequence), \(segmentNames(data).count) segments"
                    + (tornByKill.map { ", the kill tore the tail: \($0)" } ?? "")
                    + (holes.isEmpty ? "" : ", \(holes.count) unacknowledged id holes")
                    + (tornTail.map { ", appended \(garbageLength) bytes: \($0)" } ?? ""))
        }

        // Final reopen: a short clean run recovers (cuts the last torn tail) and stops cleanly.
        let final = try Strongroom.run([
            "debug", "write-load", "--data-dir", data, "--writers", "8", "--segment-kib", "16", "--count", "1",
        ])
        #expect(final.exitedNormally && final.status == 0, "final write-load --count 1 failed: \(final)")
        #expect(final.stdout.contains("ready \(registeredClients)\n"), "\(final.stdout)")
        #expect(final.stdout.contains("ack \(nextID)\n"), "\(final.stdout)")
        #expect(final.stderr.contains("truncated a torn tail"), "the final reopen cut no torn tail: \(final.stderr)")
        acknowledged.insert(nextID)

        let verify = try Strongroom.run(["journal", "verify", "--data-dir", data])
        #expect(verify.exitedNormally && verify.status == 0, "final journal verify failed: \(verify)")
        #expect(verify.stdout.hasPrefix("journal intact:"))
        #expect(!verify.stdout.contains("torn tail"), "the torn tail was not cut at the reopen: \(verify.stdout)")
        let report = try JournalVerifier.verify(dataDirectory: data)
        #expect(report.tornTail == nil)

        let contents = try JournalContents.read(data)
        for problem in Self.durabilityProblems(contents, acknowledged: acknowledged) {
            Issue.record("after the final reopen (seed \(seed)): \(problem)")
        }
        #expect(contents.registrations.count == registeredClients + 1)
        #expect(contents.lastSequence == report.lastSequence)
        print(
            "[kill-9] \(cycles) cycles in \(Int(Date().timeIntervalSince(started))) s: \(acknowledged.count) acknowledged, \(contents.registrations.count) registered, \(tornTailsAppended) torn tails appended, \(report.segments) segments, \(report.checkpoints) checkpoints"
        )
        #expect(tornTailsAppended >= 1)

        // Replay equivalence: the journal rebuilt into a new file equals the live projection.
        try Self.checkReplayEquivalence(data: data, scratch: scratch, journal: contents)
    }

    /// Compares the live projection of a stopped data directory with a rebuild from its journal.
    static func checkReplayEquivalence(data: String, scratch: ScratchDirectory, journal: JournalContents) throws {
        let liveCopy = scratch.sub("live-copy.sqlite")
        try copyProjection(from: data, to: liveCopy)
        let live = try dumpProjection(at: liveCopy)
        let rebuilt = try rebuildProjection(from: data, into: scratch.sub("rebuilt.sqlite"))
        #expect(rebuilt.state.lastSequence == journal.lastSequence)

        // Everything the live projection applied equals a replay of the journal up to the same point.
        let prefix = try rebuildProjection(
            from: data, into: scratch.sub("rebuilt-prefix.sqlite"), limit: .init(untilSequence: live.state.lastSequence)
        )
        for problem in projectionDifferences(
            live.tables, prefix.tables, labels: ("live", "replay to the live sequence"))
        {
            Issue.record("replay equivalence: \(problem)")
        }
        // Caught up the way the next start does it, the live projection equals the full replay.
        let caughtUp = try catchUpProjection(at: liveCopy, from: data)
        for problem in projectionDifferences(caughtUp.tables, rebuilt.tables, labels: ("live caught up", "replay")) {
            Issue.record("replay equivalence: \(problem)")
        }
        checkLiveProjectionAfterCleanStop(liveSequence: live.state.lastSequence, journal: journal)
    }
}
