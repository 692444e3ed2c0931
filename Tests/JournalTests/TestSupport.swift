import Crypto
import Foundation
import Journal
import Logging

/// A fresh directory under the system temp dir, removed by `cleanup()`.
struct TempDirectory {
    let path: String
    init(_ name: String = #function) {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        path = NSTemporaryDirectory() + "strongroom-test-\(safe)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

let testLogger: Logger = {
    var l = Logger(label: "test")
    l.logLevel = .critical
    return l
}()

func makeSigner() -> P256CheckpointSigner { P256CheckpointSigner(privateKey: P256.Signing.PrivateKey()) }

func eventRecord(_ i: Int, time: Int64 = 1_000_000) -> NewRecord {
    // Realistic: repeated keys (compressible) and a random-looking id (not compressible).
    let id = Array(SHA256.hash(data: Array("event-\(i)".utf8))).map { String($0, radix: 16) }.joined()
    let text =
        "{\"n\":\(i),\"client_id\":\"tpp-\(i % 7)\",\"request_uri_hash\":\"\(id)\",\"scope\":\"openid accounts\"}"
    return NewRecord(kind: .event, timeMicros: time + Int64(i), body: Array(text.utf8))
}

/// Opens a writer, appends `batches` batches of `perBatch` events (synced), closes it.
@discardableResult
func writeJournal(
    at dir: String, batches: Int, perBatch: Int, segmentBytes: UInt64 = JournalLimits.segmentBytesDefault,
    signer: P256CheckpointSigner = makeSigner(), start: Int = 0, close: Bool = true
) throws -> JournalWriter {
    let writer = try JournalWriter.open(
        dataDirectory: dir, options: JournalOptions(durability: .fsync, segmentBytesLimit: segmentBytes),
        signer: signer,
        logger: testLogger, nowMicros: 1_000_000)
    var n = start
    for _ in 0..<batches {
        var records: [NewRecord] = []
        for _ in 0..<perBatch {
            records.append(eventRecord(n))
            n += 1
        }
        let batch = try writer.append(records)
        try writer.sync(batch)
    }
    if close { try writer.close(nowMicros: 2_000_000_000) }
    return writer
}

func segmentPaths(_ dir: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir + "/journal")) ?? []).filter { $0.hasSuffix(".seg") }
        .sorted()
        .map { dir + "/journal/" + $0 }
}

func flipByte(at offset: Int, in path: String) throws {
    let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
    try handle.seek(toOffset: UInt64(offset))
    let byte = try handle.read(upToCount: 1)?.first ?? 0
    try handle.seek(toOffset: UInt64(offset))
    try handle.write(contentsOf: Data([byte ^ 0x40]))
    try handle.close()
}

func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
}
