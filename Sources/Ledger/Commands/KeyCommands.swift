import Events

/// Records a new OP signing key (public part only).
public struct AddSigningKey: LedgerCommand {
    public let event: SigningKeyAdded
    public let actor: Actor

    public init(_ event: SigningKeyAdded, actor: Actor) {
        self.event = event
        self.actor = actor
    }

    public func decide(_ state: LiveState, _ context: DecisionContext) throws -> Decision<Void> {
        guard state.signingKeys[event.kid] == nil else {
            throw LedgerRejection.conflict("key \(event.kid) already exists")
        }
        return Decision(
            events: [NewEvent(stream: .key(event.kid), actor: actor, body: .signingKeyAdded(event))], output: ())
    }
}

/// Stops a key from signing; it stays published until `publishUntilMicros`.
public struct RetireSigningKey: LedgerCommand {
    public let kid: String
    public let reason: String
    public let publishUntilMicros: Int64
    public let actor: Actor

    public init(kid: String, reason: String, publishUntilMicros: Int64, actor: Actor) {
        self.kid = kid
        self.reason = reason
        self.publishUntilMicros = publishUntilMicros
        self.actor = actor
    }

    public func decide(_ state: LiveState, _ context: DecisionContext) throws -> Decision<Void> {
        guard let status = state.signingKeys[kid] else { throw LedgerRejection.notFound("no key \(kid)") }
        guard status != .retired else { throw LedgerRejection.conflict("key \(kid) is already retired") }
        let event = SigningKeyRetired(kid: kid, reason: reason, publishUntilMicros: publishUntilMicros)
        return Decision(
            events: [NewEvent(stream: .key(kid), actor: actor, body: .signingKeyRetired(event))], output: ())
    }
}
