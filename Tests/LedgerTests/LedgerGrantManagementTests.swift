import Events
import Foundation
import GRDB
import Journal
import Ledger
import OAuth
import Projection
import Testing

/// Grant management decisions at the Ledger (GM-03, GM-04, GM-08): merge and replace change the grant
/// and void its earlier refresh tokens; a grant of another client or user, or one revoked meanwhile,
/// is `invalid_grant_id`; revocations check who may revoke.
extension LedgerProtocolTests {
    func push(
        _ ledger: Ledger, _ requestID: String, scope: String, action: String?, grantID: String?, now: Int64,
        client: String = Self.clientID
    ) async throws {
        try await ledger.execute(
            PushAuthorizationRequest(
                ParPushed(
                    clientID: client, requestID: requestID, requestURIHash: "h", expiresAtMicros: now + 60_000_000,
                    scope: scope, redirectURI: "https://tpp/cb", codeChallenge: Self.challenge,
                    codeChallengeMethod: "S256", state: nil, nonce: nil, dpopJKT: nil, requestObject: nil,
                    grantManagementAction: action, grantID: grantID),
                correlation: .none))
    }

    func update(
        _ requestID: String, grantID: String, code: String, now: Int64, subject: String = "sub-1",
        session: String = "sess-1"
    ) -> CompleteAuthorization {
        CompleteAuthorization(
            requestID: requestID, clientID: Self.clientID, sessionID: session, subject: subject,
            outcome: .approvedGrantUpdate(
                ConsentGiven(
                    requestID: requestID, subject: subject, clientID: Self.clientID, clientName: "TPP",
                    scopesShown: [], scopesApproved: [], authorizationDetails: nil, grantID: grantID)),
            code: (code, "code-hash", now + 60_000_000), correlation: .none)
    }

    func refresh(_ token: String, now: Int64) -> RefreshAccessToken {
        RefreshAccessToken(
            refreshTokenID: "rt-\(token)", refreshTokenHash: "rth", clientID: Self.clientID, proofJKT: nil,
            certificateThumbprint: "x5t",
            tokens: MintedTokens(
                accessTokenID: "at-r-\(token)-\(UUID().uuidString.prefix(6))", accessTokenHash: "h",
                accessTokenExpiresAtMicros: now + 1_000_000, refreshTokenID: nil, refreshTokenHash: nil,
                tokenType: "Bearer", confirmation: Confirmation(x5tS256: "x5t")),
            evidence: ClientEvidence(authMethod: "tls_client_auth"), correlation: .none)
    }

    func revoke(_ grantID: String, client: String? = nil, subject: String? = nil) -> RevokeGrant {
        RevokeGrant(
            grantID: grantID, requiredClientID: client, requiredSubject: subject, revokedBy: "grant_management",
            reason: "test", actor: .client(Self.clientID), correlation: .none)
    }

    @Test("GM-03: merge unions the scopes, replace sets them; each voids the grant's earlier refresh tokens")
    func mergeAndReplace() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (ledger, lock) = try open()
        defer {
            ledger.close()
            lock.release()
        }
        let now = SystemClock().nowMicros()
        let (requestID, _) = try await prepare(ledger, now: now)
        _ = try await ledger.execute(approve(requestID, code: "code-1", now: now))
        let grant = "grant-code-1"
        #expect(try await ledger.execute(redeem("code-1", token: "1")).get().grantManagementAction == nil)

        try await push(ledger, "req-2", scope: "accounts", action: "merge", grantID: grant, now: now)
        _ = try await ledger.execute(update("req-2", grantID: grant, code: "code-2", now: now))
        #expect(try ledger.projection.grant(grant)?.scopes == ["openid", "accounts"])
        let merged = try await ledger.execute(redeem("code-2", token: "2")).get()
        #expect(merged.scope == "openid accounts" && merged.grantManagementAction == "merge")
        await #expect(throws: OAuthError.self) { _ = try await ledger.execute(refresh("1", now: now)) }
        #expect(try ledger.projection.token("rt-1")?.active == false)
        _ = try await ledger.execute(refresh("2", now: now))

