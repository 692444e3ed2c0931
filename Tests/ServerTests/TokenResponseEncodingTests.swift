import Foundation
import JOSE
import Testing

@testable import Server

@Suite("Token and PAR response bodies")
struct TokenResponseEncodingTests {
    @Test("the JOSE writer gives exactly the bytes of the JSONEncoder form, with and without optional members")
    func sameBytesAsEncoder() throws {
        let bodies = [
            TokenEndpoint.TokenResponse(
                accessToken: "-1bX3k9Qa.AbC_d-/+x", tokenType: "DPoP", expiresIn: 300, scope: "openid accounts",
                refreshToken: "r.s", idToken: "eyJ.eyJ.sig", grantID: "g-1"),
            TokenEndpoint.TokenResponse(
                accessToken: "a.b", tokenType: "Bearer", expiresIn: 0, scope: "", refreshToken: nil, idToken: nil),
            TokenEndpoint.TokenResponse(
                accessToken: "quote\"back\\slash\u{1}é", tokenType: "DPoP", expiresIn: 86_400,
                scope: "https://api.example/x", refreshToken: nil, idToken: "i"),
        ]
        for body in bodies {
            let expected = Array(try JSONResponse.encoder.encode(body))
            let written = try body.json.jsonBytes()
            #expect(
                written == expected,
                "\(String(decoding: written, as: UTF8.self)) != \(String(decoding: expected, as: UTF8.self))")
        }
    }

    @Test("the PAR response too")
    func parResponse() throws {
        let body = PAREndpoint.ParResponse(requestURI: "urn:ietf:params:oauth:request_uri:-1b.x/y", expiresIn: 60)
        #expect(try body.json.jsonBytes() == Array(try JSONResponse.encoder.encode(body)))
    }
}
