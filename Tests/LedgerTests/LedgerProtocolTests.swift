import Crypto
import Events
import Foundation
import Journal
import Ledger
import Logging
import OAuth
import Projection
import Testing

/// The protocol commands' stateful rules, at the Ledger (no HTTP): single-use `request_uri` and
/// codes, code reuse revoking the grant, `jti` replay, refresh binding — including decisions taken in
/// the same or the next batch, before the projection has applied the previous one (the overlay).
@Suite("Ledger: protocol commands")
struct LedgerProtocolTests {
    let dir = NSTemporaryDirectory() + "strongroom-ledger-protocol-\(UUID().uuidString.prefix(8))"
    static let clientID = "tpp-1"
    static let verifier = String(repeating: "v", count: 43)
    static var challenge: String {
        Base64URLForTests.encode(Array(SHA256.hash(data: Array(verifier.utf8))))
    }

    func open() throws -> (Ledger, DataDirectoryLock) {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let lock = try DataDirectoryLock.acquire(dataDirectory: dir)
        var config = Ledger.Configuration(dataDirectory: dir)
        config.journal.durability = .none  // this test says so: it checks decisions, not durability
        let ledger = try Ledger.open(
            configuration: config, signer: P256CheckpointSigner(privateKey: .init()), logger: logger)
        return (ledger, lock)
    }

    /// Closes `ledger`, releases its lock and opens the data directory again (a restart).
    func reopen(_ ledger: Ledger, _ lock: DataDirectoryLock) throws -> (Ledger, DataDirectoryLock) {
        ledger.close()
        lock.release()
        return try open()
    }

    /// Client, user, a pushed request, a session: ready for `CompleteAuthorization`.
    func prepare(_ ledger: Ledger, now: Int64) async throws -> (requestID: String, sessionID: String) {
        try await ledger.execute(
            RegisterClient(clientID: Self.clientID, metadata: "{}", via: "cli", actor: .operator("ops")))
        try await ledger.execute(
            AddUser(
                UserAdded(
                    subject: "sub-1", username: "alice", passwordHash: "$scrypt$x", sealedTOTPSeed: nil, claims: "{}"),
                actor: .operator("ops")))
        try await ledger.execute(
            PushAuthorizationRequest(
                ParPushed(
                    clientID: Self.clientID, requestID: "req-1", requestURIHash: "h", expiresAtMicros: now + 60_000_000,
                    scope: "openid", redirectURI: "https://tpp/cb", codeChallenge: Self.challenge,
                    codeChallengeMethod: "S256", state: "s", nonce: "n", dpopJKT: nil, requestObject: nil,
                    evidence: ClientEvidence(
                        authMethod: "private_key_jwt", assertionJTI: "jti-1",
                        assertionExpiresAtMicros: now + 60_000_000)),
                correlation: .none))
        try await ledger.execute(
            RecordAuthentication(
                UserAuthenticated(
                    subject: "sub-1", sessionID: "sess-1", sessionHash: "sh",
                    sessionExpiresAtMicros: now + 3_600_000_000,
                    acr: "urn:strongroom:acr:pwd", amr: ["pwd"], authTimeMicros: now, requestID: "req-1", totpStep: 7),
                correlation: .none))
        return ("req-1", "sess-1")
    }

    func approve(_ requestID: String, code: String, now: Int64) -> CompleteAuthorization {
        CompleteAuthorization(
            requestID: requestID, clientID: Self.clientID, sessionID: "sess-1", subject: "sub-1",
            outcome: .approvedNewGrant(
                ConsentGiven(
                    requestID: requestID, subject: "sub-1", clientID: Self.clientID, clientName: "TPP",
                    scopesShown: ["openid"], scopesApproved: ["openid"], authorizationDetails: nil,
                    grantID: "grant-\(code)"),
                GrantCreated(
                    grantID: "grant-\(code)", clientID: Self.clientID, subject: "sub-1", scopes: ["openid"],
                    authorizationDetails: nil)),
            code: (code, "code-hash", now + 60_000_000), correlation: .none)
    }

    func redeem(
        _ code: String, verifier: String? = Self.verifier, client: String = Self.clientID, token: String
    )
        -> RedeemAuthorizationCode
    {
        RedeemAuthorizationCode(
            codeID: code, codeHash: "code-hash", clientID: client, redirectURI: "https://tpp/cb",
            codeVerifier: verifier,
            proofJKT: nil,
            tokens: MintedTokens(
                accessTokenID: "at-\(token)", accessTokenHash: "ath", accessTokenExpiresAtMicros: Int64.max / 2,
                refreshTokenID: "rt-\(token)", refreshTokenHash: "rth", tokenType: "Bearer",
                confirmation: Confirmation(x5tS256: "x5t")),
            idTokenIssued: true, evidence: ClientEvidence(authMethod: "tls_client_auth"), correlation: .none)
    }

