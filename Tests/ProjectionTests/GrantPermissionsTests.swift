import Events
import Foundation
import Journal
import Testing

@testable import Projection

/// The grant lookups of the hot path (decisions, remembered consent): the same facts as
/// `ProjectionStore.grant` / `grants`, without the "last used" lookups.
@Suite("Projection: grant permissions")
struct GrantPermissionsTests {
    func created(_ id: String, client: String, scopes: [String]) -> EventBody {
        .grantCreated(
            GrantCreated(grantID: id, clientID: client, subject: "s", scopes: scopes, authorizationDetails: nil))
    }

    @Test("one grant and a subject's active grants to a client (newest first) agree with the full rows")
    func agreeWithFullRows() throws {
        let path = NSTemporaryDirectory() + "strongroom-grant-permissions-\(UUID().uuidString.prefix(8)).sqlite"
        defer { try? ProjectionStore.remove(path: path) }
        let store = try ProjectionStore.open(path: path)
        let revoke: EventBody = .grantRevoked(GrantRevoked(grantID: "g2", revokedBy: "end_user", reason: "test"))
        try store.apply(
            [
                projectionEvent(
                    1, created("g1", client: "c", scopes: ["openid"]), stream: .grant("g1"), actor: .system),
                projectionEvent(
                    2, created("g2", client: "c", scopes: ["openid", "accounts"]), stream: .grant("g2"), actor: .system),
                projectionEvent(
                    3, created("g3", client: "c", scopes: ["openid", "payments"]), stream: .grant("g3"), actor: .system),
                projectionEvent(
                    4, created("g4", client: "other", scopes: ["openid"]), stream: .grant("g4"), actor: .system),
                projectionEvent(5, revoke, stream: .grant("g2"), actor: .system),
            ], chainHead: ChainLink(bytes: [UInt8](repeating: 2, count: 32)))

        for id in ["g1", "g2", "g3", "g4"] {
            let full = try #require(try store.grant(id))
            #expect(
                try store.grantPermissions(id)
                    == GrantPermissions(
                        grantID: id, clientID: full.clientID, subject: full.subject, scopes: full.scopes,
                        active: full.active))
        }
        #expect(try store.grantPermissions("g2")?.active == false)
        #expect(try store.grantPermissions("nope") == nil)

        let active = try store.activeGrantPermissions(subject: "s", clientID: "c")
        let expected = try store.grants(subject: "s", clientID: "c").filter(\.active).map {
            GrantPermissions(
                grantID: $0.grantID, clientID: $0.clientID, subject: $0.subject, scopes: $0.scopes, active: true)
        }
        #expect(active.map(\.grantID) == ["g3", "g1"])
        #expect(active == expected)
    }
}
