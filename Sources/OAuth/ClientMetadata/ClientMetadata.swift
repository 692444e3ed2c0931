import Foundation

/// Validated RFC 7591 client metadata for a FAPI 2.0 client, as registered with
/// `strongroom clients add --file client.json` or (later) dynamic registration.
///
/// An instance is valid by construction: ``parse(_:)`` and `Decodable` run every check in
/// ``ClientMetadataChecks`` and throw `invalid_client_metadata` / `invalid_redirect_uri` naming the
/// member and what to do. Unknown members are ignored (RFC 7591 §2) and do not appear in the
/// normalized output. ``normalizedJSON(pretty:)`` is deterministic (sorted keys), for printing and
/// journaling; decoding that output yields an equal value.
///
/// ```swift
/// let metadata = try ClientMetadata.parse(Array(fileContents))
/// let registered = metadata.clientID == nil ? metadata.withClientID(mintClientID()) : metadata
/// print(String(decoding: registered.normalizedJSON(pretty: true), as: UTF8.self))
/// ```
public struct ClientMetadata: Sendable, Hashable {
    /// `client_id`; `nil` on input when the caller is to mint one (``withClientID(_:)``).
    public private(set) var clientID: String?
    /// `client_name`, shown on the consent page (SP-31).
    public let clientName: String?
    /// `redirect_uris`, exact strings (https, or http to a loopback IP literal).
    public let redirectURIs: [String]
    /// `token_endpoint_auth_method` (required: RFC 7591's default `client_secret_basic` is not allowed).
    public let tokenEndpointAuthMethod: ClientAuthenticationMethod
    /// `token_endpoint_auth_signing_alg`: PS256, ES256 or EdDSA.
    public let tokenEndpointAuthSigningAlg: String?
    /// `jwks`: the client's public keys, as canonical JSON object text (sorted keys, no whitespace).
    public let jwks: String?
    /// `jwks_uri`: an https URL serving the client's JWKS.
    public let jwksURI: String?
    /// The one `tls_client_auth_*` attribute of a `tls_client_auth` client.
    public let tlsClientAuthAttribute: TLSClientAuthAttribute?
    /// `tls_client_certificate_bound_access_tokens` (RFC 8705 §3.4).
    public let tlsClientCertificateBoundAccessTokens: Bool
    /// `dpop_bound_access_tokens` (RFC 9449 §5.2).
    public let dpopBoundAccessTokens: Bool
    /// `use_mtls_endpoint_aliases` (RFC 8705 §5).
    public let useMTLSEndpointAliases: Bool
    /// `access_token_format` (Strongroom extension): `opaque` (default) or `jwt` — RFC 9068 JWT
    /// access tokens for resource servers that validate tokens locally.
    public let accessTokenFormat: String
    /// `protected_resource` (Strongroom extension): the client is also a resource server of the
    /// bank's APIs and may introspect any access token (RFC 7662 §2.1), not only its own.
    public let protectedResource: Bool
    /// `grant_types`; defaults to `["authorization_code"]`.
    public let grantTypes: [GrantType]
    /// `response_types`: `["code"]` when `authorization_code` is a grant type, else `[]`.
    public let responseTypes: [String]
    /// `scope`: space-separated scope tokens (RFC 6749 §3.3).
    public let scope: String?
    /// `require_pushed_authorization_requests` (RFC 9126 §6).
    public let requirePushedAuthorizationRequests: Bool
    /// `require_signed_request_object` (RFC 9101 §10.5).
    public let requireSignedRequestObject: Bool
    /// `request_object_signing_alg`: PS256, ES256 or EdDSA.
    public let requestObjectSigningAlg: String?
    /// `id_token_signed_response_alg`: PS256, ES256 or EdDSA.
    public let idTokenSignedResponseAlg: String?
    /// `authorization_signed_response_alg` (JARM): PS256, ES256 or EdDSA.
    public let authorizationSignedResponseAlg: String?
    /// `contacts`: e-mail addresses of people responsible for the client.
    public let contacts: [String]
    /// `client_uri`: the client's home page (https).
    public let clientURI: String?
    /// `logo_uri`: the client's logo (https).
    public let logoURI: String?

