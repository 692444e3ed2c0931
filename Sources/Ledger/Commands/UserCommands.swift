import Events

/// Adds an end user. The password arrives already hashed with the slow KDF (never in clear here).
public struct AddUser: LedgerCommand {
    public let event: UserAdded
    public let actor: Actor

    public init(_ event: UserAdded, actor: Actor) {
        self.event = event
        self.actor = actor
    }

    public func decide(_ state: LiveState, _ context: DecisionContext) throws -> Decision<Void> {
        guard !event.username.isEmpty, !event.subject.isEmpty else {
            throw LedgerRejection.invalid("username and subject must not be empty")
        }
        guard state.usernames[event.username] == nil else {
            throw LedgerRejection.conflict("username \(event.username) is taken")
        }
        guard !state.subjects.contains(event.subject) else {
            throw LedgerRejection.conflict("subject \(event.subject) already exists")
        }
        return Decision(
            events: [NewEvent(stream: .user(event.subject), actor: actor, body: .userAdded(event))], output: ())
    }
}
