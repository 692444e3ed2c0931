import Events
import Foundation
import OAuth
import Projection
import Testing

@testable import Ledger

/// `GrantMemory`: decisions remember grants instead of re-reading them, and must decide exactly as
/// if they had read the projection (plus the overlay) every time.
@Suite("Ledger: grant memory")
struct GrantMemoryTests {
    let grant = GrantCreated(
        grantID: "g-1", clientID: "tpp-1", subject: "sub-1", scopes: ["openid"], authorizationDetails: nil)

    func update(_ scopes: [String]) -> GrantUpdated {
        GrantUpdated(
            grantID: "g-1", clientID: "tpp-1", subject: "sub-1", action: "replace", scopesBefore: ["openid"],
            scopesAfter: scopes, requestID: "req-u")
    }

    @Test("created, updated and revoked grants evolve as the projection does; an update never revives a grant")
    func evolution() {
        let memory = GrantMemory()
        memory.evolve(.grantCreated(grant))
        #expect(
            memory.entry("g-1")
                == .active(CurrentGrant(grantID: "g-1", clientID: "tpp-1", subject: "sub-1", scopes: ["openid"])))
        memory.evolve(.grantUpdated(update(["openid", "accounts"])))
        #expect(
            memory.entry("g-1")
                == .active(
                    CurrentGrant(
                        grantID: "g-1", clientID: "tpp-1", subject: "sub-1", scopes: ["openid", "accounts"])))
        memory.evolve(.grantRevoked(GrantRevoked(grantID: "g-1", revokedBy: "test", reason: "test")))
        #expect(memory.entry("g-1") == .inactive)
        memory.evolve(.grantUpdated(update(["openid"])))
        #expect(memory.entry("g-1") == .inactive, "an update revived a revoked grant")
    }

    @Test("grants it has not seen stay unknown (read on demand); at its limit it starts over")
    func unknownAndBounded() {
        var limits = GrantMemory.Limits()
        limits.entriesMax = 2
        let memory = GrantMemory(limits: limits)
        memory.evolve(.grantRevoked(GrantRevoked(grantID: "g-x", revokedBy: "test", reason: "test")))
        memory.evolve(.grantUpdated(update(["openid"])))
        #expect(memory.entry("g-x") == nil && memory.entry("g-1") == nil && memory.count == 0)
        for id in ["a", "b", "c"] {
            memory.evolve(
                .grantCreated(
                    GrantCreated(grantID: id, clientID: "c", subject: "s", scopes: [], authorizationDetails: nil)))
        }
        #expect(memory.count == 1 && memory.entry("c") != nil)
    }
}

extension LedgerProtocolTests {
    /// Every grant the Ledger remembers equals the projection's row, once the projection has applied
    /// every decided event (the Ledger answers only then).
    func assertGrantMemoryMatchesProjection(_ ledger: Ledger) throws {
        let remembered = ledger.grantMemory.snapshot()
        #expect(!remembered.isEmpty, "the scenario never exercised the grant memory")
        for (id, entry) in remembered {
            let row = try #require(
                try ledger.projection.grantPermissions(id), "remembered grant \(id) is not projected")
            let projected: GrantMemory.Entry =
                row.active
                ? .active(CurrentGrant(grantID: id, clientID: row.clientID, subject: row.subject, scopes: row.scopes))
                : .inactive
            #expect(entry == projected, "grant \(id): remembered \(entry), projected \(projected)")
        }
    }

    @Test("GM-03, SP-28: remembered grants follow merges, revocations and code reuse; a fresh Ledger decides the same")
    func grantMemoryFollowsChanges() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var (ledger, lock) = try open()
        let now = SystemClock().nowMicros()
        let (requestID, _) = try await prepare(ledger, now: now)
        _ = try await ledger.execute(approve(requestID, code: "code-1", now: now))
        _ = try await ledger.execute(redeem("code-1", token: "1")).get()
        // A merge read through the memory, then the refresh of the merged grant.
        try await push(ledger, "req-2", scope: "accounts", action: "merge", grantID: "grant-code-1", now: now)
        _ = try await ledger.execute(update("req-2", grantID: "grant-code-1", code: "code-2", now: now))
        let merged = try await ledger.execute(redeem("code-2", token: "2")).get()
        #expect(merged.scope == "openid accounts")
        _ = try await ledger.execute(refresh("2", now: now))
        try assertGrantMemoryMatchesProjection(ledger)

        // A second grant, remembered while active, then ended by a code presented twice.
        try await push(ledger, "req-3", scope: "openid", action: nil, grantID: nil, now: now)
        _ = try await ledger.execute(approve("req-3", code: "code-3", now: now))
        _ = try await ledger.execute(redeem("code-3", token: "3")).get()
        guard case .failure = try await ledger.execute(redeem("code-3", token: "3b")) else {
            Issue.record("a second redemption was accepted")
            return
        }
        await #expect(throws: OAuthError.self) { _ = try await ledger.execute(refresh("3", now: now)) }
        // The first grant, revoked by its client after the memory knew it active.
        try await ledger.execute(revoke("grant-code-1", client: Self.clientID))
        await #expect(throws: OAuthError.self) { _ = try await ledger.execute(refresh("2", now: now)) }
        #expect(ledger.grantMemory.entry("grant-code-1") == .inactive)
        #expect(ledger.grantMemory.entry("grant-code-3") == .inactive)
        try assertGrantMemoryMatchesProjection(ledger)

        // Reopened, the memory is empty and the same decisions come from the projection.
        (ledger, lock) = try reopen(ledger, lock)
        defer {
            ledger.close()
            lock.release()
        }
        #expect(ledger.grantMemory.count == 0)
        await #expect(throws: OAuthError.self) { _ = try await ledger.execute(refresh("2", now: now)) }
        await #expect(throws: OAuthError(.invalidGrantID, "no active grant grant-code-3", status: 404)) {
            try await ledger.execute(self.revoke("grant-code-3"))
        }
        await #expect(throws: OAuthError(.invalidGrantID, "grant_id does not name an active grant of this client")) {
            try await self.push(ledger, "req-4", scope: "accounts", action: "merge", grantID: "grant-code-1", now: now)
        }
        #expect(ledger.grantMemory.entry("grant-code-1") == .inactive)
        try assertGrantMemoryMatchesProjection(ledger)
        try assertReplayEquivalent(dir, live: ledger.projection)
    }
}
