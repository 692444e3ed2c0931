import Foundation
import Projection
import Testing

extension EndToEndTests {
    @Test(
        "replay through the CLI: the rebuilt projection equals the live one; --until-seq 3 --out builds the state at sequence 3"
    )
    func replayThroughTheCLI() throws {
        let scratch = try ScratchDirectory("replay")
        defer { scratch.remove() }
        let data = scratch.sub("data")

        // Some history of several kinds: clients over several segments, then the server's keys.
        let load = try Strongroom.run([
            "debug", "write-load", "--data-dir", data, "--segment-kib", "16", "--count", "120",
        ])
        #expect(load.exitedNormally && load.status == 0, "\(load)")
        let server = try RunningServer.start(dataDirectory: data, scratch: scratch.path)
        defer { server.child.stop() }
        // The live projection cannot be swapped out from under a running server.
        let refused = try Strongroom.run(["replay", "--data-dir", data])
        #expect(refused.exitedNormally && refused.status != 0, "replay ran while the server runs: \(refused)")
        #expect(refused.combined.contains("server is running"), "\(refused)")
        #expect(try server.stopGracefully() == 0, "\(server.child.outputTail())")

        let journal = try JournalContents.read(data)
        #expect(journal.sequenceBreaks.isEmpty)
        #expect(journal.registrations.count == 120)
        #expect(journal.eventTypes["key.signing_added", default: 0] >= 2)
        let previousLive = scratch.sub("previous-live.sqlite")
        try copyProjection(from: data, to: previousLive)
        let before = try dumpProjection(at: previousLive)

        let replay = try Strongroom.run(["replay", "--data-dir", data])
        #expect(replay.exitedNormally && replay.status == 0, "\(replay)")
        #expect(
            replay.stdout.contains("projection rebuilt and swapped in: \(journal.lastSequence) records"),
            "\(replay.stdout)")
        let replayedCopy = scratch.sub("replayed.sqlite")
        try copyProjection(from: data, to: replayedCopy)
        let after = try dumpProjection(at: replayedCopy)
        #expect(after.state.lastSequence == journal.lastSequence)

        // The CLI's replay equals the library's rebuild, and the previous live projection caught up.
        let library = try rebuildProjection(from: data, into: scratch.sub("library.sqlite"))
        for problem in projectionDifferences(after.tables, library.tables, labels: ("replay", "library rebuild")) {
            Issue.record("\(problem)")
        }
        let prefix = try rebuildProjection(
            from: data, into: scratch.sub("prefix.sqlite"), limit: .init(untilSequence: before.state.lastSequence))
        for problem in projectionDifferences(
            before.tables, prefix.tables, labels: ("previous live", "replay to its sequence"))
        {
            Issue.record("\(problem)")
        }
        let caughtUp = try catchUpProjection(at: previousLive, from: data)
        for problem in projectionDifferences(
            caughtUp.tables, after.tables, labels: ("previous live caught up", "replay"))
        {
            Issue.record("\(problem)")
        }
        checkLiveProjectionAfterCleanStop(liveSequence: before.state.lastSequence, journal: journal)
        if before.state.lastSequence == journal.lastSequence {
            for problem in projectionDifferences(before.tables, after.tables, labels: ("previous live", "replay")) {
                Issue.record("\(problem)")
            }
        }

        // Point in time: a separate file with the state at sequence 3; the live projection untouched.
        let pointInTime = scratch.sub("at-seq-3.sqlite")
        let until = try Strongroom.run(["replay", "--data-dir", data, "--until-seq", "3", "--out", pointInTime])
        #expect(until.exitedNormally && until.status == 0, "\(until)")
        #expect(until.stdout.contains("projection at sequence 3 "), "\(until.stdout)")
        let atThree = try dumpProjection(at: pointInTime)
        #expect(atThree.state.lastSequence == 3)
        #expect(
            atThree.tables["projection_state"]?.first?.contains("last_sequence:3") == true,
            "\(atThree.tables["projection_state"] ?? [])")
        let libraryAtThree = try rebuildProjection(
            from: data, into: scratch.sub("library-3.sqlite"), limit: .init(untilSequence: 3))
        for problem in projectionDifferences(
            atThree.tables, libraryAtThree.tables, labels: ("replay --until-seq 3", "library rebuild to 3"))
        {
            Issue.record("\(problem)")
        }
        let liveAfter = scratch.sub("live-after.sqlite")
        try copyProjection(from: data, to: liveAfter)
        #expect(
            projectionDifferences(try dumpProjection(at: liveAfter).tables, after.tables, labels: ("live", "replayed"))
                .isEmpty)
    }
}
