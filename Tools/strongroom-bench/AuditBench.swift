import ArgumentParser
import Audit
import Crypto
import Events
import Foundation
import JOSE
import Journal
import Ledger
import Logging

/// `strongroom-bench audit`: writes a journal of N realistic protocol events — many interleaved
/// interactions (PAR with a signed client assertion and a DPoP proof, login, consent, grant, code,
/// token with evidence, some refreshes and revocations), checkpointed like the Ledger does (every
/// 60 s of simulated time at `--rate` events per second, and at least every 16,384 records) — then builds the audit index and times `audit interaction` for
/// the first, middle and last interaction and random ones.
struct AuditBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Write N protocol events, then time the audit index build and audit interaction.")

    @Option(help: "Data directory (created; an existing journal there is reused, not rewritten).") var dataDir: String
    @Option(help: "Events to write.") var events: Int = 5_000_000
    @Option(
        help:
            "Simulated event rate (events per second of journal time; 4,000 ≈ a server at ~900 flows/s); checkpoints every 60 s of it and every 16,384 records."
    )
    var rate: Int = 4_000
    @Option(help: "Interactions in flight at once (interleaved in the journal).") var inFlight: Int = 64
    @Option(help: "Random interactions to audit, besides the first, middle and last.") var queries: Int = 20
    @Option(help: "Clients registered.") var clients: Int = 50

    func run() async throws {
        var logger = Logger(label: "strongroom-bench")
        logger.logLevel = .warning
        let indexPath = dataDir + "/audit/index.sqlite"
        let requestIDsPath = dataDir + "/audit-bench-interactions.txt"
        if !FileManager.default.fileExists(atPath: requestIDsPath) {
            try? FileManager.default.removeItem(atPath: indexPath)
            let started = Date()
            let written = try write(logger: logger, requestIDsPath: requestIDsPath)
            print(
                "audit.journal events=\(written.events) interactions=\(written.interactions) checkpoints=\(written.checkpoints) write_s=\(String(format: "%.1f", Date().timeIntervalSince(started)))"
            )
        }
        let ids = try String(contentsOfFile: requestIDsPath, encoding: .utf8).split(separator: "\n").map(String.init)
        guard !ids.isEmpty else { throw ValidationError("no interactions written") }
        try FileManager.default.createDirectory(atPath: dataDir + "/audit", withIntermediateDirectories: true)

        let buildStart = Date()
        let first = try Auditor(dataDirectory: dataDir, indexPath: indexPath)
        let buildSeconds = Date().timeIntervalSince(buildStart)
        print(
            "audit.index_build records=\(first.catchUp.recordsIndexed) seconds=\(String(format: "%.1f", buildSeconds)) rebuilt=\(first.catchUp.rebuilt)"
        )

        var generator = SystemRandomNumberGenerator()
        var picks = [("first", ids[0]), ("middle", ids[ids.count / 2]), ("last", ids[ids.count - 1])]
        for _ in 0..<queries { picks.append(("random", ids[Int.random(in: 0..<ids.count, using: &generator)])) }
        var millis: [Double] = []
        for (label, id) in picks {
            // What one `strongroom audit interaction ID` does: open the journal read-only, catch the
            // index up, locate, read, re-verify chain and artifacts, build the report.
            let start = DispatchTime.now().uptimeNanoseconds
            let report = try Auditor(dataDirectory: dataDir, indexPath: indexPath).report(
                AuditReport.Query(topic: .interaction, id: id))
            let json = try report.json()
            let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            millis.append(ms)
            let span =
                (report.events.last?.sequence ?? 0) - (report.events.first?.sequence ?? 0)
            print(
                "  \(label) \(id): \(report.events.count) events, verified=\(report.summary.verified) pending=\(report.summary.pending) failed=\(report.summary.failed) checkpoints=\(report.checkpoints.count) span_events=\(span) json_bytes=\(json.utf8.count) ms=\(String(format: "%.1f", ms))"
            )
        }
        let sorted = millis.sorted()
        print(
            "audit.interaction p50_ms=\(String(format: "%.1f", sorted[sorted.count / 2])) max_ms=\(String(format: "%.1f", sorted.last ?? 0)) queries=\(sorted.count)"
        )
    }

    struct Written {
        var events = 0
        var interactions = 0
        var checkpoints = 0
    }

    /// One interaction's events, produced step by step so that interactions interleave.
    struct InteractionScript {
        let n: Int
        let client: Int
        var step = 0
    }

    func write(logger: Logger, requestIDsPath: String) throws -> Written {
        let lock = try DataDirectoryLock.acquire(dataDirectory: dataDir)
        defer { lock.release() }
        var clock: Int64 = 1_760_000_000_000_000
        let stepMicros = Int64(1_000_000 / max(rate, 1))
        let journal = try JournalWriter.open(
            dataDirectory: dataDir, options: JournalOptions(durability: .none),
            signer: P256CheckpointSigner(privateKey: P256.Signing.PrivateKey()), logger: logger, nowMicros: clock)
        var written = Written()
        var pending: [NewRecord] = []
        var lastCheckpoint = clock
        func emit(_ event: NewEvent) throws {
            clock += stepMicros
            pending.append(NewRecord(kind: .event, timeMicros: clock, body: try EventCodec.encode(event)))
            written.events += 1
            if pending.count >= 48 {
                _ = try journal.append(pending)
                pending.removeAll(keepingCapacity: true)
                // The Ledger's rule: every 60 s, and at least every 16,384 records.
                if clock - lastCheckpoint >= 60_000_000
                    || journal.lastSequence - journal.lastCheckpointSequence >= Ledger.checkpointRecordsDefault
                {
                    _ = try journal.appendCheckpoint(nowMicros: clock)
                    lastCheckpoint = clock
                    written.checkpoints += 1
                }
            }
        }

        var assertionSigners: [ES256JWSSigner] = []
        for c in 0..<clients {
            let key = P256.Signing.PrivateKey()
            let jwk = ECPrivateJWK(key, kid: "k\(c)")
            let metadata =
                #"{"client_name":"Bench TPP \#(c)","token_endpoint_auth_method":"private_key_jwt","redirect_uris":["https://tpp\#(c).example/cb"],"jwks":{"keys":[{"kty":"EC","crv":"P-256","kid":"k\#(c)","x":"\#(jwk.x)","y":"\#(jwk.y)"}]}}"#
            try emit(
                NewEvent(
                    stream: .client("tpp-\(c)"), actor: .operator("bench"),
                    body: .clientRegistered(ClientRegistered(clientID: "tpp-\(c)", metadata: metadata, via: "cli"))))
            assertionSigners.append(.clientAssertion(key: key, kid: "k\(c)"))
        }
        let dpopKey = P256.Signing.PrivateKey()
        let dpop = ES256JWSSigner.dpop(key: dpopKey)
        let jwk = ECPrivateJWK(dpopKey, kid: nil)
        let jkt =
            (try? ClientJWK(
                jwk: JSONValue.parseObject(Array(#"{"kty":"EC","crv":"P-256","x":"\#(jwk.x)","y":"\#(jwk.y)"}"#.utf8))
            ).thumbprint) ?? ""

        guard FileManager.default.createFile(atPath: requestIDsPath, contents: nil),
            let ids = FileHandle(forWritingAtPath: requestIDsPath)
        else { throw ValidationError("cannot write \(requestIDsPath)") }
        var active: [InteractionScript] = []
        var next = 0
        var generator = SystemRandomNumberGenerator()
        while written.events < events {
            while active.count < inFlight {
                active.append(InteractionScript(n: next, client: next % clients))
                next += 1
            }
            let slot = Int.random(in: 0..<active.count, using: &generator)
            let s = active[slot]
            let clientID = "tpp-\(s.client)"
            let requestID = "req-\(s.n)"
            let grantID = "grant-\(s.n)"
            let subject = "sub-\(s.n % 100_000)"
            let correlation = Correlation(interactionID: "fapi-\(s.n)", requestID: "http-\(s.n)-\(s.step)")
            let interaction = StreamID.interaction(requestID)
            func evidence(_ tag: String) throws -> ClientEvidence {
                let exp = clock / 1_000_000 + 60
                return ClientEvidence(
                    authMethod: "private_key_jwt",
                    clientAssertion: try assertionSigners[s.client].sign(
                        claimsJSON:
                            #"{"iss":"\#(clientID)","sub":"\#(clientID)","aud":"https://op.example","jti":"a-\#(s.n)-\#(tag)","exp":\#(exp)}"#
                    ), assertionJTI: "a-\(s.n)-\(tag)", assertionExpiresAtMicros: exp * 1_000_000,
                    dpopProof: try dpop.sign(
                        claimsJSON:
                            #"{"jti":"d-\#(s.n)-\#(tag)","htm":"POST","htu":"https://op.example/token","iat":\#(clock / 1_000_000)}"#
                    ), dpopJTI: "d-\(s.n)-\(tag)", dpopJKT: jkt)
            }
            var done = false
            switch s.step {
            case 0:
                try emit(
                    NewEvent(
                        stream: interaction, actor: .client(clientID), correlation: correlation,
                        body: .parPushed(
                            ParPushed(
                                clientID: clientID, requestID: requestID, requestURIHash: "h\(s.n)",
                                expiresAtMicros: clock + 60_000_000, scope: "openid accounts payments",
                                redirectURI: "https://tpp\(s.client).example/cb",
                                codeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                                codeChallengeMethod: "S256", state: "st\(s.n)", nonce: "no\(s.n)", dpopJKT: jkt,
                                requestObject: nil, evidence: try evidence("par"), responseType: "code"))))
                try ids.write(contentsOf: Data((requestID + "\n").utf8))
                written.interactions += 1
            case 1:
                try emit(
                    NewEvent(
                        stream: interaction, actor: .subject(subject), correlation: correlation,
                        body: .userAuthenticated(
                            UserAuthenticated(
                                subject: subject, sessionID: "sess\(s.n)", sessionHash: "sh\(s.n)",
                                sessionExpiresAtMicros: clock + 3_600_000_000, acr: "urn:strongroom:sca",
                                amr: ["pwd", "otp"], authTimeMicros: clock, requestID: requestID,
                                totpStep: clock / 30_000_000))))
            case 2:
                try emit(
                    NewEvent(
                        stream: interaction, actor: .subject(subject), correlation: correlation,
                        body: .consentGiven(
                            ConsentGiven(
                                requestID: requestID, subject: subject, clientID: clientID,
                                clientName: "Bench TPP \(s.client)", scopesShown: ["openid", "accounts", "payments"],
                                scopesApproved: ["openid", "accounts", "payments"], authorizationDetails: nil,
                                grantID: grantID))))
                try emit(
                    NewEvent(
                        stream: .grant(grantID), actor: .subject(subject), correlation: correlation,
                        body: .grantCreated(
                            GrantCreated(
                                grantID: grantID, clientID: clientID, subject: subject,
                                scopes: ["openid", "accounts", "payments"], authorizationDetails: nil))))
                try emit(
                    NewEvent(
                        stream: interaction, actor: .subject(subject), correlation: correlation,
                        body: .codeIssued(
                            CodeIssued(
                                clientID: clientID, subject: subject, grantID: grantID, codeID: "code\(s.n)",
                                codeHash: "ch\(s.n)", expiresAtMicros: clock + 60_000_000,
                                scope: "openid accounts payments", redirectURI: "https://tpp\(s.client).example/cb",
                                dpopJKT: jkt, authTimeMicros: clock, acr: "urn:strongroom:sca", amr: ["pwd", "otp"],
                                requestID: requestID, sessionID: "sess\(s.n)"))))
            case 3, 4:
                if s.step == 4 && s.n % 3 != 0 {
                    done = true
                    break
                }
                try emit(
                    NewEvent(
                        stream: .grant(grantID), actor: .client(clientID), correlation: correlation,
                        body: .tokensIssued(
                            TokensIssued(
                                grantID: grantID, clientID: clientID, subject: subject,
                                grantType: s.step == 3 ? "authorization_code" : "refresh_token",
                                accessTokenID: "at\(s.n)-\(s.step)", accessTokenHash: "ath\(s.n)-\(s.step)",
                                accessTokenExpiresAtMicros: clock + 300_000_000, refreshTokenID: "rt\(s.n)-\(s.step)",
                                refreshTokenHash: "rth\(s.n)-\(s.step)", scope: "openid accounts payments",
                                tokenType: "DPoP", confirmation: Confirmation(jkt: jkt),
                                codeID: s.step == 3 ? "code\(s.n)" : nil,
                                presentedRefreshTokenID: s.step == 4 ? "rt\(s.n)-3" : nil, idTokenIssued: s.step == 3,
                                evidence: try evidence("tok\(s.step)")))))
            default:
                if s.n % 10 == 0 {
                    try emit(
                        NewEvent(
                            stream: .grant(grantID), actor: .subject(subject), correlation: correlation,
                            body: .grantRevoked(GrantRevoked(grantID: grantID, revokedBy: "end_user", reason: "bench")))
                    )
                }
                done = true
            }
            if done {
                active.remove(at: slot)
            } else {
                active[slot].step += 1
            }
        }
        if !pending.isEmpty { _ = try journal.append(pending) }
        try journal.close(nowMicros: clock + 1)
        try ids.close()
        written.checkpoints += 1
        return written
    }
}
