import Events
import Testing

// The events of every authorization are written by hand (PayloadWriter.swift) instead of through
// Codable: their bytes must be exactly EventJSONEncoder's, for every combination of present and
// absent members and for strings that need escaping.

/// Random payloads of the hand-written types (also used by `PayloadReaderTests`).
struct PayloadValues {
    var rng: SeededGenerator
    /// Strings that exercise every escaping path: quotes, backslashes, control characters (short
    /// and `\u00XX` forms), `/`, non-ASCII, empty, and runs longer than the 8-byte scan.
    static let tricky = [
        "", "a", "openid accounts", #"say "hi""#, #"back\slash"#, "line\nbreak\ttab\r", "\u{01}\u{1F}\u{08}\u{0C}",
        "https://tpp.example.com/cb?x=1&y=2", "été 🙂 中文", String(repeating: "x", count: 40) + "\"",
        "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJ0cHAifQ.c2ln", String(repeating: "é", count: 9) + "\u{7F}",
    ]

    mutating func string() -> String {
        rng.next() % 3 == 0 ? Self.tricky[Int(rng.next() % UInt64(Self.tricky.count))] : randomString(&rng)
    }
    mutating func maybe<T>(_ make: (inout PayloadValues) -> T) -> T? { rng.next() % 2 == 0 ? nil : make(&self) }
    mutating func optionalString() -> String? { maybe { $0.string() } }
    mutating func int() -> Int64 {
        switch rng.next() % 4 {
        case 0: return Int64.min
        case 1: return Int64.max
        case 2: return 0
        default: return Int64(bitPattern: rng.next())
        }
    }
    mutating func strings() -> [String] { (0..<Int(rng.next() % 4)).map { _ in string() } }

    mutating func evidence() -> ClientEvidence {
        ClientEvidence(
            authMethod: string(), clientAssertion: optionalString(), assertionJTI: optionalString(),
            assertionExpiresAtMicros: maybe { $0.int() }, certificateThumbprint: optionalString(),
            dpopProof: optionalString(), dpopJTI: optionalString(), dpopJKT: optionalString())
    }
    mutating func parPushed() -> ParPushed {
        ParPushed(
            clientID: string(), requestID: string(), requestURIHash: string(), expiresAtMicros: int(), scope: string(),
            redirectURI: string(), codeChallenge: string(), codeChallengeMethod: string(), state: optionalString(),
            nonce: optionalString(), dpopJKT: optionalString(), requestObject: optionalString(),
            acrValues: optionalString(), essentialACR: optionalString(), claims: optionalString(),
            prompt: optionalString(), maxAgeSeconds: maybe { $0.int() }, authorizationDetails: optionalString(),
            evidence: maybe { $0.evidence() }, responseType: optionalString(), grantManagementAction: optionalString(),
            grantID: optionalString())
    }
    mutating func codeIssued() -> CodeIssued {
        CodeIssued(
            clientID: string(), subject: string(), grantID: string(), codeID: string(), codeHash: string(),
            expiresAtMicros: int(), scope: string(), redirectURI: string(), dpopJKT: optionalString(),
            authTimeMicros: int(), acr: string(), amr: strings(), requestID: optionalString(),
            codeChallenge: optionalString(), nonce: optionalString(), sessionID: optionalString(),
            grantManagementAction: optionalString())
    }
    mutating func grantCreated() -> GrantCreated {
        GrantCreated(
            grantID: string(), clientID: string(), subject: string(), scopes: strings(),
            authorizationDetails: optionalString())
    }
    mutating func tokensIssued() -> TokensIssued {
        TokensIssued(
            grantID: string(), clientID: string(), subject: optionalString(), grantType: string(),
            accessTokenID: string(), accessTokenHash: string(), accessTokenExpiresAtMicros: int(),
            refreshTokenID: optionalString(), refreshTokenHash: optionalString(), scope: string(), tokenType: string(),
            confirmation: Confirmation(jkt: optionalString(), x5tS256: optionalString()), codeID: optionalString(),
            presentedRefreshTokenID: optionalString(), idTokenIssued: maybe { $0.rng.next() % 2 == 0 },
            evidence: maybe { $0.evidence() })
    }
}

/// Values of the hand-written types with every stored property set (nested ones too): a member
/// added later without its line in PayloadWriter.swift or PayloadReader.swift is missed by these.
enum FullPayloads {
    static let evidence = ClientEvidence(
        authMethod: "private_key_jwt", clientAssertion: "a.b.c", assertionJTI: "j1", assertionExpiresAtMicros: 5,
        certificateThumbprint: "x5t", dpopProof: "d.e.f", dpopJTI: "j2", dpopJKT: "jkt")
    static let par = ParPushed(
        clientID: "c", requestID: "r", requestURIHash: "h", expiresAtMicros: 1, scope: "openid",
        redirectURI: "https://c/cb", codeChallenge: "cc", codeChallengeMethod: "S256", state: "s", nonce: "n",
        dpopJKT: "jkt", requestObject: "ro", acrValues: "acr", essentialACR: "eacr", claims: "{}", prompt: "login",
        maxAgeSeconds: 60, authorizationDetails: "[]", evidence: evidence, responseType: "code",
        grantManagementAction: "merge", grantID: "g")
    static let code = CodeIssued(
        clientID: "c", subject: "u", grantID: "g", codeID: "k", codeHash: "h", expiresAtMicros: 2, scope: "openid",
        redirectURI: "https://c/cb", dpopJKT: "jkt", authTimeMicros: 3, acr: "sca", amr: ["pwd", "otp"],
        requestID: "r", codeChallenge: "cc", nonce: "n", sessionID: "sid", grantManagementAction: "create")
    static let grant = GrantCreated(
        grantID: "g", clientID: "c", subject: "u", scopes: ["openid"], authorizationDetails: "[]")
    static let tokens = TokensIssued(
        grantID: "g", clientID: "c", subject: "u", grantType: "authorization_code", accessTokenID: "a",
        accessTokenHash: "ah", accessTokenExpiresAtMicros: 4, refreshTokenID: "r", refreshTokenHash: "rh",
        scope: "openid", tokenType: "DPoP", confirmation: Confirmation(jkt: "jkt", x5tS256: "x5t"), codeID: "k",
        presentedRefreshTokenID: "p", idTokenIssued: true, evidence: evidence)
}

