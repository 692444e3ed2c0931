import Events
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
        let value = sent.flatMap { UUID(uuidString: $0) != nil ? $0 : nil } ?? InteractionID.generate()
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

    /// A random (version 4) UUID, lowercase. Not Foundation's `UUID()`, which opens, reads and closes
    /// `/dev/urandom` for each one (three system calls per request): two words of the pooled CSPRNG instead.
    static func generate() -> String {
        var rng = BatchedSystemRandom()
        var bytes = (rng.next(), rng.next())
        return withUnsafeMutableBytes(of: &bytes) { raw in
            raw[6] = (raw[6] & 0x0F) | 0x40  // version 4
            raw[8] = (raw[8] & 0x3F) | 0x80  // RFC 4122 variant
            return format(UnsafeRawBufferPointer(raw))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// The 16 bytes as a lowercase UUID string (8-4-4-4-12 hex digits), written directly (Foundation's
    /// `uuidString` and a `lowercased()` cost twice as much).
    static func format(_ raw: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: 36) { out in
            var position = 0
            for (index, byte) in raw.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    out[position] = UInt8(ascii: "-")
                    position += 1
                }
                out[position] = hexDigits[Int(byte >> 4)]
                out[position + 1] = hexDigits[Int(byte & 0x0F)]
                position += 2
            }
            return position
        }
    }

    /// An error on its way out, with the interaction id to echo.
    struct Tagged: Error {
        let error: any Error
        let interactionID: String
    }
}