    /// Parses and validates a JSON client metadata document.
    ///
    /// ```swift
    /// let metadata = try ClientMetadata.parse(Array("""
    ///     {"client_name": "Example", "redirect_uris": ["https://client.example/cb"],
    ///      "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "https://client.example/jwks"}
    ///     """.utf8))
    /// ```
    public static func parse(_ json: some Collection<UInt8>) throws(OAuthError) -> ClientMetadata {
        try ClientMetadataChecks.requireDocumentSize(json.count)
        guard let document = MetadataJSON.parse(json) else {
            throw OAuthError(.invalidClientMetadata, "the client metadata is not valid JSON; send a JSON object")
        }
        return try ClientMetadata(validating: document)
    }

    /// The same metadata with `client_id` set (for a client that registered without one).
    public func withClientID(_ clientID: String) throws(OAuthError) -> ClientMetadata {
        try ClientMetadataChecks.validateClientID(clientID)
        var copy = self
        copy.clientID = clientID
        return copy
    }

    /// Deterministic JSON of the normalized metadata: sorted keys, slashes not escaped, defaults
    /// filled in, absent optional members and empty `contacts` omitted, unknown members dropped.
    public func normalizedJSON(pretty: Bool = false) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting =
            pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted] : [.sortedKeys, .withoutEscapingSlashes]
        // Encoding strings, booleans and a MetadataJSON cannot fail.
        return (try? encoder.encode(self)).map { [UInt8]($0) } ?? []
    }

    // MARK: Validation

    /// Runs every check over a parsed document, in the order a reader would check by hand.
    init(validating document: MetadataJSON) throws(OAuthError) {
        guard case .object(let members) = document else {
            throw OAuthError(
                .invalidClientMetadata, "the client metadata must be a JSON object, not \(document.typeName)")
        }
        let m = ClientMetadataMembers(members)
        typealias Check = ClientMetadataChecks

        let clientID = try m.string("client_id")
        if let clientID { try Check.validateClientID(clientID) }
        self.clientID = clientID
        self.clientName = try m.string("client_name")
        if let clientName { try Check.validateClientName(clientName) }

        self.tokenEndpointAuthMethod = try Check.requireFAPIAuthMethod(try m.string("token_endpoint_auth_method"))
        self.tokenEndpointAuthSigningAlg = try Check.requireFAPISigningAlg(
            try m.string("token_endpoint_auth_signing_alg"), member: "token_endpoint_auth_signing_alg")
        self.requestObjectSigningAlg = try Check.requireFAPISigningAlg(
            try m.string("request_object_signing_alg"), member: "request_object_signing_alg")
        self.idTokenSignedResponseAlg = try Check.requireFAPISigningAlg(
            try m.string("id_token_signed_response_alg"), member: "id_token_signed_response_alg")
        self.authorizationSignedResponseAlg = try Check.requireFAPISigningAlg(
            try m.string("authorization_signed_response_alg"), member: "authorization_signed_response_alg")
        try Check.rejectEncryptionMembers(members)

        let jwksValue = m.value("jwks")
        let jwksURI = try m.string("jwks_uri")
        try Check.rejectJWKSAndJWKSURI(hasJWKS: jwksValue != nil, hasJWKSURI: jwksURI != nil)
        if let jwksURI { try Check.requireHTTPSURL(jwksURI, member: "jwks_uri") }
        self.jwksURI = jwksURI
        self.jwks = try jwksValue.map { value throws(OAuthError) in try ClientJWKSChecks.validateClientJWKS(value) }
        try Check.requireKeysForAuthMethod(tokenEndpointAuthMethod, hasJWKS: jwks != nil, hasJWKSURI: jwksURI != nil)
        if tokenEndpointAuthMethod == .selfSignedTLSClientAuth, let jwksValue {
            try ClientJWKSChecks.requireX5CForSelfSignedTLS(jwksValue)
        }

        var attributes: [TLSClientAuthAttribute] = []
        for name in TLSClientAuthAttribute.memberNames {
            if let value = try m.string(name), let attribute = TLSClientAuthAttribute(memberName: name, value: value) {
                attributes.append(attribute)
            }
        }
        self.tlsClientAuthAttribute = try Check.requireExactlyOneTLSClientAuthAttribute(
            attributes, method: tokenEndpointAuthMethod)
        if let tlsClientAuthAttribute { try Check.validateTLSClientAuthAttribute(tlsClientAuthAttribute) }

        self.tlsClientCertificateBoundAccessTokens = try m.bool("tls_client_certificate_bound_access_tokens") ?? false
        self.dpopBoundAccessTokens = try m.bool("dpop_bound_access_tokens") ?? false
        self.useMTLSEndpointAliases = try m.bool("use_mtls_endpoint_aliases") ?? false
        self.accessTokenFormat = try Check.validateAccessTokenFormat(try m.string("access_token_format"))
        self.protectedResource = try m.bool("protected_resource") ?? false
        self.requirePushedAuthorizationRequests = try m.bool("require_pushed_authorization_requests") ?? false
        self.requireSignedRequestObject = try m.bool("require_signed_request_object") ?? false

        self.grantTypes = try Check.validateGrantTypes(try m.stringArray("grant_types"))
        self.responseTypes = try Check.validateResponseTypes(
            try m.stringArray("response_types"), grantTypes: grantTypes)
        self.redirectURIs = try RedirectURIChecks.validateRedirectURIs(
            try m.stringArray("redirect_uris"), grantTypes: grantTypes)
        let scope = try m.string("scope")
        if let scope { try Check.validateScope(scope) }
        self.scope = scope

        let contacts = try m.stringArray("contacts") ?? []
        try Check.validateContacts(contacts)
        self.contacts = contacts
        let clientURI = try m.string("client_uri")
        if let clientURI { try Check.requireHTTPSURL(clientURI, member: "client_uri") }
        self.clientURI = clientURI
        let logoURI = try m.string("logo_uri")
        if let logoURI { try Check.requireHTTPSURL(logoURI, member: "logo_uri") }
        self.logoURI = logoURI
    }
}

