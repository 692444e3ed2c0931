import Foundation
import Hummingbird
import HummingbirdTesting
import Server
import Testing

@Suite("Server: request body limit (413 invalid_request)")
struct ServerBodyLimitTests {
    /// Echo route: answers with the number of body bytes the handler saw.
    static let echoRoute: @Sendable (Router<OPRequestContext>) -> Void = { router in
        router.post("/test/echo") { request, _ -> String in
            var request = request
            let body = try await request.collectBody(upTo: .max)
            return "\(body.readableBytes)"
        }
    }

    @Test("Content-Length above the limit → 413 JSON before the body is read")
    func contentLengthTooLarge() async throws {
        try await withRunningOPServer(extraRoutes: Self.echoRoute) { server in
            try await server.withClient { client in
                let limit = ServerConfiguration.defaultMaxRequestBodyBytes
                let response = try await client.post("/test/echo", body: ByteBuffer(repeating: 0x61, count: limit + 1))
                #expect(response.status == .contentTooLarge)
                #expect(response.headers[.contentType] == "application/json")
                #expect(response.headers[.strictTransportSecurity] != nil)
                let json = try response.jsonObject()
                #expect(json["error"] as? String == "invalid_request")
                #expect((json["error_description"] as? String)?.contains("\(limit)") == true)
            }
        }
    }

    @Test("a body at the limit reaches the handler")
    func bodyAtLimit() async throws {
        try await withRunningOPServer(extraRoutes: Self.echoRoute) { server in
            try await server.withClient { client in
                let limit = ServerConfiguration.defaultMaxRequestBodyBytes
                let response = try await client.post("/test/echo", body: ByteBuffer(repeating: 0x61, count: limit))
                #expect(response.status == .ok)
                #expect(response.text == "\(limit)")
            }
        }
    }

    @Test("the configured limit applies: 1 KiB server refuses 2 KiB")
    func configuredLimit() async throws {
        try await withRunningOPServer(maxRequestBodyBytes: 1024, extraRoutes: Self.echoRoute) { server in
            try await server.withClient { client in
                let atLimit = try await client.post("/test/echo", body: ByteBuffer(repeating: 1, count: 1024))
                let overLimit = try await client.post("/test/echo", body: ByteBuffer(repeating: 1, count: 2048))
                #expect(atLimit.status == .ok)
                #expect(overLimit.status == .contentTooLarge)
            }
        }
    }

    @Test("a chunked body (no Content-Length) over the limit is cut off at collection → 413")
    func chunkedTooLarge() async throws {
        try await withRunningOPServer(maxRequestBodyBytes: 1024, extraRoutes: Self.echoRoute) { server in
            let chunk = String(repeating: "a", count: 600)
            let hexLength = String(chunk.utf8.count, radix: 16)
            func request(chunks: Int) -> String {
                var text =
                    "POST /test/echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                for _ in 0..<chunks { text += "\(hexLength)\r\n\(chunk)\r\n" }
                return text + "0\r\n\r\n"
            }
            let small = try await server.rawExchange(request(chunks: 1))
            #expect(small.hasPrefix("HTTP/1.1 200"))
            #expect(small.hasSuffix("\r\n\r\n600"))
            let large = try await server.rawExchange(request(chunks: 2))
            #expect(large.hasPrefix("HTTP/1.1 413"))
            #expect(large.contains(#""error":"invalid_request""#))
        }
    }
}
