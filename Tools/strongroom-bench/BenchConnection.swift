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

    /// Sends one request and returns its response. `target` is the path and query; `form`, when
    /// given, is sent as an `application/x-www-form-urlencoded` body. The request is written
    /// straight into one buffer (no intermediate strings: they were a tenth of the bench's CPU).
    func send(
        _ method: HTTPMethod, target: String, headers: [(String, String)], form: [(String, String)]?
    ) async throws -> FlowResponse {
        var request = ByteBufferAllocator().buffer(capacity: 1024)
        request.writeString(method.rawValue)
        request.writeInteger(UInt8(ascii: " "))
        request.writeString(target)
        request.writeStaticString(" HTTP/1.1\r\nHost: ")
        request.writeString(authority)
        request.writeStaticString("\r\n")
        for (name, value) in headers {
            request.writeString(name)
            request.writeStaticString(": ")
            request.writeString(value)
            request.writeStaticString("\r\n")
        }
        if let form {
            request.writeStaticString("Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ")
            let length = FormEncoding.encodedCount(form)
            request.writeString(String(length))
            request.writeStaticString("\r\n\r\n")
            let bodyStart = request.writerIndex
            FormEncoding.write(form, into: &request)
            precondition(request.writerIndex - bodyStart == length, "Content-Length \(length) ≠ the form's bytes")
        } else {
            request.writeStaticString("\r\n")
        }
        let promise = channel.eventLoop.makePromise(of: FlowResponse.self)
        let bytes = request
        let collector = self.collector
        let channel = self.channel
        channel.eventLoop.execute {
            collector.value.expect(promise)
            channel.writeAndFlush(bytes, promise: nil)
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
    /// Parsed on the raw bytes: a String-based parse measured a quarter of the benchmark's CPU.
    static func parse(_ buffer: inout ByteBuffer) throws -> FlowResponse? {
        let parsed = try buffer.withUnsafeReadableBytes { raw -> (FlowResponse, Int)? in
            try parse(raw)
        }
        guard let (response, consumed) = parsed else { return nil }
        buffer.moveReaderIndex(forwardBy: consumed)
        return response
    }

    static func parse(_ raw: UnsafeRawBufferPointer) throws -> (FlowResponse, Int)? {
        let bytes = raw.bindMemory(to: UInt8.self)
        let count = bytes.count
        guard let headEnd = find(bytes, from: 0, double: true) else {
            if count > 64 * 1024 { throw BenchConnectionError("response head over 64 KiB") }
            return nil
        }
        // Status line: HTTP/1.x SP code SP reason
        guard let lineEnd = find(bytes, from: 0, double: false), lineEnd >= 12,
            bytes[0] == UInt8(ascii: "H"), bytes[8] == UInt8(ascii: " ")
        else { throw BenchConnectionError("bad status line") }
        var status = 0
        for i in 9..<12 {
            let digit = Int(bytes[i]) - 48
            guard (0...9).contains(digit) else { throw BenchConnectionError("bad status code") }
            status = status * 10 + digit
        }
        var headers = HTTPHeaders()
        var contentLength: Int?
        var chunked = false
        var position = lineEnd + 2
        while position < headEnd {
            guard let end = find(bytes, from: position, double: false) else { break }
            var colon = position
            while colon < end && bytes[colon] != UInt8(ascii: ":") { colon += 1 }
            guard colon < end else { throw BenchConnectionError("bad header line") }
            var valueStart = colon + 1
            while valueStart < end && (bytes[valueStart] == 32 || bytes[valueStart] == 9) { valueStart += 1 }
            let name = String(decoding: UnsafeBufferPointer(rebasing: bytes[position..<colon]), as: UTF8.self)
            let value = String(decoding: UnsafeBufferPointer(rebasing: bytes[valueStart..<end]), as: UTF8.self)
            if equalsLowercase(bytes, position, colon, "content-length") {
                guard let length = Int(value), length >= 0 else { throw BenchConnectionError("bad Content-Length") }
                contentLength = length
            } else if equalsLowercase(bytes, position, colon, "transfer-encoding") {
                chunked = value.lowercased().contains("chunked")
            }
            headers.add(name: name, value: value)
            position = end + 2
        }
        let bodyStart = headEnd + 4
        if chunked {
            guard let (body, end) = try dechunk(bytes, from: bodyStart) else { return nil }
            return (FlowResponse(status: status, headers: headers, body: body), end)
        }
        let length = contentLength ?? 0
        guard count - bodyStart >= length else { return nil }
        let body = String(
            decoding: UnsafeBufferPointer(rebasing: bytes[bodyStart..<(bodyStart + length)]), as: UTF8.self)
        return (FlowResponse(status: status, headers: headers, body: body), bodyStart + length)
    }

    /// `bytes[from..<to]`, ASCII-lowercased, equals `lowercase`.
    static func equalsLowercase(
        _ bytes: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int, _ lowercase: StaticString
    )
        -> Bool
    {
        guard to - from == lowercase.utf8CodeUnitCount else { return false }
        let expected = lowercase.utf8Start
        for i in 0..<(to - from) {
            var c = bytes[from + i]
            if c >= 65 && c <= 90 { c += 32 }
            if c != expected[i] { return false }
        }
        return true
    }

    /// A chunked body starting at `start`: its text and the index after it, or nil when incomplete.
    static func dechunk(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) throws -> (String, Int)? {
        var body: [UInt8] = []
        var position = start
        while true {
            guard let lineEnd = find(bytes, from: position, double: false) else { return nil }
            var size = 0
            var i = position
            while i < lineEnd, bytes[i] != UInt8(ascii: ";") {
                guard let digit = hexValue(bytes[i]) else { throw BenchConnectionError("bad chunk size") }
                size = size * 16 + digit
                guard size < 1 << 30 else { throw BenchConnectionError("chunk too large") }
                i += 1
            }
            guard i > position else { throw BenchConnectionError("bad chunk size") }
            let dataStart = lineEnd + 2
            guard bytes.count - dataStart >= size + 2 else { return nil }
            if size == 0 {
                // Trailers are not used by the OP: the terminating CRLF follows directly.
                return (String(decoding: body, as: UTF8.self), dataStart + 2)
            }
            body.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[dataStart..<(dataStart + size)]))
            position = dataStart + size + 2
        }
    }

    static func hexValue(_ c: UInt8) -> Int? {
        switch c {
        case 48...57: Int(c) - 48
        case 65...70: Int(c) - 55
        case 97...102: Int(c) - 87
        default: nil
        }
    }

    /// Index of the first CRLF (or CRLFCRLF when `double`) at or after `from`.
    static func find(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, double: Bool) -> Int? {
        let needed = double ? 4 : 2
        var i = from
        while i + needed <= bytes.count {
            if bytes[i] == 13 && bytes[i + 1] == 10 && (!double || (bytes[i + 2] == 13 && bytes[i + 3] == 10)) {
                return i
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
