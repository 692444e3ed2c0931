import Hummingbird
import NIOCore

/// Enforces ``ServerConfiguration/maxRequestBodyBytes`` on every request, whatever the route
/// (Hummingbird itself only limits bodies that a decoder collects — STACK.md §1.3).
///
/// * A `Content-Length` above the limit is refused before any body byte is read.
/// * Otherwise (including chunked bodies) the body is collected up to the limit and stored back
///   into the request, so handlers read a bounded in-memory buffer.
/// Both cases answer 413 with `{"error":"invalid_request","error_description":"..."}`.
public struct BodySizeLimitMiddleware: RouterMiddleware {
    public typealias Context = OPRequestContext

    /// The limit in bytes.
    public let maxRequestBodyBytes: Int

    public init(maxRequestBodyBytes: Int) {
        self.maxRequestBodyBytes = maxRequestBodyBytes
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if let declared = request.headers[.contentLength] {
            guard let length = Int(declared), length >= 0 else {
                throw OPHTTPError(.badRequest, error: "invalid_request", description: "malformed Content-Length header")
            }
            guard length <= maxRequestBodyBytes else { throw tooLarge() }
        }
        var request = request
        var context = context
        context.maxUploadSize = maxRequestBodyBytes
        do {
            _ = try await request.collectBody(upTo: maxRequestBodyBytes)
        } catch is NIOTooManyBytesError {
            throw tooLarge()
        }
        return try await next(request, context)
    }

    private func tooLarge() -> OPHTTPError {
        OPHTTPError(
            .contentTooLarge,
            error: "invalid_request",
            description: "request body exceeds the limit of \(maxRequestBodyBytes) bytes"
        )
    }
}
