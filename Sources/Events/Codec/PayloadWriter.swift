/// Payloads written member by member, without the `Codable` machinery: the events every
/// authorization appends (`par.pushed`, `authorization.code_issued`, `grant.created`,
/// `token.issued`, with their client evidence) are encoded once per request, and going through
/// `Encoder` containers (boxed containers, generic metadata lookups, `CodingKey` strings) cost more
/// than the writing itself: written here, with the record allocated once, encoding is ~2× faster.
///
/// The bytes are exactly `EventJSONEncoder`'s for the same value — members in declaration order,
/// `nil` optionals omitted, the same string escaping (the writer uses the encoder's own byte
/// writers) — and `PayloadWriterTests` checks that on random values with every optional both
/// present and absent, and that its fixtures set every stored property, so a member added to one
/// of these types without its line here fails the suite. Decoding stays `Codable`.
protocol MemberWritten {
    /// Writes the members of this value's JSON object (the braces are the writer's).
    func writeMembers(_ object: inout PayloadObject)
}

extension MemberWritten {
    /// This value's JSON object, in a scratch buffer (its `output`). No frame stack: nothing here
    /// goes through `Encoder` containers.
    func payloadScratch() -> _EventJSONEncoderState {
        let state = _EventJSONEncoderState(maxDepth: EventJSONEncoder().maxDepth, capacity: 2_048, frameCapacity: 1)
        var object = PayloadObject(state: state)
        writeMembers(&object)
        object.close()
        return state
    }
}

/// One JSON object being written: `{` at creation, `}` at `close()`, commas between members.
struct PayloadObject {
    private let state: _EventJSONEncoderState
    private var empty = true

    init(state: _EventJSONEncoderState) {
        self.state = state
        state.writeByte(UInt8(ascii: "{"))
    }

    mutating func close() { state.writeByte(UInt8(ascii: "}")) }

    /// `,"key":` — keys are ASCII identifiers (nothing to escape).
    private mutating func key(_ key: StaticString) {
        let length = key.utf8CodeUnitCount
        state.reserve(length + 4)
        var output = state.base + state.count
        if !empty {
            output[0] = UInt8(ascii: ",")
            output += 1
        }
        output[0] = UInt8(ascii: "\"")
        (output + 1).update(from: key.utf8Start, count: length)
        output[length + 1] = UInt8(ascii: "\"")
        output[length + 2] = UInt8(ascii: ":")
        state.count += length + (empty ? 3 : 4)
        empty = false
    }

    mutating func string(_ name: StaticString, _ value: String) {
        key(name)
        state.writeQuoted(value)
    }

    mutating func string(_ name: StaticString, _ value: String?) {
        if let value { string(name, value) }
    }

    mutating func int(_ name: StaticString, _ value: Int64) {
        key(name)
        state.writeSigned(value)
    }

    mutating func int(_ name: StaticString, _ value: Int64?) {
        if let value { int(name, value) }
    }

    mutating func bool(_ name: StaticString, _ value: Bool?) {
        guard let value else { return }
        key(name)
        state.writeBool(value)
    }

    mutating func strings(_ name: StaticString, _ values: [String]) {
        key(name)
        state.writeByte(UInt8(ascii: "["))
        for (i, value) in values.enumerated() {
            if i > 0 { state.writeByte(UInt8(ascii: ",")) }
            state.writeQuoted(value)
        }
        state.writeByte(UInt8(ascii: "]"))
    }

    mutating func object<T: MemberWritten>(_ name: StaticString, _ value: T) {
        key(name)
        var nested = PayloadObject(state: state)
        value.writeMembers(&nested)
        nested.close()
    }

    mutating func object<T: MemberWritten>(_ name: StaticString, _ value: T?) {
        if let value { object(name, value) }
    }
}

// The members, in declaration order (the order of the synthesized `CodingKeys`).

extension ClientEvidence: MemberWritten {
    func writeMembers(_ o: inout PayloadObject) {
        o.string("authMethod", authMethod)
        o.string("clientAssertion", clientAssertion)
        o.string("assertionJTI", assertionJTI)
        o.int("assertionExpiresAtMicros", assertionExpiresAtMicros)
        o.string("certificateThumbprint", certificateThumbprint)
        o.string("dpopProof", dpopProof)
        o.string("dpopJTI", dpopJTI)
        o.string("dpopJKT", dpopJKT)
    }
}

extension ParPushed: MemberWritten {
    func writeMembers(_ o: inout PayloadObject) {
        o.string("clientID", clientID)
        o.string("requestID", requestID)
        o.string("requestURIHash", requestURIHash)
        o.int("expiresAtMicros", expiresAtMicros)
        o.string("scope", scope)
        o.string("redirectURI", redirectURI)
        o.string("codeChallenge", codeChallenge)
        o.string("codeChallengeMethod", codeChallengeMethod)
        o.string("state", state)
        o.string("nonce", nonce)
        o.string("dpopJKT", dpopJKT)
        o.string("requestObject", requestObject)
        o.string("responseType", responseType)
        o.string("acrValues", acrValues)
        o.string("essentialACR", essentialACR)
        o.string("claims", claims)
        o.string("prompt", prompt)
        o.int("maxAgeSeconds", maxAgeSeconds)
        o.string("authorizationDetails", authorizationDetails)
        o.object("evidence", evidence)
        o.string("grantManagementAction", grantManagementAction)
        o.string("grantID", grantID)
    }
}

extension CodeIssued: MemberWritten {
    func writeMembers(_ o: inout PayloadObject) {
        o.string("clientID", clientID)
        o.string("subject", subject)
        o.string("grantID", grantID)
        o.string("codeID", codeID)
        o.string("codeHash", codeHash)
        o.int("expiresAtMicros", expiresAtMicros)
        o.string("scope", scope)
        o.string("redirectURI", redirectURI)
        o.string("dpopJKT", dpopJKT)
        o.int("authTimeMicros", authTimeMicros)
        o.string("acr", acr)
        o.strings("amr", amr)
        o.string("requestID", requestID)
        o.string("codeChallenge", codeChallenge)
        o.string("nonce", nonce)
        o.string("sessionID", sessionID)
        o.string("grantManagementAction", grantManagementAction)
    }
}

extension GrantCreated: MemberWritten {
    func writeMembers(_ o: inout PayloadObject) {
        o.string("grantID", grantID)
        o.string("clientID", clientID)
        o.string("subject", subject)
        o.strings("scopes", scopes)
        o.string("authorizationDetails", authorizationDetails)
    }
}

extension Confirmation: MemberWritten {
    func writeMembers(_ o: inout PayloadObject) {
        o.string("jkt", jkt)
        o.string("x5tS256", x5tS256)
    }
}

extension TokensIssued: MemberWritten {
    func writeMembers(_ o: inout PayloadObject) {
        o.string("grantID", grantID)
        o.string("clientID", clientID)
        o.string("subject", subject)
        o.string("grantType", grantType)
        o.string("accessTokenID", accessTokenID)
        o.string("accessTokenHash", accessTokenHash)
        o.int("accessTokenExpiresAtMicros", accessTokenExpiresAtMicros)
        o.string("refreshTokenID", refreshTokenID)
        o.string("refreshTokenHash", refreshTokenHash)
        o.string("scope", scope)
        o.string("tokenType", tokenType)
        o.object("confirmation", confirmation)
        o.string("codeID", codeID)
        o.string("presentedRefreshTokenID", presentedRefreshTokenID)
        o.bool("idTokenIssued", idTokenIssued)
        o.object("evidence", evidence)
    }
}
