import Hummingbird

/// Adds the headers every OP response carries, errors included:
/// `Strict-Transport-Security: max-age=31536000; includeSubDomains` (anti-TLS-stripping, SP-04) and
/// `X-Content-Type-Options: nosniff`. Install it first (outermost) so nothing bypasses it.
public struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    /// HSTS lifetime: one year, in seconds.
    public static var hstsMaxAgeSeconds: Int { 31_536_000 }

    public init() {}

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.strictTransportSecurity] = "max-age=\(Self.hstsMaxAgeSeconds); includeSubDomains"
        response.headers[.xContentTypeOptions] = "nosniff"
        return response
    }
}
