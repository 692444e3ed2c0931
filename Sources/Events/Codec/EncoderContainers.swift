// The `Encoder` and its three containers. All are small structs pointing at the shared
// state and at one frame; they write straight into the output.
//
// Limits of the streaming design: a container stays usable only while no sibling value
// has been started after a nested container or `superEncoder` it handed out was used —
// i.e. containers must be used in nesting order (what synthesized and ordinary
// hand-written Codable code does). Misuse throws `EventJSONError.unsupported`; it never
// writes wrong JSON silently.

@usableFromInline
struct _EventJSONEncoderView: Encoder {
    @usableFromInline let state: _EventJSONEncoderState
    @usableFromInline let frame: Int
    @usableFromInline let serial: UInt32

    @usableFromInline
    init(state: _EventJSONEncoderState, frame: Int, serial: UInt32) {
        self.state = state
        self.frame = frame
        self.serial = serial
    }

    @usableFromInline var codingPath: [any CodingKey] { state.codingPath(frame: frame) }
    @usableFromInline var userInfo: [CodingUserInfoKey: Any] { [:] }

    @usableFromInline
    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let serial = state.open(.keyed, frame, serial, keyType: ObjectIdentifier(Key.self))
        return KeyedEncodingContainer(_KeyedEncoding<Key>(state: state, frame: frame, serial: serial))
    }

    @usableFromInline
    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        _UnkeyedEncoding(state: state, frame: frame, serial: state.open(.unkeyed, frame, serial))
    }

    @usableFromInline
    func singleValueContainer() -> any SingleValueEncodingContainer {
        _SingleValueEncoding(state: state, frame: frame, serial: state.open(.single, frame, serial))
    }
}

