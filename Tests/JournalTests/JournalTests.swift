import Crypto
import Foundation
import Journal
import Testing

@Suite("Journal format and recovery")
struct JournalTests {
    @Test("CRC32C matches the standard check value")
    func crcVector() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        // Slice-by-8 and byte-wise paths agree on odd lengths.
        let bytes = (0..<1031).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var split = CRC32C()
        split.update(bytes[0..<7])
        split.update(bytes[7...])
        #expect(split.finalize() == CRC32C.checksum(bytes))
    }

    @Test("appended records read back in order, across segments, with the chain intact")
    func appendReopenRead() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        try writeJournal(at: dir.path, batches: 40, perBatch: 25, segmentBytes: 8 * 1024)
        #expect(segmentPaths(dir.path).count > 3)

        let reader = try JournalReader(dataDirectory: dir.path)
        var events: [JournalRecord] = []
        var previous: UInt64 = 0
        try reader.forEach(from: 1) { record in
            #expect(record.sequence == previous + 1)
            previous = record.sequence
            if record.kind == .event { events.append(record) }
            return true
        }
        #expect(events.count == 1000)
        for (i, r) in events.enumerated() { #expect(r.body == eventRecord(i).body) }

        // Random access through the sparse index.
        let wanted: [UInt64] = [1, 2, 500, reader.lastSequence, 999_999]
        let fetched = try reader.records(sequences: wanted)
        #expect(fetched.map(\.sequence) == [1, 2, 500, reader.lastSequence])

        let report = try JournalVerifier.verify(dataDirectory: dir.path)
        #expect(report.events == 1000)
        #expect(report.checkpoints >= report.segments - 1)  // every seal (+ the close, unless nothing followed the last seal)
        #expect(report.lastCheckpointSequence == report.lastSequence)
        #expect(report.rawBytes > report.storedBytes)  // LZ4 per batch pays off
    }

    @Test("LZ4HC-compressed batches are the same format: they verify and read back")
    func highCompressionReadsBack() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        var options = JournalOptions(durability: .fsync)
        options.compressionLevel = .high(4)
        let writer = try JournalWriter.open(
            dataDirectory: dir.path, options: options, signer: makeSigner(), logger: testLogger, nowMicros: 1_000_000)
        let records = (0..<200).map { eventRecord($0) }
        try writer.sync(try writer.append(records))
        try writer.close(nowMicros: 2_000_000)
        let report = try JournalVerifier.verify(dataDirectory: dir.path)
        #expect(report.events == 200)
        #expect(report.rawBytes > report.storedBytes)
        var bodies: [[UInt8]] = []
        try JournalReader(dataDirectory: dir.path).forEach(from: 1) { r in
            if r.kind == .event { bodies.append(r.body) }
            return true
        }
        #expect(bodies == records.map(\.body))
    }

    @Test("reopening continues the sequence and the chain")
    func reopenContinues() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let signer = makeSigner()
        let first = try writeJournal(at: dir.path, batches: 3, perBatch: 10, signer: signer)
        let second = try writeJournal(at: dir.path, batches: 3, perBatch: 10, signer: signer, start: 30)
        #expect(second.recoveryReport.lastSequence == first.lastSequence)
        let report = try JournalVerifier.verify(dataDirectory: dir.path, expectKeyID: signer.keyID)
        #expect(report.events == 60)
        #expect(report.activeKeyIDs == [signer.keyID])
    }

    @Test("a torn tail of the last segment is truncated, reported and never acknowledged data")
    func tornTailTruncated() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let writer = try writeJournal(at: dir.path, batches: 5, perBatch: 10, close: false)
        let acknowledged = writer.lastSequence
        let path = segmentPaths(dir.path).last!
        let goodSize = fileSize(path)
        // Half a frame: what a crash in the middle of write(2) leaves.
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("SRB1".utf8) + Data(repeating: 7, count: 50))
        try handle.close()

        // verify reports it but does not cut it.
        let report = try JournalVerifier.verify(dataDirectory: dir.path)
        #expect(report.tornTail?.offset == UInt64(goodSize))
        #expect(fileSize(path) == goodSize + 54)

        let reopened = try JournalWriter.open(
            dataDirectory: dir.path, signer: makeSigner(), logger: testLogger, nowMicros: 3_000_000)
        #expect(reopened.recoveryReport.tornTail?.droppedBytes == 54)
        #expect(reopened.recoveryReport.lastSequence == acknowledged)
        let reader = try JournalReader(dataDirectory: dir.path)
        #expect(reader.lastSequence >= acknowledged)
        #expect(try JournalVerifier.verify(dataDirectory: dir.path).tornTail == nil)
    }

    @Test("a flipped byte in a sealed segment stops open and verify, naming the place")
    func flippedByteInSealedSegment() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        try writeJournal(at: dir.path, batches: 30, perBatch: 20, segmentBytes: 8 * 1024)
        let sealed = segmentPaths(dir.path)[1]
        try flipByte(at: 128 + 84 + 40, in: sealed)  // inside the first batch's payload
        let name = (sealed as NSString).lastPathComponent
        do {
            _ = try JournalVerifier.verify(dataDirectory: dir.path)
            Issue.record("verify accepted a damaged journal")
        } catch JournalError.corrupt(let c) {
            #expect(c.segment == name)
            #expect(c.offset == 128)
            #expect(c.sequence != nil)
            #expect(c.reason.contains("CRC32C"))
        }
        #expect(throws: JournalError.self) {
            _ = try JournalWriter.open(dataDirectory: dir.path, signer: makeSigner(), logger: testLogger, nowMicros: 0)
        }
    }

    @Test("damage in the middle of the last segment is corruption, not a torn tail")
    func damageBeforeValidFrames() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        try writeJournal(at: dir.path, batches: 6, perBatch: 10)
        let path = segmentPaths(dir.path).last!
        let size = fileSize(path)
        try flipByte(at: 128 + 84 + 10, in: path)
        #expect(throws: JournalError.self) {
            _ = try JournalWriter.open(dataDirectory: dir.path, signer: makeSigner(), logger: testLogger, nowMicros: 0)
        }
        #expect(fileSize(path) == size)  // nothing was cut
    }

    @Test("a truncated segment header is named")
    func truncatedHeader() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        try writeJournal(at: dir.path, batches: 30, perBatch: 20, segmentBytes: 8 * 1024)
        let victim = segmentPaths(dir.path)[2]
        let bytes = try Data(contentsOf: URL(fileURLWithPath: victim))
        try bytes.prefix(60).write(to: URL(fileURLWithPath: victim))
        do {
            _ = try JournalVerifier.verify(dataDirectory: dir.path)
            Issue.record("verify accepted a cut header")
        } catch JournalError.corrupt(let c) {
            #expect(c.segment == (victim as NSString).lastPathComponent)
            #expect(c.offset == 0)
            #expect(c.reason.contains("header"))
        }
    }

    @Test("a segment removed from the middle is detected")
    func missingSegment() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        try writeJournal(at: dir.path, batches: 30, perBatch: 20, segmentBytes: 8 * 1024)
        let segments = segmentPaths(dir.path)
        try FileManager.default.removeItem(atPath: segments[1])
        do {
            _ = try JournalVerifier.verify(dataDirectory: dir.path)
            Issue.record("verify accepted a journal with a hole")
        } catch JournalError.corrupt(let c) {
            #expect(c.segment == (segments[2] as NSString).lastPathComponent)
            #expect(c.reason.contains("missing"))
        }
        #expect(throws: JournalError.self) { _ = try JournalReader(dataDirectory: dir.path) }
    }

    @Test("a checkpoint signed by the wrong key fails verification")
    func forgedCheckpoint() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let real = makeSigner()
        try writeJournal(at: dir.path, batches: 2, perBatch: 5, signer: real)
        // Claims the real key's id, signs with another key.
        struct Forger: CheckpointSigner {
            let keyID: String
            let publicKeyX963: [UInt8]
            let other = P256.Signing.PrivateKey()
            func sign(_ message: [UInt8]) throws -> [UInt8] {
                Array(try other.signature(for: message).rawRepresentation)
            }
        }
        let forger = Forger(keyID: real.keyID, publicKeyX963: real.publicKeyX963)
        // Reopened with another key: that key is announced, the real one retired, and later
        // checkpoints are signed by it — which `--expect-key` of the real key must refuse.
        try writeJournal(
            at: dir.path, batches: 1, perBatch: 5, signer: P256CheckpointSigner(privateKey: .init()), close: true)
        // A second journal where the forger writes under the real key id.
        let dir2 = TempDirectory()
        defer { dir2.cleanup() }
        try writeJournal(at: dir2.path, batches: 1, perBatch: 5, signer: real)
        let w = try JournalWriter.open(
            dataDirectory: dir2.path, signer: forger, logger: testLogger, nowMicros: 5_000_000)
        try w.append([eventRecord(99)])
        try w.close(nowMicros: 6_000_000)
        do {
            _ = try JournalVerifier.verify(dataDirectory: dir2.path)
            Issue.record("a forged checkpoint verified")
        } catch JournalError.corrupt(let c) {
            #expect(c.reason.contains("signature"))
        }
        // expect-key catches a journal re-signed by someone else's key.
        #expect(throws: JournalError.self) {
            _ = try JournalVerifier.verify(dataDirectory: dir.path, expectKeyID: real.keyID)
        }
    }

    @Test("only one process may hold the data directory")
    func exclusiveLock() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let lock = try DataDirectoryLock.acquire(dataDirectory: dir.path)
        #expect(DataDirectoryLock.isHeld(dataDirectory: dir.path))
        // flock is per open file description: a second acquire in this process is refused too.
        #expect(throws: JournalError.self) { _ = try DataDirectoryLock.acquire(dataDirectory: dir.path) }
        lock.release()
        let again = try DataDirectoryLock.acquire(dataDirectory: dir.path)
        again.release()
    }

    @Test("a missing or damaged index file is rebuilt from the segment")
    func indexRebuilt() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        try writeJournal(at: dir.path, batches: 30, perBatch: 20, segmentBytes: 8 * 1024)
        let indexDir = dir.path + "/journal/index"
        let indexes = try FileManager.default.contentsOfDirectory(atPath: indexDir).filter { $0.hasSuffix(".idx") }
            .sorted()
        #expect(!indexes.isEmpty)
        try FileManager.default.removeItem(atPath: indexDir + "/" + indexes[0])
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: indexDir + "/" + indexes[indexes.count - 1]))
        let reader = try JournalReader(dataDirectory: dir.path)
        var count = 0
        try reader.forEach(from: 1) { r in
            if r.kind == .event { count += 1 }
            return true
        }
        #expect(count == 600)
        // The writer rewrites them on open.
        try writeJournal(at: dir.path, batches: 1, perBatch: 1, segmentBytes: 8 * 1024, start: 600)
        #expect(FileManager.default.fileExists(atPath: indexDir + "/" + indexes[0]))
    }
}
