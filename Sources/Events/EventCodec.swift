/// The bytes of an event inside a journal record of kind 1 (`Docs/events.md`): a small binary
/// envelope followed by the payload as JSON. The envelope is binary so that reading who/what/where
/// needs no JSON parsing; the payload is JSON so that it stays self-describing for decades of audits.
///
/// | size | field |
/// | --- | --- |
/// | 1 | envelope version (`1`) |
/// | 2 | payload schema version (u16 LE) |
/// | 1 + n | type (u8 length, UTF-8) |
/// | 2 + n | stream id (u16 LE length, UTF-8) |
/// | 1 | actor kind (0 system, 1 client, 2 subject, 3 operator) |
/// | 2 + n | actor id |
/// | 2 + n | x-fapi-interaction-id (length 0 = none) |
/// | 2 + n | request id (length 0 = none) |
/// | rest | payload, JSON (UTF-8) |
///
/// Sequence number and time are the journal record's.
public enum EventCodec {
    public static let envelopeVersion: UInt8 = 1
    /// Longest stream id, actor id or correlation id accepted (bytes).
    public static let identifierBytesMax = 4096

    /// Appends the record body of `event` to `buffer`. The payload is written first (into the
    /// encoder's scratch), so that the record's bytes are reserved once at their exact size.
    public static func encode(_ event: NewEvent, into buffer: inout [UInt8]) throws {
        let payload = try event.body.payloadScratch()
        buffer.reserveCapacity(buffer.count + envelopeBytes(event) + payload.count)
        try encodeEnvelope(event, into: &buffer)
        buffer.append(contentsOf: payload.output)
    }

    /// The record body of `event`.
    public static func encode(_ event: NewEvent) throws -> [UInt8] {
        var buffer: [UInt8] = []
        try encode(event, into: &buffer)
        return buffer
    }

    /// The size of `event`'s envelope (see the table above).
    private static func envelopeBytes(_ event: NewEvent) -> Int {
        1 + 2 + 1 + event.body.type.utf8.count + 2 + event.stream.rawValue.utf8.count + 1 + 2
            + event.actor.id.utf8.count + 2 + (event.correlation.interactionID?.utf8.count ?? 0) + 2
            + (event.correlation.requestID?.utf8.count ?? 0)
    }

    private static func encodeEnvelope(_ event: NewEvent, into buffer: inout [UInt8]) throws {
        buffer.append(envelopeVersion)
        appendU16(event.body.schemaVersion, to: &buffer)
        let type = event.body.type.utf8
        buffer.append(UInt8(type.count))
        buffer.append(contentsOf: type)
        try appendString(event.stream.rawValue, to: &buffer)
        buffer.append(event.actor.kind.rawValue)
        try appendString(event.actor.id, to: &buffer)
        try appendString(event.correlation.interactionID ?? "", to: &buffer)
        try appendString(event.correlation.requestID ?? "", to: &buffer)
    }

    /// Decodes the envelope only; `payload` is the byte range of the JSON payload in `body`.
    public static func decodeEnvelope(
        _ body: UnsafeRawBufferPointer, sequence: UInt64, timeMicros: Int64
    ) throws
        -> (envelope: EventEnvelope, payload: Range<Int>)
    {
        var offset = 0
        func byte() throws -> UInt8 {
            guard offset < body.count else { throw EventDecodingError.malformedEnvelope("cut short at byte \(offset)") }
            defer { offset += 1 }
            return body[offset]
        }
        func u16() throws -> UInt16 { UInt16(try byte()) | UInt16(try byte()) << 8 }
        func string(_ length: Int) throws -> String {
            guard length <= identifierBytesMax, body.count - offset >= length else {
                throw EventDecodingError.malformedEnvelope(
                    "field of \(length) bytes overruns the record at byte \(offset)")
            }
            defer { offset += length }
            return String(decoding: UnsafeRawBufferPointer(rebasing: body[offset..<(offset + length)]), as: UTF8.self)
        }
        let version = try byte()
        guard version == envelopeVersion else {
            throw EventDecodingError.malformedEnvelope("envelope version \(version)")
        }
        let schemaVersion = try u16()
        let type = try string(Int(try byte()))
        let stream = try string(Int(try u16()))
        guard let actorKind = Actor.Kind(rawValue: try byte()) else {
            throw EventDecodingError.malformedEnvelope("unknown actor kind")
        }
        let actorID = try string(Int(try u16()))
        let interaction = try string(Int(try u16()))
        let request = try string(Int(try u16()))
        let envelope = EventEnvelope(
            sequence: sequence, timeMicros: timeMicros, type: type, schemaVersion: schemaVersion,
            stream: StreamID(stream),
            actor: Actor(kind: actorKind, id: actorID),
            correlation: Correlation(
                interactionID: interaction.isEmpty ? nil : interaction, requestID: request.isEmpty ? nil : request))
        return (envelope, offset..<body.count)
    }

    /// Decodes a whole event.
    public static func decode(_ body: [UInt8], sequence: UInt64, timeMicros: Int64) throws -> RecordedEvent {
        try body.withUnsafeBytes { raw in
            let (envelope, range) = try decodeEnvelope(raw, sequence: sequence, timeMicros: timeMicros)
            do {
                let payload = try EventBody.decode(
                    type: envelope.type, schemaVersion: envelope.schemaVersion,
                    payload: UnsafeRawBufferPointer(rebasing: raw[range]))
                return RecordedEvent(envelope: envelope, body: payload)
            } catch let e as EventDecodingError {
                throw e
            } catch {
                throw EventDecodingError.payload(type: envelope.type, reason: "\(error)")
            }
        }
    }

    /// The payload JSON text of a record body (for audit display).
    public static func payloadJSON(_ body: [UInt8]) throws -> String {
        try body.withUnsafeBytes { raw in
            let (_, range) = try decodeEnvelope(raw, sequence: 0, timeMicros: 0)
            return String(decoding: UnsafeRawBufferPointer(rebasing: raw[range]), as: UTF8.self)
        }
    }

    private static func appendU16(_ v: UInt16, to buffer: inout [UInt8]) {
        buffer.append(UInt8(v & 0xFF))
        buffer.append(UInt8(v >> 8))
    }

    private static func appendString(_ s: String, to buffer: inout [UInt8]) throws {
        let count = s.utf8.count
        guard count <= identifierBytesMax else {
            throw EventDecodingError.malformedEnvelope("identifier of \(count) bytes exceeds \(identifierBytesMax)")
        }
        appendU16(UInt16(count), to: &buffer)
        buffer.append(contentsOf: s.utf8)
    }
}

/// An event whose record body was encoded ahead of time, off the Ledger's writer thread (e.g. in the
/// request handler that built it): the bytes are a pure function of the event, so encoding early
/// changes nothing but where the CPU time is spent. A class, so that passing it through the queue and
/// the writer costs one reference count, not one per string inside the event.
public final class PreparedEvent: Sendable {
    public let event: NewEvent
    /// The record body; nil when the event is to be encoded by the Ledger's writer.
    public let body: [UInt8]?

    /// Encodes `event` now.
    public init(_ event: NewEvent) throws {
        self.event = event
        self.body = try EventCodec.encode(event)
    }

    /// Wraps `event` without encoding it (the writer encodes it).
    public init(deferring event: NewEvent) {
        self.event = event
        self.body = nil
    }
}
