import OAuth
import Testing

@testable import Server

@Suite("Form parameters (RFC 6749 §3.1)")
struct FormParametersTests {
    @Test("percent-decoding, + as space, empty values omitted")
    func decoding() throws {
        let form = try FormParameters.parse("a=1&b=x+y&c=%2Fp%41th%3F&d=&e&redirect_uri=https%3A%2F%2Ftpp.example%2Fcb")
        #expect(form == ["a": "1", "b": "x y", "c": "/pAth?", "redirect_uri": "https://tpp.example/cb"])
        #expect(try FormParameters.parse("") == [:])
        #expect(try FormParameters.parse("&&a=1&&") == ["a": "1"])
        #expect(try FormParameters.parse("na%C3%AFve=%E2%82%AC") == ["naïve": "€"])
    }

    @Test("a repeated parameter, a broken escape, invalid UTF-8 and too many parameters are invalid_request")
    func refusals() {
        for body in ["a=1&a=2", "a=%4", "a=%zz", "a=%FF", String(repeating: "p=1&", count: 1).appending("p=2")] {
            #expect(throws: OAuthError.self, "\(body)") { try FormParameters.parse(body) }
        }
        let many = (0...FormParameters.parametersMax).map { "p\($0)=1" }.joined(separator: "&")
        #expect(throws: OAuthError.self) { try FormParameters.parse(many) }
    }
}
