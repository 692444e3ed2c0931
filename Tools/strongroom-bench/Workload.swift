import Events
import Ledger

/// Appends events prepared by a benchmark writer, as they are: the benchmark measures the journal,
/// group commit and projection, not protocol decisions (which the protocol commands make).
struct AppendPrepared: LedgerCommand {
    let events: [PreparedEvent]
    func decide(_ state: LiveState, _ context: DecisionContext) throws -> Decision<Void> {
        Decision(prepared: events, output: ())
    }
}

/// Produces OP-shaped commands: one flow = PAR push (1 event), authorization completed (grant +
/// code, 2 events), token issued (1 event, with refresh token) — the shapes, sizes (250–500 bytes)
/// and randomness of the real protocol events, so the projection gets realistic rows.
struct FlowGenerator {
    var random: FastRandom
    private var step = 0
    private var interaction = ""
    private var grant = ""
    private var client = ""
    private var subject = ""
    private var codeID = ""
    /// End users: a bank's customers come back; 100,000 of them here.
    private static let subjectPool = 100_000
    private let clients: [String]
    /// Each client's DPoP key thumbprint: a client keeps its DPoP key across flows.
    private let clientJKTs: [String: String]
    private var clientJKT = ""
    /// One `x-fapi-interaction-id` per flow (the client reuses it across PAR, authorize and token).
    private var fapiInteractionID = ""
    private static let scopes = [
        "openid accounts", "openid payments offline_access", "openid accounts transactions balances",
    ]
    /// `scopes` split into their values once (a grant lists them one by one).
    private static let scopeLists = scopes.map { $0.split(separator: " ").map(String.init) }

    init(seed: UInt64) {
        random = FastRandom(seed: seed)
        var r = FastRandom(seed: 42)
        clients = (0..<50).map { _ in "tpp-" + r.identifier(12) }
        var jkts: [String: String] = [:]
        for c in clients { jkts[c] = r.identifier(43) }
        clientJKTs = jkts
    }

    /// The next command of this writer's flows.
    mutating func next(now: Int64) -> [NewEvent] {
        defer { step = (step + 1) % 3 }
        switch step {
        case 0:
            interaction = TimeOrderedID.make(timeMicros: now, using: &random)
            client = random.pick(clients)
            clientJKT = clientJKTs[client] ?? ""
            fapiInteractionID = random.uuidString()
            subject = "user-\(random.next() % UInt64(Self.subjectPool))"
            let e = ParPushed(
                clientID: client, requestID: TimeOrderedID.make(timeMicros: now, using: &random),
                requestURIHash: random.identifier(43), expiresAtMicros: now + 60_000_000,
                scope: random.pick(Self.scopes), redirectURI: "https://\(client).example.com/callback",
                codeChallenge: random.identifier(43), codeChallengeMethod: "S256", state: random.identifier(24),
                nonce: random.identifier(24), dpopJKT: clientJKT, requestObject: nil)
            return [
                NewEvent(
                    stream: .interaction(interaction), actor: .client(client), correlation: correlation(),
                    body: .parPushed(e))
            ]
        case 1:
            grant = TimeOrderedID.make(timeMicros: now, using: &random)
            codeID = TimeOrderedID.make(timeMicros: now, using: &random)
            let pick = Int(random.next() % UInt64(Self.scopes.count))
            let scope = Self.scopes[pick]
            let g = GrantCreated(
                grantID: grant, clientID: client, subject: subject,
                scopes: Self.scopeLists[pick],
                authorizationDetails: nil)
            let c = CodeIssued(
                clientID: client, subject: subject, grantID: grant, codeID: codeID, codeHash: random.identifier(43),
                expiresAtMicros: now + 60_000_000,
                scope: scope, redirectURI: "https://\(client).example.com/callback", dpopJKT: clientJKT,
                authTimeMicros: now, acr: "urn:strongroom:acr:sca", amr: ["pwd", "otp"])
            let corr = correlation()
            return [
                NewEvent(stream: .grant(grant), actor: .subject(subject), correlation: corr, body: .grantCreated(g)),
                NewEvent(
                    stream: .interaction(interaction), actor: .subject(subject), correlation: corr, body: .codeIssued(c)
                ),
            ]
        default:
            let t = TokensIssued(
                grantID: grant, clientID: client, subject: subject, grantType: "authorization_code",
                accessTokenID: TimeOrderedID.make(timeMicros: now, using: &random),
                accessTokenHash: random.identifier(43),
                accessTokenExpiresAtMicros: now + 300_000_000,
                refreshTokenID: TimeOrderedID.make(timeMicros: now, using: &random),
                refreshTokenHash: random.identifier(43), scope: random.pick(Self.scopes), tokenType: "DPoP",
                confirmation: Confirmation(jkt: clientJKT), codeID: codeID)
            return [
                NewEvent(
                    stream: .grant(grant), actor: .client(client), correlation: correlation(), body: .tokensIssued(t))
            ]
        }
    }

    private mutating func correlation() -> Correlation {
        Correlation(interactionID: fapiInteractionID, requestID: random.identifier(16))
    }
}
