/// A fast, streaming JSON encoder for event payloads.
///
/// The JSON is written straight into a byte buffer while the `Encodable` calls
/// happen; no intermediate tree is built. The output is compact (no whitespace) and
/// deterministic:
/// - object keys appear in the order of the `encode` calls (the declaration order for
///   synthesized `Codable`); `Dictionary` entries are sorted by the UTF-8 bytes of
///   their keys;
/// - `encodeIfPresent` with `nil` omits the key; `nil` inside arrays is `null`;
/// - strings escape `"`, `\` and control characters below U+0020 (short forms where
///   JSON has them, else `\u00XX`); everything else, including non-ASCII UTF-8, is
///   written as is (`/` is not escaped);
/// - `Double`/`Float` use Swift's shortest round-trip `description` (`0.1`, `1e-300`,
///   `-0.0`, `1.0`); NaN and infinities throw `EncodingError.invalidValue`;
/// - like Foundation's `JSONEncoder` with default strategies: `Data` is a base64 string,
///   `URL` its `absoluteString`, `Decimal` a JSON number, and `Date` its own `Codable`
///   form (seconds since 2001-01-01 as a number); `[UInt8]` is an array of numbers;
/// - a value that opens no container at all encodes as `{}` (as Foundation does).
///
/// Limits: containers must be used in nesting order (a container handed out earlier
/// cannot be written to after a later sibling value was started; synthesized code
/// never does that) and the same key written twice to one keyed container is written
/// twice (the decoder then rejects it as a duplicate). Nesting deeper than `maxDepth`
/// throws, so nothing is written that `EventJSONDecoder` would refuse. `userInfo` is
/// always empty.
///
/// ```swift
/// struct Granted: Codable { var clientId: String; var scopes: [String] }
/// let encoder = EventJSONEncoder()
/// let bytes = try encoder.encode(Granted(clientId: "c1", scopes: ["openid"]))
/// // bytes == Array(#"{"clientId":"c1","scopes":["openid"]}"#.utf8)
///
/// var batch: [UInt8] = []                     // reuse one buffer for many events
/// try encoder.encode(Granted(clientId: "c2", scopes: []), into: &batch)
/// ```
public struct EventJSONEncoder: Sendable {
    /// Deepest nesting of arrays and objects that may be written (default 64, the same
    /// as `EventJSONDecoder.maxDepth`).
    public var maxDepth: Int = 64

    public init() {}

    /// Returns the compact JSON bytes of `value`.
    @inlinable
    public func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try encode(value, into: &bytes)
        return bytes
    }

    /// Appends the JSON of `value` to `buffer` (lets callers reuse one buffer).
    ///
    /// On error `buffer` is left unchanged.
    @inlinable
    public func encode<T: Encodable>(_ value: T, into buffer: inout [UInt8]) throws {
        let state = _EventJSONEncoderState(maxDepth: maxDepth)
        try state.encodeValue(value)
        try state.finish(into: &buffer)
    }
}
