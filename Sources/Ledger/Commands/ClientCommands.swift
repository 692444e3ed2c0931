import Events

/// Registers a client. The metadata has been validated by the caller (RFC 7591 rules live with the
/// protocol code); the Ledger enforces what needs state: a client id is never registered twice, not
/// even after removal, so that an audit trail never mixes two clients.
public struct RegisterClient: LedgerCommand {
    public let clientID: String
    public let metadata: String
    public let via: String
    public let actor: Actor
    public let correlation: Correlation

    public init(clientID: String, metadata: String, via: String, actor: Actor, correlation: Correlation = .none) {
        self.clientID = clientID
        self.metadata = metadata
        self.via = via
        self.actor = actor
        self.correlation = correlation
    }

    public func decide(_ state: LiveState, _ context: DecisionContext) throws -> Decision<Void> {
        guard !clientID.isEmpty else { throw LedgerRejection.invalid("client_id must not be empty") }
        if let status = state.clients[clientID] {
            throw LedgerRejection.conflict("client_id \(clientID) is already registered (\(status.rawValue))")
        }
        let event = ClientRegistered(clientID: clientID, metadata: metadata, via: via)
        return Decision(
            events: [
                NewEvent(
                    stream: .client(clientID), actor: actor, correlation: correlation, body: .clientRegistered(event))
            ],
            output: ())
    }
}

/// Replaces an active client's metadata.
public struct UpdateClient: LedgerCommand {
    public let clientID: String
    public let metadata: String
    public let actor: Actor

    public init(clientID: String, metadata: String, actor: Actor) {
        self.clientID = clientID
        self.metadata = metadata
        self.actor = actor
    }

    public func decide(_ state: LiveState, _ context: DecisionContext) throws -> Decision<Void> {
        guard state.clients[clientID] == .active else { throw LedgerRejection.notFound("no active client \(clientID)") }
        return Decision(
            events: [
                NewEvent(
                    stream: .client(clientID), actor: actor,
                    body: .clientUpdated(ClientUpdated(clientID: clientID, metadata: metadata)))
            ], output: ())
    }
}

/// Removes an active client: it can no longer authenticate.
public struct RemoveClient: LedgerCommand {
    public let clientID: String
    public let reason: String
    public let actor: Actor

    public init(clientID: String, reason: String, actor: Actor) {
        self.clientID = clientID
        self.reason = reason
        self.actor = actor
    }

    public func decide(_ state: LiveState, _ context: DecisionContext) throws -> Decision<Void> {
        guard state.clients[clientID] == .active else { throw LedgerRejection.notFound("no active client \(clientID)") }
        return Decision(
            events: [
                NewEvent(
                    stream: .client(clientID), actor: actor,
                    body: .clientRemoved(ClientRemoved(clientID: clientID, reason: reason)))
            ], output: ())
    }
}

/// Records the key set the OP fetched from an active client's `jwks_uri` (before it is used, so that
/// every signature the OP accepts can be re-verified from the journal).
public struct RecordClientJWKS: LedgerCommand {
    public let fetched: ClientJWKSFetched

    public init(_ fetched: ClientJWKSFetched) { self.fetched = fetched }

    public func decide(_ state: LiveState, _ context: DecisionContext) throws -> Decision<Void> {
        guard state.clients[fetched.clientID] == .active else {
            throw LedgerRejection.notFound("no active client \(fetched.clientID)")
        }
        return Decision(
            events: [
                NewEvent(stream: .client(fetched.clientID), actor: .system, body: .clientJWKSFetched(fetched))
            ], output: ())
    }
}
