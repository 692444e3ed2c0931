// The `Decoder` and its three containers: small structs pointing at the shared state
// and at one tape node. Nothing is parsed here; the tape is already validated. Coding
// paths are rebuilt from the tape when an error or a `codingPath` query needs one.

@usableFromInline
struct _EventJSONDecoderView: Decoder {
    @usableFromInline let state: _EventJSONDecoderState
    @usableFromInline let node: Int

    @usableFromInline
    init(state: _EventJSONDecoderState, node: Int) {
        self.state = state
        self.node = node
    }

    @usableFromInline var codingPath: [any CodingKey] {
        state.isValid ? state.codingPath(to: node) : []
    }

    @usableFromInline var userInfo: [CodingUserInfoKey: Any] { [:] }

    @usableFromInline
    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        try state.checkValid()
        guard state.nodes[node].kind == .object else { throw state.mismatch(node, [String: Any].self) }
        return KeyedDecodingContainer(_KeyedDecoding<Key>(state: state, node: node))
    }

    @usableFromInline
    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try state.checkValid()
        guard state.nodes[node].kind == .array else { throw state.mismatch(node, [Any].self) }
        return _UnkeyedDecoding(state: state, node: node)
    }

    @usableFromInline
    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        try state.checkValid()
        return _SingleValueDecoding(state: state, node: node)
    }
}

struct _KeyedDecoding<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let state: _EventJSONDecoderState
    let node: Int

    var codingPath: [any CodingKey] {
        state.isValid ? state.codingPath(to: node) : []
    }

    var allKeys: [Key] {
        guard state.isValid else { return [] }
        return state.keys(of: node).compactMap { Key(stringValue: $0) }
    }

    func contains(_ key: Key) -> Bool {
        state.isValid && state.find(key.stringValue, in: node) != nil
    }

    /// The value node of `key`; keyNotFound if absent.
    @inline(__always)
    private func value(_ key: Key) throws -> Int {
        try state.checkValid()
        guard let value = state.find(key.stringValue, in: node) else { throw keyNotFound(key) }
        return value
    }

    private func keyNotFound(_ key: any CodingKey) -> DecodingError {
        DecodingError.keyNotFound(
            key,
            DecodingError.Context(
                codingPath: codingPath,
                debugDescription:
                    "No value associated with key \"\(key.stringValue)\" (object at byte \(state.offset(node)))."))
    }

    /// The value node of `key`, or nil if absent or null.
    @inline(__always)
    private func presentValue(_ key: Key) throws -> Int? {
        try state.checkValid()
        guard let value = state.find(key.stringValue, in: node), state.nodes[value].kind != .null else { return nil }
        return value
    }

    func decodeNil(forKey key: Key) throws -> Bool { state.nodes[try value(key)].kind == .null }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try state.bool(value(key)) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try state.string(value(key)) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try state.double(value(key)) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try state.float(value(key)) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try state.integer(value(key), type) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try state.integer(value(key), type) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try state.integer(value(key), type) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try state.integer(value(key), type) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try state.integer(value(key), type) }
    func decode(_ type: Int128.Type, forKey key: Key) throws -> Int128 { try state.integer(value(key), type) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try state.integer(value(key), type) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try state.integer(value(key), type) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try state.integer(value(key), type) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try state.integer(value(key), type) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try state.integer(value(key), type) }
    func decode(_ type: UInt128.Type, forKey key: Key) throws -> UInt128 { try state.integer(value(key), type) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try state.decodeValue(T.self, node: value(key))
    }

    // One lookup instead of the default contains + decodeNil + decode.

    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? {
        try presentValue(key).map { try state.bool($0) }
    }

    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? {
        try presentValue(key).map { try state.string($0) }
    }

    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? {
        try presentValue(key).map { try state.double($0) }
    }

    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? {
        try presentValue(key).map { try state.float($0) }
    }

    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try optionalInteger(key) }
    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try optionalInteger(key) }
    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try optionalInteger(key) }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try optionalInteger(key) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try optionalInteger(key) }
    func decodeIfPresent(_ type: Int128.Type, forKey key: Key) throws -> Int128? { try optionalInteger(key) }
    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try optionalInteger(key) }
    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try optionalInteger(key) }
    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try optionalInteger(key) }
    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try optionalInteger(key) }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try optionalInteger(key) }
    func decodeIfPresent(_ type: UInt128.Type, forKey key: Key) throws -> UInt128? { try optionalInteger(key) }

    @inline(__always)
    private func optionalInteger<T: FixedWidthInteger>(_ key: Key) throws -> T? {
        try presentValue(key).map { try state.integer($0, T.self) }
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let value = try presentValue(key) else { return nil }
        return try state.decodeValue(T.self, node: value)
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        let value = try value(key)
        guard state.nodes[value].kind == .object else { throw state.mismatch(value, [String: Any].self) }
        return KeyedDecodingContainer(_KeyedDecoding<NestedKey>(state: state, node: value))
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        let value = try value(key)
        guard state.nodes[value].kind == .array else { throw state.mismatch(value, [Any].self) }
        return _UnkeyedDecoding(state: state, node: value)
    }

    func superDecoder() throws -> any Decoder {
        try state.checkValid()
        guard let value = state.find("super", in: node) else { throw keyNotFound(_EventJSONKey.super) }
        return _EventJSONDecoderView(state: state, node: value)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        _EventJSONDecoderView(state: state, node: try value(key))
    }
}

