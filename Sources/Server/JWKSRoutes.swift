import Hummingbird
import JOSE

/// `GET /jwks`: the OP's public keys as a JWK Set (RFC 7517 §5), content type
/// `application/jwk-set+json` (RFC 7517 §8.5.1), served over TLS only (SP-40).
enum JWKSRoutes {
    /// How long clients may cache the key set, in seconds.
    static let cacheMaxAgeSeconds = 300

    struct KeySet: Encodable {
        var keys: [PublicJWK]
    }

    static func add(
        to router: Router<OPRequestContext>,
        path: String,
        publishedKeys: @escaping @Sendable () async throws -> [PublicJWK]
    ) {
        let headers: HTTPFields = [.cacheControl: "public, max-age=\(cacheMaxAgeSeconds)"]
        router.get(RouterPath(path)) { _, context in
            let keys: [PublicJWK]
            do {
                keys = try await publishedKeys()
            } catch {
                context.logger.error(
                    "JWKS provider failed", metadata: ["error.type": "\(String(reflecting: type(of: error)))"])
                throw OPHTTPError(
                    .serviceUnavailable, error: "temporarily_unavailable", description: "signing keys are not available"
                )
            }
            return try JSONResponse.make(KeySet(keys: keys), contentType: "application/jwk-set+json", headers: headers)
        }
    }
}