/// The payload bytes the journal gets (through the event codec) and what Codable writes.
private func payloads<T: Encodable>(_ body: EventBody, _ value: T) throws -> (written: [UInt8], codable: [UInt8]) {
    let event = NewEvent(stream: .grant("g"), actor: .system, body: body)
    let record = try EventCodec.encode(event)
    return (Array(try EventCodec.payloadJSON(record).utf8), try EventJSONEncoder().encode(value))
}

/// True when every stored property of `value` (and of its nested values) is set: the fixtures below
/// must fill every member, so that a member added later without its line in PayloadWriter.swift is
/// written by Codable here and missing from the hand-written bytes.
private func everyMemberSet(_ value: Any, path: String = "") -> [String] {
    var unset: [String] = []
    for child in Mirror(reflecting: value).children {
        let name = path + (child.label ?? "?")
        let mirror = Mirror(reflecting: child.value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first else {
                unset.append(name)
                continue
            }
            if Mirror(reflecting: wrapped.value).displayStyle == .struct {
                unset += everyMemberSet(wrapped.value, path: name + ".")
            }
        } else if mirror.displayStyle == .struct {
            unset += everyMemberSet(child.value, path: name + ".")
        }
    }
    return unset
}

@Suite("Hand-written payloads: the same bytes as EventJSONEncoder")
struct PayloadWriterTests {
    @Test("2,000 random events of each hand-written type: identical bytes, and they decode back equal")
    func randomValues() throws {
        var values = PayloadValues(rng: SeededGenerator(state: 0x5EED))
        for _ in 0..<2_000 {
            let par = values.parPushed()
            let code = values.codeIssued()
            let grant = values.grantCreated()
            let tokens = values.tokensIssued()
            for (body, pair) in [
                (EventBody.parPushed(par), try payloads(.parPushed(par), par)),
                (.codeIssued(code), try payloads(.codeIssued(code), code)),
                (.grantCreated(grant), try payloads(.grantCreated(grant), grant)),
                (.tokensIssued(tokens), try payloads(.tokensIssued(tokens), tokens)),
            ] {
                #expect(
                    pair.written == pair.codable,
                    "\(body.type): \(String(decoding: pair.written, as: UTF8.self)) != \(String(decoding: pair.codable, as: UTF8.self))"
                )
                let event = NewEvent(stream: .grant("g"), actor: .system, body: body)
                let decoded = try EventCodec.decode(try EventCodec.encode(event), sequence: 1, timeMicros: 1)
                #expect(decoded.body == body)
            }
        }
    }

    @Test("with every member present (the fixtures fill every stored property), and with every optional absent")
    func everyMember() throws {
        let (par, code, grant, tokens) = (
            FullPayloads.par, FullPayloads.code, FullPayloads.grant, FullPayloads.tokens
        )
        for value in [par, code, grant, tokens] as [Any] {
            #expect(everyMemberSet(value) == [], "\(type(of: value)): set these in the fixture")
        }
        func check<T: Encodable>(_ body: EventBody, _ value: T) throws {
            let pair = try payloads(body, value)
            #expect(pair.written == pair.codable, "\(body.type)")
            // Read back member by member (PayloadReader.swift): a member without its line there is lost.
            let event = NewEvent(stream: .grant("g"), actor: .system, body: body)
            #expect(try EventCodec.decode(try EventCodec.encode(event), sequence: 1, timeMicros: 1).body == body)
        }
        try check(.parPushed(par), par)
        try check(.codeIssued(code), code)
        try check(.grantCreated(grant), grant)
        try check(.tokensIssued(tokens), tokens)

        let bare = TokensIssued(
            grantID: "g", clientID: "c", subject: nil, grantType: "client_credentials", accessTokenID: "a",
            accessTokenHash: "ah", accessTokenExpiresAtMicros: 4, refreshTokenID: nil, refreshTokenHash: nil, scope: "",
            tokenType: "Bearer", confirmation: Confirmation(), codeID: nil)
        try check(.tokensIssued(bare), bare)
        #expect(
            String(decoding: try payloads(.tokensIssued(bare), bare).written, as: UTF8.self)
                == #"{"grantID":"g","clientID":"c","grantType":"client_credentials","accessTokenID":"a","accessTokenHash":"ah","accessTokenExpiresAtMicros":4,"scope":"","tokenType":"Bearer","confirmation":{}}"#
        )
    }
}
