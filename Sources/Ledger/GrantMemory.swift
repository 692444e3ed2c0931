import Events
import Projection

/// What decisions last knew about grants, so that the grants a flow touches again and again (a
/// remembered consent, the grant behind every code and refresh) are not read from SQLite at every
/// decision: after a projector commit SQLite drops a reader's page cache, so each such read paid a
/// B-tree walk from the WAL on the Ledger's single writer thread.
///
/// Exact, not approximate: an entry is stored only as a decision computed it (projection plus the
/// overlay of what was decided since), and from then on every event that changes a grant —
/// `grant.created`, `grant.updated`, `grant.revoked`, the only events the projection changes a grant
/// by — is applied to it by the Ledger, in decision order, right after the decision that produced it.
/// So an entry always equals what the projection will hold once it has applied every decided event.
/// Unknown grant ids are never stored (ids a client sends must not fill memory); at
/// ``Limits/entriesMax`` the memory starts over (entries are re-read on demand).
///
/// Used only from the Ledger's decision thread; the lock makes it `Sendable`, it is never contended.
public final class GrantMemory: Sendable {
    public enum Entry: Sendable, Equatable {
        case active(CurrentGrant)
        case inactive
    }

    public struct Limits: Sendable {
        /// Beyond this many grants remembered, the memory is cleared.
        public var entriesMax = 100_000
        public init() {}
    }

    private let entries: BoundedMemo<Entry>

    public init(limits: Limits = Limits()) { entries = BoundedMemo(entriesMax: limits.entriesMax) }

    /// The remembered state of `grantID`, or nil when it must be read.
    public func entry(_ grantID: String) -> Entry? { entries.value(grantID) }

    /// Remembers what a decision computed for a grant the projection or the overlay knows.
    func remember(_ grantID: String, _ entry: Entry) { entries.remember(grantID, entry) }

    /// How many grants are remembered.
    public var count: Int { entries.count }

    /// Every remembered grant (for checks against the projection).
    func snapshot() -> [String: Entry] { entries.snapshot }

    /// Applies a decided event (called by the Ledger for every event, in decision order).
    func evolve(_ body: EventBody) {
        switch body {
        case .grantCreated(let e):
            remember(
                e.grantID,
                .active(CurrentGrant(grantID: e.grantID, clientID: e.clientID, subject: e.subject, scopes: e.scopes)))
        case .grantUpdated(let e):
            entries.update(e.grantID) { entry in
                // An update never revives a revoked grant (the projection changes only its scopes).
                guard case .active = entry else { return }
                entry = .active(
                    CurrentGrant(grantID: e.grantID, clientID: e.clientID, subject: e.subject, scopes: e.scopesAfter))
            }
        case .grantRevoked(let e):
            entries.update(e.grantID) { $0 = .inactive }
        default:
            break
        }
    }
}
