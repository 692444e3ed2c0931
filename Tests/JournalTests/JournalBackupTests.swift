import Foundation
import Journal
import Testing

@Suite("Journal backup")
struct JournalBackupTests {
    @Test("a backup through a sequence number ends at the end of its batch, spans segments, and verifies")
    func backupCutsAtTheBatchHoldingTheSequence() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        // 40 batches of 25 events in small segments: several sealed segments and an active one, left
        // open (no closing checkpoint), as a running server leaves it.
        let writer = try writeJournal(at: dir.path, batches: 40, perBatch: 25, segmentBytes: 8_192, close: false)
        let last = writer.lastSequence
        #expect(segmentPaths(dir.path).count > 2)

        // A sequence inside a batch of the active segment: the copy ends at that batch's end.
        let reader = try JournalReader(dataDirectory: dir.path)
        var sequences: [UInt64] = []
        try reader.forEach(from: 1) { record in
            sequences.append(record.sequence)
            return true
        }
        let through = last - 30  // inside the batch before the last one (batches of 25 + checkpoints)
        let target = dir.path + "/backup"
        let copy = try JournalBackup.copy(dataDirectory: dir.path, to: target, through: through)
        #expect(copy.verified.lastSequence >= through)
        #expect(copy.verified.lastSequence < last)
        #expect(copy.verified.lastSequence - through < 26, "the copy ends at the end of the batch holding \(through)")
        #expect(copy.segments.count == segmentPaths(target).count)
        // Sealed segments are copied byte for byte.
        for (original, copied) in zip(segmentPaths(dir.path), segmentPaths(target)).dropLast() {
            #expect(FileManager.default.contents(atPath: original) == FileManager.default.contents(atPath: copied))
        }
        // The copy reads back exactly the prefix of the original.
        let copied = try JournalReader(dataDirectory: target)
        var copiedSequences: [UInt64] = []
        try copied.forEach(from: 1) { record in
            copiedSequences.append(record.sequence)
            return true
        }
        #expect(copiedSequences == Array(sequences.prefix(copiedSequences.count)))
        #expect(copiedSequences.last == copy.verified.lastSequence)

        // The writer goes on after the copy; the backup does not change.
        let more = try writer.append([eventRecord(10_000)])
        try writer.sync(more)
        #expect(try JournalVerifier.verify(dataDirectory: target).lastSequence == copy.verified.lastSequence)
        try writer.close(nowMicros: 2_000_000_000)
    }

    @Test("a backup refuses a non-empty target and a sequence beyond the journal")
    func backupRefusals() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        try writeJournal(at: dir.path, batches: 3, perBatch: 10)
        let last = try JournalVerifier.verify(dataDirectory: dir.path).lastSequence
        #expect(throws: JournalError.self) {
            try JournalBackup.copy(dataDirectory: dir.path, to: dir.path + "/b1", through: last + 1)
        }
        let target = dir.path + "/b2"
        _ = try JournalBackup.copy(dataDirectory: dir.path, to: target, through: last)
        #expect(throws: JournalError.self) {
            try JournalBackup.copy(dataDirectory: dir.path, to: target, through: last)
        }
        #expect(try JournalVerifier.verify(dataDirectory: target).lastSequence == last)
        #expect(
            try JournalBackup.sha256Hex(ofFile: segmentPaths(target)[0])
                == JournalBackup.sha256Hex(ofFile: segmentPaths(dir.path)[0]))
    }
}
