/// Pushed authorization requests and authorization codes as the projection last wrote them, kept in
/// memory so that the reads of a flow — the authorization endpoint and the decision completing it
/// read the pushed request, the decision redeeming a code reads the code — need no SQLite query.
///
/// Only the projection's own writes fill it: a row goes in when the transaction inserting it has
/// committed, and its one later change (`used_sequence`, `redeemed_sequence`) is made to the
/// remembered row once the transaction making it has committed. So a remembered row is never ahead
/// of SQLite, and it lags only between a commit and the moment the same `apply` updates the memory —
/// before the Ledger answers anyone or drops its own record of the decision (its overlay), which is
/// what decisions consult for what the projection does not show yet. A row not remembered (never
/// seen by this process, or dropped when the memory starts over at its bound) is read from SQLite.
/// Keys come only from journaled events, so clients cannot fill it with unknown ids.
///
/// It also keeps the active grants of a subject to a client as the authorization endpoint read them
/// for remembered consent (`activeGrantPermissions`). Those rows change, so this memory is filled by
/// the reads and emptied by the writes: a committed grant creation or update forgets its subject and
/// client, a revocation forgets them all, and a read is kept only if nothing was forgotten between
/// the moment it started and the moment it is stored (``BoundedMemo/generation``).
final class RecentRows: Sendable {
    /// About 8 seconds of flows at 1,000 flows/s; a request is used, and a code redeemed, within
    /// milliseconds of being written.
    static let entriesMax = 8_192

    let pushedRequests = BoundedMemo<PushedRequestRow>(entriesMax: RecentRows.entriesMax)
    let codes = BoundedMemo<CodeRow>(entriesMax: RecentRows.entriesMax)
    /// `activeGrantKey(subject:clientID:)` → the active grants, newest first.
    let activeGrants = BoundedMemo<[GrantPermissions]>(entriesMax: RecentRows.entriesMax)

    /// Unambiguous whatever the identifiers contain: the subject's length comes first.
    static func activeGrantKey(subject: String, clientID: String) -> String {
        "\(subject.utf8.count):" + subject + clientID
    }

    /// The subject and client of an ``activeGrantKey(subject:clientID:)``.
    static func splitActiveGrantKey(_ key: String) -> (subject: String, clientID: String)? {
        let bytes = Array(key.utf8)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")),
            let length = Int(String(decoding: bytes[..<colon], as: UTF8.self)), colon + 1 + length <= bytes.count
        else { return nil }
        return (
            String(decoding: bytes[(colon + 1)..<(colon + 1 + length)], as: UTF8.self),
            String(decoding: bytes[(colon + 1 + length)...], as: UTF8.self)
        )
    }

    /// One row change of a transaction, in the order the transaction made them.
    enum Change: Sendable {
        case pushed(PushedRequestRow)
        /// `UPDATE par_requests SET used_sequence = ? … AND used_sequence IS NULL`
        case used(requestID: String, sequence: Int64)
        case code(CodeRow)
        /// `UPDATE authorization_codes SET redeemed_sequence = ?`
        case redeemed(codeID: String, sequence: Int64)
        /// A grant of `subject` to `clientID` inserted or its scopes changed.
        case grantChanged(subject: String, clientID: String)
        /// A grant revoked (the event names the grant only).
        case grantRevoked
    }

    /// Makes a committed transaction's changes.
    func absorb(_ changes: [Change]) {
        for change in changes {
            switch change {
            case .pushed(let row): pushedRequests.remember(row.requestID, row)
            case .used(let requestID, let sequence):
                pushedRequests.update(requestID) { row in
                    if row.usedSequence == nil { row.usedSequence = sequence }
                }
            case .code(let row): codes.remember(row.codeID, row)
            case .redeemed(let codeID, let sequence):
                codes.update(codeID) { $0.redeemedSequence = sequence }
            case .grantChanged(let subject, let clientID):
                activeGrants.forget(Self.activeGrantKey(subject: subject, clientID: clientID))
            case .grantRevoked: activeGrants.forgetAll()
            }
        }
    }
}
