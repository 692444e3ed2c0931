import Events
import Foundation
import Journal
import Projection
import Testing

#if canImport(Glibc)
    import Glibc
#endif

// MARK: the binary

/// The `strongroom` executable built next to the test bundle (`swift build --build-tests` builds it
/// because the test target depends on it). `STRONGROOM_BINARY` overrides the lookup.
enum Strongroom {
    static let binary: String = {
        if let explicit = ProcessInfo.processInfo.environment["STRONGROOM_BINARY"], !explicit.isEmpty {
            return explicit
        }
        let exe =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // On some layouts the bundle is a directory (`….xctest/Contents/MacOS/…`): walk up to the build directory.
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("strongroom").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("strongroom").path
    }()

    /// Throws a clear error when the binary is missing (e.g. `swift test` without `--build-tests` products).
    static func requireBinary() throws -> String {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw E2EFailure(
                "strongroom binary not found at \(binary); build with `swift build --build-tests` first or set STRONGROOM_BINARY"
            )
        }
        return binary
    }

    /// Runs `strongroom arguments` to completion.
    static func run(_ arguments: [String], timeout: Double = 120) throws -> CommandResult {
        try runCommand(
            try requireBinary(), arguments, timeout: timeout,
            name: "strongroom " + arguments.prefix(2).joined(separator: " "))
    }

    /// Starts `strongroom arguments` as a long-running child.
    static func start(_ arguments: [String]) throws -> ChildProcess {
        let child = ChildProcess(
            try requireBinary(), arguments, name: "strongroom " + arguments.prefix(2).joined(separator: " "))
        try child.start()
        return child
    }
}

/// Generous bound for one wait on a child (start-up, exit…): a slow machine only makes tests slower.
let processTimeout: Double = 90

// MARK: temp directories

/// A fresh directory under `NSTemporaryDirectory()`, removed by `remove()`.
struct ScratchDirectory {
    let path: String
    init(_ label: String) throws {
        let safe = label.filter { $0.isLetter || $0.isNumber || $0 == "-" }
        path = NSTemporaryDirectory() + "strongroom-e2e-\(safe)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func sub(_ name: String) -> String { path + "/" + name }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

// MARK: randomness

/// SplitMix64: small, seedable, good enough to pick kill moments and garbage bytes reproducibly.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The seed of this run: `STRONGROOM_E2E_SEED` when set (to replay a failure), else random. Printed.
func e2eSeed(for test: String) -> UInt64 {
    let seed: UInt64
    if let text = ProcessInfo.processInfo.environment["STRONGROOM_E2E_SEED"], let value = UInt64(text) {
        seed = value
    } else {
        seed = UInt64.random(in: 1...UInt64.max)
    }
    print("[\(test)] seed \(seed) — rerun with STRONGROOM_E2E_SEED=\(seed)")
    return seed
}

// MARK: ports

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, read back, closed).
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw E2EFailure("socket() failed: errno \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw E2EFailure("bind(127.0.0.1:0) failed: errno \(errno)") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else { throw E2EFailure("getsockname failed: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

// MARK: files

func segmentNames(_ dataDirectory: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dataDirectory + "/journal")) ?? [])
        .filter { $0.hasSuffix(".seg") && $0.count == 24 }.sorted()
}

func fileSize(_ path: String) -> UInt64 {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.uint64Value ?? 0
}

func appendBytes(_ bytes: [UInt8], to path: String) throws {
    let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    try handle.seekToEnd()
    try handle.write(contentsOf: Data(bytes))
}

func truncateFile(_ path: String, to length: UInt64) throws {
    guard truncate(path, off_t(length)) == 0 else {
        throw E2EFailure("truncate(\(path), \(length)) failed: errno \(errno)")
    }
}

func xorByte(at offset: UInt64, in path: String, with mask: UInt8) throws {
    let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    try handle.seek(toOffset: offset)
    guard let byte = try handle.read(upToCount: 1)?.first else { throw E2EFailure("no byte at \(offset) in \(path)") }
    try handle.seek(toOffset: offset)
    try handle.write(contentsOf: Data([byte ^ mask]))
}

