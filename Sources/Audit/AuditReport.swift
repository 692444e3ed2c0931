/// The result of an audit: one object with the query, the resolved selection, the clients and
/// users involved, every event with its verification results, and the chain/checkpoint proof.
/// It is what `--format json` prints (`Docs/audit.md` explains every field) and what the text and
/// HTML reports render. It contains no wall-clock time, so the same journal gives the same report.
public struct AuditReport: Codable, Sendable, Equatable {
    public static let formatName = "strongroom.audit-report.v1"

    public var format: String = Self.formatName
    public var query: Query
    public var selection: AuditSelection
    public var journalID: String
    /// The journal's last sequence number when the report was made (nil in an evidence bundle,
    /// which is checked without the journal).
    public var journalLastSequence: UInt64?
    public var clients: [ClientAtTheTime]
    public var subjects: [String]
    public var events: [Event]
    public var checkpoints: [CheckpointProof]
    public var summary: Summary

    public struct Query: Codable, Sendable, Equatable {
        public var topic: AuditTopic
        public var id: String
        public var fromMicros: Int64?
        public var toMicros: Int64?

        public init(topic: AuditTopic, id: String, fromMicros: Int64? = nil, toMicros: Int64? = nil) {
            self.topic = topic
            self.id = id
            self.fromMicros = fromMicros
            self.toMicros = toMicros
        }
    }

    /// A client as registered at the time of the audited events, from its journaled registration.
    public struct ClientAtTheTime: Codable, Sendable, Equatable {
        public var clientID: String
        public var clientName: String?
        public var tokenEndpointAuthMethod: String?
        /// Registration events replayed (`client.registered`, `client.updated`, `client.removed`).
        public var registrationEvents: [Event]
        /// The public keys of the last registration before the last audited event.
        public var keys: [KeyDescription]
        /// Set when the keys are not in the journal (a `jwks_uri` client) or could not be read.
        public var keysNote: String?
    }

    public struct KeyDescription: Codable, Sendable, Equatable {
        public var kid: String?
        public var kty: String
        public var alg: String?
        /// RFC 7638 SHA-256 thumbprint.
        public var thumbprint: String
        public var jwk: String
    }

    public struct Event: Codable, Sendable, Equatable {
        public var sequence: UInt64
        public var timeMicros: Int64
        /// ISO 8601, UTC, microseconds.
        public var time: String
        public var type: String
        public var stream: String
        public var actor: String
        public var fapiInteractionID: String?
        public var requestID: String?
        /// One sentence: what happened.
        public var summary: String
        /// The facts of the event, in reading order (secrets appear only as hashes).
        public var facts: [Fact]
        public var artifacts: [Artifact]
        public var chain: ChainResult
        /// `verified` when the chain is proven to a signed checkpoint and every artifact verified;
        /// `pending` when the chain reaches the head but no checkpoint yet; `failed` otherwise.
        public var verdict: Verdict
    }

    public struct Fact: Codable, Sendable, Equatable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public enum Verdict: String, Codable, Sendable {
        case verified
        case pending
        case failed
    }

    /// One signed artifact kept verbatim in the event, re-verified.
    public struct Artifact: Codable, Sendable, Equatable {
        /// `client_assertion`, `dpop_proof`, `request_object`.
        public var kind: String
        public var status: ArtifactStatus
        /// What was checked, or why it failed.
        public var detail: String
        /// The key that verified it (`kid`, else its thumbprint).
        public var verifiedWithKey: String?
        /// The decoded JOSE header and payload (JSON, members sorted); nil when not decodable.
        public var header: String?
        public var payload: String?
        /// The artifact exactly as journaled.
        public var compact: String
    }

    public enum ArtifactStatus: String, Codable, Sendable {
        case verified
        case failed
        case keyNotFound = "key_not_found"
    }

    public struct ChainResult: Codable, Sendable, Equatable {
        public var status: ChainStatus
        /// The checkpoint that signs a link committing to this event.
        public var checkpointSequence: UInt64?
        public var detail: String
    }

