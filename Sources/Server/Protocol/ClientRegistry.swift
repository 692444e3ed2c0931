import JOSE
import OAuth
import Projection
import Synchronization

/// Registered clients as the endpoints use them, parsed once: the metadata (`ClientRecord`) and the
/// key set of its `jwks`. Every change of a client goes through the admin service while the server
/// runs, which calls ``invalidate(_:)``; the Ledger still checks on every protocol command that the
/// client is active, so a removal takes effect at the decision even before the cache forgets it.
public final class ClientRegistry: Sendable {
    struct Entry: Sendable {
        var record: ClientRecord
        var keys: ClientJWKSet?
    }

    /// Most clients kept parsed; beyond it the cache is emptied and refilled on demand.
    static let entriesMax = 100_000
    private let projection: ProjectionStore
    private let entries = Mutex<[String: Entry]>([:])

    public init(projection: ProjectionStore) { self.projection = projection }

    /// The active client `clientID`, or `invalid_client` (401).
    func client(_ clientID: String) throws -> ClientRecord {
        try entry(clientID).record
    }

    /// The client's registered key set, parsed (private_key_jwt, `invalid_client` when unusable).
    func keys(_ clientID: String) throws -> ClientJWKSet {
        let cached = try entry(clientID)
        if let keys = cached.keys { return keys }
        guard let text = cached.record.jwks else {
            throw OAuthError(.invalidClient, "client \(clientID) has no registered jwks to verify its assertion")
        }
        let keys: ClientJWKSet
        do {
            keys = try ClientJWKSet.parse(Array(text.utf8))
        } catch {
            throw OAuthError(.invalidClient, "client \(clientID)'s registered jwks is not usable: \(error)")
        }
        entries.withLock { $0[clientID]?.keys = keys }
        return keys
    }

    /// Forgets a client (registered, updated or removed).
    public func invalidate(_ clientID: String) {
        _ = entries.withLock { $0.removeValue(forKey: clientID) }
    }

    private func entry(_ clientID: String) throws -> Entry {
        if let cached = entries.withLock({ $0[clientID] }) { return cached }
        let record = try ClientRecord.load(clientID, from: projection)
        let entry = Entry(record: record, keys: nil)
        entries.withLock { cache in
            if cache.count >= Self.entriesMax { cache.removeAll(keepingCapacity: true) }
            cache[clientID] = entry
        }
        return entry
    }
}
