import Foundation
import JOSE
import Testing

@testable import Server

/// `JSONValue` through Foundation's Encodable machinery: the oracle for "the JOSE writer gives the
/// bytes `JSONResponse.encoder` gives".
private struct EncodableJSON: Encodable {
    let value: JSONValue

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        switch value {
        case .object(let members):
            var container = encoder.container(keyedBy: Key.self)
            for (name, member) in members {
                try container.encode(EncodableJSON(value: member), forKey: Key(stringValue: name))
            }
        case .array(let items):
            var container = encoder.unkeyedContainer()
            for item in items { try container.encode(EncodableJSON(value: item)) }
        case .string(let s):
            var container = encoder.singleValueContainer()
            try container.encode(s)
        case .integer(let i):
            var container = encoder.singleValueContainer()
            try container.encode(i)
        case .number(let d):
            var container = encoder.singleValueContainer()
            try container.encode(d)
        case .bool(let b):
            var container = encoder.singleValueContainer()
            try container.encode(b)
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        }
    }
}

@Suite("Token and PAR response bodies")
struct TokenResponseEncodingTests {
    @Test("the token response's members, exactly (RFC 6749 §5.1), optional ones only when present")
    func tokenResponseBytes() throws {
        let full = TokenEndpoint.TokenResponse(
            accessToken: "-1bX3k9Qa.AbC_d-/+x", tokenType: "DPoP", expiresIn: 300, scope: "openid accounts",
            refreshToken: "r.s", idToken: "eyJ.eyJ.sig", grantID: "g-1")
        #expect(
            String(decoding: try full.json.jsonBytes(), as: UTF8.self)
                == #"{"access_token":"-1bX3k9Qa.AbC_d-/+x","expires_in":300,"grant_id":"g-1","id_token":"eyJ.eyJ.sig","refresh_token":"r.s","scope":"openid accounts","token_type":"DPoP"}"#
        )
        let minimal = TokenEndpoint.TokenResponse(
            accessToken: "a.b", tokenType: "Bearer", expiresIn: 0, scope: "", refreshToken: nil, idToken: nil)
        #expect(
            String(decoding: try minimal.json.jsonBytes(), as: UTF8.self)
                == #"{"access_token":"a.b","expires_in":0,"scope":"","token_type":"Bearer"}"#)
    }

    @Test("the PAR response's members, exactly (RFC 9126 §2.2)")
    func parResponseBytes() throws {
        let body = PAREndpoint.ParResponse(requestURI: "urn:ietf:params:oauth:request_uri:-1b.x/y", expiresIn: 60)
        #expect(
            String(decoding: try body.json.jsonBytes(), as: UTF8.self)
                == #"{"expires_in":60,"request_uri":"urn:ietf:params:oauth:request_uri:-1b.x/y"}"#)
    }

    @Test("JSONResponse.make(JSONValue) writes the bytes JSONResponse.encoder writes, escapes included")
    func sameBytesAsEncoder() throws {
        let values: [JSONValue] = [
            TokenEndpoint.TokenResponse(
                accessToken: "quote\"back\\slash\u{1}é", tokenType: "DPoP", expiresIn: 86_400,
                scope: "https://api.example/x", refreshToken: nil, idToken: "i"
            ).json,
            PAREndpoint.ParResponse(requestURI: "urn:x/y", expiresIn: 60).json,
            .object(["b": .array([.integer(-1), .bool(true), .null]), "a": .object(["z": .string("\n\t</")])]),
        ]
        for value in values {
            let expected = Array(try JSONResponse.encoder.encode(EncodableJSON(value: value)))
            let written = try value.jsonBytes()
            #expect(
                written == expected,
                "\(String(decoding: written, as: UTF8.self)) != \(String(decoding: expected, as: UTF8.self))")
        }
    }
}
