import Events
import JOSE
import Ledger
import OAuth
import Projection
import Synchronization

/// Registered clients as the endpoints use them, parsed once: the metadata (`ClientRecord`) and its
/// key set — the registered `jwks`, or the document at its `jwks_uri`, fetched (`ClientJWKSFetcher`),
/// kept for 5 minutes, fetched again at most every 10 s when a signature needs a key the cached set
/// lacks (the client rotated), and journaled (`client.jwks_fetched`) before first use whenever it
/// differs from what was recorded, so every accepted signature can be re-verified from the journal.
///
/// Every change of a client goes through the admin service while the server runs, which calls
/// ``invalidate(_:)``; the Ledger still checks on every protocol command that the client is active,
/// so a removal takes effect at the decision even before the cache forgets it.
public final class ClientRegistry: Sendable {
    struct Entry: Sendable {
        var record: ClientRecord
        var keys: ClientJWKSet?
        /// The JWK Set text in use (registered or fetched).
        var jwksText: String?
        /// When `jwksText` was fetched from `jwks_uri` (µs), nil for a registered `jwks`.
        var fetchedAtMicros: Int64?
    }

    /// Most clients kept parsed; beyond it the cache is emptied and refilled on demand.
    static let entriesMax = 100_000
    /// How long a fetched key set is used before it is fetched again.
    static let fetchedKeysLifetimeMicros: Int64 = 300_000_000
    /// The shortest interval between two fetches of one client's key set.
    static let refetchIntervalMicrosMin: Int64 = 10_000_000

    private let projection: ProjectionStore
    private let ledger: Ledger?
    private let fetcher: ClientJWKSFetcher?
    private let entries = Mutex<[String: Entry]>([:])
    /// Digest of the key set last journaled per client (a restart journals the first fetch again).
    private let recordedDigests = Mutex<[String: String]>([:])

    /// - Parameters:
    ///   - ledger: journals fetched key sets (nil: `jwks_uri` clients cannot authenticate).
    ///   - fetcher: fetches `jwks_uri` documents (nil: `jwks_uri` clients cannot authenticate).
    public init(projection: ProjectionStore, ledger: Ledger? = nil, fetcher: ClientJWKSFetcher? = nil) {
        self.projection = projection
        self.ledger = ledger
        self.fetcher = fetcher
    }

    /// The active client `clientID`, or `invalid_client` (401).
    func client(_ clientID: String) throws -> ClientRecord {
        try entry(clientID).record
    }

    /// The client's key set, parsed (private_key_jwt; `invalid_client` when there is none or it is
    /// unusable).
    func keys(_ clientID: String, nowMicros: Int64) async throws -> ClientJWKSet {
        let cached = try entry(clientID)
        if let keys = cached.keys, !isStale(cached, nowMicros: nowMicros) { return keys }
        return try await load(cached, nowMicros: nowMicros).keys
    }

    /// The key set fetched again from `jwks_uri` when the cached one is older than the minimum
    /// interval and the document changed; nil otherwise (then retrying with it is pointless).
    func refreshedKeys(_ clientID: String, nowMicros: Int64) async throws -> ClientJWKSet? {
        let cached = try entry(clientID)
        guard cached.record.jwksURI != nil, let fetchedAt = cached.fetchedAtMicros,
            nowMicros - fetchedAt >= Self.refetchIntervalMicrosMin
        else { return nil }
        let loaded = try await load(cached, nowMicros: nowMicros)
        return loaded.text == cached.jwksText ? nil : loaded.keys
    }

    /// The client's JWK Set document (self_signed_tls_client_auth reads the certificates in `x5c`).
    func jwksText(_ clientID: String, nowMicros: Int64) async throws -> String {
        let cached = try entry(clientID)
        if let text = cached.jwksText, !isStale(cached, nowMicros: nowMicros) { return text }
        return try await load(cached, nowMicros: nowMicros).text
    }

    /// Forgets a client (registered, updated or removed).
    public func invalidate(_ clientID: String) {
        _ = entries.withLock { $0.removeValue(forKey: clientID) }
        _ = recordedDigests.withLock { $0.removeValue(forKey: clientID) }
    }

    private func isStale(_ entry: Entry, nowMicros: Int64) -> Bool {
        guard let fetchedAt = entry.fetchedAtMicros else { return false }
        return nowMicros - fetchedAt >= Self.fetchedKeysLifetimeMicros
    }

    /// Reads the registered `jwks`, or fetches (and journals) the `jwks_uri` document; caches both.
    private func load(_ cached: Entry, nowMicros: Int64) async throws -> (keys: ClientJWKSet, text: String) {
        let clientID = cached.record.clientID
        let text: String
        var fetchedAt: Int64?
        if let registered = cached.record.jwks {
            text = registered
        } else if let uri = cached.record.jwksURI {
            guard let fetcher, let ledger else {
                throw OAuthError(
                    .invalidClient,
                    "client \(clientID) publishes its keys at a jwks_uri, which this server does not fetch")
            }
            text = try await fetcher.fetch(uri)
            let digest = ClientJWKSFetcher.digest(text)
            if recordedDigests.withLock({ $0[clientID] }) != digest {
                do {
                    try await ledger.execute(
                        RecordClientJWKS(
                            ClientJWKSFetched(clientID: clientID, jwksURI: uri, jwks: text, digest: digest)))
                } catch is LedgerRejection {
                    // Removed while its keys were being fetched.
                    throw OAuthError(.invalidClient, "client \(clientID) is not registered or was removed")
                }
                recordedDigests.withLock { $0[clientID] = digest }
            }
            fetchedAt = nowMicros
        } else {
            throw OAuthError(
                .invalidClient, "client \(clientID) has no registered jwks or jwks_uri to verify its signatures")
        }
        let keys: ClientJWKSet
        do {
            keys = try ClientJWKSet.parse(Array(text.utf8))
        } catch {
            throw OAuthError(.invalidClient, "client \(clientID)'s key set is not usable: \(error)")
        }
        entries.withLock { cache in
            guard cache[clientID] != nil else { return }
            cache[clientID]?.keys = keys
            cache[clientID]?.jwksText = text
            cache[clientID]?.fetchedAtMicros = fetchedAt
        }
        return (keys, text)
    }

    private func entry(_ clientID: String) throws -> Entry {
        if let cached = entries.withLock({ $0[clientID] }) { return cached }
        let record = try ClientRecord.load(clientID, from: projection)
        let entry = Entry(record: record, keys: nil, jwksText: nil, fetchedAtMicros: nil)
        entries.withLock { cache in
            if cache.count >= Self.entriesMax { cache.removeAll(keepingCapacity: true) }
            cache[clientID] = entry
        }
        return entry
    }
}
