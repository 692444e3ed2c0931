import Hummingbird
import OAuth

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
        let throttle = LoginThrottle()
        AuthorizationEndpoint(env: env, throttle: throttle).add(to: router)
        TokenEndpoint(env: env, clients: clients).add(to: router)
        let resource = ProtectedResource(env: env)
        UserInfoEndpoint(env: env, resource: resource).add(to: router)
        GrantManagementEndpoint(env: env, resource: resource).add(to: router)
        RevocationEndpoint(env: env, clients: clients).add(to: router)
        AccountGrantsPage(env: env, throttle: throttle).add(to: router)
    }

    /// The discovery document with the protocol endpoints' metadata (REQUIREMENTS.md Section C).
    public func discovery() -> DiscoveryDocument {
        var document = DiscoveryDocument(issuer: env.issuer)
        document.userinfoEndpoint = env.issuer + "/userinfo"
        document.dpopSigningAlgValuesSupported = ["PS256", "ES256", "EdDSA"]
        document.tokenEndpointAuthSigningAlgValuesSupported = ["PS256", "ES256", "EdDSA"]
        document.acrValuesSupported = ProtocolEnvironment.ACR.all
        document.scopesSupported = [
            "openid", "offline_access", "profile", "email", GrantManagementChecks.queryScope,
            GrantManagementChecks.revokeScope,
        ]
        document.claimsParameterSupported = true
        document.claimsSupported = ["sub", "acr", "amr", "auth_time", "name", "email"]
        document.promptValuesSupported = ["none", "login", "consent"]
        document.revocationEndpoint = env.issuer + "/revoke"
        document.introspectionEndpoint = env.issuer + "/introspect"
        document.revocationEndpointAuthMethodsSupported = document.tokenEndpointAuthMethodsSupported
        document.introspectionEndpointAuthMethodsSupported = document.tokenEndpointAuthMethodsSupported
        // GM-10: query and revoke at the endpoint; create, merge and replace in authorization requests.
        document.grantManagementEndpoint = env.issuer + GrantManagementEndpoint.pathSuffix
        document.grantManagementActionsSupported =
            ["query", "revoke"] + GrantManagementAction.allCases.map(\.rawValue)
        document.grantManagementActionRequired = GrantManagementChecks.actionRequired
        return document
    }
}
