import Foundation
import Hummingbird

/// `x-fapi-interaction-id` (F1-19, FAPI 2.0 §6.2.1): accepted from the client when it is an RFC 4122
/// UUID, generated otherwise; kept in the request context for the handlers (who journal it) and
/// echoed on every response.
struct InteractionIDMiddleware: RouterMiddleware {
    typealias Context = OPRequestContext

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    )
        async throws -> Response
    {
        var context = context
        let sent = request.headers[InteractionID.header]
        let value = sent.flatMap { UUID(uuidString: $0) != nil ? $0 : nil } ?? UUID().uuidString.lowercased()
        context.interactionID = value
        do {
            var response = try await next(request, context)
            response.headers[InteractionID.header] = value
            return response
        } catch {
            // Errors become responses further out; attach the id to them there.
            throw InteractionID.Tagged(error: error, interactionID: value)
        }
    }
}

enum InteractionID {
    static let header = HTTPField.Name("x-fapi-interaction-id")!

    /// An error on its way out, with the interaction id to echo.
    struct Tagged: Error {
        let error: any Error
        let interactionID: String
    }
}