// MARK: - Codable

extension ClientMetadata: Codable {
    private enum CodingKeys: String, CodingKey {
        case clientID = "client_id"
        case clientName = "client_name"
        case redirectURIs = "redirect_uris"
        case tokenEndpointAuthMethod = "token_endpoint_auth_method"
        case tokenEndpointAuthSigningAlg = "token_endpoint_auth_signing_alg"
        case jwks
        case jwksURI = "jwks_uri"
        case tlsClientAuthSubjectDN = "tls_client_auth_subject_dn"
        case tlsClientAuthSANDNS = "tls_client_auth_san_dns"
        case tlsClientAuthSANURI = "tls_client_auth_san_uri"
        case tlsClientAuthSANIP = "tls_client_auth_san_ip"
        case tlsClientAuthSANEmail = "tls_client_auth_san_email"
        case tlsClientCertificateBoundAccessTokens = "tls_client_certificate_bound_access_tokens"
        case dpopBoundAccessTokens = "dpop_bound_access_tokens"
        case useMTLSEndpointAliases = "use_mtls_endpoint_aliases"
        case accessTokenFormat = "access_token_format"
        case protectedResource = "protected_resource"
        case grantTypes = "grant_types"
        case responseTypes = "response_types"
        case scope
        case requirePushedAuthorizationRequests = "require_pushed_authorization_requests"
        case requireSignedRequestObject = "require_signed_request_object"
        case requestObjectSigningAlg = "request_object_signing_alg"
        case idTokenSignedResponseAlg = "id_token_signed_response_alg"
        case authorizationSignedResponseAlg = "authorization_signed_response_alg"
        case contacts
        case clientURI = "client_uri"
        case logoURI = "logo_uri"
    }

