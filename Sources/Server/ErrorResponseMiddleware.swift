import Hummingbird
import Logging
import OAuth

/// Turns every error thrown below it into a JSON response in the OAuth error shape — never an
/// HTML page or a stack trace. ``OPHTTPError`` keeps its status, body and headers; Hummingbird's
/// HTTP errors (404 for unknown routes, 413 from body decoding, …) are mapped to a code; body
/// decoding failures (`DecodingError`, `URLEncodedFormError`, e.g. a duplicated form parameter) are
/// 400 `invalid_request` (RFC 6749 §3.1, STACK.md §1.3); anything else becomes 500 `server_error`
/// with a generic description and is logged with the request id.
public struct ErrorResponseMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let tagged as InteractionID.Tagged {
            var response = try await handle(request, context: context) { _, _ in throw tagged.error }
            response.headers[InteractionID.header] = tagged.interactionID
            return response
        } catch let error as OPHTTPError {
            return Self.response(for: error)
        } catch let error as OAuthError {
            return Self.response(for: OPHTTPError(error))
        } catch let error as any HTTPResponseError {
            let description: String? =
                switch error.status {
                case .notFound: "no resource at \(request.method) \(request.uri.path)"
                case .contentTooLarge: "request body is too large"
                default: (error as? HTTPError)?.body
                }
            return Self.response(
                for: OPHTTPError(error.status, error: Self.code(for: error.status), description: description))
        } catch is DecodingError {
            return Self.response(
                for: OPHTTPError(.badRequest, error: "invalid_request", description: "malformed request body"))
        } catch let error as URLEncodedFormError {
            let description =
                error.code == .duplicateKeys ? "a request parameter is included more than once" : "malformed form body"
            return Self.response(for: OPHTTPError(.badRequest, error: "invalid_request", description: description))
        } catch {
            context.logger.error("unhandled error", metadata: ["error.type": "\(String(reflecting: type(of: error)))"])
            return Self.response(
                for: OPHTTPError(.internalServerError, error: "server_error", description: "internal error"))
        }
    }

    /// OAuth-style code for an HTTP status that has no more specific code.
    static func code(for status: HTTPResponse.Status) -> String {
        switch status {
        case .notFound: "not_found"
        case .methodNotAllowed: "method_not_allowed"
        case .unsupportedMediaType: "invalid_request"
        case .serviceUnavailable: "temporarily_unavailable"
        default: status.code >= 500 ? "server_error" : "invalid_request"
        }
    }

    static func response(for error: OPHTTPError) -> Response {
        var headers = error.headers
        headers[.cacheControl] = "no-store"
        if error.status == .contentTooLarge {
            // The body was not read; ask the client to close instead of streaming the rest to us.
            headers[.connection] = "close"
        }
        let body = (try? JSONResponse.encode(error.body)) ?? ByteBuffer(string: #"{"error":"server_error"}"#)
        return JSONResponse.bytes(body, status: error.status, headers: headers)
    }
}
