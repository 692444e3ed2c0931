import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One HTTPS/1.1 keep-alive connection of a virtual user, without a client library's machinery: the
/// request is written as bytes and the response read back whole (status line, headers, a body framed
/// by `Content-Length` or chunked). It still does what a client must — TLS with the server's
/// certificate checked against the CA, one request at a time, every response parsed — but it costs
/// the shared machine a fraction of AsyncHTTPClient's CPU per request (connection pool, request
/// state machines, header validation), which the load generator would otherwise take from the server.
final class BenchConnection: Sendable {
    let channel: any Channel
    private let collector: NIOLoopBound<ResponseCollector>
    /// `Host` header value.
    let authority: String

    private init(channel: any Channel, collector: NIOLoopBound<ResponseCollector>, authority: String) {
        self.channel = channel
        self.collector = collector
        self.authority = authority
    }

    /// Opens a TLS connection to `host:port`, verifying the server's certificate for `serverHostname`.
    static func connect(
        host: String, port: Int, serverHostname: String?, sslContext: NIOSSLContext,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> BenchConnection {
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let tls = try NIOSSLClientHandler(context: sslContext, serverHostname: serverHostname)
                    try channel.pipeline.syncOperations.addHandler(tls)
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector())
                }
            }
            .connect(host: host, port: port).get()
        let collector = try await channel.eventLoop.submit {
            NIOLoopBound(
                try channel.pipeline.syncOperations.handler(type: ResponseCollector.self), eventLoop: channel.eventLoop)
        }.get()
        return BenchConnection(channel: channel, collector: collector, authority: "\(serverHostname ?? host):\(port)")
    }

    /// Sends one request and returns its response. `target` is the path and query.
    func send(
        _ method: HTTPMethod, target: String, headers: [(String, String)], body: String?
    ) async throws -> FlowResponse {
        var head = "\(method.rawValue) \(target) HTTP/1.1\r\nHost: \(authority)\r\n"
        for (name, value) in headers { head += name + ": " + value + "\r\n" }
        if let body {
            head += "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
            head += body
        } else {
            head += "\r\n"
        }
        let promise = channel.eventLoop.makePromise(of: FlowResponse.self)
        let bytes = head
        let collector = self.collector
        let channel = self.channel
        channel.eventLoop.execute {
            collector.value.expect(promise)
            channel.writeAndFlush(ByteBuffer(string: bytes), promise: nil)
        }
        return try await promise.futureResult.get()
    }

    func close() async {
        try? await channel.close()
    }
}

/// Opens `BenchConnection`s to one OP (its issuer's host and port, TLS trusting the bench CA).
struct BenchConnector: Sendable {
    let host: String
    let port: Int
    let serverHostname: String?
    let sslContext: NIOSSLContext
    /// `scheme://host:port`: what is cut from a URL to get the request target.
    let origin: String

    init(issuer: String, caPath: String) throws {
        guard let url = URL(string: issuer), url.scheme == "https", let host = url.host else {
            throw BenchConnectionError("the issuer \(issuer) is not an https URL")
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(caPath)
        tls.applicationProtocols = ["http/1.1"]
        self.host = host
        self.port = url.port ?? 443
        // SNI and the certificate's name check take a DNS name; an IP address is checked by the chain alone.
        self.serverHostname = host.allSatisfy({ $0.isNumber || $0 == "." || $0 == ":" }) ? nil : host
        self.sslContext = try NIOSSLContext(configuration: tls)
        self.origin = "https://\(host)" + (url.port.map { ":\($0)" } ?? "")
    }

    func connect() async throws -> BenchConnection {
        try await BenchConnection.connect(
            host: host, port: port, serverHostname: serverHostname, sslContext: sslContext)
    }

    /// The request target (path and query) of `url`, an URL of this OP.
    func target(_ url: String) throws -> String {
        guard url.hasPrefix(origin) else { throw BenchConnectionError("\(url) is not at \(origin)") }
        let rest = String(url.dropFirst(origin.count))
        return rest.isEmpty ? "/" : rest
    }
}

/// Accumulates the connection's bytes and completes the waiting request's promise with each whole
/// response.
final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private var buffer = ByteBuffer()
    private var pending: EventLoopPromise<FlowResponse>?

