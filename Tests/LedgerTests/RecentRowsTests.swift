import Events
import Foundation
import Ledger
import OAuth
import Projection
import Testing

/// The projection remembers the pushed requests and codes its transactions wrote (`RecentRows`), and
/// the reads of a flow come from there: what they return must be exactly what SQLite holds.
extension LedgerProtocolTests {
    /// Every remembered row equals its SQLite row; at least `atLeast` rows were compared.
    func assertRecentRowsMatchProjection(_ ledger: Ledger, atLeast: Int, _ step: String) throws {
        let check = try ledger.projection.recentRowsDisagreeing()
        #expect(check.compared >= atLeast, "\(step): only \(check.compared) remembered rows")
        #expect(check.differing.isEmpty, "\(step): \(check.differing)")
    }

    @Test(
        "PAR-08, SP-28, GM-03: remembered pushed requests, codes and consented grants follow use, redemption, merge, reuse and revocation exactly as SQLite does; a fresh store reads the same rows"
    )
    func recentRowsFollowTheProjection() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var (ledger, lock) = try open()
        let now = SystemClock().nowMicros()
        let (requestID, _) = try await prepare(ledger, now: now)
        #expect(try ledger.projection.pushedRequest(requestID)?.usedSequence == nil)
        try assertRecentRowsMatchProjection(ledger, atLeast: 1, "pushed")

        _ = try await ledger.execute(approve(requestID, code: "code-1", now: now))
        let used = try #require(try ledger.projection.pushedRequest(requestID))
        #expect(used.usedSequence != nil, "the completed request still reads as unused")
        let issued = try #require(try ledger.projection.code("code-1"))
        #expect(issued.redeemedSequence == nil && issued.amr == ["pwd"] && issued.subject == "sub-1")
        try assertRecentRowsMatchProjection(ledger, atLeast: 2, "used, code issued")
        // Remembered consent: read once from SQLite, then from memory.
        func consented() throws -> [[String]] {
            try ledger.projection.activeGrantPermissions(subject: "sub-1", clientID: Self.clientID).map(\.scopes)
        }
        #expect(try consented() == [["openid"]])
        #expect(try consented() == [["openid"]])
        try assertRecentRowsMatchProjection(ledger, atLeast: 3, "consent read")

        _ = try await ledger.execute(redeem("code-1", token: "1")).get()
        #expect(try ledger.projection.code("code-1")?.redeemedSequence != nil, "the redeemed code reads as unused")
        try assertRecentRowsMatchProjection(ledger, atLeast: 2, "redeemed")

        // Every column set, each to a different value (a member written to the wrong field shows).
        try await ledger.execute(
            PushAuthorizationRequest(
                ParPushed(
                    clientID: Self.clientID, requestID: "req-3", requestURIHash: "h3",
                    expiresAtMicros: now + 50_000_000,
                    scope: "openid accounts", redirectURI: "https://tpp/cb", codeChallenge: Self.challenge,
                    codeChallengeMethod: "S256", state: "st-3", nonce: "n-3", dpopJKT: "jkt-3", requestObject: nil,
                    acrValues: "urn:a urn:b", essentialACR: "urn:b", claims: nil, prompt: "consent", maxAgeSeconds: 300,
                    authorizationDetails: #"[{"type":"t"}]"#, responseType: "code", grantManagementAction: "merge",
                    grantID: "grant-code-1"),
                correlation: .none))
        _ = try await ledger.execute(update("req-3", grantID: "grant-code-1", code: "code-3", now: now))
        let full = try #require(try ledger.projection.pushedRequest("req-3"))
        #expect(full.usedSequence != nil && full.prompt == "consent" && full.maxAgeSeconds == 300)
        #expect(try ledger.projection.code("code-3")?.grantManagementAction == "merge")
        // The merge changed the grant: the remembered consent was forgotten and is read again.
        #expect(try consented() == [["openid", "accounts"]])
        try assertRecentRowsMatchProjection(ledger, atLeast: 5, "every column, merged grant")

        // Reuse: refused from the remembered row (redeemed), and the grant revoked.
        guard case .failure(let reuse) = try await ledger.execute(redeem("code-1", token: "1b")) else {
            Issue.record("a second redemption was accepted")
            return
        }
        #expect(reuse.code == .invalidGrant)
        #expect(try consented() == [], "the grant revoked by the code's reuse is still remembered as consent")
        // A second request, denied: used without a code.
        try await push(ledger, "req-2", scope: "openid", action: nil, grantID: nil, now: now)
        let denied = CompleteAuthorization(
            requestID: "req-2", clientID: Self.clientID, sessionID: "sess-1", subject: "sub-1",
            outcome: .denied(
                ConsentDenied(
                    requestID: "req-2", subject: "sub-1", clientID: Self.clientID, clientName: "TPP",
                    scopesShown: ["openid"])),
            code: nil, correlation: .none)
        _ = try await ledger.execute(denied)
        #expect(try ledger.projection.pushedRequest("req-2")?.usedSequence != nil)
        try assertRecentRowsMatchProjection(ledger, atLeast: 6, "reused, denied")
        let remembered = try [
            ledger.projection.pushedRequest(requestID), ledger.projection.pushedRequest("req-2"),
        ]
        let rememberedCode = try ledger.projection.code("code-1")

        // A fresh store remembers nothing and reads the same rows from SQLite.
        (ledger, lock) = try reopen(ledger, lock)
        defer {
            ledger.close()
            lock.release()
        }
        #expect(try ledger.projection.recentRowsDisagreeing().compared == 0)
        #expect(
            try [ledger.projection.pushedRequest(requestID), ledger.projection.pushedRequest("req-2")] == remembered)
        #expect(try ledger.projection.code("code-1") == rememberedCode)
        try assertReplayEquivalent(dir, live: ledger.projection)
    }
}

@Suite("Projection: bounded memory")
struct BoundedMemoTests {
    @Test("a value read before something was forgotten is not kept; one read after is")
    func generationGuard() {
        let memo = BoundedMemo<Int>(entriesMax: 10)
        let before = memo.generation
        memo.forget("other")  // a commit changed some source meanwhile
        memo.remember("k", 1, ifNothingForgottenSince: before)
        #expect(memo.value("k") == nil)
        let now = memo.generation
        memo.remember("k", 2, ifNothingForgottenSince: now)
        #expect(memo.value("k") == 2)
        memo.forgetAll()
        #expect(memo.value("k") == nil && memo.count == 0)
        memo.remember("k", 3, ifNothingForgottenSince: now)
        #expect(memo.value("k") == nil)
    }

    @Test("at its bound it starts over; update changes only what it holds")
    func boundAndUpdate() {
        let memo = BoundedMemo<Int>(entriesMax: 2)
        memo.update("a") { $0 += 1 }
        #expect(memo.count == 0)
        for (i, key) in ["a", "b", "c"].enumerated() { memo.remember(key, i) }
        #expect(memo.count == 1 && memo.value("c") == 2)
        memo.update("c") { $0 += 10 }
        #expect(memo.value("c") == 12)
    }
}
