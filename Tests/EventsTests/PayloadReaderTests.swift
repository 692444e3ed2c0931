import Foundation
import Testing

@testable import Events

// The events of every authorization are read member by member (PayloadReader.swift) instead of
// through Codable: for any input, both must give the same value or fail in the same way.

/// What a decoding gave, comparable across the two readers: the value, or the error's kind, coding
/// path, type and message.
private func outcome<T: Equatable>(_ decode: () throws -> T) -> Result<T, ErrorSummary> {
    do {
        return .success(try decode())
    } catch {
        return .failure(ErrorSummary(error))
    }
}

private struct ErrorSummary: Error, Equatable, CustomStringConvertible {
    let description: String

    init(_ error: any Error) {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            description = "keyNotFound \(key.stringValue) at \(path(context)): \(context.debugDescription)"
        case DecodingError.typeMismatch(let type, let context):
            description = "typeMismatch \(type) at \(path(context)): \(context.debugDescription)"
        case DecodingError.valueNotFound(let type, let context):
            description = "valueNotFound \(type) at \(path(context)): \(context.debugDescription)"
        case DecodingError.dataCorrupted(let context):
            description = "dataCorrupted at \(path(context)): \(context.debugDescription)"
        default:
            description = "\(type(of: error)): \(error)"
        }
    }
}

/// Decodes `json` both ways and expects the same outcome; returns it.
@discardableResult
private func bothWays<T: Decodable & Equatable & MemberRead>(
    _ type: T.Type, _ json: [UInt8], sourceLocation: SourceLocation = #_sourceLocation
) -> Result<T, ErrorSummary> {
    let codable = outcome { try EventJSONDecoder().decode(T.self, from: json) }
    let members = outcome { try json.withUnsafeBytes { try T.read(from: $0) } }
    #expect(
        codable == members, "\(T.self) from \(String(decoding: json, as: UTF8.self))", sourceLocation: sourceLocation)
    return members
}

/// Every member of `object` (and of the objects nested in it) replaced by values of each JSON kind,
/// removed, and one unknown member added: the damaged documents, as JSON.
private func damaged(_ object: [String: Any]) throws -> [[UInt8]] {
    let replacements: [Any?] = [
        nil, NSNull(), 1, -1, 1.5, "x", true, [] as [Any], ["a"], ["a", 1] as [Any], [:] as [String: Any],
    ]
    var variants: [[String: Any]] = []
    func damage(_ object: [String: Any], _ rebuild: ([String: Any]) -> [String: Any]) {
        for key in object.keys.sorted() {
            for replacement in replacements {
                var copy = object
                copy[key] = replacement
                variants.append(rebuild(copy))
            }
            if let nested = object[key] as? [String: Any] {
                damage(nested) { inner in
                    var copy = object
                    copy[key] = inner
                    return rebuild(copy)
                }
            }
        }
        var extra = object
        extra["notAMember"] = ["any": "thing"]
        variants.append(rebuild(extra))
    }
    damage(object) { $0 }
    return try variants.map { Array(try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys])) }
}

private func jsonObject<T: Encodable>(_ value: T) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(try EventJSONEncoder().encode(value))) as? [String: Any])
}

@Suite("Member-wise payload reading: the same values and failures as Codable")
struct PayloadReaderTests {
    @Test("2,000 random events of each member-read type decode to equal values both ways")
    func randomValues() throws {
        var values = PayloadValues(rng: SeededGenerator(state: 0xDEC0DE))
        for _ in 0..<2_000 {
            let par = values.parPushed()
            let code = values.codeIssued()
            let grant = values.grantCreated()
            let tokens = values.tokensIssued()
            #expect(try bothWays(ParPushed.self, EventJSONEncoder().encode(par)).get() == par)
            #expect(try bothWays(CodeIssued.self, EventJSONEncoder().encode(code)).get() == code)
            #expect(try bothWays(GrantCreated.self, EventJSONEncoder().encode(grant)).get() == grant)
            #expect(try bothWays(TokensIssued.self, EventJSONEncoder().encode(tokens)).get() == tokens)
        }
    }

    @Test("members removed, of the wrong kind, null, or unknown, in any order: the same outcome both ways")
    func damagedPayloads() throws {
        let (par, code, grant, tokens) = (
            FullPayloads.par, FullPayloads.code, FullPayloads.grant, FullPayloads.tokens
        )

        var failures = 0
        var total = 0
        func check<T: Codable & Equatable & MemberRead>(_ value: T) throws {
            // Reordered members (sorted keys) still read back.
            let sorted = try JSONSerialization.data(withJSONObject: try jsonObject(value), options: [.sortedKeys])
            #expect(try bothWays(T.self, Array(sorted)).get() == value)
            for json in try damaged(try jsonObject(value)) {
                total += 1
                if case .failure = bothWays(T.self, json) { failures += 1 }
            }
        }
        try check(par)
        try check(code)
        try check(grant)
        try check(tokens)
        // Both kinds of outcome were exercised: damage to a required member fails, to an optional one
        // (a removal, a null) or an unknown member does not.
        #expect(failures > 0 && failures < total, "\(failures) of \(total) damaged payloads failed")

        // Not an object at all.
        for json in ["[]", "\"x\"", "1", "null"] {
            bothWays(ParPushed.self, Array(json.utf8))
            bothWays(TokensIssued.self, Array(json.utf8))
        }
        // Malformed JSON and duplicate members fail in the tape, before either reader runs.
        for json in [#"{"grantID":"g""#, #"{"grantID":"g","grantID":"h","clientID":"c","subject":"u","scopes":[]}"#] {
            if case .success = bothWays(GrantCreated.self, Array(json.utf8)) { Issue.record("\(json) decoded") }
        }
    }
}