    func expect(_ promise: EventLoopPromise<FlowResponse>) {
        if let pending {
            pending.fail(BenchConnectionError("a request was sent before the previous one was answered"))
        }
        pending = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        buffer.writeBuffer(&incoming)
        do {
            if let response = try Self.parse(&buffer) {
                let promise = pending
                pending = nil
                buffer.discardReadBytes()
                guard let promise else {
                    throw BenchConnectionError("a response arrived without a request (HTTP \(response.status))")
                }
                promise.succeed(response)
            }
        } catch {
            pending?.fail(error)
            pending = nil
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        pending?.fail(BenchConnectionError("the server closed the connection"))
        pending = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        pending?.fail(error)
        pending = nil
        context.close(promise: nil)
    }

    /// A whole response from the front of `buffer` (consumed), or nil when more bytes are needed.
    static func parse(_ buffer: inout ByteBuffer) throws -> FlowResponse? {
        let view = buffer.readableBytesView
        guard let headEnd = find(view, [13, 10, 13, 10]) else {
            if view.count > 64 * 1024 { throw BenchConnectionError("response head over 64 KiB") }
            return nil
        }
        let head = String(decoding: view[view.startIndex..<headEnd], as: UTF8.self)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        guard !lines.isEmpty else { throw BenchConnectionError("empty response head") }
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else {
            throw BenchConnectionError("bad status line in \(head.prefix(200))")
        }
        var headers = HTTPHeaders()
        var contentLength: Int?
        var chunked = false
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw BenchConnectionError("bad header line \(line)") }
            let name = String(line[..<colon])
            let value = String(line[line.index(after: colon)...].drop(while: { $0 == " " || $0 == "\t" }))
            headers.add(name: name, value: value)
            if name.caseInsensitiveCompare("content-length") == .orderedSame {
                guard let length = Int(value), length >= 0 else { throw BenchConnectionError("bad Content-Length") }
                contentLength = length
            } else if name.caseInsensitiveCompare("transfer-encoding") == .orderedSame {
                chunked = value.lowercased().contains("chunked")
            }
        }
        let bodyStart = headEnd + 4
        if chunked {
            guard let (body, end) = try dechunk(view, from: bodyStart) else { return nil }
            buffer.moveReaderIndex(forwardBy: end - view.startIndex)
            return FlowResponse(status: status, headers: headers, body: body)
        }
        let length = contentLength ?? 0
        guard view.endIndex - bodyStart >= length else { return nil }
        let body = String(decoding: view[bodyStart..<(bodyStart + length)], as: UTF8.self)
        buffer.moveReaderIndex(forwardBy: bodyStart + length - view.startIndex)
        return FlowResponse(status: status, headers: headers, body: body)
    }

    /// A chunked body starting at `start`: its text and the index after it, or nil when incomplete.
    static func dechunk(_ view: ByteBufferView, from start: Int) throws -> (String, Int)? {
        var body: [UInt8] = []
        var position = start
        while true {
            guard let lineEnd = find(view[position...], [13, 10]) else { return nil }
            let sizeText = String(decoding: view[position..<lineEnd], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";").first ?? "", radix: 16), size >= 0 else {
                throw BenchConnectionError("bad chunk size \(sizeText.prefix(20))")
            }
            let dataStart = lineEnd + 2
            guard view.endIndex - dataStart >= size + 2 else { return nil }
            if size == 0 {
                // Trailers are not used by the OP: the terminating CRLF follows directly.
                return (String(decoding: body, as: UTF8.self), dataStart + 2)
            }
            body.append(contentsOf: view[dataStart..<(dataStart + size)])
            position = dataStart + size + 2
        }
    }

    static func find(_ view: ByteBufferView.SubSequence, _ needle: [UInt8]) -> Int? {
        guard view.count >= needle.count else { return nil }
        var i = view.startIndex
        let last = view.endIndex - needle.count
        while i <= last {
            if view[i] == needle[0] {
                var match = true
                for k in 1..<needle.count where view[i + k] != needle[k] {
                    match = false
                    break
                }
                if match { return i }
            }
            i += 1
        }
        return nil
    }
}

struct BenchConnectionError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