/// Copies the live projection (database, WAL, shared memory) of a stopped server to `path`.
func copyProjection(from dataDirectory: String, to path: String) throws {
    let fm = FileManager.default
    for suffix in ["", "-wal", "-shm"] where fm.fileExists(atPath: dataDirectory + "/projection.sqlite" + suffix) {
        try? fm.removeItem(atPath: path + suffix)
        try fm.copyItem(atPath: dataDirectory + "/projection.sqlite" + suffix, toPath: path + suffix)
    }
}

// MARK: the journal, byte by byte (FORMAT.md §2, §3)

/// One batch frame found by walking a segment's frame headers.
struct FrameLocation {
    let offset: UInt64
    let storedLength: UInt64
    let firstSequence: UInt64
    let recordCount: UInt32
    var payloadRange: Range<UInt64> { (offset + 84)..<(offset + 84 + storedLength) }
}

private func u32(_ b: [UInt8], _ at: Int) -> UInt32 {
    (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[at + $1]) << (8 * UInt32($1)) }
}
private func u64(_ b: [UInt8], _ at: Int) -> UInt64 {
    (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[at + $1]) << (8 * UInt64($1)) }
}

/// The batch frames of a segment file, walked by their headers (no CRC check).
func frames(ofSegment path: String) throws -> [FrameLocation] {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    var offset = 128
    var out: [FrameLocation] = []
    while offset + 84 <= bytes.count, bytes[offset..<(offset + 4)].elementsEqual(Array("SRB1".utf8)) {
        let stored = Int(u32(bytes, offset + 4))
        guard offset + 84 + stored <= bytes.count else { break }
        out.append(
            FrameLocation(
                offset: UInt64(offset), storedLength: UInt64(stored), firstSequence: u64(bytes, offset + 16),
                recordCount: u32(bytes, offset + 24)))
        offset += 84 + stored
    }
    return out
}

/// The first sequence number a segment's header declares (bytes 48..<56).
func segmentFirstSequence(_ path: String) throws -> UInt64 {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)).prefix(128))
    guard bytes.count == 128 else { throw E2EFailure("\(path) has no full segment header") }
    return u64(bytes, 48)
}

// MARK: the journal, through the library

/// What the journal holds, read in-process with `JournalReader` (which ignores a torn tail).
struct JournalContents {
    var lastSequence: UInt64 = 0
    var lastKind: RecordKind?
    var records: UInt64 = 0
    /// Sequence numbers that were not exactly previous + 1 (must stay empty).
    var sequenceBreaks: [String] = []
    /// Client id → how many `client.registered` events carry it.
    var registrations: [String: Int] = [:]
    var eventTypes: [String: Int] = [:]

    static func read(_ dataDirectory: String) throws -> JournalContents {
        let reader = try JournalReader(dataDirectory: dataDirectory)
        var contents = JournalContents()
        var expected: UInt64 = 1
        try reader.forEach(from: 1) { record in
            if record.sequence != expected, contents.sequenceBreaks.count < 10 {
                contents.sequenceBreaks.append("expected sequence \(expected), read \(record.sequence)")
            }
            expected = record.sequence + 1
            contents.records += 1
            contents.lastSequence = record.sequence
            contents.lastKind = record.kind
            if record.kind == .event {
                let event = try EventCodec.decode(record.body, sequence: record.sequence, timeMicros: record.timeMicros)
                contents.eventTypes[event.body.type, default: 0] += 1
                if case .clientRegistered(let registered) = event.body {
                    contents.registrations[registered.clientID, default: 0] += 1
                }
            }
            return true
        }
        if contents.lastSequence != reader.lastSequence || contents.records != reader.lastSequence {
            contents.sequenceBreaks.append(
                "reader ends at \(reader.lastSequence) but \(contents.records) records were read, the last \(contents.lastSequence)"
            )
        }
        return contents
    }
}