        try await push(ledger, "req-3", scope: "payments", action: "replace", grantID: grant, now: now)
        _ = try await ledger.execute(update("req-3", grantID: grant, code: "code-3", now: now))
        #expect(try ledger.projection.grant(grant)?.scopes == ["payments"])
        #expect(try ledger.projection.grant(grant)?.updatedBy == "end_user")
        await #expect(throws: OAuthError.self) { _ = try await ledger.execute(refresh("2", now: now)) }
        let replaced = try await ledger.execute(redeem("code-3", token: "3")).get()
        #expect(replaced.scope == "payments" && replaced.grantManagementAction == "replace")
        _ = try await ledger.execute(refresh("3", now: now))
        try assertReplayEquivalent(dir, live: ledger.projection)
    }

    @Test(
        "GM-04: unknown or another client's grant at PAR, another user's at approval, a grant revoked first: invalid_grant_id, nothing changed"
    )
    func invalidGrantID() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (ledger, lock) = try open()
        defer {
            ledger.close()
            lock.release()
        }
        let now = SystemClock().nowMicros()
        let (requestID, _) = try await prepare(ledger, now: now)
        _ = try await ledger.execute(approve(requestID, code: "code-1", now: now))
        let grant = "grant-code-1"
        try await ledger.execute(RegisterClient(clientID: "tpp-2", metadata: "{}", via: "cli", actor: .operator("ops")))
        for (id, client) in [("no-such-grant", Self.clientID), (grant, "tpp-2")] {
            await #expect(throws: OAuthError(.invalidGrantID, "grant_id does not name an active grant of this client"))
            {
                try await self.push(
                    ledger, "req-x", scope: "accounts", action: "merge", grantID: id, now: now, client: client)
            }
        }
        #expect(try ledger.projection.pushedRequest("req-x") == nil, "a refused push left a row")

        // Another user logs in for a merge of sub-1's grant.
        try await ledger.execute(
            AddUser(
                UserAdded(
                    subject: "sub-2", username: "bob", passwordHash: "$scrypt$x", sealedTOTPSeed: nil, claims: "{}"),
                actor: .operator("ops")))
        try await ledger.execute(
            RecordAuthentication(
                UserAuthenticated(
                    subject: "sub-2", sessionID: "sess-2", sessionHash: "sh",
                    sessionExpiresAtMicros: now + 3_600_000_000,
                    acr: "urn:strongroom:acr:pwd", amr: ["pwd"], authTimeMicros: now, requestID: nil, totpStep: nil),
                correlation: .none))
        try await push(ledger, "req-2", scope: "accounts", action: "merge", grantID: grant, now: now)
        await #expect(throws: OAuthError.self) {
            _ = try await ledger.execute(
                self.update("req-2", grantID: grant, code: "code-2", now: now, subject: "sub-2", session: "sess-2"))
        }
        // The same approval as a new grant does not carry out a merge.
        await #expect(throws: OAuthError.self) {
            _ = try await ledger.execute(self.approve("req-2", code: "code-2", now: now))
        }
        #expect(try ledger.projection.grant(grant)?.scopes == ["openid"], "a refused merge changed the grant")
        #expect(try ledger.projection.pushedRequest("req-2")?.usedSequence == nil, "a refused merge used the request")

        // Revoked first (by its user's hand, then the client's API): the merge is refused.
        await #expect(throws: OAuthError(.accessDenied, "the grant was not issued to this client", status: 403)) {
            try await ledger.execute(self.revoke(grant, client: "tpp-2"))
        }
        await #expect(throws: OAuthError(.invalidGrantID, "no active grant \(grant)", status: 404)) {
            try await ledger.execute(self.revoke(grant, subject: "sub-2"))
        }
        try await ledger.execute(revoke(grant, client: Self.clientID))
        await #expect(throws: OAuthError(.invalidGrantID, "no active grant \(grant)", status: 404)) {
            try await ledger.execute(self.revoke(grant))
        }
        await #expect(throws: OAuthError.self) {
            _ = try await ledger.execute(self.update("req-2", grantID: grant, code: "code-2", now: now))
        }
        #expect(try ledger.projection.grant(grant)?.scopes == ["openid"])
        try assertReplayEquivalent(dir, live: ledger.projection)
    }

    @Test("a revocation racing a merge: whichever the Ledger takes first, no grant.updated follows grant.revoked")
    func revokeRacesMerge() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (ledger, lock) = try open()
        defer {
            ledger.close()
            lock.release()
        }
        let now = SystemClock().nowMicros()
        let (requestID, _) = try await prepare(ledger, now: now)
        _ = try await ledger.execute(approve(requestID, code: "code-1", now: now))
        let grant = "grant-code-1"
        try await push(ledger, "req-2", scope: "accounts", action: "merge", grantID: grant, now: now)
        let merge = update("req-2", grantID: grant, code: "code-2", now: now)
        let revocation = revoke(grant, client: Self.clientID)
        async let merged: Bool = { (try? await ledger.execute(merge)) != nil }()
        async let revoked: Bool = { (try? await ledger.execute(revocation)) != nil }()
        let (mergeSucceeded, revokeSucceeded) = await (merged, revoked)
        #expect(revokeSucceeded, "the revocation must win or follow the merge")
        let history = try await ledger.projection.pool.read { db in
            try String.fetchAll(
                db, sql: "SELECT type FROM event_streams WHERE stream = ? ORDER BY sequence",
                arguments: [StreamID.grant(grant).rawValue])
        }
        #expect(history.last == "grant.revoked", "\(history)")
        #expect(history.contains("grant.updated") == mergeSucceeded, "\(history)")
        #expect(try ledger.projection.grant(grant)?.active == false)
        try assertReplayEquivalent(dir, live: ledger.projection)
    }
}