    public enum ChainStatus: String, Codable, Sendable {
        /// Hash chain recomputed from this event to a checkpoint whose ES256 signature verifies.
        case checkpointed
        /// Chain recomputed to the journal's head, but no checkpoint signs it yet (the server writes
        /// one at least every 60 s while events arrive, and at shutdown).
        case chainedToHead = "chained_to_head"
        case failed
    }

    /// A signed checkpoint used by the report, verified.
    public struct CheckpointProof: Codable, Sendable, Equatable {
        public var sequence: UInt64
        public var coveredSequence: UInt64
        public var timeMicros: Int64
        public var time: String
        public var link: String
        public var keyID: String
        public var signatureValid: Bool
        public var detail: String
    }

    public struct Summary: Codable, Sendable, Equatable {
        public var events: Int
        public var verified: Int
        public var pending: Int
        public var failed: Int
        /// Every problem, one line each, first one first.
        public var problems: [String]

        public var allVerified: Bool { failed == 0 && pending == 0 && problems.isEmpty }
    }
}

/// Formats µs since the Unix epoch as ISO 8601 in UTC, e.g. `2026-03-01T12:00:00.123456Z`.
public func isoTime(_ micros: Int64) -> String {
    let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
    let fraction = micros - seconds * 1_000_000
    var days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
    let secondOfDay = seconds - days * 86_400
    // Civil from days (Howard Hinnant's algorithm).
    days += 719_468
    let era = (days >= 0 ? days : days - 146_096) / 146_097
    let dayOfEra = days - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    var year = yearOfEra + era * 400
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let mp = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    if month <= 2 { year += 1 }
    func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
    return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):"
        + "\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(fraction, 6))Z"
}

/// Parses `--from/--to`: ISO 8601 (`2026-03-01`, `2026-03-01T12:00:00Z`, with optional fraction)
/// or µs since the epoch. Returns nil when unreadable.
public func parseTimeBound(_ text: String, endOfDay: Bool = false) -> Int64? {
    if let micros = Int64(text) { return micros }
    let chars = Array(text.utf8)
    func number(_ range: Range<Int>) -> Int64? {
        guard range.upperBound <= chars.count else { return nil }
        var v: Int64 = 0
        for c in chars[range] {
            guard (48...57).contains(c) else { return nil }
            v = v * 10 + Int64(c - 48)
        }
        return v
    }
    guard chars.count >= 10, chars[4] == 45, chars[7] == 45, let y = number(0..<4), let m = number(5..<7),
        let d = number(8..<10), (1...12).contains(m), (1...31).contains(d)
    else { return nil }
    var secondOfDay: Int64 = endOfDay ? 86_399 : 0
    var fraction: Int64 = endOfDay ? 999_999 : 0
    if chars.count > 10 {
        guard chars.count >= 20, chars[10] == 84 || chars[10] == 32, chars[13] == 58, chars[16] == 58,
            let hh = number(11..<13), let mm = number(14..<16), let ss = number(17..<19), chars.last == 90
        else { return nil }
        secondOfDay = hh * 3600 + mm * 60 + ss
        fraction = 0
        if chars[19] == 46 {
            let digits = chars[20..<(chars.count - 1)]
            guard !digits.isEmpty, digits.count <= 6, let f = number(20..<(chars.count - 1)) else { return nil }
            var scaled = f
            for _ in digits.count..<6 { scaled *= 10 }
            fraction = scaled
        } else if chars.count != 20 {
            return nil
        }
    }
    // Days from civil (Howard Hinnant's algorithm).
    let yy = m <= 2 ? y - 1 : y
    let era = (yy >= 0 ? yy : yy - 399) / 400
    let yoe = yy - era * 400
    let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    let days = era * 146_097 + doe - 719_468
    return (days * 86_400 + secondOfDay) * 1_000_000 + fraction
}
