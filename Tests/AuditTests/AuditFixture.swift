import Crypto
import Events
import Foundation
import JOSE
import Journal
import Logging

/// A small journal with one client and full interactions, written directly with the journal writer.
final class AuditFixture {
    let directory: String
    let journalSigner = P256CheckpointSigner(privateKey: P256.Signing.PrivateKey())
    let clientKey = P256.Signing.PrivateKey()
    let otherKey = P256.Signing.PrivateKey()
    let dpopKey = P256.Signing.PrivateKey()
    let clientID = "tpp-1"
    var clientName = "Example TPP"
    var compress = true
    private var writer: JournalWriter?
    private(set) var clock: Int64 = 1_760_000_000_000_000

    init() throws {
        directory = NSTemporaryDirectory() + "audit-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func open() throws {
        var logger = Logger(label: "audit-tests")
        logger.logLevel = .critical
        var options = JournalOptions(durability: .none)
        options.compress = compress
        writer = try JournalWriter.open(
            dataDirectory: directory, options: options, signer: journalSigner,
            logger: logger, nowMicros: clock)
    }

    func close() throws {
        try writer?.close(nowMicros: tick())
        writer = nil
    }

    @discardableResult
    func tick() -> Int64 {
        clock += 1_000
        return clock
    }

    @discardableResult
    func append(_ events: [NewEvent]) throws -> UInt64 {
        guard let writer else { fatalError("open the fixture first") }
        let records = try events.map { NewRecord(kind: .event, timeMicros: tick(), body: try EventCodec.encode($0)) }
        return try writer.append(records).lastSequence
    }

    func checkpoint() throws { _ = try writer?.appendCheckpoint(nowMicros: tick()) }

    static func jwk(_ key: P256.Signing.PrivateKey, kid: String?) -> String {
        let raw = Array(key.publicKey.x963Representation)
        let x = Base64URL.encode(raw[1..<33])
        let y = Base64URL.encode(raw[33..<65])
        let kidMember = kid.map { "\"kid\":\"\($0)\"," } ?? ""
        return "{\(kidMember)\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"\(x)\",\"y\":\"\(y)\"}"
    }

