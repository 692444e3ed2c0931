/// A fast, strict JSON decoder for event payloads.
///
/// Decoding runs in two passes over the bytes, neither of which builds Swift
/// collections: first the whole input is validated against RFC 8259 and indexed into a
/// flat tape; then the `Decodable` calls read values straight from the tape. It reads
/// both `EventJSONEncoder`'s output and Foundation `JSONEncoder`'s (default strategies:
/// `Data` as base64, `URL` as a string, `Decimal`/`Date` as numbers).
///
/// It is strict, and throws instead of guessing:
/// - syntax: any JSON whitespace; all escapes including `\uXXXX` surrogate pairs (lone
///   surrogates are refused); no leading zeros, trailing commas, comments, `NaN`, or
///   data after the value; strings must be valid UTF-8 without raw control characters;
/// - duplicate keys in an object (compared after unescaping) are refused;
/// - integers must be written as integers (`1`, not `1.0` or `1e0`) and fit the Swift
///   type; `Double`/`Float` must be finite (`1e400` is refused, `1e-400` is `0`);
/// - nesting deeper than `maxDepth` and inputs larger than `maxInputBytes` are refused
///   before any `Decodable` code runs.
///
/// Syntax and limit problems throw `EventJSONError` (with the byte offset); values that
/// do not fit the type throw `DecodingError` (`keyNotFound`, `typeMismatch`,
/// `valueNotFound`, `dataCorrupted`) with the coding path, like Foundation (the path's
/// keys are spelled as in the JSON; array positions carry `intValue`). Keys may be
/// asked for in any order (keyed containers look keys up among the object's entries,
/// which is O(1) when asked in document order); unknown keys are ignored. `userInfo` is
/// always empty.
///
/// ```swift
/// struct Granted: Codable { var clientId: String; var scopes: [String] }
/// let bytes = Array(#"{"clientId":"c1","scopes":["openid"]}"#.utf8)
/// let event = try EventJSONDecoder().decode(Granted.self, from: bytes)
/// // event.scopes == ["openid"]
/// ```
public struct EventJSONDecoder: Sendable {
    /// Deepest nesting of arrays and objects accepted (default 64).
    public var maxDepth: Int = 64
    /// Largest input accepted, in bytes (default 16 MiB; at most 4 GiB).
    public var maxInputBytes: Int = 16 << 20

    public init() {}

    /// Decodes a `T` from the JSON in `bytes`.
    @inlinable
    public func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try bytes.withUnsafeBytes { try decode(type, from: $0) }
    }

    /// Decodes a `T` from the JSON in `bytes`.
    @inlinable
    public func decode<T: Decodable>(_ type: T.Type, from bytes: ArraySlice<UInt8>) throws -> T {
        try bytes.withUnsafeBytes { try decode(type, from: $0) }
    }

    /// Decodes a `T` from the JSON in `bytes`. The bytes are only read during the call;
    /// decoded strings are copies.
    @inlinable
    public func decode<T: Decodable>(_ type: T.Type, from bytes: UnsafeRawBufferPointer) throws -> T {
        let state = try _EventJSONDecoderState(bytes: bytes, maxDepth: maxDepth, maxInputBytes: maxInputBytes)
        defer { state.invalidate() }
        return try state.decodeValue(T.self, node: 0)
    }
}