extension LedgerProtocolTests {
    @Test("schema v3 migrates an existing v2 projection into what a replay of the journal gives")
    func migrationToV3() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let now = SystemClock().nowMicros()
        do {
            let (ledger, lock) = try open()
            defer {
                ledger.close()
                lock.release()
            }
            let (requestID, _) = try await prepare(ledger, now: now)
            _ = try await ledger.execute(approve(requestID, code: "code-1", now: now))
            _ = try await ledger.execute(redeem("code-1", token: "1")).get()
            try await ledger.execute(
                IssueClientCredentialsToken(
                    clientID: Self.clientID, grantID: "grant-cc", scopes: ["accounts"],
                    tokens: MintedTokens(
                        accessTokenID: "at-cc", accessTokenHash: "h", accessTokenExpiresAtMicros: now + 1,
                        refreshTokenID: nil, refreshTokenHash: nil, tokenType: "Bearer",
                        confirmation: Confirmation(x5tS256: "x5t")),
                    evidence: ClientEvidence(authMethod: "tls_client_auth"), correlation: .none))
        }
        // Turn the projection back into a v2 one: what a server of the previous release left behind.
        let path = dir + "/projection.sqlite"
        // The closed Ledger's last projection connections are released when its threads let go of
        // it, a moment after `close()`; closing the last one checkpoints the WAL, so wait for that.
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try await queue.write { db in
            try db.execute(
                sql: """
                    ALTER TABLE par_requests DROP COLUMN grant_management_action;
                    ALTER TABLE par_requests DROP COLUMN grant_id;
                    ALTER TABLE authorization_codes DROP COLUMN grant_management_action;
                    ALTER TABLE grants DROP COLUMN updated_micros;
                    ALTER TABLE grants DROP COLUMN updated_by;
                    DELETE FROM grdb_migrations WHERE identifier = 'v3';
                    """)
        }
        try queue.close()
        let migrated = try ProjectionStore.open(path: path)
        #expect(try migrated.grant("grant-code-1")?.updatedBy == "end_user")
        #expect(try migrated.grant("grant-cc")?.updatedBy == "client")
        try assertReplayEquivalent(dir, live: migrated)
        try migrated.checkpointAndClose()
    }
}