    static func sign(header: String, payload: String, with key: P256.Signing.PrivateKey) throws -> String {
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(payload.utf8))
        let signature = try key.signature(for: Array(input.utf8)).rawRepresentation
        return input + "." + Base64URL.encode(Array(signature))
    }

    func registerClient(key: P256.Signing.PrivateKey, kid: String, updated: Bool = false) throws {
        let metadata =
            "{\"client_name\":\"\(clientName)\",\"token_endpoint_auth_method\":\"private_key_jwt\",\"jwks\":{\"keys\":[\(Self.jwk(key, kid: kid))]}}"
        let body: EventBody =
            updated
            ? .clientUpdated(ClientUpdated(clientID: clientID, metadata: metadata))
            : .clientRegistered(ClientRegistered(clientID: clientID, metadata: metadata, via: "cli"))
        try append([NewEvent(stream: .client(clientID), actor: .operator("ops"), body: body)])
    }

    func assertion(jti: String, signer: P256.Signing.PrivateKey, kid: String) throws -> String {
        try Self.sign(
            header: "{\"alg\":\"ES256\",\"kid\":\"\(kid)\"}",
            payload:
                "{\"iss\":\"\(clientID)\",\"sub\":\"\(clientID)\",\"aud\":\"https://op.example\",\"jti\":\"\(jti)\",\"exp\":1760000060}",
            with: signer)
    }

    var dpopJKT: String {
        (try? ClientJWK(jwk: JSONValue.parseObject(Array(Self.jwk(dpopKey, kid: nil).utf8))).thumbprint) ?? ""
    }

    func dpopProof(jti: String) throws -> String {
        try Self.sign(
            header: "{\"typ\":\"dpop+jwt\",\"alg\":\"ES256\",\"jwk\":\(Self.jwk(dpopKey, kid: nil))}",
            payload: "{\"jti\":\"\(jti)\",\"htm\":\"POST\",\"htu\":\"https://op.example/token\",\"iat\":1760000000}",
            with: dpopKey)
    }

    struct Flow {
        var requestID: String
        var grantID: String
        var fapiID: String
        var subject: String
    }

    /// PAR → login → consent → grant → code → token, then a refresh and a revocation.
    @discardableResult
    func flow(
        _ n: Int, assertionKey: P256.Signing.PrivateKey? = nil, kid: String = "k1", revoke: Bool = true
    ) throws -> Flow {
        let flow = Flow(requestID: "req-\(n)", grantID: "grant-\(n)", fapiID: "fapi-\(n)", subject: "sub-\(n)")
        let correlation = Correlation(interactionID: flow.fapiID, requestID: "http-\(n)")
        let evidence = ClientEvidence(
            authMethod: "private_key_jwt",
            clientAssertion: try assertion(jti: "a-\(n)", signer: assertionKey ?? clientKey, kid: kid),
            assertionJTI: "a-\(n)", assertionExpiresAtMicros: 1_760_000_060_000_000,
            dpopProof: try dpopProof(jti: "d-\(n)"),
            dpopJTI: "d-\(n)", dpopJKT: dpopJKT)
        let interaction = StreamID.interaction(flow.requestID)
        try append([
            NewEvent(
                stream: interaction, actor: .client(clientID), correlation: correlation,
                body: .parPushed(
                    ParPushed(
                        clientID: clientID, requestID: flow.requestID, requestURIHash: "h-\(n)", expiresAtMicros: clock,
                        scope: "openid accounts", redirectURI: "https://tpp.example/cb", codeChallenge: "cc",
                        codeChallengeMethod: "S256", state: "s", nonce: "n", dpopJKT: dpopJKT, requestObject: nil,
                        evidence: evidence)))
        ])
        try append([
            NewEvent(
                stream: interaction, actor: .subject(flow.subject),
                body: .userAuthenticated(
                    UserAuthenticated(
                        subject: flow.subject, sessionID: "sess-\(n)", sessionHash: "sh", sessionExpiresAtMicros: clock,
                        acr: "urn:strongroom:sca", amr: ["pwd", "otp"], authTimeMicros: clock,
                        requestID: flow.requestID,
                        totpStep: 1)))
        ])
        try append([
            NewEvent(
                stream: interaction, actor: .subject(flow.subject),
                body: .consentGiven(
                    ConsentGiven(
                        requestID: flow.requestID, subject: flow.subject, clientID: clientID, clientName: clientName,
                        scopesShown: ["openid", "accounts"], scopesApproved: ["openid", "accounts"],
                        authorizationDetails: nil, grantID: flow.grantID))),
            NewEvent(
                stream: .grant(flow.grantID), actor: .subject(flow.subject),
                body: .grantCreated(
                    GrantCreated(
                        grantID: flow.grantID, clientID: clientID, subject: flow.subject,
                        scopes: ["openid", "accounts"],
                        authorizationDetails: nil))),
            NewEvent(
                stream: interaction, actor: .subject(flow.subject),
                body: .codeIssued(
                    CodeIssued(
                        clientID: clientID, subject: flow.subject, grantID: flow.grantID, codeID: "code-\(n)",
                        codeHash: "ch-\(n)", expiresAtMicros: clock, scope: "openid accounts",
                        redirectURI: "https://tpp.example/cb", dpopJKT: dpopJKT, authTimeMicros: clock,
                        acr: "urn:strongroom:sca", amr: ["pwd", "otp"], requestID: flow.requestID))),
        ])
        try append([
            NewEvent(
                stream: .grant(flow.grantID), actor: .client(clientID), correlation: correlation,
                body: .tokensIssued(
                    TokensIssued(
                        grantID: flow.grantID, clientID: clientID, subject: flow.subject,
                        grantType: "authorization_code", accessTokenID: "at-\(n)", accessTokenHash: "ath-\(n)",
                        accessTokenExpiresAtMicros: clock, refreshTokenID: "rt-\(n)", refreshTokenHash: "rth-\(n)",
                        scope: "openid accounts", tokenType: "DPoP", confirmation: Confirmation(jkt: dpopJKT),
                        codeID: "code-\(n)", idTokenIssued: true, evidence: evidence)))
        ])
        if revoke {
            try append([
                NewEvent(
                    stream: .grant(flow.grantID), actor: .subject(flow.subject),
                    body: .grantRevoked(GrantRevoked(grantID: flow.grantID, revokedBy: "end_user", reason: "test")))
            ])
        }
        return flow
    }
}
