/// Who caused an event.
public struct Actor: Codable, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: UInt8, Codable, Sendable {
        /// The OP itself (key rotation, expiry, checkpoints).
        case system = 0
        /// A registered client (by client_id).
        case client = 1
        /// An end user (by subject).
        case subject = 2
        /// An operator using the CLI or the admin endpoint (by operator name).
        case `operator` = 3
    }

    public var kind: Kind
    public var id: String

    public init(kind: Kind, id: String) {
        self.kind = kind
        self.id = id
    }

    public static let system = Actor(kind: .system, id: "strongroom")
    public static func client(_ id: String) -> Actor { Actor(kind: .client, id: id) }
    public static func subject(_ id: String) -> Actor { Actor(kind: .subject, id: id) }
    public static func `operator`(_ id: String) -> Actor { Actor(kind: .operator, id: id) }

    public var description: String {
        switch kind {
        case .system: return "system"
        case .client: return "client:\(id)"
        case .subject: return "subject:\(id)"
        case .operator: return "operator:\(id)"
        }
    }
}

/// Correlation ids that tie an event to the HTTP exchange that caused it.
public struct Correlation: Codable, Sendable, Hashable {
    /// `x-fapi-interaction-id` as received or generated.
    public var interactionID: String?
    /// The OP's own id of the HTTP request (or CLI invocation).
    public var requestID: String?

    public init(interactionID: String? = nil, requestID: String? = nil) {
        self.interactionID = interactionID
        self.requestID = requestID
    }

    public static let none = Correlation()
}

/// A stream groups the events of one thing: `interaction/…`, `grant/…`, `client/…`, `key/…`, `user/…`.
/// The projection keeps `stream → sequence numbers`, so one thing's history is read without a scan.
public struct StreamID: Codable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public static func interaction(_ id: String) -> StreamID { StreamID("interaction/\(id)") }
    public static func grant(_ id: String) -> StreamID { StreamID("grant/\(id)") }
    public static func client(_ id: String) -> StreamID { StreamID("client/\(id)") }
    public static func key(_ kid: String) -> StreamID { StreamID("key/\(kid)") }
    public static func user(_ subject: String) -> StreamID { StreamID("user/\(subject)") }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

/// The envelope every event carries (DESIGN.md "The journal"): where it sits in the journal, when,
/// what it is, which stream, who did it, and the correlation ids.
public struct EventEnvelope: Codable, Sendable, Hashable {
    /// Global sequence number (the journal record's).
    public var sequence: UInt64
    /// The OP's clock when the event was decided, µs since the Unix epoch.
    public var timeMicros: Int64
    /// Event type, e.g. `client.registered`.
    public var type: String
    /// Version of the payload schema of this type.
    public var schemaVersion: UInt16
    public var stream: StreamID
    public var actor: Actor
    public var correlation: Correlation

    public init(
        sequence: UInt64, timeMicros: Int64, type: String, schemaVersion: UInt16, stream: StreamID, actor: Actor,
        correlation: Correlation
    ) {
        self.sequence = sequence
        self.timeMicros = timeMicros
        self.type = type
        self.schemaVersion = schemaVersion
        self.stream = stream
        self.actor = actor
        self.correlation = correlation
    }
}

/// An event decided by the Ledger, before it has a sequence number.
public struct NewEvent: Sendable, Equatable {
    public var stream: StreamID
    public var actor: Actor
    public var correlation: Correlation
    public var body: EventBody

    public init(stream: StreamID, actor: Actor, correlation: Correlation = .none, body: EventBody) {
        self.stream = stream
        self.actor = actor
        self.correlation = correlation
        self.body = body
    }
}

/// An event as it stands in the journal.
public struct RecordedEvent: Sendable, Equatable {
    public var envelope: EventEnvelope
    public var body: EventBody

    public init(envelope: EventEnvelope, body: EventBody) {
        self.envelope = envelope
        self.body = body
    }

    public var sequence: UInt64 { envelope.sequence }
    public var timeMicros: Int64 { envelope.timeMicros }
}

extension Actor.Kind: Comparable {
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}
