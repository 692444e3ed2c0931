import Events
import Projection

/// What a command's decision sees besides the state: the OP's clock, read once per batch.
public struct DecisionContext: Sendable {
    /// Time of the events decided now (µs since the Unix epoch, never decreasing).
    public let nowMicros: Int64
    /// Point reads of projected state (nil only in the journal-alone benchmark). What decisions
    /// consumed or revoked since the projection last caught up is in `LiveState.protocolState`.
    public let projection: ProjectionStore?
    /// Grants as decisions last computed them (nil: always read); the Ledger keeps it current.
    public let grants: GrantMemory?

    public init(nowMicros: Int64, projection: ProjectionStore?, grants: GrantMemory? = nil) {
        self.nowMicros = nowMicros
        self.projection = projection
        self.grants = grants
    }
}

/// A command's verdict: the events that record it, and what to answer once they are durable.
public struct Decision<Output: Sendable>: Sendable {
    /// The events, each with its record body when it was encoded ahead of time.
    var items: [PreparedEvent]
    public var output: Output

    public init(events: [NewEvent], output: Output) {
        self.items = events.map { PreparedEvent(deferring: $0) }
        self.output = output
    }

    /// Events encoded by the caller (`PreparedEvent`), which spares the writer thread the encoding.
    public init(prepared: [PreparedEvent], output: Output) {
        self.items = prepared
        self.output = output
    }

    public var events: [NewEvent] { items.map(\.event) }
}

/// A state change asked of the Ledger. `decide` runs on the Ledger's single writer thread against the
/// current live state; it must not mutate anything and must be quick (no I/O, no signatures: do
/// those before, in the request handler). Throwing rejects the command: no events, no state change.
///
/// ```swift
/// struct RemoveClient: LedgerCommand {
///     let clientID: String
///     func decide(_ state: LiveState, _ context: DecisionContext) throws -> Decision<Void> {
///         guard state.clients[clientID] == .active else { throw LedgerRejection.notFound("no client \(clientID)") }
///         return Decision(events: [...], output: ())
///     }
/// }
/// let () = try await ledger.execute(RemoveClient(clientID: "tpp-1"))
/// ```
public protocol LedgerCommand: Sendable {
    associatedtype Output: Sendable
    func decide(_ state: LiveState, _ context: DecisionContext) throws -> Decision<Output>
}

/// Why the Ledger refused a command of this kinds (protocol commands throw OAuth errors).
public enum LedgerRejection: Error, Equatable, CustomStringConvertible, Sendable {
    case conflict(String)
    case notFound(String)
    case invalid(String)

    public var description: String {
        switch self {
        case .conflict(let m), .notFound(let m), .invalid(let m): return m
        }
    }
}

/// Why the Ledger could not take or finish a command at all.
public enum LedgerError: Error, CustomStringConvertible, Sendable {
    /// The bounded queue is full: the caller should retry later (HTTP 503 + Retry-After).
    case overloaded(queueCapacity: Int)
    /// The Ledger stopped after a journal failure or by shutdown; nothing more is accepted.
    case stopped(String)

    public var description: String {
        switch self {
        case .overloaded(let n): return "the ledger's queue is full (\(n) commands waiting); retry shortly"
        case .stopped(let why): return "the ledger is stopped: \(why)"
        }
    }
}
