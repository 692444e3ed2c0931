import Foundation

/// Any JSON value, for documents whose members are checked one by one (client metadata, JWKS)
/// so that a wrong type is reported with the member's name instead of a decoder error.
///
/// Encoding is deterministic when used with a `.sortedKeys` encoder.
enum MetadataJSON: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([MetadataJSON])
    case object([String: MetadataJSON])

    /// Largest accepted nesting depth (client metadata and JWKS are at most 4 deep).
    static let depthMax = 16

    init(from decoder: any Decoder) throws {
        guard decoder.codingPath.count <= Self.depthMax else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "nested deeper than \(Self.depthMax)"))
        }
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([MetadataJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: MetadataJSON].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Parses JSON text; `nil` if it is not JSON.
    static func parse(_ bytes: some Collection<UInt8>) -> MetadataJSON? {
        try? JSONDecoder().decode(MetadataJSON.self, from: Data(bytes))
    }

    /// Deterministic text: keys sorted, no whitespace, slashes not escaped.
    func canonicalText() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a MetadataJSON cannot fail: every case maps to a JSON value (numbers are finite,
        // as JSON text cannot express anything else).
        let data = (try? encoder.encode(self)) ?? Data("null".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// The JSON type's name, for error messages.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
