/// Payloads read member by member, without the `Codable` machinery: the mirror of
/// `PayloadWriter.swift` for the events every authorization appends (`par.pushed`,
/// `authorization.code_issued`, `grant.created`, `token.issued`, with their client evidence). A
/// rebuild decodes millions of them, and going through `Decoder` containers (a boxed container per
/// object, a dynamic call and a `CodingKey` per member) cost as much as the reading itself.
///
/// The input is validated and indexed exactly as `EventJSONDecoder` does it (the same tape), and each
/// member is read as the synthesized `init(from:)` reads it: in declaration order, a missing required
/// member is `keyNotFound`, `null` for a required member `valueNotFound`, a value of another kind
/// `typeMismatch`, an absent or `null` optional `nil`, unknown members ignored. `PayloadReaderTests`
/// checks that both give equal values on random payloads and fail together on damaged ones, and the
/// round trip in `PayloadWriterTests` (every stored property set) fails when a member added to one of
/// these types has no line here.
protocol MemberRead {
    /// Reads the members of this value's JSON object.
    init(members: PayloadMembers) throws
}

extension MemberRead {
    /// Decodes a payload member by member.
    static func read(from payload: UnsafeRawBufferPointer) throws -> Self {
        let decoder = EventJSONDecoder()
        let state = try _EventJSONDecoderState(
            bytes: payload, maxDepth: decoder.maxDepth, maxInputBytes: decoder.maxInputBytes)
        defer { state.invalidate() }
        return try Self(members: PayloadMembers(state: state, node: 0))
    }
}

/// The members of one JSON object on a decoder's tape.
struct PayloadMembers {
    private let state: _EventJSONDecoderState
    private let node: Int

    init(state: _EventJSONDecoderState, node: Int) throws {
        guard state.nodes[node].kind == .object else { throw state.mismatch(node, [String: Any].self) }
        self.state = state
        self.node = node
    }

    /// The value node of a required member.
    @inline(__always)
    private func required(_ name: StaticString) throws -> Int {
        guard let value = state.find(name, in: node) else {
            let key = _EventJSONKey(stringValue: name.description)
            throw DecodingError.keyNotFound(
                key,
                DecodingError.Context(
                    codingPath: state.codingPath(to: node),
                    debugDescription:
                        "No value associated with key \"\(key.stringValue)\" (object at byte \(state.offset(node)))."))
        }
        return value
    }

    /// The value node of an optional member, or nil when absent or `null`.
    @inline(__always)
    private func present(_ name: StaticString) -> Int? {
        guard let value = state.find(name, in: node), state.nodes[value].kind != .null else { return nil }
        return value
    }

    func string(_ name: StaticString) throws -> String { try state.string(required(name)) }

    func optionalString(_ name: StaticString) throws -> String? {
        guard let value = present(name) else { return nil }
        return try state.string(value)
    }

    func int(_ name: StaticString) throws -> Int64 { try state.integer(required(name), Int64.self) }

    func optionalInt(_ name: StaticString) throws -> Int64? {
        guard let value = present(name) else { return nil }
        return try state.integer(value, Int64.self)
    }

    func optionalBool(_ name: StaticString) throws -> Bool? {
        guard let value = present(name) else { return nil }
        return try state.bool(value)
    }

    func strings(_ name: StaticString) throws -> [String] { try state.strings(required(name)) }

    func object<T: MemberRead>(_ name: StaticString, _ type: T.Type = T.self) throws -> T {
        try T(members: PayloadMembers(state: state, node: required(name)))
    }

    func optionalObject<T: MemberRead>(_ name: StaticString, _ type: T.Type = T.self) throws -> T? {
        guard let value = present(name) else { return nil }
        return try T(members: PayloadMembers(state: state, node: value))
    }
}

// The members, in declaration order (the order in which the synthesized `init(from:)` reads them).

extension ClientEvidence: MemberRead {
    init(members m: PayloadMembers) throws {
        self.init(
            authMethod: try m.string("authMethod"),
            clientAssertion: try m.optionalString("clientAssertion"),
            assertionJTI: try m.optionalString("assertionJTI"),
            assertionExpiresAtMicros: try m.optionalInt("assertionExpiresAtMicros"),
            certificateThumbprint: try m.optionalString("certificateThumbprint"),
            dpopProof: try m.optionalString("dpopProof"),
            dpopJTI: try m.optionalString("dpopJTI"),
            dpopJKT: try m.optionalString("dpopJKT"))
    }
}

