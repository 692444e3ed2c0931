import Crypto
import Events

/// What an audit is about: one interaction, grant, subject or client.
public enum AuditTopic: String, Sendable, Codable, CaseIterable {
    /// An interaction id (the selector of a `request_uri`, stream `interaction/…`) or an
    /// `x-fapi-interaction-id`.
    case interaction
    case grant
    case subject
    case client
}

/// One thing an event is about: (topic, identifier). The audit index maps these to sequence numbers.
public struct AuditKey: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public var topic: AuditTopic
    public var value: String

    public init(_ topic: AuditTopic, _ value: String) {
        self.topic = topic
        self.value = value
    }

    public var description: String { "\(topic.rawValue):\(value)" }

    public static func < (a: AuditKey, b: AuditKey) -> Bool { a.description < b.description }

    /// The 63-bit locator of this key in the audit index: the first 8 bytes of
    /// SHA-256(topic ‖ 0x00 ‖ value). Collisions only cost a wasted read: every candidate event is
    /// decoded and its keys compared exactly before it is reported.
    public var locator: Int64 { Self.locator(topic.rawValue, value) }

    /// The locator of a client's registration events (`client.registered`, `client.updated`,
    /// `client.removed`): the key history every signature check replays, found without reading
    /// the client's other events.
    public static func registrationLocator(clientID: String) -> Int64 { locator("client_registration", clientID) }

    static func locator(_ topic: String, _ value: String) -> Int64 {
        var hasher = SHA256()
        hasher.update(data: Array(topic.utf8) + [0] + Array(value.utf8))
        let digest = Array(hasher.finalize())
        var value: UInt64 = 0
        for byte in digest.prefix(8) { value = value << 8 | UInt64(byte) }
        return Int64(bitPattern: value & 0x7FFF_FFFF_FFFF_FFFF)
    }
}

extension RecordedEvent {
    /// Every interaction, grant, subject and client this event is about: its stream, its actor, its
    /// `x-fapi-interaction-id`, and the identifiers its payload names (`requestID`, `grantID`,
    /// `subject`, `clientID`).
    public var auditKeys: Set<AuditKey> {
        var keys: Set<AuditKey> = []
        let stream = envelope.stream.rawValue
        for (prefix, topic) in [
            ("interaction/", AuditTopic.interaction), ("grant/", .grant), ("client/", .client), ("user/", .subject),
        ] where stream.hasPrefix(prefix) {
            keys.insert(AuditKey(topic, String(stream.dropFirst(prefix.count))))
        }
        if let fapi = envelope.correlation.interactionID { keys.insert(AuditKey(.interaction, fapi)) }
        switch envelope.actor.kind {
        case .client: keys.insert(AuditKey(.client, envelope.actor.id))
        case .subject: keys.insert(AuditKey(.subject, envelope.actor.id))
        case .system, .operator: break
        }
        func add(_ topic: AuditTopic, _ value: String?) {
            if let value, !value.isEmpty { keys.insert(AuditKey(topic, value)) }
        }
        switch body {
        case .signingKeyAdded, .signingKeyRetired: break
        case .clientRegistered(let p): add(.client, p.clientID)
        case .clientUpdated(let p): add(.client, p.clientID)
        case .clientRemoved(let p): add(.client, p.clientID)
        case .userAdded(let p): add(.subject, p.subject)
        case .parPushed(let p):
            add(.client, p.clientID)
            add(.interaction, p.requestID)
        case .codeIssued(let p):
            add(.client, p.clientID)
            add(.subject, p.subject)
            add(.grant, p.grantID)
            add(.interaction, p.requestID)
        case .grantCreated(let p):
            add(.client, p.clientID)
            add(.subject, p.subject)
            add(.grant, p.grantID)
        case .tokensIssued(let p):
            add(.client, p.clientID)
            add(.subject, p.subject)
            add(.grant, p.grantID)
        case .grantRevoked(let p): add(.grant, p.grantID)
        case .authorizationRejected(let p):
            add(.client, p.clientID)
            add(.interaction, p.requestID)
        case .userAuthenticated(let p):
            add(.subject, p.subject)
            add(.interaction, p.requestID)
        case .authenticationFailed(let p):
            add(.subject, p.subject)
            add(.interaction, p.requestID)
        case .consentGiven(let p):
            add(.client, p.clientID)
            add(.subject, p.subject)
            add(.grant, p.grantID)
            add(.interaction, p.requestID)
        case .consentDenied(let p):
            add(.client, p.clientID)
            add(.subject, p.subject)
            add(.interaction, p.requestID)
        case .codeReused(let p):
            add(.client, p.clientID)
            add(.grant, p.grantID)
        case .tokenRevoked(let p):
            add(.client, p.clientID)
            add(.grant, p.grantID)
        case .grantUpdated(let p):
            add(.client, p.clientID)
            add(.subject, p.subject)
            add(.grant, p.grantID)
            add(.interaction, p.requestID)
        case .clientJWKSFetched(let p): add(.client, p.clientID)
        }
        return keys
    }

    /// Whether this event changes a client's registered keys (what re-verification replays).
    public var isClientKeyEvent: Bool {
        switch body {
        case .clientRegistered, .clientUpdated, .clientRemoved, .clientJWKSFetched: return true
        default: return false
        }
    }

    /// The client whose registration this event changes.
    public var registeredClientID: String? {
        switch body {
        case .clientRegistered(let p): return p.clientID
        case .clientUpdated(let p): return p.clientID
        case .clientRemoved(let p): return p.clientID
        case .clientJWKSFetched(let p): return p.clientID
        default: return nil
        }
    }
}

/// The resolved set of keys an audit reports on, with its time bounds. An event belongs to the
/// audit when one of its ``RecordedEvent/auditKeys`` is in ``keys`` and its time is within bounds.
/// The same rule selects the events again when an evidence bundle is verified, so a bundle cannot
/// leave out a matching event that lies inside the journal ranges it carries.
public struct AuditSelection: Codable, Sendable, Equatable {
    public var keys: [AuditKey]
    /// Inclusive bounds, µs since the Unix epoch.
    public var fromMicros: Int64?
    public var toMicros: Int64?

    public init(keys: Set<AuditKey>, fromMicros: Int64?, toMicros: Int64?) {
        self.keys = keys.sorted()
        self.fromMicros = fromMicros
        self.toMicros = toMicros
    }

    public func contains(time: Int64) -> Bool {
        if let fromMicros, time < fromMicros { return false }
        if let toMicros, time > toMicros { return false }
        return true
    }

    public func matches(_ event: RecordedEvent) -> Bool {
        guard contains(time: event.timeMicros) else { return false }
        let wanted = Set(keys)
        return !event.auditKeys.isDisjoint(with: wanted)
    }
}