    @Test(
        "SP-33/PAR-08: a request_uri completes one authorization; the second completion is refused even before the first is projected"
    )
    func requestURISingleUse() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (ledger, lock) = try open()
        defer {
            ledger.close()
            lock.release()
        }
        let now = SystemClock().nowMicros()
        let (requestID, _) = try await prepare(ledger, now: now)
        let commands = [approve(requestID, code: "code-1", now: now), approve(requestID, code: "code-2", now: now)]
        let outcomes = await withTaskGroup(of: OAuthError?.self) { group in
            for command in commands {
                group.addTask {
                    do {
                        _ = try await ledger.execute(command)
                        return nil
                    } catch let error as OAuthError {
                        return error
                    } catch {
                        return OAuthError(.serverError, "\(error)")
                    }
                }
            }
            var all: [OAuthError?] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        #expect(outcomes.filter { $0 == nil }.count == 1, "exactly one completion succeeds: \(outcomes)")
        #expect(outcomes.compactMap { $0?.code } == [OAuthError.Code.invalidRequestURI])
    }

    @Test("PKCE-02, SP-28: wrong verifier is invalid_grant; a second redemption is invalid_grant and revokes the grant")
    func codeRules() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (ledger, lock) = try open()
        defer {
            ledger.close()
            lock.release()
        }
        let now = SystemClock().nowMicros()
        let (requestID, _) = try await prepare(ledger, now: now)
        _ = try await ledger.execute(approve(requestID, code: "code-1", now: now))
        try await ledger.execute(RegisterClient(clientID: "tpp-2", metadata: "{}", via: "cli", actor: .operator("ops")))

        await #expect(
            throws: OAuthError(.invalidGrant, "code_verifier does not match the code_challenge sent with the request")
        ) {
            _ = try await ledger.execute(redeem("code-1", verifier: String(repeating: "w", count: 43), token: "x"))
        }
        await #expect(throws: OAuthError(.invalidGrant, "the authorization code was issued to another client")) {
            _ = try await ledger.execute(redeem("code-1", client: "tpp-2", token: "y"))
        }
        let granted = try await ledger.execute(redeem("code-1", token: "1")).get()
        #expect(granted.subject == "sub-1" && granted.nonce == "n" && granted.acr == "urn:strongroom:acr:pwd")
        let reuse = try await ledger.execute(redeem("code-1", token: "2"))
        guard case .failure(let error) = reuse else {
            Issue.record("a second redemption was accepted")
            return
        }
        #expect(error.code == .invalidGrant)
        let grant = try #require(try ledger.projection.grant("grant-code-1"))
        #expect(!grant.active, "the grant survived the code reuse")
        #expect(try ledger.projection.token("rt-1")?.active == false, "the refresh token survived the code reuse")
        await #expect(throws: OAuthError.self) {
            _ = try await ledger.execute(
                RefreshAccessToken(
                    refreshTokenID: "rt-1", refreshTokenHash: "rth", clientID: Self.clientID, proofJKT: nil,
                    certificateThumbprint: "x5t",
                    tokens: MintedTokens(
                        accessTokenID: "at-3", accessTokenHash: "h", accessTokenExpiresAtMicros: now + 1,
                        refreshTokenID: nil, refreshTokenHash: nil, tokenType: "Bearer",
                        confirmation: Confirmation(x5tS256: "x5t")),
                    evidence: ClientEvidence(authMethod: "tls_client_auth"), correlation: .none))
        }
        try assertReplayEquivalent(dir, live: ledger.projection)
    }

    @Test("CA-05: a client assertion jti is refused the second time; the TOTP step too")
    func replays() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (ledger, lock) = try open()
        defer {
            ledger.close()
            lock.release()
        }
        let now = SystemClock().nowMicros()
        _ = try await prepare(ledger, now: now)
        await #expect(throws: OAuthError.self) {
            try await ledger.execute(
                PushAuthorizationRequest(
                    ParPushed(
                        clientID: Self.clientID, requestID: "req-2", requestURIHash: "h",
                        expiresAtMicros: now + 60_000_000, scope: "openid", redirectURI: "https://tpp/cb",
                        codeChallenge: Self.challenge, codeChallengeMethod: "S256", state: nil, nonce: nil,
                        dpopJKT: nil, requestObject: nil,
                        evidence: ClientEvidence(
                            authMethod: "private_key_jwt", assertionJTI: "jti-1",
                            assertionExpiresAtMicros: now + 60_000_000)),
                    correlation: .none))
        }
        #expect(try ledger.projection.pushedRequest("req-2") == nil, "a refused push left a row")
        await #expect(throws: OAuthError.self) {
            try await ledger.execute(
                RecordAuthentication(
                    UserAuthenticated(
                        subject: "sub-1", sessionID: "sess-2", sessionHash: "sh", sessionExpiresAtMicros: now + 1,
                        acr: "urn:strongroom:acr:sca", amr: ["pwd", "otp"], authTimeMicros: now, requestID: nil,
                        totpStep: 7),
                    correlation: .none))
        }
    }
}

/// base64url without padding (tests only).
enum Base64URLForTests {
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
