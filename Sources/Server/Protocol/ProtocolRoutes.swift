import Hummingbird

/// Adds the FAPI 2.0 protocol endpoints (PAR, authorization with its pages, token, userinfo) to the
/// router. Pass to `OPServer(extraRoutes:)`.
///
/// ```swift
/// let routes = try ProtocolRoutes(env: env, clientCAPath: clientCA)
/// let server = try OPServer(configuration: config, discovery: routes.discovery(base), publishedKeys: …,
///                           extraRoutes: routes.add)
/// ```
public struct ProtocolRoutes: Sendable {
    let env: ProtocolEnvironment
    let clients: ClientAuthenticator

    public init(env: ProtocolEnvironment, clientCAPath: String?) throws {
        self.env = env
        self.clients = try ClientAuthenticator(env: env, clientCAPath: clientCAPath)
    }

    public func add(to router: Router<OPRequestContext>) {
        PAREndpoint(env: env, clients: clients).add(to: router)
        AuthorizationEndpoint(env: env).add(to: router)
        TokenEndpoint(env: env, clients: clients).add(to: router)
        UserInfoEndpoint(env: env).add(to: router)
        RevocationEndpoint(env: env, clients: clients).add(to: router)
    }

    /// The discovery document with the protocol endpoints' metadata (REQUIREMENTS.md Section C).
    public func discovery() -> DiscoveryDocument {
        var document = DiscoveryDocument(issuer: env.issuer)
        document.userinfoEndpoint = env.issuer + "/userinfo"
        document.dpopSigningAlgValuesSupported = ["PS256", "ES256", "EdDSA"]
        document.tokenEndpointAuthSigningAlgValuesSupported = ["PS256", "ES256", "EdDSA"]
        document.acrValuesSupported = ProtocolEnvironment.ACR.all
        document.scopesSupported = ["openid", "offline_access", "profile", "email"]
        document.claimsParameterSupported = true
        document.claimsSupported = ["sub", "acr", "amr", "auth_time", "name", "email"]
        document.promptValuesSupported = ["none", "login", "consent"]
        document.revocationEndpoint = env.issuer + "/revoke"
        document.introspectionEndpoint = env.issuer + "/introspect"
        document.revocationEndpointAuthMethodsSupported = document.tokenEndpointAuthMethodsSupported
        document.introspectionEndpointAuthMethodsSupported = document.tokenEndpointAuthMethodsSupported
        return document
    }
}