    /// Decodes and validates (the same checks as ``parse(_:)``), so a value read back from the
    /// journal is checked on this side of the boundary too. Throws ``OAuthError``.
    public init(from decoder: any Decoder) throws {
        self = try ClientMetadata(validating: try MetadataJSON(from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(clientID, forKey: .clientID)
        try c.encodeIfPresent(clientName, forKey: .clientName)
        try c.encode(redirectURIs, forKey: .redirectURIs)
        try c.encode(tokenEndpointAuthMethod, forKey: .tokenEndpointAuthMethod)
        try c.encodeIfPresent(tokenEndpointAuthSigningAlg, forKey: .tokenEndpointAuthSigningAlg)
        try c.encodeIfPresent(jwks.flatMap { MetadataJSON.parse(Array($0.utf8)) }, forKey: .jwks)
        try c.encodeIfPresent(jwksURI, forKey: .jwksURI)
        switch tlsClientAuthAttribute {
        case .subjectDN(let v): try c.encode(v, forKey: .tlsClientAuthSubjectDN)
        case .sanDNS(let v): try c.encode(v, forKey: .tlsClientAuthSANDNS)
        case .sanURI(let v): try c.encode(v, forKey: .tlsClientAuthSANURI)
        case .sanIP(let v): try c.encode(v, forKey: .tlsClientAuthSANIP)
        case .sanEmail(let v): try c.encode(v, forKey: .tlsClientAuthSANEmail)
        case nil: break
        }
        try c.encode(tlsClientCertificateBoundAccessTokens, forKey: .tlsClientCertificateBoundAccessTokens)
        try c.encode(dpopBoundAccessTokens, forKey: .dpopBoundAccessTokens)
        try c.encode(useMTLSEndpointAliases, forKey: .useMTLSEndpointAliases)
        try c.encode(accessTokenFormat, forKey: .accessTokenFormat)
        try c.encode(protectedResource, forKey: .protectedResource)
        try c.encode(grantTypes, forKey: .grantTypes)
        try c.encode(responseTypes, forKey: .responseTypes)
        try c.encodeIfPresent(scope, forKey: .scope)
        try c.encode(requirePushedAuthorizationRequests, forKey: .requirePushedAuthorizationRequests)
        try c.encode(requireSignedRequestObject, forKey: .requireSignedRequestObject)
        try c.encodeIfPresent(requestObjectSigningAlg, forKey: .requestObjectSigningAlg)
        try c.encodeIfPresent(idTokenSignedResponseAlg, forKey: .idTokenSignedResponseAlg)
        try c.encodeIfPresent(authorizationSignedResponseAlg, forKey: .authorizationSignedResponseAlg)
        if !contacts.isEmpty { try c.encode(contacts, forKey: .contacts) }
        try c.encodeIfPresent(clientURI, forKey: .clientURI)
        try c.encodeIfPresent(logoURI, forKey: .logoURI)
    }
}

// MARK: - Typed member access

/// Reads members of a client metadata object with their expected JSON types; a wrong type is an
/// `invalid_client_metadata` error naming the member. `null` counts as absent (RFC 7591 §2 lets
/// the server ignore values it does not use; a `null` carries none).
struct ClientMetadataMembers {
    let members: [String: MetadataJSON]

    init(_ members: [String: MetadataJSON]) { self.members = members }

    func value(_ name: String) -> MetadataJSON? {
        guard let value = members[name], value != .null else { return nil }
        return value
    }

    func string(_ name: String) throws(OAuthError) -> String? {
        guard let value = value(name) else { return nil }
        guard case .string(let text) = value else { throw wrongType(name, expected: "a string", got: value) }
        return text
    }

    func bool(_ name: String) throws(OAuthError) -> Bool? {
        guard let value = value(name) else { return nil }
        guard case .bool(let flag) = value else { throw wrongType(name, expected: "true or false", got: value) }
        return flag
    }

    func stringArray(_ name: String) throws(OAuthError) -> [String]? {
        guard let value = value(name) else { return nil }
        guard case .array(let items) = value else { throw wrongType(name, expected: "an array of strings", got: value) }
        guard items.count <= ClientMetadataChecks.arrayCountMax else {
            throw OAuthError(
                .invalidClientMetadata,
                "\(name) has \(items.count) entries; at most \(ClientMetadataChecks.arrayCountMax) are accepted")
        }
        var strings: [String] = []
        for item in items {
            guard case .string(let text) = item else {
                throw wrongType(name, expected: "an array of strings", got: item, element: true)
            }
            strings.append(text)
        }
        return strings
    }

    private func wrongType(_ name: String, expected: String, got: MetadataJSON, element: Bool = false) -> OAuthError {
        let actual = element ? "an array containing \(got.typeName)" : got.typeName
        let error: OAuthError.Code = name == "redirect_uris" ? .invalidRedirectURI : .invalidClientMetadata
        return OAuthError(error, "\(name) must be \(expected), not \(actual)")
    }
}
