import Foundation
import Hummingbird
import Logging

/// The running server's local admin endpoint: plain HTTP/1.1 on a Unix domain socket inside the
/// data directory (`admin.sock`, owner-only like the directory), one route, `POST /admin`, taking an
/// ``AdminRequest`` and answering an ``AdminResponse``. Requests must carry the bearer token the
/// server writes to `admin.token` (owner-only) at start. Never reachable from the network.
public enum AdminSocket {
    public static func socketPath(dataDirectory: String) -> String { dataDirectory + "/admin.sock" }
    public static func tokenPath(dataDirectory: String) -> String { dataDirectory + "/admin.token" }

    /// Writes a fresh token and returns the application serving the socket (run it beside the OP).
    public static func makeApplication(
        dataDirectory: String, service: AdminService, logger: Logger
    ) throws
        -> some ApplicationProtocol
    {
        let socket = socketPath(dataDirectory: dataDirectory)
        try? FileManager.default.removeItem(atPath: socket)
        let token = BrowserSecurity.randomValue()
        let tokenPath = tokenPath(dataDirectory: dataDirectory)
        try? FileManager.default.removeItem(atPath: tokenPath)
        guard
            FileManager.default.createFile(
                atPath: tokenPath, contents: Data(token.utf8), attributes: [.posixPermissions: 0o600])
        else { throw OAuthServerSetupError("cannot write \(tokenPath)") }
        let router = Router()
        router.post("/admin") { request, context -> Response in
            guard request.headers[.authorization] == "Bearer \(token)" else {
                return Response(status: .unauthorized)
            }
            let body = try await request.body.collect(upTo: 1 << 20)
            let adminRequest = try JSONDecoder().decode(AdminRequest.self, from: Data(buffer: body))
            let operatorName = request.headers[.init("X-Operator")!] ?? "admin-socket"
            let answer = await service.handle(adminRequest, operatorName: operatorName)
            let data = try JSONEncoder().encode(answer)
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(data: data)))
        }
        return Application(
            router: router, configuration: .init(address: .unixDomainSocket(path: socket), serverName: nil),
            logger: logger)
    }

    /// Sends `request` to a running server's admin socket (the CLI's side).
    public static func send(
        _ request: AdminRequest, dataDirectory: String, operatorName: String
    ) throws
        -> AdminResponse
    {
        guard let token = FileManager.default.contents(atPath: tokenPath(dataDirectory: dataDirectory)) else {
            throw OAuthServerSetupError("the server's admin token is missing; is `strongroom serve` running here?")
        }
        let body = try JSONEncoder().encode(request)
        var head = "POST /admin HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        head += "Authorization: Bearer \(String(decoding: token, as: UTF8.self))\r\nX-Operator: \(operatorName)\r\n"
        head += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        let raw = try UnixSocketClient.exchange(
            path: socketPath(dataDirectory: dataDirectory), request: Array(head.utf8) + Array(body))
        guard let split = raw.firstRange(of: [13, 10, 13, 10]) else {
            throw OAuthServerSetupError("malformed answer from the admin socket")
        }
        let status = String(decoding: raw[..<split.lowerBound], as: UTF8.self)
        guard status.hasPrefix("HTTP/1.1 200") else {
            throw OAuthServerSetupError("the admin socket refused: \(status.split(separator: "\r\n").first ?? "")")
        }
        var payload = Array(raw[split.upperBound...])
        if status.lowercased().contains("transfer-encoding: chunked") { payload = dechunk(payload) }
        return try JSONDecoder().decode(AdminResponse.self, from: Data(payload))
    }

    static func dechunk(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            guard let lineEnd = bytes[i...].firstRange(of: [13, 10]) else { break }
            let size = Int(String(decoding: bytes[i..<lineEnd.lowerBound], as: UTF8.self), radix: 16) ?? 0
            if size == 0 { break }
            let start = lineEnd.upperBound
            out += bytes[start..<min(start + size, bytes.count)]
            i = start + size + 2
        }
        return out
    }
}

/// A blocking request/response exchange over a Unix domain socket (the CLI's admin client).
enum UnixSocketClient {
    static func exchange(path: String, request: [UInt8]) throws -> [UInt8] {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw OAuthServerSetupError("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw OAuthServerSetupError("the admin socket path is too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (i, b) in pathBytes.enumerated() { buffer[i] = b }
            buffer[pathBytes.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            throw OAuthServerSetupError("cannot connect to the server's admin socket \(path) (errno \(errno))")
        }
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw OAuthServerSetupError("writing to the admin socket failed") }
            sent += n
        }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            response += chunk[0..<n]
            if response.count > 16 << 20 { break }
        }
        return response
    }
}
