import Events
import JOSE

/// A client's registrations as journaled, replayed to answer "which keys did this client have
/// registered at sequence N?" — the key a signature must be checked against is the one of that time,
/// not today's.
struct ClientKeyHistory {
    /// Registration events per client, in journal order.
    private var events: [String: [RecordedEvent]] = [:]

    init(_ keyEvents: [RecordedEvent]) {
        for event in keyEvents.sorted(by: { $0.sequence < $1.sequence }) {
            if let id = event.registeredClientID { events[id, default: []].append(event) }
        }
    }

    enum Keys {
        case keys(ClientJWKSet, metadata: [String: JSONValue], registeredAt: UInt64)
        case none(String)
    }

    /// The registration in force just before `sequence`; for a client that registered a `jwks_uri`,
    /// the key set the OP last fetched from it (`client.jwks_fetched`) before `sequence`.
    func keys(of clientID: String, before sequence: UInt64) -> Keys {
        let isRegistration: (RecordedEvent) -> Bool = { event in
            if case .clientJWKSFetched = event.body { return false }
            return true
        }
        guard let last = events[clientID]?.last(where: { $0.sequence < sequence && isRegistration($0) }) else {
            return .none("no registration of client \(clientID) before sequence \(sequence) in the journal")
        }
        let metadataText: String
        switch last.body {
        case .clientRegistered(let p): metadataText = p.metadata
        case .clientUpdated(let p): metadataText = p.metadata
        case .clientRemoved(let p):
            return .none("client \(clientID) was removed at sequence \(last.sequence) (\(p.reason))")
        default: return .none("unexpected registration event")
        }
        guard let metadata = try? JSONValue.parseObject(Array(metadataText.utf8)) else {
            return .none("the registered metadata of client \(clientID) (sequence \(last.sequence)) is not JSON")
        }
        guard let jwks = metadata["jwks"]?.objectValue else {
            if let uri = metadata["jwks_uri"]?.stringValue {
                let fetched = events[clientID]?.last { event in
                    guard event.sequence < sequence, case .clientJWKSFetched(let p) = event.body else { return false }
                    return p.jwksURI == uri
                }
                guard let fetched, case .clientJWKSFetched(let p) = fetched.body else {
                    return .none(
                        "client \(clientID) registered the jwks_uri \(uri), and no key set fetched from it is journaled before sequence \(sequence)"
                    )
                }
                do {
                    return .keys(
                        try ClientJWKSet.parse(Array(p.jwks.utf8)), metadata: metadata, registeredAt: fetched.sequence)
                } catch {
                    return .none(
                        "the key set fetched from \(uri) (sequence \(fetched.sequence)) does not parse: \(error.reason)"
                    )
                }
            }
            return .none("client \(clientID) registered no jwks (sequence \(last.sequence))")
        }
        do {
            return .keys(try ClientJWKSet.parse(jwks), metadata: metadata, registeredAt: last.sequence)
        } catch {
            return .none("the jwks registered by client \(clientID) does not parse: \(error.reason)")
        }
    }

    func registrationEvents(of clientID: String, through sequence: UInt64) -> [RecordedEvent] {
        (events[clientID] ?? []).filter { $0.sequence <= sequence }
    }
}

/// Re-verifies the signed artifacts an event carries: the client assertion and the request object
/// against the client's keys of that time, the DPoP proof against its own `jwk`, and that what the
/// journal recorded about them (`jti`, `jkt`, issuer) is what they say.
enum ArtifactVerifier {
    static func verify(_ event: RecordedEvent, history: ClientKeyHistory) -> [AuditReport.Artifact] {
        var out: [AuditReport.Artifact] = []
        func evidence(_ e: ClientEvidence?, clientID: String, confirmationJKT: String?) {
            guard let e else { return }
            if let assertion = e.clientAssertion {
                out.append(
                    clientSigned(
                        assertion, kind: "client_assertion", clientID: clientID, at: event.sequence, history: history
                    ) { claims in
                        var problems: [String] = []
                        if claims["iss"]?.stringValue != clientID { problems.append("iss is not \(clientID)") }
                        if claims["sub"]?.stringValue != clientID { problems.append("sub is not \(clientID)") }
                        if let jti = e.assertionJTI, claims["jti"]?.stringValue != jti {
                            problems.append("jti differs from the journaled \(jti)")
                        }
                        if let exp = e.assertionExpiresAtMicros, let claimed = claims["exp"]?.numericDate,
                            claimed * 1_000_000 != exp
                        {
                            problems.append("exp differs from the journaled expiry")
                        }
                        return problems
                    })
            }
            if let proof = e.dpopProof {
                out.append(dpop(proof, jkt: e.dpopJKT, jti: e.dpopJTI, confirmationJKT: confirmationJKT))
            }
        }
        switch event.body {
        case .parPushed(let p):
            evidence(p.evidence, clientID: p.clientID, confirmationJKT: p.dpopJKT)
            if let requestObject = p.requestObject {
                out.append(
                    clientSigned(
                        requestObject, kind: "request_object", clientID: p.clientID, at: event.sequence,
                        history: history
                    ) { claims in
                        var problems: [String] = []
                        if let iss = claims["iss"]?.stringValue, iss != p.clientID {
                            problems.append("iss is not \(p.clientID)")
                        }
                        if let cid = claims["client_id"]?.stringValue, cid != p.clientID {
                            problems.append("client_id is not \(p.clientID)")
                        }
                        return problems
                    })
            }
        case .tokensIssued(let p): evidence(p.evidence, clientID: p.clientID, confirmationJKT: p.confirmation.jkt)
        case .authorizationRejected(let p): evidence(p.evidence, clientID: p.clientID ?? "", confirmationJKT: nil)
        // No signed artifact in these (a new event type with one must be handled above).
        case .signingKeyAdded, .signingKeyRetired, .clientRegistered, .clientUpdated, .clientRemoved, .userAdded,
            .codeIssued, .grantCreated, .grantRevoked, .userAuthenticated, .authenticationFailed, .consentGiven,
            .consentDenied, .codeReused, .tokenRevoked, .grantUpdated, .clientJWKSFetched:
            break
        }
        return out
    }

