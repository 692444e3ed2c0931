/// Every kind of event Strongroom journals. A closed enum, so that the projection, the live state,
/// statistics and the audit tool must each say what they do with every kind.
///
/// `indirect`: every payload is boxed, so copying an event (through the queue, the writer, the
/// projection) costs one reference count instead of one per field.
///
/// Adding an event: a payload struct (Codable, in the folder of its concept), a case here, its
/// `type` and `schemaVersion` below, and its decoding in `decode(type:schemaVersion:payload:)`.
/// Changing a payload's shape: bump its schema version and keep decoding the old one.
public indirect enum EventBody: Sendable, Equatable {
    case signingKeyAdded(SigningKeyAdded)
    case signingKeyRetired(SigningKeyRetired)
    case clientRegistered(ClientRegistered)
    case clientUpdated(ClientUpdated)
    case clientRemoved(ClientRemoved)
    case userAdded(UserAdded)
    case parPushed(ParPushed)
    case codeIssued(CodeIssued)
    case grantCreated(GrantCreated)
    case tokensIssued(TokensIssued)
    case grantRevoked(GrantRevoked)
    case authorizationRejected(AuthorizationRejected)
    case userAuthenticated(UserAuthenticated)
    case authenticationFailed(AuthenticationFailed)
    case consentGiven(ConsentGiven)
    case consentDenied(ConsentDenied)
    case codeReused(CodeReused)
    case tokenRevoked(TokenRevoked)
    case clientJWKSFetched(ClientJWKSFetched)
    case grantUpdated(GrantUpdated)

    /// The event type as journaled.
    public var type: String {
        switch self {
        case .signingKeyAdded: return "key.signing_added"
        case .signingKeyRetired: return "key.signing_retired"
        case .clientRegistered: return "client.registered"
        case .clientUpdated: return "client.updated"
        case .clientRemoved: return "client.removed"
        case .userAdded: return "user.added"
        case .parPushed: return "par.pushed"
        case .codeIssued: return "authorization.code_issued"
        case .grantCreated: return "grant.created"
        case .tokensIssued: return "token.issued"
        case .grantRevoked: return "grant.revoked"
        case .authorizationRejected: return "authorization.rejected"
        case .userAuthenticated: return "user.authenticated"
        case .authenticationFailed: return "user.authentication_failed"
        case .consentGiven: return "consent.given"
        case .consentDenied: return "consent.denied"
        case .codeReused: return "authorization.code_reused"
        case .tokenRevoked: return "token.revoked"
        case .clientJWKSFetched: return "client.jwks_fetched"
        case .grantUpdated: return "grant.updated"
        }
    }

    /// The payload schema version written by this build.
    public var schemaVersion: UInt16 { 1 }

    /// Every type this build writes, for documentation and statistics.
    public static let allTypes = [
        "key.signing_added", "key.signing_retired", "client.registered", "client.updated", "client.removed",
        "user.added", "par.pushed", "authorization.code_issued", "grant.created", "token.issued", "grant.revoked",
        "authorization.rejected", "user.authenticated", "user.authentication_failed", "consent.given", "consent.denied",
        "authorization.code_reused", "token.revoked", "client.jwks_fetched", "grant.updated",
    ]

    /// The payload JSON, in an encoder's scratch buffer (its `output`), so that the record can be
    /// allocated once at its exact size. The events of every authorization are written member by
    /// member (`PayloadWriter.swift`: the same bytes, without the `Codable` containers); the rest
    /// through `Codable`.
    func payloadScratch() throws -> _EventJSONEncoderState {
        switch self {
        case .signingKeyAdded(let p): try Self.codablePayload(p)
        case .signingKeyRetired(let p): try Self.codablePayload(p)
        case .clientRegistered(let p): try Self.codablePayload(p)
        case .clientUpdated(let p): try Self.codablePayload(p)
        case .clientRemoved(let p): try Self.codablePayload(p)
        case .userAdded(let p): try Self.codablePayload(p)
        case .parPushed(let p): p.payloadScratch()
        case .codeIssued(let p): p.payloadScratch()
        case .grantCreated(let p): p.payloadScratch()
        case .tokensIssued(let p): p.payloadScratch()
        case .grantRevoked(let p): try Self.codablePayload(p)
        case .authorizationRejected(let p): try Self.codablePayload(p)
        case .userAuthenticated(let p): try Self.codablePayload(p)
        case .authenticationFailed(let p): try Self.codablePayload(p)
        case .consentGiven(let p): try Self.codablePayload(p)
        case .consentDenied(let p): try Self.codablePayload(p)
        case .codeReused(let p): try Self.codablePayload(p)
        case .tokenRevoked(let p): try Self.codablePayload(p)
        case .clientJWKSFetched(let p): try Self.codablePayload(p)
        case .grantUpdated(let p): try Self.codablePayload(p)
        }
    }

    private static func codablePayload<T: Encodable>(_ value: T) throws -> _EventJSONEncoderState {
        let state = _EventJSONEncoderState(maxDepth: EventJSONEncoder().maxDepth)
        try state.encodeValue(value)
        try state.finish()
        return state
    }

    /// The events of every authorization are read member by member (`PayloadReader.swift`: the same
    /// values and the same failures, without the `Codable` containers); the rest through `Codable`.
    static func decode(type: String, schemaVersion: UInt16, payload: UnsafeRawBufferPointer) throws -> EventBody {
        let d = EventJSONDecoder()
        guard schemaVersion == 1 else {
            throw EventDecodingError.unsupportedVersion(type: type, version: schemaVersion)
        }
        switch type {
        case "key.signing_added": return .signingKeyAdded(try d.decode(SigningKeyAdded.self, from: payload))
        case "key.signing_retired": return .signingKeyRetired(try d.decode(SigningKeyRetired.self, from: payload))
        case "client.registered": return .clientRegistered(try d.decode(ClientRegistered.self, from: payload))
        case "client.updated": return .clientUpdated(try d.decode(ClientUpdated.self, from: payload))
        case "client.removed": return .clientRemoved(try d.decode(ClientRemoved.self, from: payload))
        case "user.added": return .userAdded(try d.decode(UserAdded.self, from: payload))
        case "par.pushed": return .parPushed(try ParPushed.read(from: payload))
        case "authorization.code_issued": return .codeIssued(try CodeIssued.read(from: payload))
        case "grant.created": return .grantCreated(try GrantCreated.read(from: payload))
        case "token.issued": return .tokensIssued(try TokensIssued.read(from: payload))
        case "grant.revoked": return .grantRevoked(try d.decode(GrantRevoked.self, from: payload))
        case "authorization.rejected":
            return .authorizationRejected(try d.decode(AuthorizationRejected.self, from: payload))
        case "user.authenticated": return .userAuthenticated(try d.decode(UserAuthenticated.self, from: payload))
        case "user.authentication_failed":
            return .authenticationFailed(try d.decode(AuthenticationFailed.self, from: payload))
        case "consent.given": return .consentGiven(try d.decode(ConsentGiven.self, from: payload))
        case "consent.denied": return .consentDenied(try d.decode(ConsentDenied.self, from: payload))
        case "authorization.code_reused": return .codeReused(try d.decode(CodeReused.self, from: payload))
        case "token.revoked": return .tokenRevoked(try d.decode(TokenRevoked.self, from: payload))
        case "client.jwks_fetched": return .clientJWKSFetched(try d.decode(ClientJWKSFetched.self, from: payload))
        case "grant.updated": return .grantUpdated(try d.decode(GrantUpdated.self, from: payload))
        default: throw EventDecodingError.unknownType(type)
        }
    }
}

/// Why an event record could not be read back.
public enum EventDecodingError: Error, CustomStringConvertible, Equatable {
    case malformedEnvelope(String)
    case unknownType(String)
    case unsupportedVersion(type: String, version: UInt16)
    case payload(type: String, reason: String)

    public var description: String {
        switch self {
        case .malformedEnvelope(let why): return "malformed event envelope: \(why)"
        case .unknownType(let t): return "unknown event type \(t) (written by a newer Strongroom?)"
        case .unsupportedVersion(let t, let v): return "event \(t) schema version \(v) is not readable by this build"
        case .payload(let t, let why): return "event \(t) payload does not decode: \(why)"
        }
    }
}