extension ParPushed: MemberRead {
    init(members m: PayloadMembers) throws {
        // Read into locals first: the initializer's parameters are not in declaration order, and
        // the first member that fails must be the one the synthesized `init(from:)` reports.
        let clientID = try m.string("clientID")
        let requestID = try m.string("requestID")
        let requestURIHash = try m.string("requestURIHash")
        let expiresAtMicros = try m.int("expiresAtMicros")
        let scope = try m.string("scope")
        let redirectURI = try m.string("redirectURI")
        let codeChallenge = try m.string("codeChallenge")
        let codeChallengeMethod = try m.string("codeChallengeMethod")
        let state = try m.optionalString("state")
        let nonce = try m.optionalString("nonce")
        let dpopJKT = try m.optionalString("dpopJKT")
        let requestObject = try m.optionalString("requestObject")
        let responseType = try m.optionalString("responseType")
        let acrValues = try m.optionalString("acrValues")
        let essentialACR = try m.optionalString("essentialACR")
        let claims = try m.optionalString("claims")
        let prompt = try m.optionalString("prompt")
        let maxAgeSeconds = try m.optionalInt("maxAgeSeconds")
        let authorizationDetails = try m.optionalString("authorizationDetails")
        let evidence = try m.optionalObject("evidence", ClientEvidence.self)
        let grantManagementAction = try m.optionalString("grantManagementAction")
        let grantID = try m.optionalString("grantID")
        self.init(
            clientID: clientID, requestID: requestID, requestURIHash: requestURIHash, expiresAtMicros: expiresAtMicros,
            scope: scope, redirectURI: redirectURI, codeChallenge: codeChallenge,
            codeChallengeMethod: codeChallengeMethod, state: state, nonce: nonce, dpopJKT: dpopJKT,
            requestObject: requestObject, acrValues: acrValues, essentialACR: essentialACR, claims: claims,
            prompt: prompt, maxAgeSeconds: maxAgeSeconds, authorizationDetails: authorizationDetails,
            evidence: evidence, responseType: responseType, grantManagementAction: grantManagementAction,
            grantID: grantID)
    }
}

extension CodeIssued: MemberRead {
    init(members m: PayloadMembers) throws {
        self.init(
            clientID: try m.string("clientID"),
            subject: try m.string("subject"),
            grantID: try m.string("grantID"),
            codeID: try m.string("codeID"),
            codeHash: try m.string("codeHash"),
            expiresAtMicros: try m.int("expiresAtMicros"),
            scope: try m.string("scope"),
            redirectURI: try m.string("redirectURI"),
            dpopJKT: try m.optionalString("dpopJKT"),
            authTimeMicros: try m.int("authTimeMicros"),
            acr: try m.string("acr"),
            amr: try m.strings("amr"),
            requestID: try m.optionalString("requestID"),
            codeChallenge: try m.optionalString("codeChallenge"),
            nonce: try m.optionalString("nonce"),
            sessionID: try m.optionalString("sessionID"),
            grantManagementAction: try m.optionalString("grantManagementAction"))
    }
}

extension GrantCreated: MemberRead {
    init(members m: PayloadMembers) throws {
        self.init(
            grantID: try m.string("grantID"),
            clientID: try m.string("clientID"),
            subject: try m.string("subject"),
            scopes: try m.strings("scopes"),
            authorizationDetails: try m.optionalString("authorizationDetails"))
    }
}

extension Confirmation: MemberRead {
    init(members m: PayloadMembers) throws {
        self.init(jkt: try m.optionalString("jkt"), x5tS256: try m.optionalString("x5tS256"))
    }
}

extension TokensIssued: MemberRead {
    init(members m: PayloadMembers) throws {
        self.init(
            grantID: try m.string("grantID"),
            clientID: try m.string("clientID"),
            subject: try m.optionalString("subject"),
            grantType: try m.string("grantType"),
            accessTokenID: try m.string("accessTokenID"),
            accessTokenHash: try m.string("accessTokenHash"),
            accessTokenExpiresAtMicros: try m.int("accessTokenExpiresAtMicros"),
            refreshTokenID: try m.optionalString("refreshTokenID"),
            refreshTokenHash: try m.optionalString("refreshTokenHash"),
            scope: try m.string("scope"),
            tokenType: try m.string("tokenType"),
            confirmation: try m.object("confirmation", Confirmation.self),
            codeID: try m.optionalString("codeID"),
            presentedRefreshTokenID: try m.optionalString("presentedRefreshTokenID"),
            idTokenIssued: try m.optionalBool("idTokenIssued"),
            evidence: try m.optionalObject("evidence", ClientEvidence.self))
    }
}
