import Events
import Projection

/// A recorded event as the projection receives it: sequence `seq` at `seq` milliseconds.
func projectionEvent(
    _ seq: UInt64, _ body: EventBody, stream: StreamID = .client("c"), actor: Actor = .operator("ops")
) -> ProjectionInput {
    .event(
        RecordedEvent(
            envelope: EventEnvelope(
                sequence: seq, timeMicros: Int64(seq) * 1000, type: body.type, schemaVersion: body.schemaVersion,
                stream: stream, actor: actor, correlation: .none),
            body: body))
}
