import Hummingbird

/// Serves the discovery document (SP-07, F1-20) at both well-known locations: OIDD §4
/// (`/.well-known/openid-configuration`) and RFC 8414 §3 (`/.well-known/oauth-authorization-server`).
/// For an issuer with a path (`https://host/tenant`) the locations are
/// `/tenant/.well-known/openid-configuration` and `/.well-known/oauth-authorization-server/tenant`.
/// The body is encoded once at start-up.
enum DiscoveryRoutes {
    /// How long clients may cache the metadata, in seconds.
    static let cacheMaxAgeSeconds = 300

    static func add(to router: Router<OPRequestContext>, document: DiscoveryDocument, issuerPath: String) throws {
        let body = try JSONResponse.encode(document)
        let headers: HTTPFields = [.cacheControl: "public, max-age=\(cacheMaxAgeSeconds)"]
        let paths = [
            issuerPath + "/.well-known/openid-configuration", "/.well-known/oauth-authorization-server" + issuerPath,
        ]
        for path in paths {
            router.get(RouterPath(path)) { _, _ in
                JSONResponse.bytes(body, headers: headers)
            }
        }
    }
}