/// `journal corrupt: segment <file>, byte offset <n>[, sequence <s>]: <reason>` parsed from CLI output.
struct ReportedCorruption: CustomStringConvertible {
    let segment: String
    let offset: UInt64
    let sequence: UInt64?
    let reason: String
    var description: String {
        "segment \(segment), byte offset \(offset), sequence \(sequence.map(String.init) ?? "-"): \(reason)"
    }

    static func find(in text: String) -> ReportedCorruption? {
        guard let range = text.range(of: "journal corrupt: segment ") else { return nil }
        let rest = text[range.upperBound...]
        let line = rest.prefix { $0 != "\n" }
        guard let comma = line.range(of: ", byte offset ") else { return nil }
        let segment = String(line[..<comma.lowerBound])
        let afterOffset = line[comma.upperBound...]
        let offsetDigits = afterOffset.prefix { $0.isNumber }
        guard let offset = UInt64(offsetDigits) else { return nil }
        var tail = afterOffset.dropFirst(offsetDigits.count)
        var sequence: UInt64?
        if tail.hasPrefix(", sequence ") {
            tail = tail.dropFirst(", sequence ".count)
            let digits = tail.prefix { $0.isNumber }
            sequence = UInt64(digits)
            tail = tail.dropFirst(digits.count)
        }
        guard tail.hasPrefix(": ") else { return nil }
        return ReportedCorruption(
            segment: segment, offset: offset, sequence: sequence, reason: String(tail.dropFirst(2)))
    }
}

// MARK: projections

/// Compares two projections table by table; returns one message per differing table (empty = equal).
func projectionDifferences(_ a: [String: [String]], _ b: [String: [String]], labels: (String, String)) -> [String] {
    var problems: [String] = []
    for table in Set(a.keys).union(b.keys).sorted() {
        let left = a[table] ?? []
        let right = b[table] ?? []
        guard left != right else { continue }
        let onlyLeft = Set(left).subtracting(right).sorted().prefix(3)
        let onlyRight = Set(right).subtracting(left).sorted().prefix(3)
        problems.append(
            "table \(table): \(labels.0) has \(left.count) rows, \(labels.1) \(right.count); only in \(labels.0): \(Array(onlyLeft)); only in \(labels.1): \(Array(onlyRight))"
        )
    }
    return problems
}

/// After a clean stop the live projection holds the whole journal, its final checkpoint included.
func checkLiveProjectionAfterCleanStop(liveSequence: UInt64, journal: JournalContents) {
    #expect(
        liveSequence == journal.lastSequence,
        "live projection at sequence \(liveSequence) after a clean stop; the journal ends at \(journal.lastSequence) (\(journal.lastKind.map { "\($0)" } ?? "-"))"
    )
}

/// Dumps every table of the projection database at `path` (opened, read, closed).
func dumpProjection(at path: String) throws -> (state: ProjectionState, tables: [String: [String]]) {
    let store = try ProjectionStore.open(path: path)
    defer { try? store.pool.close() }
    return (try store.state(), try store.dumpAllTables())
}

/// Rebuilds a projection from the journal of `dataDirectory` into `path` (removed first), up to `limit`.
func rebuildProjection(
    from dataDirectory: String, into path: String, limit: ProjectionRebuilder.Limit = .none
) throws
    -> (state: ProjectionState, tables: [String: [String]])
{
    try ProjectionStore.remove(path: path)
    let reader = try JournalReader(dataDirectory: dataDirectory)
    let state = try ProjectionRebuilder.rebuild(reader: reader, into: path, limit: limit)
    let dump = try dumpProjection(at: path)
    #expect(dump.state == state)
    return dump
}

