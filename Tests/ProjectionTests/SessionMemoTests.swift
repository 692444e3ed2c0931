import Events
import Foundation
import Journal
import Testing

@testable import Projection

/// SSO sessions are remembered after their first read, which is right only because a session row
/// never changes once written.
@Suite("Projection: remembered SSO sessions")
struct SessionMemoTests {
    @Test("the applier writes session rows once and never updates or deletes them")
    func sessionRowsAreWrittenOnce() {
        let touching = Applier.Statement.allCases.filter { $0.sql.lowercased().contains("sessions") }
        #expect(touching == [.insertSession], "a statement other than the insert touches sessions: \(touching)")
        #expect(Applier.Statement.insertSession.sql.hasPrefix("INSERT INTO sessions "))
    }

    @Test("a session read once is remembered as projected; an unknown one is not remembered")
    func remembered() throws {
        let path = NSTemporaryDirectory() + "strongroom-sessions-\(UUID().uuidString.prefix(8)).sqlite"
        defer { try? ProjectionStore.remove(path: path) }
        let store = try ProjectionStore.open(path: path)
        #expect(try store.session("sess-1") == nil)
        #expect(store.sessionMemo.count == 0, "an unknown session id was remembered")
        let authenticated: EventBody = .userAuthenticated(
            UserAuthenticated(
                subject: "sub-1", sessionID: "sess-1", sessionHash: "sh", sessionExpiresAtMicros: 9_000_000,
                acr: "urn:strongroom:acr:sca", amr: ["pwd", "otp"], authTimeMicros: 1_000, requestID: nil,
                totpStep: nil))
        try store.apply(
            [projectionEvent(1, authenticated, stream: .user("sub-1"), actor: .subject("sub-1"))],
            chainHead: ChainLink(bytes: [UInt8](repeating: 1, count: 32)))
        let first = try #require(try store.session("sess-1"))
        #expect(
            first
                == SessionRow(
                    sessionID: "sess-1", sessionHash: "sh", subject: "sub-1", acr: "urn:strongroom:acr:sca",
                    amr: ["pwd", "otp"], authTimeMicros: 1_000, expiresMicros: 9_000_000))
        #expect(store.sessionMemo.count == 1)
        #expect(try store.session("sess-1") == first)
    }
}
