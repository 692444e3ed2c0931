/// An error of the event JSON codec that is not a plain Codable mismatch.
///
/// The codec throws three kinds of errors:
/// - `EventJSONError` for malformed JSON (with the byte `offset` where parsing
///   stopped), exceeded limits, and misuse of the encoding containers;
/// - `DecodingError` (`keyNotFound`, `typeMismatch`, `valueNotFound`,
///   `dataCorrupted`) when well-formed JSON does not fit the Swift type, exactly
///   like Foundation, so hand-written `init(from:)` code that catches those keeps
///   working; their `debugDescription` names the byte offset of the value;
/// - `EncodingError.invalidValue` for values JSON cannot carry (NaN, infinity).
///
/// ```swift
/// do {
///     _ = try EventJSONDecoder().decode([Int].self, from: Array("[1,]".utf8))
/// } catch let error as EventJSONError {
///     print(error)   // "syntax error at byte 3: expected a value"
/// }
/// ```
public struct EventJSONError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, coarsely.
    public enum Kind: String, Sendable, Equatable {
        /// The bytes are not JSON (RFC 8259), e.g. truncated, bad escape, leading zero.
        case syntax
        /// A string contains bytes that are not valid UTF-8, or a lone surrogate escape.
        case invalidUTF8
        /// An object has the same key twice.
        case duplicateKey
        /// Input larger than `maxInputBytes` or nested deeper than `maxDepth`.
        case limitExceeded
        /// A container was used in a way the streaming encoder cannot write.
        case unsupported
    }

    /// What went wrong, coarsely.
    public let kind: Kind
    /// Human-readable detail.
    public let message: String
    /// Byte offset into the input (decoding) where the problem was found.
    public let offset: Int?
    /// Coding path (encoding misuse), as `stringValue`s / indices.
    public let codingPath: [String]

    public init(_ kind: Kind, _ message: String, offset: Int? = nil, codingPath: [String] = []) {
        self.kind = kind
        self.message = message
        self.offset = offset
        self.codingPath = codingPath
    }

    public var description: String {
        var text = "\(kind.rawValue) error"
        if let offset { text += " at byte \(offset)" }
        if !codingPath.isEmpty { text += " at \(codingPath.joined(separator: "."))" }
        return text + ": " + message
    }
}

/// A coding key for array positions and for `super`, used in coding paths.
///
/// Kept within three words (an existential's inline buffer) and with its text made on
/// demand, so passing an array position as `any CodingKey` allocates nothing.
struct _EventJSONKey: CodingKey {
    /// nil for array positions.
    private let name: String?
    private let index: Int

    var stringValue: String { name ?? String(index) }
    var intValue: Int? { name == nil ? index : nil }

    init(stringValue: String) {
        self.name = stringValue
        self.index = -1
    }

    init(intValue: Int) {
        self.name = nil
        self.index = intValue
    }

    static let `super` = _EventJSONKey(stringValue: "super")
}

extension Array where Element == any CodingKey {
    /// The path as printable components: keys by name, array positions as "[n]".
    var _eventJSONDescription: [String] {
        map { key in
            if let position = key as? _EventJSONKey, let index = position.intValue { return "[\(index)]" }
            return key.stringValue
        }
    }
}
