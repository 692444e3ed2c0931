import Crypto
import Foundation
import Journal
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Damage done to a journal with several sealed segments.
enum JournalDamage: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// One byte of a sealed segment's batch payload flipped.
    case flippedPayloadByte
    /// A sealed segment cut to 60 bytes, inside its 128-byte header.
    case truncatedHeader
    /// A sealed segment from the middle removed.
    case missingSegment

    var testDescription: String {
        switch self {
        case .flippedPayloadByte: "a byte flipped in a batch payload of a sealed segment"
        case .truncatedHeader: "a sealed segment's header truncated to 60 bytes"
        case .missingSegment: "a segment removed from the middle"
        }
    }
}

/// Fingerprint of every file under `journal/`: a refused start must not change a byte.
private func journalFingerprint(_ data: String) -> [String: String] {
    let directory = data + "/journal"
    var out: [String: String] = [:]
    let enumerator = FileManager.default.enumerator(atPath: directory)
    while let relative = enumerator?.nextObject() as? String {
        let path = directory + "/" + relative
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            continue
        }
        let bytes = (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()
        out[relative] = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }
    return out
}

extension EndToEndTests {
    @Test(
        "a damaged journal: `journal verify` exits 1 and `serve` refuses to start, both naming the segment, byte offset and sequence",
        arguments: JournalDamage.allCases)
    func damagedJournalIsRefused(_ damage: JournalDamage) throws {
        let seed = e2eSeed(for: "corruption \(damage.rawValue)")
        var rng = SeededGenerator(seed: seed)
        let scratch = try ScratchDirectory("corrupt-\(damage.rawValue)")
        defer { scratch.remove() }
        let data = scratch.sub("data")

        // A journal with several sealed segments, made by the real binary (each run exits by itself).
        var runs = 0
        repeat {
            let load = try Strongroom.run([
                "debug", "write-load", "--data-dir", data, "--segment-kib", "16", "--count", "300",
            ])
            #expect(load.exitedNormally && load.status == 0, "write-load --count 300 failed: \(load)")
            guard load.status == 0 else { return }
            runs += 1
        } while segmentNames(data).count < 4 && runs < 5
        let names = segmentNames(data)
        try #require(names.count >= 4, "wanted at least 3 sealed segments, have \(names)")
        let intact = try Strongroom.run(["journal", "verify", "--data-dir", data])
        try #require(intact.status == 0, "journal not intact before the damage: \(intact)")

        // Damage a sealed segment other than the first, and note what the tools must report.
        let victim = names[1]
        let victimPath = data + "/journal/" + victim
        var expectedSegment = victim
        var expectedOffset: UInt64 = 0
        var expectedSequence: UInt64 = 0
        switch damage {
        case .flippedPayloadByte:
            let batches = try frames(ofSegment: victimPath).filter { $0.storedLength > 0 }
            try #require(!batches.isEmpty, "no batch in \(victim)")
            let frame = batches[Int.random(in: 0..<batches.count, using: &rng)]
            let offset = UInt64.random(in: frame.payloadRange, using: &rng)
            let mask = UInt8.random(in: 1...255, using: &rng)
            try xorByte(at: offset, in: victimPath, with: mask)
            print(
                "[corruption] \(victim): byte \(offset) ^= \(mask) (payload of the batch at \(frame.offset), first sequence \(frame.firstSequence))"
            )
            expectedOffset = frame.offset
            expectedSequence = frame.firstSequence
        case .truncatedHeader:
            let first = try segmentFirstSequence(victimPath)
            try truncateFile(victimPath, to: 60)
            expectedSequence = first
        case .missingSegment:
            let next = names[2]
            let first = try segmentFirstSequence(data + "/journal/" + next)
            try FileManager.default.removeItem(atPath: victimPath)
            expectedSegment = next
            expectedSequence = first
        }
        let damaged = journalFingerprint(data)

        // `journal verify`: exit 1, one line naming the place.
        let verify = try Strongroom.run(["journal", "verify", "--data-dir", data])
        #expect(verify.exitedNormally && verify.status == 1, "journal verify must exit 1: \(verify)")
        #expect(
            verify.stdout.contains(
                "journal verification FAILED: journal corrupt: segment \(expectedSegment), byte offset "), "\(verify)")
        let reported = try #require(
            ReportedCorruption.find(in: verify.stdout), "no `journal corrupt:` line in: \(verify)")
        #expect(reported.segment == expectedSegment)
        #expect(reported.offset == expectedOffset, "\(reported)")
        #expect(reported.sequence == expectedSequence, "\(reported)")

        // `serve`: exits non-zero, never ready, names the same place, changes nothing.
        let port = try freeLoopbackPort()
        let serve = try Strongroom.start(["serve", "--data-dir", data, "--listen", "127.0.0.1:\(port)"])
        defer { serve.stop() }
        let status = try serve.waitForExit(timeout: processTimeout)
        #expect(
            serve.terminationReason == .exit && status != 0,
            "serve must refuse to start: \(serve.exitDescription)\n\(serve.outputTail())")
        let output = serve.combinedOutput
        #expect(
            output.contains("refusing to start: journal corrupt: segment \(expectedSegment), byte offset "),
            "\(serve.outputTail())")
        let refused = try #require(
            ReportedCorruption.find(
                in: String(output[(output.range(of: "refusing to start: ")?.lowerBound ?? output.startIndex)...])),
            "no `journal corrupt:` in serve's output\n\(serve.outputTail())")
        #expect(
            refused.segment == reported.segment && refused.offset == reported.offset
                && refused.sequence == reported.sequence, "serve: \(refused); verify: \(reported)")
        #expect(
            !output.contains("Strongroom is serving") && !output.contains("OP listening"),
            "serve reported serving:\n\(serve.outputTail())")
        #expect(!FileManager.default.fileExists(atPath: data + "/tls/ca.pem"), "serve got as far as its TLS material")
        #expect(journalFingerprint(data) == damaged, "the refused start changed the journal")
    }
}
