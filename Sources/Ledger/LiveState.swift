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

    public init() {}

    /// Applies one event.
    public mutating func evolve(_ body: EventBody) {
        switch body {
        case .signingKeyAdded(let e): signingKeys[e.kid] = e.active ? .active : .published
        case .signingKeyRetired(let e): signingKeys[e.kid] = .retired
        case .clientRegistered(let e): clients[e.clientID] = .active
        case .clientUpdated: break
        case .clientRemoved(let e): clients[e.clientID] = .removed
        case .userAdded(let e):
            usernames[e.username] = e.subject
            subjects.insert(e.subject)
        case .parPushed, .codeIssued, .grantCreated, .tokensIssued, .grantRevoked:
            // Short-lived protocol state (PAR, codes, DPoP jti) joins the live state with the
            // protocol commands that decide on it.
            break
        }
    }

    /// Evolves a state from every event of the journal.
    static func fold(_ reader: JournalReader) throws -> LiveState {
        var state = LiveState()
        try reader.forEach(from: 1) { record in
            if record.kind == .event {
                state.evolve(
                    try EventCodec.decode(record.body, sequence: record.sequence, timeMicros: record.timeMicros).body)
            }
            return true
        }
        return state
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