struct _KeyedEncoding<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let state: _EventJSONEncoderState
    let frame: Int
    let serial: UInt32

    var codingPath: [any CodingKey] { state.codingPath(frame: frame) }

    mutating func encodeNil(forKey key: Key) throws {
        try state.beginEntry(frame, serial, key.stringValue)
        state.writeNull()
    }

    mutating func encode(_ value: Bool, forKey key: Key) throws {
        try state.beginEntry(frame, serial, key.stringValue)
        state.writeBool(value)
    }

    mutating func encode(_ value: String, forKey key: Key) throws {
        try state.beginEntry(frame, serial, key.stringValue)
        state.writeQuoted(value)
    }

    mutating func encode(_ value: Double, forKey key: Key) throws {
        try state.beginEntry(frame, serial, key.stringValue)
        try state.writeDouble(value)
    }

    mutating func encode(_ value: Float, forKey key: Key) throws {
        try state.beginEntry(frame, serial, key.stringValue)
        try state.writeFloat(value)
    }

    mutating func encode(_ value: Int, forKey key: Key) throws { try signed(Int64(value), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { try signed(Int64(value), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try signed(Int64(value), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try signed(Int64(value), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try signed(value, key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { try unsigned(UInt64(value), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { try unsigned(UInt64(value), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try unsigned(UInt64(value), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try unsigned(UInt64(value), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try unsigned(value, key) }

    mutating func encode(_ value: Int128, forKey key: Key) throws {
        try state.beginEntry(frame, serial, key.stringValue)
        state.writeASCII(value.description)
    }

    mutating func encode(_ value: UInt128, forKey key: Key) throws {
        try state.beginEntry(frame, serial, key.stringValue)
        state.writeASCII(value.description)
    }

    private func signed(_ value: Int64, _ key: Key) throws {
        try state.beginEntry(frame, serial, key.stringValue)
        state.writeSigned(value)
    }

    private func unsigned(_ value: UInt64, _ key: Key) throws {
        try state.beginEntry(frame, serial, key.stringValue)
        state.writeUnsigned(value)
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try state.beginEntry(frame, serial, key.stringValue)
        try state.encodeValue(value)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let (child, childSerial) = startNested(key.stringValue)
        let serial = state.open(.keyed, child, childSerial, keyType: ObjectIdentifier(NestedKey.self))
        return KeyedEncodingContainer(_KeyedEncoding<NestedKey>(state: state, frame: child, serial: serial))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let (child, childSerial) = startNested(key.stringValue)
        return _UnkeyedEncoding(state: state, frame: child, serial: state.open(.unkeyed, child, childSerial))
    }

    mutating func superEncoder() -> any Encoder {
        let (child, childSerial) = startNested("super")
        return _EventJSONEncoderView(state: state, frame: child, serial: childSerial)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        let (child, childSerial) = startNested(key.stringValue)
        return _EventJSONEncoderView(state: state, frame: child, serial: childSerial)
    }

    /// Writes `"key":` and opens a frame for the value; on misuse, records the error
    /// and returns serial 0 so the returned container throws when used.
    private func startNested(_ name: String) -> (Int, UInt32) {
        do {
            try state.beginEntry(frame, serial, name)
        } catch {
            state.record(error)
            return (frame, 0)
        }
        return state.pushFrame()
    }
}

struct _UnkeyedEncoding: UnkeyedEncodingContainer {
    let state: _EventJSONEncoderState
    let frame: Int
    let serial: UInt32

    var codingPath: [any CodingKey] { state.codingPath(frame: frame) }

    var count: Int {
        guard frame < state.frameCount, state.frames[frame].serial == serial else { return 0 }
        return state.frames[frame].count
    }

    mutating func encodeNil() throws {
        try state.beginElement(frame, serial)
        state.writeNull()
    }

    mutating func encode(_ value: Bool) throws {
        try state.beginElement(frame, serial)
        state.writeBool(value)
    }

    mutating func encode(_ value: String) throws {
        try state.beginElement(frame, serial)
        state.writeQuoted(value)
    }

    mutating func encode(_ value: Double) throws {
        try state.beginElement(frame, serial)
        try state.writeDouble(value)
    }

    mutating func encode(_ value: Float) throws {
        try state.beginElement(frame, serial)
        try state.writeFloat(value)
    }

    mutating func encode(_ value: Int) throws { try signed(Int64(value)) }
    mutating func encode(_ value: Int8) throws { try signed(Int64(value)) }
    mutating func encode(_ value: Int16) throws { try signed(Int64(value)) }
    mutating func encode(_ value: Int32) throws { try signed(Int64(value)) }
    mutating func encode(_ value: Int64) throws { try signed(value) }
    mutating func encode(_ value: UInt) throws { try unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt8) throws { try unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt16) throws { try unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt32) throws { try unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt64) throws { try unsigned(value) }

    mutating func encode(_ value: Int128) throws {
        try state.beginElement(frame, serial)
        state.writeASCII(value.description)
    }

    mutating func encode(_ value: UInt128) throws {
        try state.beginElement(frame, serial)
        state.writeASCII(value.description)
    }

    private func signed(_ value: Int64) throws {
        try state.beginElement(frame, serial)
        state.writeSigned(value)
    }

    private func unsigned(_ value: UInt64) throws {
        try state.beginElement(frame, serial)
        state.writeUnsigned(value)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try state.beginElement(frame, serial)
        try state.encodeValue(value)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type
    ) -> KeyedEncodingContainer<NestedKey> {
        let (child, childSerial) = startNested()
        let serial = state.open(.keyed, child, childSerial, keyType: ObjectIdentifier(NestedKey.self))
        return KeyedEncodingContainer(_KeyedEncoding<NestedKey>(state: state, frame: child, serial: serial))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let (child, childSerial) = startNested()
        return _UnkeyedEncoding(state: state, frame: child, serial: state.open(.unkeyed, child, childSerial))
    }

    mutating func superEncoder() -> any Encoder {
        let (child, childSerial) = startNested()
        return _EventJSONEncoderView(state: state, frame: child, serial: childSerial)
    }

    private func startNested() -> (Int, UInt32) {
        do {
            try state.beginElement(frame, serial)
        } catch {
            state.record(error)
            return (frame, 0)
        }
        return state.pushFrame()
    }
}

struct _SingleValueEncoding: SingleValueEncodingContainer {
    let state: _EventJSONEncoderState
    let frame: Int
    let serial: UInt32

    var codingPath: [any CodingKey] { state.codingPath(frame: frame) }

    mutating func encodeNil() throws {
        try state.beginSingle(frame, serial)
        state.writeNull()
    }

    mutating func encode(_ value: Bool) throws {
        try state.beginSingle(frame, serial)
        state.writeBool(value)
    }

    mutating func encode(_ value: String) throws {
        try state.beginSingle(frame, serial)
        state.writeQuoted(value)
    }

    mutating func encode(_ value: Double) throws {
        try state.beginSingle(frame, serial)
        try state.writeDouble(value)
    }

    mutating func encode(_ value: Float) throws {
        try state.beginSingle(frame, serial)
        try state.writeFloat(value)
    }

    mutating func encode(_ value: Int) throws { try signed(Int64(value)) }
    mutating func encode(_ value: Int8) throws { try signed(Int64(value)) }
    mutating func encode(_ value: Int16) throws { try signed(Int64(value)) }
    mutating func encode(_ value: Int32) throws { try signed(Int64(value)) }
    mutating func encode(_ value: Int64) throws { try signed(value) }
    mutating func encode(_ value: UInt) throws { try unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt8) throws { try unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt16) throws { try unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt32) throws { try unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt64) throws { try unsigned(value) }

    mutating func encode(_ value: Int128) throws {
        try state.beginSingle(frame, serial)
        state.writeASCII(value.description)
    }

    mutating func encode(_ value: UInt128) throws {
        try state.beginSingle(frame, serial)
        state.writeASCII(value.description)
    }

    private func signed(_ value: Int64) throws {
        try state.beginSingle(frame, serial)
        state.writeSigned(value)
    }

    private func unsigned(_ value: UInt64) throws {
        try state.beginSingle(frame, serial)
        state.writeUnsigned(value)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try state.beginSingle(frame, serial)
        try state.encodeValue(value)
    }
}