/// Opens the projection at `path` and applies what the journal of `dataDirectory` has beyond it
/// (what the server's next start would do), then dumps it.
func catchUpProjection(
    at path: String, from dataDirectory: String
) throws -> (state: ProjectionState, tables: [String: [String]]) {
    let store = try ProjectionStore.open(path: path)
    defer { try? store.pool.close() }
    try ProjectionRebuilder.catchUp(store: store, reader: try JournalReader(dataDirectory: dataDirectory))
    return (try store.state(), try store.dumpAllTables())
}

// MARK: HTTPS

/// One HTTPS response.
struct HTTPSResponse {
    let status: Int
    /// Header names lowercased.
    let headers: [String: String]
    let body: Data

    func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw E2EFailure("response body is not a JSON object: \(String(decoding: body, as: UTF8.self).prefix(500))")
        }
        return object
    }
}

/// GETs `url` trusting only `caFile`, with curl (or Python's `ssl` + `http.client` when curl is
/// missing). Returns nil when no HTTP response came (connection refused, TLS failure…); `error`
/// then says why.
enum HTTPS {
    /// curl when installed, unless `STRONGROOM_E2E_HTTP=python` asks for the fallback.
    static let curl: String? =
        ProcessInfo.processInfo.environment["STRONGROOM_E2E_HTTP"] == "python"
        ? nil
        : ["/usr/bin/curl", "/bin/curl", "/usr/local/bin/curl"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }

    static func get(_ url: String, caFile: String, scratch: String) throws -> (response: HTTPSResponse?, error: String)
    {
        if let curl {
            let id = UUID().uuidString.prefix(8)
            let headerFile = scratch + "/curl-\(id).headers"
            let bodyFile = scratch + "/curl-\(id).body"
            defer {
                try? FileManager.default.removeItem(atPath: headerFile)
                try? FileManager.default.removeItem(atPath: bodyFile)
            }
            let result = try runCommand(
                curl,
                [
                    "-sS", "--noproxy", "*", "--cacert", caFile, "--connect-timeout", "5", "--max-time", "15", "-D",
                    headerFile, "-o", bodyFile, url,
                ],
                timeout: 30, name: "curl \(url)")
            guard result.exitedNormally, result.status == 0 else { return (nil, "curl: \(result.stderr)") }
            let headerText = (try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? ""
            let body = (try? Data(contentsOf: URL(fileURLWithPath: bodyFile))) ?? Data()
            return (parse(headerText: headerText, body: body), "")
        }
        let script = """
            import sys, ssl, json, base64, http.client, urllib.parse
            u = urllib.parse.urlsplit(sys.argv[1])
            ctx = ssl.create_default_context(cafile=sys.argv[2])
            c = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=15)
            c.request("GET", u.path or "/")
            r = c.getresponse()
            body = r.read()
            print(json.dumps({"status": r.status, "headers": [[k, v] for k, v in r.getheaders()], "body": base64.b64encode(body).decode()}))
            """
        let result = try runCommand(
            "/usr/bin/env", ["python3", "-c", script, url, caFile], timeout: 30, name: "python3 https \(url)")
        guard result.exitedNormally, result.status == 0,
            let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
            let status = object["status"] as? Int, let pairs = object["headers"] as? [[String]],
            let body = (object["body"] as? String).flatMap({ Data(base64Encoded: $0) })
        else { return (nil, "python3: \(result.stderr.suffix(500))") }
        var headers: [String: String] = [:]
        for pair in pairs where pair.count == 2 { headers[pair[0].lowercased()] = pair[1] }
        return (HTTPSResponse(status: status, headers: headers, body: body), "")
    }

    private static func parse(headerText: String, body: Data) -> HTTPSResponse? {
        // With redirects or 100-continue there may be several header blocks: keep the last.
        let blocks = headerText.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n\n").filter {
            !$0.isEmpty
        }
        guard let block = blocks.last else { return nil }
        var lines = block.split(separator: "\n").map(String.init)
        guard !lines.isEmpty else { return nil }
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        return HTTPSResponse(status: status, headers: headers, body: body)
    }
}
