import HTTPTypes
import Hummingbird
import NIOCore
import Testing

@testable import Server

@Suite("Reading a cookie from the request")
struct CookieParsingTests {
    static func request(cookies: [String]) -> Request {
        var fields = HTTPFields()
        for value in cookies { fields.append(HTTPField(name: .cookie, value: value)) }
        let head = HTTPRequest(method: .get, scheme: "https", authority: "localhost", path: "/", headerFields: fields)
        return Request(head: head, body: RequestBody(buffer: ByteBuffer()))
    }

    @Test("finds the named cookie among others, across Cookie headers, with spaces trimmed")
    func finds() {
        let request = Self.request(cookies: [
            "a=1; __Host-sr_session=abc.def ;b=2", "c=3",
        ])
        #expect(BrowserSecurity.cookie("__Host-sr_session", in: request) == "abc.def")
        #expect(BrowserSecurity.cookie("a", in: request) == "1")
        #expect(BrowserSecurity.cookie("b", in: request) == "2")
        #expect(BrowserSecurity.cookie("c", in: request) == "3")
    }

    @Test("no match: absent, a prefix or suffix of another name, an empty value, no '='")
    func noMatch() {
        let request = Self.request(cookies: ["sr_session_x=1; x_sr_session=2; sr_session=; flag"])
        #expect(BrowserSecurity.cookie("sr_session", in: request) == nil)
        #expect(BrowserSecurity.cookie("flag", in: request) == nil)
        #expect(BrowserSecurity.cookie("missing", in: request) == nil)
        #expect(BrowserSecurity.cookie("sr", in: Self.request(cookies: [])) == nil)
    }

    @Test("the value keeps everything after the first '='")
    func valueWithEquals() {
        let request = Self.request(cookies: ["k=a=b=="])
        #expect(BrowserSecurity.cookie("k", in: request) == "a=b==")
    }
}