    private static func decoded(_ jws: CompactJWS) -> (String?, String?) {
        let header = try? JSONValue.object(jws.header).jsonBytes()
        let payload = (try? JSONValue.parse(jws.payload)).flatMap { try? $0.jsonBytes() }
        return (header.map { String(decoding: $0, as: UTF8.self) }, payload.map { String(decoding: $0, as: UTF8.self) })
    }

    /// A JWS the client signed with one of its registered keys.
    private static func clientSigned(
        _ compact: String, kind: String, clientID: String, at sequence: UInt64, history: ClientKeyHistory,
        facts: ([String: JSONValue]) -> [String]
    ) -> AuditReport.Artifact {
        var artifact = AuditReport.Artifact(
            kind: kind, status: .failed, detail: "", verifiedWithKey: nil, header: nil, payload: nil, compact: compact)
        let jws: CompactJWS
        do {
            jws = try CompactJWS.parse(compact)
        } catch {
            artifact.detail = "not a compact JWS: \(error.reason)"
            return artifact
        }
        (artifact.header, artifact.payload) = decoded(jws)
        guard case .keys(let keys, _, let registeredAt) = history.keys(of: clientID, before: sequence) else {
            if case .none(let why) = history.keys(of: clientID, before: sequence) { artifact.detail = why }
            artifact.status = .keyNotFound
            return artifact
        }
        do {
            let key = try keys.verify(jws, allowedAlgorithms: JWSAlgorithm.fapi2)
            artifact.verifiedWithKey = key.kid ?? key.thumbprint
            let claims = (try? jws.claims()) ?? [:]
            let problems = facts(claims)
            if problems.isEmpty {
                artifact.status = .verified
                artifact.detail =
                    "\(jws.alg) signature verifies with key \(artifact.verifiedWithKey ?? "?") of client \(clientID) as registered at sequence \(registeredAt) (in force at this event); journaled facts match"
            } else {
                artifact.detail = "signature verifies, but " + problems.joined(separator: "; ")
            }
        } catch {
            artifact.status = error.kind == .noMatchingKey ? .keyNotFound : .failed
            artifact.detail = error.reason
        }
        return artifact
    }

    /// A DPoP proof: signed by the key in its own header; its thumbprint must be the journaled `jkt`.
    private static func dpop(
        _ compact: String, jkt: String?, jti: String?, confirmationJKT: String?
    )
        -> AuditReport.Artifact
    {
        var artifact = AuditReport.Artifact(
            kind: "dpop_proof", status: .failed, detail: "", verifiedWithKey: nil, header: nil, payload: nil,
            compact: compact)
        do {
            let jws = try CompactJWS.parse(compact)
            (artifact.header, artifact.payload) = decoded(jws)
            guard jws.typ == "dpop+jwt" else {
                artifact.detail = "typ is not dpop+jwt"
                return artifact
            }
            guard let jwk = jws.header["jwk"]?.objectValue else {
                artifact.status = .keyNotFound
                artifact.detail = "the proof carries no jwk header"
                return artifact
            }
            let key = try ClientJWK(jwk: jwk)
            try key.verify(jws, allowedAlgorithms: JWSAlgorithm.fapi2)
            artifact.verifiedWithKey = key.thumbprint
            var problems: [String] = []
            if let jkt, key.thumbprint != jkt { problems.append("its key thumbprint is not the journaled jkt \(jkt)") }
            if let confirmationJKT, key.thumbprint != confirmationJKT {
                problems.append("its key thumbprint is not the bound jkt \(confirmationJKT)")
            }
            if let jti, (try? jws.claims())?["jti"]?.stringValue != jti {
                problems.append("jti differs from the journaled \(jti)")
            }
            if problems.isEmpty {
                artifact.status = .verified
                artifact.detail =
                    "\(jws.alg) signature verifies with the proof's jwk (jkt \(key.thumbprint)); journaled jti and jkt match"
            } else {
                artifact.detail = "signature verifies, but " + problems.joined(separator: "; ")
            }
        } catch {
            artifact.status = .failed
            artifact.detail = error.reason
        }
        return artifact
    }
}
