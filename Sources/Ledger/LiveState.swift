import Events
import GRDB
import Journal
import Projection

/// The state the Ledger decides against. It changes only by `evolve(_:)` with events — the same
/// function whether the events were just decided or are being reloaded — so decisions can never see
/// a state the journal does not explain.
public struct LiveState: Sendable {
    public enum ClientStatus: String, Sendable { case active, removed }
    public enum KeyStatus: String, Sendable { case active, published, retired }

    public internal(set) var clients: [String: ClientStatus] = [:]
    /// username → subject
    public internal(set) var usernames: [String: String] = [:]
    public internal(set) var subjects: Set<String> = []
    public internal(set) var signingKeys: [String: KeyStatus] = [:]
    /// Pushed requests, codes, sessions, grants, refresh tokens, seen `jti`s.
    public internal(set) var protocolState = ProtocolState()
    /// Sealed TOTP seeds are not needed to decide; whether a subject has one is.
    public internal(set) var subjectsWithTOTP: Set<String> = []

    public init() {}

    /// How far back `foldRecent` reads the journal at start: longer than any `jti` is remembered.
    static let recentHistoryMicros: Int64 = 900_000_000

    /// Applies one event (`timeMicros`: the event's journal time; `pass`: the decision pass, nil
    /// when the event is already projected).
    mutating func evolve(_ body: EventBody, timeMicros: Int64, pass: UInt64? = nil) {
        protocolState.evolve(body, timeMicros: timeMicros, pass: pass)
        switch body {
        case .signingKeyAdded(let e): signingKeys[e.kid] = e.active ? .active : .published
        case .signingKeyRetired(let e): signingKeys[e.kid] = .retired
        case .clientRegistered(let e): clients[e.clientID] = .active
        case .clientUpdated: break
        case .clientRemoved(let e): clients[e.clientID] = .removed
        case .userAdded(let e):
            usernames[e.username] = e.subject
            subjects.insert(e.subject)
            if e.sealedTOTPSeed != nil { subjectsWithTOTP.insert(e.subject) }
        default:
            break  // protocol events: `protocolState`
        }
    }

    /// Evolves a state from every event of the journal.
    static func fold(_ reader: JournalReader) throws -> LiveState {
        var state = LiveState()
        try reader.forEach(from: 1) { record in
            if record.kind == .event {
                state.evolve(
                    try EventCodec.decode(record.body, sequence: record.sequence, timeMicros: record.timeMicros).body,
                    timeMicros: record.timeMicros)
            }
            return true
        }
        return state
    }

    /// Folds the protocol events from `sequence` on into the in-memory protocol state (seen `jti`s,
    /// TOTP steps), which the projection does not hold.
    mutating func foldRecent(_ reader: JournalReader, from sequence: UInt64, nowMicros: Int64) throws {
        try reader.forEach(from: sequence) { record in
            if record.kind == .event {
                let event = try EventCodec.decode(record.body, sequence: record.sequence, timeMicros: record.timeMicros)
                protocolState.evolve(event.body, timeMicros: record.timeMicros, pass: nil)
            }
            return true
        }
        protocolState.evictExpiredJTIs(nowMicros: nowMicros)
    }

    /// Loads the long-lived parts from the projection (which the Ledger has just caught up with the
    /// journal), instead of re-reading every event.
    static func load(from store: ProjectionStore) throws -> LiveState {
        try store.pool.read { db in
            var state = LiveState()
            for row in try Row.fetchAll(db, sql: "SELECT client_id, status FROM clients") {
                state.clients[row[0]] = ClientStatus(rawValue: row[1]) ?? .removed
            }
            for row in try Row.fetchAll(db, sql: "SELECT username, subject FROM users") {
                state.usernames[row[0]] = row[1]
                state.subjects.insert(row[1])
            }
            for row in try Row.fetchAll(db, sql: "SELECT kid, status FROM signing_keys") {
                state.signingKeys[row[0]] = KeyStatus(rawValue: row[1]) ?? .retired
            }
            return state
        }
    }
}
