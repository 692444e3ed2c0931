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
    private var code = ""
    private let clients: [String]
    private let scopes = ["openid accounts", "openid payments offline_access", "openid accounts transactions balances"]

    init(seed: UInt64) {
        random = FastRandom(seed: seed)
        var r = FastRandom(seed: 42)
        clients = (0..<50).map { _ in "tpp-" + r.identifier(12) }
    }

    /// The next command of this writer's flows.
    mutating func next(now: Int64) -> [NewEvent] {
        defer { step = (step + 1) % 3 }
        switch step {
        case 0:
            interaction = random.identifier(22)
            client = random.pick(clients)
            subject = "user-" + random.identifier(10)
            let e = ParPushed(
                clientID: client, requestURIHash: random.identifier(43), expiresAtMicros: now + 60_000_000,
                scope: random.pick(scopes), redirectURI: "https://\(client).example.com/callback",
                codeChallenge: random.identifier(43), codeChallengeMethod: "S256", state: random.identifier(24),
                nonce: random.identifier(24), dpopJKT: random.identifier(43), requestObject: nil)
            return [NewEvent(stream: .interaction(interaction), actor: .client(client), correlation: correlation(), body: .parPushed(e))]
        case 1:
            grant = random.identifier(32)
            code = random.identifier(43)
            let scope = random.pick(scopes)
            let g = GrantCreated(
                grantID: grant, clientID: client, subject: subject, scopes: scope.split(separator: " ").map(String.init),
                authorizationDetails: nil)
            let c = CodeIssued(
                clientID: client, subject: subject, grantID: grant, codeHash: code, expiresAtMicros: now + 60_000_000,
                scope: scope, redirectURI: "https://\(client).example.com/callback", dpopJKT: random.identifier(43),
                authTimeMicros: now, acr: "urn:strongroom:acr:sca", amr: ["pwd", "otp"])
            let corr = correlation()
            return [
                NewEvent(stream: .grant(grant), actor: .subject(subject), correlation: corr, body: .grantCreated(g)),
                NewEvent(stream: .interaction(interaction), actor: .subject(subject), correlation: corr, body: .codeIssued(c)),
            ]
        default:
            let t = TokensIssued(
                grantID: grant, clientID: client, subject: subject, grantType: "authorization_code",
                accessTokenHash: random.identifier(43), accessTokenExpiresAtMicros: now + 300_000_000,
                refreshTokenHash: random.identifier(43), scope: random.pick(scopes), tokenType: "DPoP",
                confirmation: Confirmation(jkt: random.identifier(43)), codeHash: code)
            return [NewEvent(stream: .grant(grant), actor: .client(client), correlation: correlation(), body: .tokensIssued(t))]
        }
    }

    private mutating func correlation() -> Correlation {
        Correlation(interactionID: random.identifier(36), requestID: random.identifier(16))
    }
}