struct _UnkeyedDecoding: UnkeyedDecodingContainer {
    let state: _EventJSONDecoderState
    let node: Int
    let total: Int
    /// Tape node of the element at `currentIndex`.
    private var cursor: Int
    private(set) var currentIndex = 0

    init(state: _EventJSONDecoderState, node: Int) {
        self.state = state
        self.node = node
        self.total = Int(state.nodes[node].count)
        self.cursor = node + 1
    }

    var codingPath: [any CodingKey] {
        state.isValid ? state.codingPath(to: node) : []
    }

    var count: Int? { total }
    var isAtEnd: Bool { currentIndex >= total }

    /// The current element's node (not consumed); valueNotFound at the end.
    @inline(__always)
    private func current(_ type: Any.Type) throws -> Int {
        try state.checkValid()
        guard currentIndex < total else {
            throw DecodingError.valueNotFound(
                type,
                DecodingError.Context(
                    codingPath: state.codingPath(to: node, appending: _EventJSONKey(intValue: currentIndex)),
                    debugDescription: "Unkeyed container is at end."))
        }
        return cursor
    }

    /// Moves past the current element (only after it decoded, as Foundation does).
    @inline(__always)
    private mutating func advance() {
        cursor = Int(state.nodes[cursor].next)
        currentIndex += 1
    }

    mutating func decodeNil() throws -> Bool {
        guard state.nodes[try current(Never.self)].kind == .null else { return false }
        advance()
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool {
        let value = try state.bool(current(type))
        advance()
        return value
    }

    mutating func decode(_ type: String.Type) throws -> String {
        let value = try state.string(current(type))
        advance()
        return value
    }

    mutating func decode(_ type: Double.Type) throws -> Double {
        let value = try state.double(current(type))
        advance()
        return value
    }

    mutating func decode(_ type: Float.Type) throws -> Float {
        let value = try state.float(current(type))
        advance()
        return value
    }

    mutating func decode(_ type: Int.Type) throws -> Int { try integer() }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try integer() }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try integer() }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try integer() }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try integer() }
    mutating func decode(_ type: Int128.Type) throws -> Int128 { try integer() }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try integer() }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try integer() }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try integer() }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try integer() }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try integer() }
    mutating func decode(_ type: UInt128.Type) throws -> UInt128 { try integer() }

    @inline(__always)
    private mutating func integer<T: FixedWidthInteger>() throws -> T {
        let value = try state.integer(current(T.self), T.self)
        advance()
        return value
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let value = try state.decodeValue(T.self, node: current(type))
        advance()
        return value
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type
    ) throws -> KeyedDecodingContainer<NestedKey> {
        let value = try current(type)
        guard state.nodes[value].kind == .object else { throw state.mismatch(value, [String: Any].self) }
        advance()
        return KeyedDecodingContainer(_KeyedDecoding<NestedKey>(state: state, node: value))
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let value = try current([Any].self)
        guard state.nodes[value].kind == .array else { throw state.mismatch(value, [Any].self) }
        advance()
        return _UnkeyedDecoding(state: state, node: value)
    }

    mutating func superDecoder() throws -> any Decoder {
        let value = try current((any Decoder).self)
        advance()
        return _EventJSONDecoderView(state: state, node: value)
    }
}

struct _SingleValueDecoding: SingleValueDecodingContainer {
    let state: _EventJSONDecoderState
    let node: Int

    var codingPath: [any CodingKey] {
        state.isValid ? state.codingPath(to: node) : []
    }

    @inline(__always)
    private func checked() throws -> Int {
        try state.checkValid()
        return node
    }

    func decodeNil() -> Bool {
        state.isValid && state.nodes[node].kind == .null
    }

    func decode(_ type: Bool.Type) throws -> Bool { try state.bool(checked()) }
    func decode(_ type: String.Type) throws -> String { try state.string(checked()) }
    func decode(_ type: Double.Type) throws -> Double { try state.double(checked()) }
    func decode(_ type: Float.Type) throws -> Float { try state.float(checked()) }
    func decode(_ type: Int.Type) throws -> Int { try state.integer(checked(), type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try state.integer(checked(), type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try state.integer(checked(), type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try state.integer(checked(), type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try state.integer(checked(), type) }
    func decode(_ type: Int128.Type) throws -> Int128 { try state.integer(checked(), type) }
    func decode(_ type: UInt.Type) throws -> UInt { try state.integer(checked(), type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try state.integer(checked(), type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try state.integer(checked(), type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try state.integer(checked(), type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try state.integer(checked(), type) }
    func decode(_ type: UInt128.Type) throws -> UInt128 { try state.integer(checked(), type) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try state.decodeValue(T.self, node: checked())
    }
}
